"""Pure interval arithmetic for availability and free slots. No database access here.

Intervals are half-open [start, end) pairs of aware datetimes in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nervecare.core.localtime import boundary_to_utc

Interval = tuple[datetime, datetime]
SLOT_STEP = timedelta(minutes=15)


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(intervals: Iterable[Interval], removals: Iterable[Interval]) -> list[Interval]:
    result = merge(intervals)
    for r_start, r_end in merge(removals):
        pieces: list[Interval] = []
        for start, end in result:
            if r_end <= start or r_start >= end:
                pieces.append((start, end))
                continue
            if start < r_start:
                pieces.append((start, r_start))
            if r_end < end:
                pieces.append((r_end, end))
        result = pieces
    return result


def week_applies(day: date, every_weeks: int, anchor: date | None) -> bool:
    """Whether hours that repeat every `every_weeks` weeks from the week of `anchor` apply on `day`: weekly
    hours always; alternate-week hours in the anchor's week (Monday to Sunday) and every second week from it,
    before the anchor as after it."""
    if every_weeks <= 1 or anchor is None:
        return True
    weeks = ((day - timedelta(days=day.weekday())) - (anchor - timedelta(days=anchor.weekday()))).days // 7
    return weeks % every_weeks == 0


def hours_on(
    day: date, rows: Iterable[tuple[int, time, time, int, date | None]]
) -> list[tuple[int, time, time]]:
    """The (weekday, start, end) rows of a therapist's hours that apply on `day`: its weekday's, of this week
    for alternate-week rows. `rows` are (weekday, start, end, every_weeks, anchor_date)."""
    return [
        (wd, start, end)
        for wd, start, end, every, anchor in rows
        if wd == day.weekday() and week_applies(day, every, anchor)
    ]


def working_intervals(
    *,
    day: date,
    tz: ZoneInfo,
    hours: Iterable[tuple[int, time, time]],
    extra: Iterable[Interval] = (),
    time_off: Iterable[Interval] = (),
) -> list[Interval]:
    """When a therapist works on one local day: regular hours of that weekday, plus extra hours, minus
    time off. `hours` are (weekday, start, end) in local time."""
    regular = [
        (boundary_to_utc(day, start, tz), boundary_to_utc(day, end, tz))
        for wd, start, end in hours
        if wd == day.weekday()
    ]
    day_start = boundary_to_utc(day, time(0), tz)
    day_end = boundary_to_utc(day + timedelta(days=1), time(0), tz)
    extras = [
        (max(s, day_start), min(e, day_end)) for s, e in extra if overlaps((s, e), (day_start, day_end))
    ]
    return subtract(merge([*regular, *extras]), time_off)


def fits(session: Interval, working: Iterable[Interval]) -> bool:
    """The session lies inside one working interval."""
    return any(start <= session[0] and session[1] <= end for start, end in working)


def free_starts(
    *,
    working: Iterable[Interval],
    busy: Iterable[Interval],
    minutes: int,
    buffer_minutes: int,
    not_before: datetime,
    step: timedelta = SLOT_STEP,
) -> Iterator[datetime]:
    """Start times (on the step grid) where a session fits the working hours and its time plus buffer
    touches no busy interval."""
    length = timedelta(minutes=minutes)
    held = timedelta(minutes=minutes + buffer_minutes)
    busy = merge(busy)
    for start, end in merge(working):
        t = start
        if t < not_before:
            t = not_before
        # Align to the step grid measured from the start of the working interval.
        offset = (t - start) % step
        if offset:
            t += step - offset
        while t + length <= end:
            candidate = (t, t + held)
            clash = next((b for b in busy if overlaps(candidate, b)), None)
            if clash is None:
                yield t
                t += step
            else:
                # Jump past the clash, back on the grid.
                t = clash[1]
                offset = (t - start) % step
                if offset:
                    t += step - offset
