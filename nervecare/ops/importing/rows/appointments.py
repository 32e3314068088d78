"""The dry run of an appointments file: each row resolved to its client, therapist, service and room; past
rows become past visits, future ones bookings checked against the clinic's bookings and each other and
against open safety stops."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from nervecare.clients.selectors import clients_visible_to
from nervecare.core.errors import FieldErrors
from nervecare.core.localtime import to_utc
from nervecare.core.models import Therapist, User
from nervecare.ops.importing.fields import FIELDS, label_of
from nervecare.ops.importing.rows.result import Checked, Problem
from nervecare.ops.importing.rows.values import (
    CANCELLED,
    NO_SHOW,
    _lengths,
    _rows,
    _time_in_date,
    parse_date,
    parse_time,
)
from nervecare.ops.models import ImportKey
from nervecare.scheduling.models import BLOCKING_STATUSES, Appointment, Room, Service
from nervecare.scheduling.selectors import clinic_tz
from nervecare.screening.models import SafetyFlag


def _lookup(names: Iterable[tuple[int, Iterable[str]]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pk, aliases in names:
        for alias in aliases:
            if alias:
                out.setdefault(alias.strip().casefold(), pk)
    return out


@dataclass
class _Resources:
    therapists: dict[str, int]
    therapist_user: dict[int, int]
    services: dict[str, Service]
    rooms: dict[str, int]


def _resources(clinic_id: int) -> _Resources:
    therapists = list(Therapist.objects.filter(clinic_id=clinic_id).select_related("user").order_by("pk"))
    services = list(Service.objects.filter(clinic_id=clinic_id, active=True).order_by("pk"))
    service_by: dict[str, Service] = {}
    for s in services:
        for alias in (s.name, s.code):
            service_by.setdefault(alias.strip().casefold(), s)
    return _Resources(
        therapists=_lookup(
            (t.pk, (t.display_name, t.user.username, t.user.get_full_name(), t.user.email))
            for t in therapists
        ),
        therapist_user={t.pk: t.user_id for t in therapists},
        services=service_by,
        rooms=_lookup(
            (pk, (name,))
            for pk, name in Room.objects.filter(clinic_id=clinic_id, active=True).values_list("pk", "name")
        ),
    )


def check_appointments(
    *,
    actor: User,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, str],
    date_format: str,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """The dry run of an appointments file: past rows become past visits, future rows bookings that must not
    overlap anything (the therapist's and room's time with its buffer, the client's session)."""
    out = Checked("appointments", total=sum(1 for r in rows if r))
    clinic = actor.clinic
    assert clinic is not None
    tz = clinic_tz(clinic)
    now = timezone.now()
    res = _resources(clinic.pk)
    client_keys = dict(
        ImportKey.objects.filter(clinic_id=clinic.pk, kind="client").values_list("external_id", "object_id")
    )
    appt_keys = set(
        ImportKey.objects.filter(clinic_id=clinic.pk, kind__in=("appointment", "visit")).values_list(
            "external_id", flat=True
        )
    )
    visible = clients_visible_to(actor)
    visible_ids = set(visible.values_list("pk", flat=True))
    by_email: dict[str, int | None] = {}
    for pk, email in visible.exclude(email="").values_list("pk", "email"):
        k = email.casefold()
        by_email[k] = None if k in by_email else pk  # two clients with one email: ambiguous
    seen: dict[str, int] = {}
    for n, (row, col_of) in enumerate(_rows("appointments", headers, rows, mapping, out.problems)):
        if progress and n % 5000 == 0:
            progress(n)
        before = len(out.problems)
        _lengths("appointments", row, col_of, [f.name for f in FIELDS["appointments"]])
        # the client
        client_id: int | None = None
        ext = row.get("client_external_id")
        email = row.get("client_email")
        if ext:
            client_id = client_keys.get(ext)
            if client_id is None or client_id not in visible_ids:
                row.error(
                    "client_external_id",
                    f"no imported client has the id “{ext}”: import the clients file first",
                    col_of("client_external_id"),
                )
                client_id = None
        elif email:
            client_id = by_email.get(email.casefold())
            if client_id is None:
                message = (
                    "two clients have this email: give the client's id instead"
                    if email.casefold() in by_email
                    else f"no client has the email “{email}”"
                )
                row.error("client_email", message, col_of("client_email"))
        else:
            row.error(
                "client_external_id", "is empty (give the client's id or email)", col_of("client_external_id")
            )
        # the time
        raw_date = row.get("date")
        day: dt.date | None = None
        at: dt.time | None = None
        if not raw_date:
            row.error("date", "is empty", col_of("date"))
        else:
            try:
                day = parse_date(raw_date, date_format)
                at = _time_in_date(raw_date)
            except ValueError as exc:
                row.error("date", str(exc), col_of("date"))
        raw_time = row.get("time")
        if raw_time:
            try:
                at = parse_time(raw_time)
            except ValueError as exc:
                row.error("time", str(exc), col_of("time"))
        status = row.get("status").casefold()
        if len(out.problems) > before or client_id is None or day is None:
            continue
        starts_at: dt.datetime | None = None
        if at is not None:
            try:
                starts_at = to_utc(dt.datetime.combine(day, at), tz, field="time")
            except FieldErrors as exc:
                row.error("time", exc.errors["time"], col_of("time"))
                continue
        past = (starts_at or dt.datetime.combine(day, dt.time(23, 59), tzinfo=tz)) < now
        key = (
            row.get("external_id")
            or f"auto:{client_id}|{(starts_at.isoformat() if starts_at else day.isoformat())}"
        )
        if key in seen:
            row.error("external_id", f"the same appointment as row {seen[key]}", col_of("external_id"))
            continue
        seen[key] = row.line
        if key in appt_keys:
            out.already += 1
            continue
        if status in CANCELLED:
            out.skipped.append({"row": row.line, "reason": "cancelled in the other system"})
            continue
        therapist_text, service_text = row.get("therapist"), row.get("service")
        if past:
            out.new.append(
                {
                    "key": key,
                    "line": row.line,
                    "past": True,
                    "client_id": client_id,
                    "visited_on": day,
                    "starts_at": starts_at,
                    "therapist_name": therapist_text,
                    "service_name": service_text,
                    "status": "no-show" if status in NO_SHOW else (row.get("status") or "attended"),
                }
            )
            continue
        if status in NO_SHOW:
            row.error("status", "a future appointment cannot be a no-show", col_of("status"))
            continue
        if starts_at is None:
            row.error("time", "is empty: a future appointment needs its start time", col_of("time"))
            continue
        therapist_id = res.therapists.get(therapist_text.casefold()) if therapist_text else None
        if therapist_id is None:
            row.error(
                "therapist",
                f"no therapist here is called “{therapist_text}”" if therapist_text else "is empty",
                col_of("therapist"),
            )
        service = res.services.get(service_text.casefold()) if service_text else None
        if service is None:
            row.error(
                "service",
                f"no service here is called “{service_text}”" if service_text else "is empty",
                col_of("service"),
            )
        room_id = None
        if row.get("room"):
            room_id = res.rooms.get(row.get("room").casefold())
            if room_id is None:
                row.error("room", f"no room here is called “{row.get('room')}”", col_of("room"))
        minutes = service.minutes if service is not None else 0
        if row.get("duration_minutes"):
            try:
                minutes = int(float(row.get("duration_minutes")))
                if not 5 <= minutes <= 480:
                    raise ValueError
            except ValueError:
                row.error(
                    "duration_minutes",
                    "must be a whole number of minutes between 5 and 480",
                    col_of("duration_minutes"),
                )
        if len(out.problems) > before or service is None or therapist_id is None:
            continue
        ends_at = starts_at + dt.timedelta(minutes=minutes)
        out.new.append(
            {
                "key": key,
                "line": row.line,
                "past": False,
                "client_id": client_id,
                "therapist_id": therapist_id,
                "therapist_user_id": res.therapist_user[therapist_id],
                "service_id": service.pk,
                "room_id": room_id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "blocked_until": ends_at + dt.timedelta(minutes=service.buffer_minutes),
            }
        )
    _conflicts(out, clinic.pk)
    _stop_flags(out, clinic.pk, {svc.pk: svc.modality for svc in res.services.values()})
    out.problems.sort(key=lambda p: p.row)
    return out


def _stop_flags(out: Checked, clinic_id: int, modality_of: dict[int, str]) -> None:
    """A future booking for a client with an open safety stop is refused, as in NerveCare itself (the
    scheduling rule: a stop blocks sessions of the modalities it applies to, or all): the row is listed as a
    problem, never booked silently. Re-checked inside the import's transaction like every row. One query: the
    clinic's open stops."""
    future = [r for r in out.new if not r["past"]]
    if not future:
        return
    stops: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for client_id, title, applies_to in SafetyFlag.objects.filter(
        client__clinic_id=clinic_id, status=SafetyFlag.Status.OPEN, level="stop"
    ).values_list("client_id", "title", "applies_to"):
        stops[client_id].append((title, applies_to or []))
    if not stops:
        return
    bad: dict[int, str] = {}
    for r in future:
        modality = modality_of.get(r["service_id"], "")
        titles = [t for t, applies in stops.get(r["client_id"], []) if not applies or modality in applies]
        if titles:
            bad[r["line"]] = (
                f"the client has an open safety stop ({'; '.join(titles)}): no session can be booked until a "
                "therapist resolves it"
            )
    for r in future:
        message = bad.get(r["line"])
        if message:
            out.problems.append(
                Problem(r["line"], "", label_of("appointments", "client_external_id"), message)
            )
            out.conflicts.append(
                {"row": r["line"], "starts_at": r["starts_at"].isoformat(), "message": message}
            )
    out.new = [r for r in out.new if r["past"] or r["line"] not in bad]


def _conflicts(out: Checked, clinic_id: int) -> None:
    """Every future row against the bookings already here and against each other: therapist and room hold
    [start, end + buffer), the client [start, end) (the scheduling rule). A conflicting row is an error."""
    future = [r for r in out.new if not r["past"]]
    if not future:
        return
    lo = min(r["starts_at"] for r in future)
    hi = max(r["blocked_until"] for r in future)
    intervals: dict[tuple[str, int], list[tuple[dt.datetime, dt.datetime, int, str]]] = defaultdict(list)
    existing = Appointment.objects.filter(
        clinic_id=clinic_id, status__in=BLOCKING_STATUSES, starts_at__lt=hi
    ).filter(Q(blocked_until__gt=lo))
    for pk, t, room, c, s, e, b in existing.values_list(
        "pk", "therapist_id", "room_id", "client_id", "starts_at", "ends_at", "blocked_until"
    ):
        intervals[("therapist", t)].append((s, b, 0, f"an appointment already booked in NerveCare (#{pk})"))
        if room is not None:
            intervals[("room", room)].append((s, b, 0, f"an appointment already booked in NerveCare (#{pk})"))
        intervals[("client", c)].append((s, e, 0, f"an appointment already booked in NerveCare (#{pk})"))
    for r in future:
        intervals[("therapist", r["therapist_id"])].append(
            (r["starts_at"], r["blocked_until"], r["line"], f"row {r['line']}")
        )
        if r["room_id"] is not None:
            intervals[("room", r["room_id"])].append(
                (r["starts_at"], r["blocked_until"], r["line"], f"row {r['line']}")
            )
        intervals[("client", r["client_id"])].append(
            (r["starts_at"], r["ends_at"], r["line"], f"row {r['line']}")
        )
    bad: dict[int, str] = {}
    words = {"therapist": "the therapist is", "room": "the room is", "client": "the client is"}
    for (what, _pk), spans in intervals.items():
        if len(spans) < 2:
            continue
        spans.sort(key=lambda x: (x[0], x[2]))
        held_until, holder_line, holder = spans[0][1], spans[0][2], spans[0][3]
        for s, e, line, who in spans[1:]:
            if s < held_until:
                if line:
                    bad.setdefault(line, f"{words[what]} already taken at that time by {holder}")
                elif holder_line:  # a row of the file overlaps a booking already here that starts later
                    bad.setdefault(holder_line, f"{words[what]} already taken at that time by {who}")
            if e > held_until:
                held_until, holder_line, holder = e, line, who
    if not bad:
        return
    for r in future:
        message = bad.get(r["line"])
        if message:
            out.problems.append(Problem(r["line"], "", label_of("appointments", "time"), message))
            out.conflicts.append(
                {"row": r["line"], "starts_at": r["starts_at"].isoformat(), "message": message}
            )
    out.new = [r for r in out.new if r["past"] or r["line"] not in bad]
