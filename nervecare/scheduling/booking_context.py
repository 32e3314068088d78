"""Everything one booking checks, read in ONE statement (issue 20): the therapist (with their user), the
service, the room, the therapist's hours of that weekday and their exceptions near that day, the clinic's
closures, the appointments that could clash (therapist, room or client), whether the client has an open stop
or clearance flag, and the state of the client's outcome summary row.

Before, these were nine reads (therapist, service, room, closures, hours, exceptions, held times, flags, and
the summary's UPDATE). The checks themselves are unchanged (services/checks.py runs the same code on these
rows), and PostgreSQL's exclusion constraints still catch a booking made concurrently. The child rows come as
JSON arrays (core.sqlfuncs.JSONList, written for SQLite and PostgreSQL); the therapist, user, service and room
columns come typed through the ORM. When anything is missing (an unknown therapist, service or room) the
caller falls back to the separate reads, which word the errors; so does a service longer than SPAN."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, Model, Q, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject

from nervecare.clients.models import Client
from nervecare.core import localtime
from nervecare.core.models import Therapist
from nervecare.core.sqlfuncs import JSONList, json_date, json_datetime, json_time
from nervecare.scheduling.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityException,
    Closure,
    Room,
    Service,
    WorkingHours,
)
from nervecare.screening.models import SafetyFlag

# The appointments read are those starting before the session's start + SPAN: enough for any service the
# clinic can set up (at most 240 minutes and a 120-minute buffer); a longer one takes the separate reads.
SPAN = timedelta(hours=6)

Busy = tuple[datetime, datetime, datetime, int, int, int | None, int]


@dataclass
class BookingContext:
    therapist: Therapist
    service: Service
    room: Room | None
    hours: list[tuple[int, time, time, int, date | None]]  # (weekday, start, end, every_weeks, anchor_date)
    exceptions: list[tuple[str, datetime, datetime]]  # (kind, starts_at, ends_at)
    closed: dict[date, str]  # the clinic's closed days from the session's day to the next
    busy: list[Busy]  # as selectors.busy_and_expired_holds, every row starting before start + SPAN
    expired_holds: list[tuple[int, datetime, datetime]]  # (id, starts_at, blocked_until) of expired holds
    has_booking_flags: bool  # an open stop or clearance flag (read them before booking)
    summary_state: bool | None  # the client's outcome summary row: None none, True stale, False fresh

    def covers(self, starts_at: datetime, blocked_until: datetime) -> bool:
        """Do the rows read cover this session (its held time within SPAN)?"""
        return blocked_until - starts_at <= SPAN

    def busy_and_expired(self, start: datetime, end: datetime) -> tuple[list[Busy], list[int]]:
        """The rows as busy_and_expired_holds gives them for [start, end): only those that touch the span."""
        busy = [b for b in self.busy if b[0] < end and b[2] > start]
        expired = [pk for pk, s, held in self.expired_holds if s < end and held > start]
        return busy, expired


def _row(prefix: str, qs: QuerySet[Any], model: type[Model]) -> dict[str, Subquery]:
    """One typed column per field of the (at most one) row of `qs`, named prefix + attname."""
    return {f"{prefix}{f.attname}": Subquery(qs.values(f.attname)[:1]) for f in model._meta.concrete_fields}


def _json_rows(qs: QuerySet[Any], **fields: Any) -> Subquery:
    """The rows of `qs` as one JSON array of objects (NULL when none): one aggregate, no GROUP BY."""
    return Subquery(
        qs.order_by()
        .annotate(nc_all=Value(1))
        .values("nc_all")
        .annotate(j=JSONList(JSONObject(**fields)))
        .values("j")
    )


def _from_row(model: type[Model], prefix: str, row: Any) -> Any:
    values = {f.attname: getattr(row, f"{prefix}{f.attname}") for f in model._meta.concrete_fields}
    if values[model._meta.pk.attname] is None:
        return None
    obj = model(**values)
    obj._state.adding = False
    obj._state.db = row._state.db
    return obj


def booking_context(
    *,
    clinic_id: int,
    client: Client,
    therapist_id: int,
    service_id: int,
    room_id: int | None,
    starts_at: datetime,
    tz: ZoneInfo,
    now: datetime,
) -> BookingContext | None:
    """The rows one booking of `client` with this therapist and service at `starts_at` (UTC) checks, in one
    statement; None when the therapist, the service or the room is not an active one of the clinic."""
    day = starts_at.astimezone(tz).date()
    day_start = localtime.boundary_to_utc(day, datetime.min.time(), tz)
    clash = Q(therapist_id=therapist_id) | Q(client_id=client.pk)
    if room_id is not None:
        clash |= Q(room_id=room_id)
    annotations: dict[str, Any] = {
        **_row("svc_", Service.objects.filter(pk=service_id, clinic_id=clinic_id, active=True), Service),
        "nc_hours": _json_rows(
            WorkingHours.objects.filter(therapist_id=therapist_id, weekday=day.weekday()),
            weekday="weekday",
            start="start",
            end="end",
            every="every_weeks",
            anchor="anchor_date",
        ),
        # The window selectors.therapist_working_intervals reads (a day of local time, and two hours each side).
        "nc_exceptions": _json_rows(
            AvailabilityException.objects.filter(
                therapist_id=therapist_id,
                starts_at__lt=day_start + timedelta(days=1, hours=2),
                ends_at__gt=day_start - timedelta(hours=2),
            ),
            kind="kind",
            s="starts_at",
            e="ends_at",
        ),
        "nc_closures": _json_rows(
            Closure.objects.filter(
                clinic_id=clinic_id, starts_on__lte=day + timedelta(days=1), ends_on__gte=day
            ),
            s="starts_on",
            e="ends_on",
            name="name",
        ),
        "nc_busy": _json_rows(
            Appointment.objects.filter(
                clash,
                status__in=BLOCKING_STATUSES,
                starts_at__lt=starts_at + SPAN,
                blocked_until__gt=starts_at,
            ),
            s="starts_at",
            e="ends_at",
            held="blocked_until",
            id="id",
            t="therapist_id",
            r="room_id",
            c="client_id",
            status="status",
            expires="hold_expires_at",
        ),
        "nc_flags": Exists(
            SafetyFlag.objects.filter(
                client_id=client.pk, status=SafetyFlag.Status.OPEN, level__in=("stop", "clearance")
            )
        ),
        # Reached by its reverse name: outcomes sits above scheduling and is not imported here.
        "nc_summary": Subquery(Client.objects.filter(pk=client.pk).values("outcome_summary__stale")[:1]),
    }
    if room_id is not None:
        annotations |= _row("room_", Room.objects.filter(pk=room_id, clinic_id=clinic_id, active=True), Room)
    row: Any = (
        Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_id, active=True)
        .select_related("user")
        .annotate(**annotations)
        .first()
    )
    if row is None:
        return None
    service = _from_row(Service, "svc_", row)
    room = _from_row(Room, "room_", row) if room_id is not None else None
    if service is None or (room_id is not None and room is None):
        return None
    busy: list[Busy] = []
    expired: list[tuple[int, datetime, datetime]] = []
    for b in row.nc_busy or []:
        s, e, held = json_datetime(b["s"]), json_datetime(b["e"]), json_datetime(b["held"])
        assert s is not None and e is not None and held is not None  # noqa: S101 - NOT NULL columns
        expires = json_datetime(b["expires"])
        if b["status"] == Appointment.Status.HELD and expires is not None and expires <= now:
            expired.append((b["id"], s, held))
        else:
            busy.append((s, e, held, b["id"], b["t"], b["r"], b["c"]))
    busy.sort(key=lambda b: (b[0], b[3]))
    return BookingContext(
        therapist=row,
        service=service,
        room=room,
        hours=sorted(
            (h["weekday"], _t(h["start"]), _t(h["end"]), h["every"], json_date(h["anchor"]))
            for h in row.nc_hours or []
        ),
        exceptions=[(x["kind"], _dt(x["s"]), _dt(x["e"])) for x in row.nc_exceptions or []],
        closed=_closed(row.nc_closures or [], day, day + timedelta(days=1)),
        busy=busy,
        expired_holds=expired,
        has_booking_flags=bool(row.nc_flags),
        summary_state=row.nc_summary,
    )


def _t(value: str) -> time:
    parsed = json_time(value)
    assert parsed is not None  # noqa: S101 - NOT NULL columns
    return parsed


def _dt(value: str) -> datetime:
    parsed = json_datetime(value)
    assert parsed is not None  # noqa: S101 - NOT NULL columns
    return parsed


def _closed(rows: list[Mapping[str, Any]], start: date, end: date) -> dict[date, str]:
    """As selectors.closed_days, from the rows read."""
    out: dict[date, list[str]] = {}
    for c in sorted(rows, key=lambda c: (c["s"], c["name"])):
        first, last = json_date(c["s"]), json_date(c["e"])
        assert first is not None and last is not None  # noqa: S101 - NOT NULL columns
        d = max(first, start)
        while d <= min(last, end):
            out.setdefault(d, []).append(c["name"])
            d += timedelta(days=1)
    return {d: " / ".join(names) for d, names in sorted(out.items())}
