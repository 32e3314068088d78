"""Wall-clock times in a clinic's time zone turned into instants: the one place that does it.

The rule, for a local (wall-clock) time in the clinic's zone:

- A time that does not exist (the clocks go forward: 01:30 on 28 March 2027 in Europe/London) is refused
  with a 422 naming the field (`to_utc`, `combine_to_utc`). Only the edges of hours and days
  (`boundary_to_utc`: working hours, the start of a day) move forward by the gap instead, as nobody chose them.
- A time that occurs twice (the clocks go back: 01:30 on 31 October 2027 in Europe/London) is its first
  occurrence (fold=0, still summer time), unless the value says otherwise: an explicit UTC offset
  ("2027-10-31T01:30:00+00:00" is the second), or a zone-aware datetime with fold=1.
- A value with a fixed UTC offset is an instant and is taken as it is.

Everything comes back in UTC, so that `end = start + duration` is computed in absolute time: a 30-minute
session at an ambiguous time lasts 30 minutes (arithmetic on a zone-aware datetime is wall-clock arithmetic in
Python, which made it 90).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nervecare.core.errors import FieldErrors


def _has_gap(value: datetime) -> bool:
    """A zone-aware value that does not exist: it does not survive a round trip through UTC."""
    back = value.astimezone(UTC).astimezone(value.tzinfo)
    return back.replace(tzinfo=None, fold=0) != value.replace(tzinfo=None, fold=0)


def exists(naive: datetime, tz: tzinfo) -> bool:
    """Whether the wall-clock time occurs in the zone (False inside a spring-forward gap)."""
    return not _has_gap(naive.replace(tzinfo=tz, fold=0))


def is_ambiguous(naive: datetime, tz: tzinfo) -> bool:
    """Whether the wall-clock time occurs twice in the zone (the hour repeated when the clocks go back)."""
    aware = naive.replace(tzinfo=tz, fold=0)
    return exists(naive, tz) and aware.utcoffset() != aware.replace(fold=1).utcoffset()


def nonexistent_message(naive: datetime, tz: tzinfo) -> str:
    key = getattr(tz, "key", str(tz))
    return (
        f"{naive:%H:%M} on {naive:%A %d %B %Y} does not exist in {key}: the clocks go forward that night; "
        "choose a time before or after the change"
    )


def to_utc(value: datetime, tz: tzinfo, *, field: str) -> datetime:
    """An instant in UTC from what a user gave: a naive value is a wall-clock time in `tz`.

    Raises FieldErrors({field: ...}) for a local time that does not exist (see the module's rule)."""
    aware = value.replace(tzinfo=tz, fold=0) if value.tzinfo is None else value
    if _has_gap(aware):
        raise FieldErrors({field: nonexistent_message(value.replace(tzinfo=None), tz)})
    return aware.astimezone(UTC)


def combine_to_utc(day: date, at: time, tz: tzinfo, *, field: str) -> datetime:
    """A local date and time (a form's two fields, a series' weekly time) as UTC; 422 if it does not exist."""
    return to_utc(datetime.combine(day, at), tz, field=field)


def boundary_to_utc(day: date, at: time, tz: tzinfo) -> datetime:
    """The edge of an interval nobody booked (working hours, the start of a day) as UTC. A time in a
    spring-forward gap moves forward by the gap (01:30 becomes 02:30 summer time); a repeated time is its
    first occurrence."""
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


class ClinicZone(tzinfo):
    """The signed-in user's clinic time zone, looked up only when a time is first shown (the middleware
    activates it for every request; a page that shows no time costs no query). It behaves as the clinic's
    ZoneInfo: same offsets, same folds."""

    def __init__(self, load: Callable[[], str]) -> None:
        self._load = load
        self._zone: ZoneInfo | None = None

    @property
    def zone(self) -> ZoneInfo:
        if self._zone is None:
            try:
                self._zone = ZoneInfo(self._load() or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                self._zone = ZoneInfo("UTC")
        return self._zone

    @property
    def key(self) -> str:
        return self.zone.key

    def __str__(self) -> str:
        return self.zone.key

    def __repr__(self) -> str:
        return f"ClinicZone({self._zone.key if self._zone else '…'})"

    def _in_zone(self, dt: datetime) -> datetime:
        return dt.replace(tzinfo=self.zone)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self.zone.utcoffset(None if dt is None else self._in_zone(dt))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(None if dt is None else self._in_zone(dt))

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(None if dt is None else self._in_zone(dt))

    def fromutc(self, dt: datetime) -> datetime:
        return self.zone.fromutc(self._in_zone(dt)).replace(tzinfo=self)
