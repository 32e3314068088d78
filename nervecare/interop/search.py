"""FHIR search parameter values: dates with prefixes, tokens, references, strings; the paging cursor.

Each parser turns the text of one parameter into something the selectors can filter on, or raises
SearchError (the view answers 400 with an OperationOutcome).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q

from nervecare.core.bounds import SEARCH


class SearchError(ValueError):
    """A search the server cannot carry out as asked (400 with an OperationOutcome)."""

    def __init__(self, message: str, expression: str | None = None):
        self.expression = expression
        super().__init__(message)


_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?"
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class DateRange:
    """A date search value: its prefix and the half-open instant range [start, end) it stands for."""

    prefix: str
    start: dt.datetime
    end: dt.datetime

    def q(self, field: str) -> Q:
        """A filter on a date-time column (the value is a point in time)."""
        return _range_q(self.prefix, field, self.start, self.end)

    def q_date(self, field: str) -> Q:
        """A filter on a date column: the range is read as calendar days."""
        start = self.start.date()
        end = self.end.date() if self.end.time() == dt.time(0) else self.end.date() + dt.timedelta(days=1)
        return _range_q(self.prefix, field, start, end)

    def matches(self, value: dt.datetime) -> bool:
        if self.prefix == "eq":
            return self.start <= value < self.end
        if self.prefix == "ne":
            return not self.start <= value < self.end
        if self.prefix in ("gt", "sa"):
            return value >= self.end
        if self.prefix in ("lt", "eb"):
            return value < self.start
        if self.prefix == "ge":
            return value >= self.start
        return value < self.end  # le


def _range_q(prefix: str, field: str, start: object, end: object) -> Q:
    if prefix == "eq":
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix == "ne":
        return ~Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix in ("gt", "sa"):
        return Q(**{f"{field}__gte": end})
    if prefix in ("lt", "eb"):
        return Q(**{f"{field}__lt": start})
    if prefix == "ge":
        return Q(**{f"{field}__gte": start})
    return Q(**{f"{field}__lt": end})  # le


def parse_date(value: str, tz: ZoneInfo, name: str = "date") -> DateRange:
    """ "ge2024-05-17" -> DateRange("ge", 2024-05-17T00:00 local, 2024-05-18T00:00 local).

    A value's precision sets its range (a year, a month, a day, a second). A value without a time zone is
    read in the clinic's zone. The date must lie in core.bounds.SEARCH (1900 to five years ahead)."""
    m = _DATE.match(value.strip())
    if not m:
        raise SearchError(f"{name}: {value!r} is not a FHIR date (e.g. 2024-05-17, ge2024-05, le2024)", name)
    prefix = m["prefix"] or "eq"
    if prefix == "ap":
        raise SearchError(f"{name}: the 'ap' (approximately) prefix is not supported", name)
    if m["hour"] is not None and m["tz"] is None:
        raise SearchError(f"{name}: a time needs a time zone (Z or +hh:mm)", name)
    zone: dt.tzinfo = tz
    if m["tz"]:
        zone = dt.UTC if m["tz"] == "Z" else _offset(m["tz"])
    try:
        year, month, day = int(m["year"]), int(m["month"] or 1), int(m["day"] or 1)
        if not SEARCH.contains(dt.date(year, month, day)):  # the range's end must be computable
            raise SearchError(f"{name}: {value!r}: the date {SEARCH.message()}", name)
        if m["hour"] is not None:
            micro = int((m["fraction"] or "0")[:6].ljust(6, "0"))
            start = dt.datetime(
                year, month, day, int(m["hour"]), int(m["minute"]), int(m["second"] or 0), micro, tzinfo=zone
            )
            step = dt.timedelta(seconds=1) if m["second"] is not None else dt.timedelta(minutes=1)
            if m["fraction"]:
                step = dt.timedelta(microseconds=1)
            return DateRange(prefix, start, start + step)
        start = dt.datetime(year, month, day, tzinfo=zone)
    except SearchError:
        raise  # already names the parameter and the value
    except ValueError as exc:
        raise SearchError(f"{name}: {value!r}: {exc}", name) from None
    if m["day"] is not None:
        end = start + dt.timedelta(days=1)
    elif m["month"] is not None:
        end = start.replace(year=year + (month == 12), month=month % 12 + 1)
    else:
        end = start.replace(year=year + 1)
    return DateRange(prefix, start, end)


def _offset(text: str) -> dt.timezone:
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


@dataclass(frozen=True)
class Token:
    """system|code, code, |code (no system) or system| (any code of the system)."""

    system: str | None  # None: any system; "": no system
    code: str | None  # None: any code

    def matches(self, system: str | None, code: str | None) -> bool:
        if self.system is not None and (system or "") != self.system:
            return False
        return self.code is None or code == self.code


def parse_token(value: str) -> Token:
    if "|" in value:
        system, _, code = value.partition("|")
        return Token(system, code or None)
    return Token(None, value)


def parse_reference(value: str, resource_type: str) -> str | None:
    """ "Patient/123", "123" or an absolute URL ending in Patient/123 -> "123"; another type -> None."""
    value = value.strip().rstrip("/")
    parts = value.split("/")
    if len(parts) == 1:
        return parts[0]
    if parts[-2] != resource_type:
        return None
    return parts[-1]


def split_values(value: str) -> list[str]:
    """A parameter's comma-separated alternatives (OR); "\\," is a literal comma."""
    out, current, escaped = [], "", False
    for ch in value:
        if escaped:
            current += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            out.append(current)
            current = ""
        else:
            current += ch
    out.append(current)
    return [v for v in out if v != ""]


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the source index, the row's key, how many of its resources were sent."""

    source: int
    key: int
    skip: int

    def encode(self) -> str:
        return f"{self.source}.{self.key}.{self.skip}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            source, key, skip = (int(part) for part in text.split("."))
        except ValueError:
            raise SearchError(f"_cursor: {text!r} is not a page token of this server", "_cursor") from None
        if source < 0 or skip < 0:
            raise SearchError(f"_cursor: {text!r} is not a page token of this server", "_cursor")
        return cls(source, key, skip)
