"""What may be assigned to a client: the library items against the client's open safety flags.

Pure functions over the library and a list of open flags (rule_id, title), so services, selectors, the API,
the pages and the tests all apply the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from nervecare.selfcare.library import Item


class FlagLike(Protocol):
    rule_id: str
    title: str


@dataclass(frozen=True)
class Refusal:
    flag: str
    flag_title: str
    reason: str

    def as_text(self) -> str:
        return f"{self.flag_title}: {self.reason}"


def refusals(item: Item, flags: Iterable[FlagLike]) -> list[Refusal]:
    """Why `item` may not be assigned while these flags are open (empty: it may)."""
    open_by_code = {f.rule_id: f for f in flags}
    return [
        Refusal(flag=c.flag, flag_title=open_by_code[c.flag].title, reason=" ".join(c.reason.split()))
        for c in item.contraindicated_by
        if c.flag in open_by_code
    ]


def refusal_message(item: Item, found: list[Refusal]) -> str:
    """The error shown for a refused item, naming the flag and the reason."""
    return f"{item.title} cannot be assigned: " + " ".join(r.as_text() for r in found)


def due_days(*, starts_on: date, ends_on: date | None, first: date, last: date) -> list[date]:
    """The days of [first, last] on which an item running from starts_on to ends_on is assigned."""
    start = max(starts_on, first)
    end = min(ends_on, last) if ends_on else last
    return [start + timedelta(days=i) for i in range((end - start).days + 1)] if end >= start else []


def expected_in_week(days_assigned: int, days_per_week: int) -> int:
    """Item-days expected in a week (or part of one) of `days_assigned` days for an item due
    `days_per_week` days a week: the share of the week, rounded up, so a daily item on 3 days expects 3."""
    if days_assigned <= 0:
        return 0
    return min(days_assigned, -(-days_assigned * days_per_week // 7))
