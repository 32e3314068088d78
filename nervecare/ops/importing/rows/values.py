"""Reading one row's values: the date and time formats a file may use, the status words of a cancelled or
missed visit, and a data row seen through the user's column mapping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from nervecare.ops.importing.fields import FIELDS, label_of
from nervecare.ops.importing.rows.result import Problem

DATE_FORMATS = {
    "iso": ("%Y-%m-%d", "%Y/%m/%d"),
    "dmy": ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"),
}
DATE_FORMAT_LABELS = {
    "iso": "Year-month-day (2026-03-31)",
    "dmy": "Day/month/year (31/03/2026)",
    "mdy": "Month/day/year (03/31/2026)",
}
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p")
CANCELLED = {"cancelled", "canceled", "cancelled by client", "cancelled by practitioner", "deleted"}
NO_SHOW = {"no-show", "no show", "noshow", "did not arrive", "dna", "missed"}


def parse_date(value: str, date_format: str) -> dt.date:
    value = value.strip()
    head = value.split("T")[0].split(" ")[0] if date_format == "iso" else value.split(" ")[0]
    for fmt in DATE_FORMATS[date_format]:
        try:
            return dt.datetime.strptime(head, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    raise ValueError(f"“{value}” is not a date in the chosen order ({DATE_FORMAT_LABELS[date_format]})")


def parse_time(value: str) -> dt.time:
    value = value.strip().upper()
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).time()  # noqa: DTZ007 - a wall-clock time
        except ValueError:
            continue
    raise ValueError(f"“{value}” is not a time (e.g. 14:30 or 2:30 PM)")


def _time_in_date(value: str) -> dt.time | None:
    """A date cell that also carries the time (2026-03-31 14:30 or 2026-03-31T14:30)."""
    rest = value.strip().replace("T", " ", 1).split(" ", 1)
    if len(rest) == 2 and ":" in rest[1]:
        return parse_time(rest[1][:8].rstrip("Z"))
    return None


class _Row:
    """One data row seen through the mapping."""

    __slots__ = ("cells", "col", "kind", "line", "problems")

    def __init__(self, kind: str, line: int, cells: list[str], col: dict[str, int], problems: list[Problem]):
        self.kind, self.line, self.cells, self.col, self.problems = kind, line, cells, col, problems

    def get(self, name: str) -> str:
        i = self.col.get(name)
        if i is None or i >= len(self.cells):
            return ""
        return self.cells[i].strip()

    def error(self, name: str, message: str, column: str = "") -> None:
        self.problems.append(Problem(self.line, column, label_of(self.kind, name), message))


def _rows(
    kind: str, headers: list[str], rows: list[list[str]], mapping: dict[str, str], problems: list[Problem]
) -> Iterable[tuple[_Row, Callable[[str], str]]]:
    col = {name: headers.index(column) for name, column in mapping.items() if column in headers}
    header_of = {name: column for name, column in mapping.items() if column}
    for i, cells in enumerate(rows):
        if not cells:
            continue
        row = _Row(kind, i + 2, cells, col, problems)
        yield row, lambda name: header_of.get(name, "")


def _lengths(kind: str, row: _Row, col_of: Callable[[str], str], names: Iterable[str]) -> bool:
    ok = True
    limits = {f.name: f.max_length for f in FIELDS[kind]}
    for name in names:
        limit = limits.get(name)
        if limit and len(row.get(name)) > limit:
            row.error(name, f"is longer than {limit} characters", col_of(name))
            ok = False
    return ok
