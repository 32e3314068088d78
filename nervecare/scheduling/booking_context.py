"""Everything one booking checks, read in ONE statement (issue 20): the therapist (with their user), the
service, the room, the therapist's hours of that weekday and their exceptions near that day, the clinic's
closures, the appointments that could clash (therapist, room or client), whether the client has an open stop
or clearance flag, and the state of the client's outcome summary row.

Before, these were nine reads (therapist, service, room, closures, hours, exceptions, held times, flags, and
the summary's UPDATE). The checks themselves are unchanged (services/checks.py runs the same code on these
rows), and PostgreSQL's exclusion constraints still catch a booking made concurrently. The child rows come as
JSON arrays (core.sqlfuncs.JSONList, written for SQLite and PostgreSQL); the therapist, user, service and room
columns come typed through the ORM. When anything is missing (an unknown therapist, service or room) the
caller falls back to the separate reads, which word the errors; so does a service longer than SPAN.

On SQLite and PostgreSQL the read is a written-out statement (_statement; only its JSON functions differ by
database), not the ORM's form (booking_context_orm): Django compiled those nineteen subqueries anew on every
booking, which was most of the booking's CPU time (issue 20), while the database answers the statement in well
under a millisecond. The columns of the therapist, user, service and room follow their models
(core.sqlfuncs.ModelColumns, with the ORM's converters); test_booking_context_statement.py compares the two forms
row for row on both databases. Any other database runs the ORM's form."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, Model, Q, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject

from nervecare.clients.models import Client
from nervecare.core import localtime
from nervecare.core.models import Therapist, User
from nervecare.core.sqlfuncs import JSONList, ModelColumns, json_date, json_datetime, json_rows, json_time
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

# The flags a booking reads before it books (a stop blocks it, a clearance warns).
BOOKING_FLAG_LEVELS = ("stop", "clearance")

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


@dataclass
class _Rows:
    """What either form of the read gives: the rows, the child rows as JSON objects, the flag and the state."""

    therapist: Therapist
    service: Service | None
    room: Room | None
    hours: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    closures: list[dict[str, Any]]
    busy: list[dict[str, Any]]
    has_booking_flags: bool
    summary_state: bool | None


@dataclass
class _Window:
    """The bounds of the read, from the session's start."""

    day: date
    weekday: int
    exceptions_before: datetime  # exceptions starting before this and ending after `exceptions_after`
    exceptions_after: datetime
    busy_before: datetime  # held times starting before this and held past `starts_at`
    starts_at: datetime

    @classmethod
    def of(cls, starts_at: datetime, tz: ZoneInfo) -> _Window:
        day = starts_at.astimezone(tz).date()
        day_start = localtime.boundary_to_utc(day, datetime.min.time(), tz)
        # The window selectors.therapist_working_intervals reads (a day of local time, and two hours each side).
        return cls(
            day=day,
            weekday=day.weekday(),
            exceptions_before=day_start + timedelta(days=1, hours=2),
            exceptions_after=day_start - timedelta(hours=2),
            busy_before=starts_at + SPAN,
            starts_at=starts_at,
        )


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
    statement; None when the therapist, the service or the room is not an active one of the clinic.

    The statement is written out (_statement) on SQLite and PostgreSQL: compiling booking_context_orm's
    nineteen subqueries cost the booking most of its time (issue 20). Any other database runs the ORM form."""
    window = _Window.of(starts_at, tz)
    if connection.vendor not in ("sqlite", "postgresql"):
        rows = _rows_orm(clinic_id, client.pk, therapist_id, service_id, room_id, window)
    else:
        rows = _rows_sql(clinic_id, client.pk, therapist_id, service_id, room_id, window)
    return _context(rows, room_id, window, now)


def booking_context_orm(
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
    """booking_context through the ORM: the form the written-out statement must agree with (its tests compare
    the two on both databases), and the read on any other database."""
    window = _Window.of(starts_at, tz)
    rows = _rows_orm(clinic_id, client.pk, therapist_id, service_id, room_id, window)
    return _context(rows, room_id, window, now)


def _rows_orm(
    clinic_id: int,
    client_id: int,
    therapist_id: int,
    service_id: int,
    room_id: int | None,
    w: _Window,
) -> _Rows | None:
    clash = Q(therapist_id=therapist_id) | Q(client_id=client_id)
    if room_id is not None:
        clash |= Q(room_id=room_id)
    annotations: dict[str, Any] = {
        **_row("svc_", Service.objects.filter(pk=service_id, clinic_id=clinic_id, active=True), Service),
        "nc_hours": _json_rows(
            WorkingHours.objects.filter(therapist_id=therapist_id, weekday=w.weekday),
            weekday="weekday",
            start="start",
            end="end",
            every="every_weeks",
            anchor="anchor_date",
        ),
        "nc_exceptions": _json_rows(
            AvailabilityException.objects.filter(
                therapist_id=therapist_id,
                starts_at__lt=w.exceptions_before,
                ends_at__gt=w.exceptions_after,
            ),
            kind="kind",
            s="starts_at",
            e="ends_at",
        ),
        "nc_closures": _json_rows(
            Closure.objects.filter(
                clinic_id=clinic_id, starts_on__lte=w.day + timedelta(days=1), ends_on__gte=w.day
            ),
            s="starts_on",
            e="ends_on",
            name="name",
        ),
        "nc_busy": _json_rows(
            Appointment.objects.filter(
                clash,
                status__in=BLOCKING_STATUSES,
                starts_at__lt=w.busy_before,
                blocked_until__gt=w.starts_at,
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
                client_id=client_id, status=SafetyFlag.Status.OPEN, level__in=BOOKING_FLAG_LEVELS
            )
        ),
        # Reached by its reverse name: outcomes sits above scheduling and is not imported here.
        "nc_summary": Subquery(Client.objects.filter(pk=client_id).values("outcome_summary__stale")[:1]),
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
    return _Rows(
        therapist=row,
        service=_from_row(Service, "svc_", row),
        room=_from_row(Room, "room_", row) if room_id is not None else None,
        hours=row.nc_hours or [],
        exceptions=row.nc_exceptions or [],
        closures=row.nc_closures or [],
        busy=row.nc_busy or [],
        has_booking_flags=bool(row.nc_flags),
        summary_state=row.nc_summary,
    )


# The written-out form: each model's columns follow the model (ModelColumns), the rest is this statement.
_THERAPIST, _USER, _SERVICE, _ROOM = (ModelColumns(m) for m in (Therapist, User, Service, Room))


@functools.cache
def _statement(vendor: str) -> str:
    """booking_context_orm's read as one statement for `vendor` (only the JSON functions differ). The
    service and the room are outer joins (NULL columns when not an active one of the clinic; the room's
    always, with no room asked); the clash of a room is `room_id = NULL` (never true) with no room asked."""
    agg, obj = (
        ("JSONB_AGG", "JSONB_BUILD_OBJECT") if vendor == "postgresql" else ("JSON_GROUP_ARRAY", "JSON_OBJECT")
    )
    summary = Client._meta.get_field("outcome_summary").related_model._meta.db_table
    statuses = ", ".join(["%s"] * len(BLOCKING_STATUSES))
    levels = ", ".join(["%s"] * len(BOOKING_FLAG_LEVELS))
    return f"""SELECT {_THERAPIST.select("t")}, {_USER.select("u")}, {_SERVICE.select("s")}, {_ROOM.select("r")},
 (SELECT {agg}({obj}('weekday', h."weekday", 'start', h."start", 'end', h."end", 'every', h."every_weeks",
   'anchor', h."anchor_date"))
  FROM "scheduling_workinghours" h WHERE h."therapist_id" = t."id" AND h."weekday" = %s),
 (SELECT {agg}({obj}('kind', x."kind", 's', x."starts_at", 'e', x."ends_at"))
  FROM "scheduling_availabilityexception" x
  WHERE x."therapist_id" = t."id" AND x."starts_at" < %s AND x."ends_at" > %s),
 (SELECT {agg}({obj}('s', k."starts_on", 'e', k."ends_on", 'name', k."name"))
  FROM "scheduling_closure" k WHERE k."clinic_id" = t."clinic_id" AND k."starts_on" <= %s AND k."ends_on" >= %s),
 (SELECT {agg}({obj}('s', a."starts_at", 'e', a."ends_at", 'held', a."blocked_until", 'id', a."id",
   't', a."therapist_id", 'r', a."room_id", 'c', a."client_id", 'status', a."status",
   'expires', a."hold_expires_at"))
  FROM "scheduling_appointment" a
  WHERE (a."therapist_id" = t."id" OR a."client_id" = %s OR a."room_id" = %s)
   AND a."status" IN ({statuses}) AND a."starts_at" < %s AND a."blocked_until" > %s),
 EXISTS(SELECT 1 FROM "screening_safetyflag" f
  WHERE f."client_id" = %s AND f."status" = %s AND f."level" IN ({levels})),
 (SELECT o."stale" FROM "clients_client" c LEFT OUTER JOIN "{summary}" o ON o."client_id" = c."id"
  WHERE c."id" = %s AND c."deleted_at" IS NULL)
FROM "core_therapist" t
 INNER JOIN "core_user" u ON u."id" = t."user_id"
 LEFT OUTER JOIN "scheduling_service" s ON s."id" = %s AND s."clinic_id" = t."clinic_id" AND s."active"
 LEFT OUTER JOIN "scheduling_room" r ON r."id" = %s AND r."clinic_id" = t."clinic_id" AND r."active"
WHERE t."id" = %s AND t."clinic_id" = %s AND t."active"
"""  # noqa: S608 - names from the models and constants only; every value is a parameter


def _rows_sql(
    clinic_id: int,
    client_id: int,
    therapist_id: int,
    service_id: int,
    room_id: int | None,
    w: _Window,
) -> _Rows | None:
    ops = connection.ops
    params = [
        w.weekday,
        ops.adapt_datetimefield_value(w.exceptions_before),
        ops.adapt_datetimefield_value(w.exceptions_after),
        ops.adapt_datefield_value(w.day + timedelta(days=1)),
        ops.adapt_datefield_value(w.day),
        client_id,
        room_id,
        *BLOCKING_STATUSES,
        ops.adapt_datetimefield_value(w.busy_before),
        ops.adapt_datetimefield_value(w.starts_at),
        client_id,
        SafetyFlag.Status.OPEN.value,
        *BOOKING_FLAG_LEVELS,
        client_id,
        service_id,
        room_id,
        therapist_id,
        clinic_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    at = 0
    therapist = _THERAPIST.read(row, at, connection)
    at += _THERAPIST.width
    user = _USER.read(row, at, connection)
    at += _USER.width
    service = _SERVICE.read(row, at, connection)
    at += _SERVICE.width
    room = _ROOM.read(row, at, connection)
    at += _ROOM.width
    hours, exceptions, closures, busy, flags, summary = row[at:]
    # As select_related("user") leaves them: the user cached on the therapist, and the therapist on the user.
    Therapist.user.field.set_cached_value(therapist, user)
    Therapist.user.field.remote_field.set_cached_value(user, therapist)
    return _Rows(
        therapist=therapist,
        service=service,
        room=room,
        hours=json_rows(hours),
        exceptions=json_rows(exceptions),
        closures=json_rows(closures),
        busy=json_rows(busy),
        has_booking_flags=bool(flags),
        summary_state=None if summary is None else bool(summary),
    )


def _context(rows: _Rows | None, room_id: int | None, w: _Window, now: datetime) -> BookingContext | None:
    if rows is None or rows.service is None or (room_id is not None and rows.room is None):
        return None
    busy: list[Busy] = []
    expired: list[tuple[int, datetime, datetime]] = []
    for b in rows.busy:
        s, e, held = json_datetime(b["s"]), json_datetime(b["e"]), json_datetime(b["held"])
        assert s is not None and e is not None and held is not None  # noqa: S101 - NOT NULL columns
        expires = json_datetime(b["expires"])
        if b["status"] == Appointment.Status.HELD and expires is not None and expires <= now:
            expired.append((b["id"], s, held))
        else:
            busy.append((s, e, held, b["id"], b["t"], b["r"], b["c"]))
    busy.sort(key=lambda b: (b[0], b[3]))
    return BookingContext(
        therapist=rows.therapist,
        service=rows.service,
        room=rows.room if room_id is not None else None,
        hours=sorted(
            (h["weekday"], _t(h["start"]), _t(h["end"]), h["every"], json_date(h["anchor"]))
            for h in rows.hours
        ),
        exceptions=[(x["kind"], _dt(x["s"]), _dt(x["e"])) for x in rows.exceptions],
        closed=_closed(rows.closures, w.day, w.day + timedelta(days=1)),
        busy=busy,
        expired_holds=expired,
        has_booking_flags=rows.has_booking_flags,
        summary_state=rows.summary_state,
    )


def _t(value: str) -> time:
    parsed = json_time(value)
    assert parsed is not None  # noqa: S101 - NOT NULL columns
    return parsed


def _dt(value: str) -> datetime:
    parsed = json_datetime(value)
    assert parsed is not None  # noqa: S101 - NOT NULL columns
    return parsed


def _closed(rows: Sequence[Mapping[str, Any]], start: date, end: date) -> dict[date, str]:
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
