"""The dry run's result: each problem (the row as a spreadsheet shows it, the column, the field in the user's
words), and what would be created, matched, skipped or refused as a conflict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Problem:
    row: int
    column: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "message": self.message}


@dataclass
class Checked:
    """The dry run's result: what would be created, what is already here, and every problem."""

    kind: str
    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)  # rows to create
    linked: list[dict[str, Any]] = field(default_factory=list)  # rows matching an existing record: key only
    already: int = 0  # rows imported before (their key exists): nothing to do
    skipped: list[dict[str, Any]] = field(default_factory=list)  # rows not imported, and why
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.total,
            "to_create": len(self.new),
            "matched_existing": len(self.linked),
            "already_imported": self.already,
            "skipped": self.skipped[:1000],
            "skipped_count": len(self.skipped),
            "error_count": len(self.problems),
            "errors": [p.as_dict() for p in self.problems[:5000]],
            "conflicts": self.conflicts[:1000],
            "conflict_count": len(self.conflicts),
            "new_past_visits": sum(1 for r in self.new if r.get("past")),
        }
