"""Reads for the front desk's day: every therapist (or room) side by side with their free time, the day list
of one therapist, and the waitlist's matches. Names, contact details and times only: nothing clinical."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from nervecare.core import localtime
from nervecare.core.models import Clinic, Therapist
from nervecare.scheduling import availability
from nervecare.scheduling.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityException,
    Closure,
    Room,
    WaitlistEntry,
    WorkingHours,
)
from nervecare.scheduling.selectors import clinic_tz, free_slots, qualified_therapists

DAY_START_HOUR, DAY_END_HOUR = 7, 21  # the day grid, clinic local time
ROW_MINUTES = 15
ROWS = (DAY_END_HOUR - DAY_START_HOUR) * 60 // ROW_MINUTES


def grid_row(local: datetime, day: date) -> int:
    """The grid row (1 = the header row) of a local time on the day, clamped to the grid."""
    if local.date() < day:
        minutes = 0
    elif local.date() > day:
        minutes = ROWS * ROW_MINUTES
    else:
        minutes = (local.hour - DAY_START_HOUR) * 60 + local.minute
    return max(0, min(minutes, ROWS * ROW_MINUTES)) // ROW_MINUTES + 2


@dataclass
class Column:
    """One therapist's or room's day: booked blocks and free intervals, placed on the grid."""

    id: int
    name: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    free: list[dict[str, Any]] = field(default_factory=list)
    working: list[tuple[datetime, datetime]] = field(default_factory=list)
    col: int = 0


def closure_on(clinic: Clinic, day: date) -> Closure | None:
    return Closure.objects.filter(clinic=clinic, starts_on__lte=day, ends_on__gte=day).first()


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        localtime.boundary_to_utc(day, time(0), tz),
        localtime.boundary_to_utc(day + timedelta(days=1), time(0), tz),
    )


def _working_by_therapist(
    therapists: list[Therapist], day: date, tz: ZoneInfo
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each therapist's working intervals on the day, in three queries for all of them (alternate weeks
    honoured: hours every second week apply from their anchor's week)."""
    ids = [t.id for t in therapists]
    start, end = _day_bounds(day, tz)
    hours: dict[int, list[tuple[int, time, time]]] = {i: [] for i in ids}
    for h in WorkingHours.objects.filter(therapist_id__in=ids, weekday=day.weekday()):
        if h.every_weeks == 2 and h.anchor_date is not None:
            weeks = (day - (h.anchor_date - timedelta(days=h.anchor_date.weekday()))).days // 7
            if weeks % 2:
                continue
        hours[h.therapist_id].append((h.weekday, h.start, h.end))
    extra: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    off: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    for exc in AvailabilityException.objects.filter(
        therapist_id__in=ids, starts_at__lt=end, ends_at__gt=start
    ):
        (extra if exc.kind == AvailabilityException.Kind.EXTRA else off)[exc.therapist_id].append(
            (exc.starts_at, exc.ends_at)
        )
    return {
        i: availability.working_intervals(day=day, tz=tz, hours=hours[i], extra=extra[i], time_off=off[i])
        for i in ids
    }


def _block(a: Appointment, tz: ZoneInfo, day: date) -> dict[str, Any]:
    local = a.starts_at.astimezone(tz)
    local_end = a.ends_at.astimezone(tz)
    start_row = grid_row(local, day)
    return {
        "appointment": a,
        "local_start": local,
        "local_end": local_end,
        "row_start": start_row,
        "row_end": max(grid_row(local_end, day), start_row + 1),
    }


def _free(
    intervals: list[tuple[datetime, datetime]], tz: ZoneInfo, day: date, now: datetime
) -> list[dict[str, Any]]:
    """Free intervals from now on (on the 15-minute grid), long enough for a short session."""
    step = timedelta(minutes=ROW_MINUTES)
    out = []
    for start, end in intervals:
        if end <= now:
            continue
        if start < now:
            local_now = now.astimezone(tz)
            rounded = local_now.replace(second=0, microsecond=0)
            rounded += timedelta(minutes=(-rounded.minute) % ROW_MINUTES)
            start = max(start, rounded.astimezone(start.tzinfo))
        if end - start < step:
            continue
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        start_row = grid_row(local_start, day)
        out.append(
            {
                "local_start": local_start,
                "local_end": local_end,
                "row_start": start_row,
                "row_end": max(grid_row(local_end, day), start_row + 1),
            }
        )
    return out


def day_schedule(
    clinic: Clinic, day: date, *, by: str = "therapist", now: datetime | None = None
) -> dict[str, Any]:
    """The day at the clinic: one column per active therapist (by="therapist") or room (by="room"), with
    their appointments (cancelled ones left out) and their free time from now on. A therapist is free inside
    their working hours; a room inside the hours anyone works that day. Nothing is free on a closed day."""
    tz = clinic_tz(clinic)
    now = now or timezone.now()
    start, end = _day_bounds(day, tz)
    closure = closure_on(clinic, day)
    appointments = list(
        Appointment.objects.filter(
            clinic=clinic,
            starts_at__lt=end,
            blocked_until__gt=start,
            status__in=BLOCKING_STATUSES,
            client__deleted_at__isnull=True,
        )
        .select_related("client", "therapist", "service", "room")
        .order_by("starts_at", "id")
    )
    therapists = list(Therapist.objects.filter(clinic=clinic, active=True))
    working = _working_by_therapist(therapists, day, tz)
    columns: list[Column] = []
    if by == "room":
        open_hours = availability.merge([iv for ivs in working.values() for iv in ivs])
        for room in Room.objects.filter(clinic=clinic, active=True):
            columns.append(Column(room.id, room.name, working=open_hours))
        key = "room_id"
    else:
        for t in therapists:
            columns.append(Column(t.id, t.display_name, working=working[t.id]))
        key = "therapist_id"
    index = {c.id: c for c in columns}
    busy: dict[int, list[tuple[datetime, datetime]]] = {c.id: [] for c in columns}
    for a in appointments:
        column = index.get(getattr(a, key))
        if column is None:
            continue
        column.blocks.append(_block(a, tz, day))
        busy[column.id].append((a.starts_at, a.blocked_until))
    for i, column in enumerate(columns):
        column.col = i + 2
        if closure is None:
            column.free = _free(availability.subtract(column.working, busy[column.id]), tz, day, now)
    return {
        "day": day,
        "by": by,
        "tz": tz.key,
        "closure": closure,
        "columns": columns,
        "rows": ROWS,
        "first_hour": DAY_START_HOUR,
        "hours": [
            {"label": f"{h:02d}:00", "row": (h - DAY_START_HOUR) * 60 // ROW_MINUTES + 2}
            for h in range(DAY_START_HOUR, DAY_END_HOUR)
        ],
        "unplaced": [a for a in appointments if by == "room" and a.room_id is None],
    }


def day_list(therapist: Therapist, day: date) -> list[dict[str, Any]]:
    """One therapist's day, in order, for printing or emailing: time, client and how to reach them, service,
    room and status. Cancelled sessions are left out."""
    tz = clinic_tz(therapist.clinic)
    start, end = _day_bounds(day, tz)
    rows = []
    for a in (
        Appointment.objects.filter(
            therapist=therapist,
            starts_at__gte=start,
            starts_at__lt=end,
            status__in=BLOCKING_STATUSES,
            client__deleted_at__isnull=True,
        )
        .select_related("client", "service", "room")
        .order_by("starts_at", "id")
    ):
        rows.append(
            {
                "id": a.id,
                "start": a.starts_at.astimezone(tz),
                "end": a.ends_at.astimezone(tz),
                "client": a.client.full_name,
                "phone": a.client.phone,
                "service": a.service.name,
                "room": a.room.name if a.room else "",
                "status": a.get_status_display(),
                "note_for_client": a.notes_for_client,
            }
        )
    return rows


def waitlist_entries(clinic_id: int) -> list[WaitlistEntry]:
    """The clinic's open waitlist (waiting and offered), oldest first."""
    return list(
        WaitlistEntry.objects.filter(
            client__clinic_id=clinic_id,
            client__deleted_at__isnull=True,
            status__in=(WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED),
        )
        .select_related("client", "service", "therapist", "offered_therapist")
        .order_by("created_at", "id")
    )


def waitlist_matches(
    entry: WaitlistEntry, *, limit: int = 5, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Free times inside the entry's window for its service, with its therapist or any qualified one."""
    now = now or timezone.now()
    clinic = entry.client.clinic
    tz = clinic_tz(clinic)
    if entry.latest <= now:
        return []
    therapists = (
        [entry.therapist]
        if entry.therapist is not None and entry.therapist.active
        else qualified_therapists(clinic.id, entry.service)
    )
    if not therapists:
        return []
    first = max(entry.earliest, now)
    slots = free_slots(
        clinic=clinic,
        service=entry.service,
        start=first.astimezone(tz).date(),
        end=entry.latest.astimezone(tz).date(),
        therapists=therapists,
        limit=50,
        now=first,
    )
    closed = {
        d
        for c in Closure.objects.filter(
            clinic=clinic,
            starts_on__lte=entry.latest.astimezone(tz).date(),
            ends_on__gte=first.astimezone(tz).date(),
        )
        for d in (c.starts_on + timedelta(days=i) for i in range((c.ends_on - c.starts_on).days + 1))
    }
    fitting = [
        s
        for s in slots
        if s["ends_at"] <= entry.latest and s["starts_at"].astimezone(tz).date() not in closed
    ]
    for s in fitting:
        s["local"] = s["starts_at"].astimezone(tz)
    return fitting[:limit]
