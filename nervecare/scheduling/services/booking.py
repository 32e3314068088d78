"""Writes for scheduling: book, series, reschedule, cancel, no-show, check-in, waitlist, hours.

No double booking, ever. On PostgreSQL exclusion constraints are the last word: over [start, blocked_until)
per therapist and per room, and over [start, end) per client (the buffer is the therapist's and the room's
time to reset, not the client's). A race the check below misses ends in an IntegrityError that becomes a
clean conflict naming what was taken. On SQLite every transaction is BEGIN IMMEDIATE (settings), so the
check and the insert run while no other writer can, which serialises conflicting bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone

from nervecare.clients.models import Client, ClientAccessGrant
from nervecare.clients.selectors import clients_visible_to, user_may_book, user_sees_client
from nervecare.clients.services import client_access_grant, client_access_revoke
from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_scheduling
from nervecare.core.services import audit_record
from nervecare.plans.models import CarePlan
from nervecare.scheduling import availability, reminders
from nervecare.scheduling.models import (
    Appointment,
    AvailabilityException,
    Room,
    Series,
    Service,
    WaitlistEntry,
    WorkingHours,
)
from nervecare.scheduling.selectors import busy_intervals, clinic_tz, free_slots, therapist_working_intervals
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import open_flags
from nervecare.screening.services import safety_check_run


class BookingConflictError(Exception):
    """The time is taken (therapist, room or client) or a series has conflicting dates. Maps to HTTP 409."""

    def __init__(self, errors: dict[str, str], conflicts: list[dict[str, Any]] | None = None):
        self.errors = errors
        self.conflicts = conflicts or []
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class SessionBlockedError(Exception):
    """An open stop flag: no massage until it is resolved. Maps to HTTP 409.

    Only clinical staff see which flag and why; the front desk is told there is a safety hold."""

    def __init__(self, flags: list[SafetyFlag]):
        self.flags = flags
        super().__init__("No session while a stop flag is open: " + "; ".join(f.title for f in flags))

    def shows_reason_to(self, user: User) -> bool:
        """Only someone who may see the client's clinical record learns which flag and why."""
        return bool(self.flags) and _sees_record(user, self.flags[0].client_id)

    def message_for(self, user: User) -> str:
        if self.shows_reason_to(user):
            return str(self)
        return (
            "A safety hold is open for this client: no session can be booked or started. Ask the therapist."
        )


def _sees_record(user: User | None, client_id: int) -> bool:
    """Scheduling is clinic-wide for the staff; the clinical reasons behind a hold are not: only for those who
    may see the client's record (clients_visible_to)."""
    if user is None or not getattr(user, "is_clinical", False):
        return False
    return clients_visible_to(user).filter(pk=client_id).exists()


@dataclass
class Booking:
    appointment: Appointment
    warnings: list[str]


def require_scheduling_or_own_record(actor: User, client: Client) -> None:
    """Who may book this client: the front desk and admins of the client's clinic, a therapist who already
    sees the client's record (clients_bookable_by), or the client booking for themself in the portal. A member
    of staff who may not gets the same 404 as for a record they cannot see: booking is never a way in."""
    if actor.is_authenticated and actor.role == User.Role.CLIENT:
        account = getattr(actor, "portal_account", None)
        if account is None or account.client_id != client.pk:
            raise PermissionDenied("A client may only book for themself.")
        return
    require_scheduling(actor)
    if not user_may_book(actor, client):
        raise Http404("No such client.")


LIVE_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED)


def _therapist_access_errors(actor: User, client: Client, therapist: Therapist) -> dict[str, str]:
    """A therapist books only therapists who already see the client (themself included): handing a colleague
    the record is the front desk's, an admin's (a booking grant) or the primary therapist's (a share) call."""
    if (
        actor.role == User.Role.THERAPIST
        and therapist.user_id != actor.pk
        and not user_sees_client(therapist.user, client.pk)
    ):
        return {
            "therapist_id": f"{therapist.display_name} does not see this client's record yet: share it first, "
            "or ask the front desk to book them"
        }
    return {}


def _booking_access_grant(
    *, actor: User, appointment: Appointment, request: HttpRequest | None = None
) -> None:
    """The front desk, an admin or the client booked a therapist who does not see the client's record yet: the
    booking grants it (audited, listed for the admins) while a live appointment of theirs with the client
    remains. A therapist's own bookings never grant (they book only therapists who see the client)."""
    if actor.role == User.Role.THERAPIST:
        return
    therapist_user = appointment.therapist.user
    if not user_sees_client(therapist_user, appointment.client_id):
        client_access_grant(
            actor=actor,
            client=appointment.client,
            user=therapist_user,
            reason=ClientAccessGrant.Reason.BOOKING,
            source_id=appointment.pk,
            request=request,
        )


def booking_access_release(
    *, actor: User, client: Client, therapist: Therapist, request: HttpRequest | None = None
) -> None:
    """After a cancellation, a no-show or a move to another therapist: once no live (booked, checked-in or
    completed) appointment of this therapist with this client remains, the access their bookings granted ends.
    A cancelled or never-attended appointment grants nothing."""
    if not Appointment.objects.filter(
        client_id=client.pk, therapist_id=therapist.pk, status__in=LIVE_STATUSES
    ).exists():
        client_access_revoke(
            actor=actor,
            client=client,
            user=therapist.user,
            reason=ClientAccessGrant.Reason.BOOKING,
            request=request,
        )


def _stop_flags(client: Client, modality: str, flags: list[SafetyFlag] | None = None) -> list[SafetyFlag]:
    flags = open_flags(client) if flags is None else flags
    return [f for f in flags if f.level == "stop" and (not f.applies_to or modality in f.applies_to)]


def _clearance_warnings(
    client: Client, flags: list[SafetyFlag] | None = None, actor: User | None = None
) -> list[str]:
    """Warnings for open clearance flags. The front desk learns only that a clearance is pending, not why."""
    flags = open_flags(client) if flags is None else flags
    pending = [f for f in flags if f.level == "clearance"]
    if not pending:
        return []  # nothing pending: no warning, whoever asks (so no need to ask who may see the record)
    if actor is not None and not _sees_record(actor, client.pk):
        return [
            "A clinician's clearance is pending for this client: the therapist confirms it before the session."
        ]
    return [f"Clearance needed before the first session: {f.title} ({f.reason})" for f in pending]


@dataclass
class _Request:
    client: Client
    therapist: Therapist
    service: Service
    room: Room | None
    plan: CarePlan | None
    starts_at: datetime
    ends_at: datetime
    blocked_until: datetime


def _resolve(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    room_id: int | None,
    plan_id: int | None,
    errors: dict[str, str],
) -> tuple[Therapist | None, Service | None, Room | None, CarePlan | None]:
    clinic_id = actor.clinic_id
    if client.clinic_id != clinic_id:
        errors["client_id"] = "no such client in this clinic"
    # The therapist's clinic is the client's (both must be the actor's): share the row read with the client
    # rather than join it again.
    share_clinic = Client.clinic.is_cached(client)
    therapists = Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_id, active=True).select_related(
        "user"
    )
    therapist = (
        (therapists if share_clinic else therapists.select_related("clinic")).first()
        if therapist_id
        else None
    )
    if therapist is None:
        errors["therapist_id"] = "unknown therapist: choose an active therapist of this clinic"
    elif share_clinic and therapist.clinic_id == client.clinic_id:
        therapist.clinic = client.clinic
    service = (
        Service.objects.filter(pk=service_id, clinic_id=clinic_id, active=True).first()
        if service_id
        else None
    )
    if service is None:
        errors["service_id"] = "unknown service: choose one of this clinic's services"
    room = None
    if room_id is not None:
        room = Room.objects.filter(pk=room_id, clinic_id=clinic_id, active=True).first()
        if room is None:
            errors["room_id"] = "unknown room"
    plan = None
    if plan_id is not None:
        plan = CarePlan.objects.filter(pk=plan_id, client=client).first()
        if plan is None:
            errors["plan_id"] = "no such plan for this client"
        elif plan.status != CarePlan.Status.ACTIVE:
            errors["plan_id"] = f"the plan is {plan.status}: only an active plan can be booked"
    return therapist, service, room, plan


def _qualification_errors(therapist: Therapist, service: Service, plan: CarePlan | None) -> dict[str, str]:
    needed = set(service.required_certifications) | set(plan.required_certifications if plan else [])
    missing = sorted(needed - set(therapist.certifications))
    if missing:
        return {
            "therapist_id": f"{therapist.display_name} lacks the training this needs: {', '.join(missing)}"
        }
    if plan and therapist.years_experience < plan.required_min_years:
        return {
            "therapist_id": f"{therapist.display_name} has {therapist.years_experience} years of experience; "
            f"the plan needs {plan.required_min_years}"
        }
    if plan and plan.modality != service.modality:
        return {"service_id": f"the plan's modality is {plan.modality}; this service is {service.modality}"}
    return {}


def _check_time(
    req: _Request, *, exclude_id: int | None = None
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Problems with the time: outside hours (422) or taken (409, returned as conflicts)."""
    errors: dict[str, str] = {}
    tz = clinic_tz(req.therapist.clinic)
    local = req.starts_at.astimezone(tz)
    working = therapist_working_intervals(req.therapist, local.date(), tz)
    if not availability.fits((req.starts_at, req.ends_at), working):
        hours = (
            ", ".join(f"{s.astimezone(tz):%H:%M}–{e.astimezone(tz):%H:%M}" for s, e in working)
            or "not working"
        )
        errors["starts_at"] = (
            f"outside {req.therapist.display_name}'s working hours on {local:%A %d %B %Y} ({hours}, {tz.key})"
        )
    conflicts: list[dict[str, Any]] = []
    held = (req.starts_at, req.blocked_until)  # the therapist's and the room's time: buffer included
    session = (req.starts_at, req.ends_at)  # the client's time: the session itself (as the constraints)
    # One query for everything that could clash: the therapist's, the room's and the client's held time.
    for s, e, held_until, other_id, therapist_id, room_id, client_id in busy_intervals(
        therapist_id=req.therapist.id,
        room_id=req.room.id if req.room else None,
        client_id=req.client.id,
        start=held[0],
        end=held[1],
        exclude_id=exclude_id,
    ):
        for kind, mine, theirs, span, other in (
            ("therapist", req.therapist.id, therapist_id, held, (s, held_until)),
            ("room", req.room.id if req.room else None, room_id, held, (s, held_until)),
            ("client", req.client.id, client_id, session, (s, e)),
        ):
            if mine is not None and mine == theirs and availability.overlaps(span, other):
                conflicts.append(
                    {"with": kind, "appointment_id": other_id, "starts_at": s, "held_until": other[1]}
                )
    return errors, conflicts


def _conflict_message(conflicts: list[dict[str, Any]]) -> str:
    kinds = sorted({c["with"] for c in conflicts})
    return "the time is taken: " + ", ".join(
        {
            "therapist": "the therapist has another appointment (buffer included)",
            "room": "the room is booked",
            "client": "the client has another appointment",
        }[k]
        for k in kinds
    )


# PostgreSQL's exclusion constraints (models.Appointment) and what each one protects.
_OVERLAP_CONSTRAINTS = {
    "appointment_no_therapist_overlap": "therapist",
    "appointment_no_room_overlap": "room",
    "appointment_no_client_overlap": "client",
}


def _raced(exc: IntegrityError) -> BookingConflictError | None:
    """The conflict a concurrent booking caused, named from the constraint the database enforced; None for
    any other integrity error (a bug to surface, not a taken time)."""
    diag = getattr(exc.__cause__, "diag", None)
    kind = _OVERLAP_CONSTRAINTS.get(getattr(diag, "constraint_name", None) or "")
    if kind is None:
        return None
    conflicts: list[dict[str, Any]] = [{"with": kind, "constraint": diag.constraint_name}]
    return BookingConflictError(
        {"starts_at": f"{_conflict_message(conflicts)} (booked just now): choose another time"}, conflicts
    )


def _request(
    *,
    client: Client,
    therapist: Therapist,
    service: Service,
    room: Room | None,
    plan: CarePlan | None,
    starts_at: datetime,
) -> _Request:
    ends_at = starts_at + timedelta(minutes=service.minutes)
    return _Request(
        client=client,
        therapist=therapist,
        service=service,
        room=room,
        plan=plan,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_until=ends_at + timedelta(minutes=service.buffer_minutes),
    )


def _insert(
    req: _Request,
    *,
    actor: User,
    series: Series | None = None,
    index: int | None = None,
    due_measures: list[str] | None = None,
) -> Appointment:
    clinic = {"clinic": req.client.clinic} if Client.clinic.is_cached(req.client) else {}
    try:
        # No savepoint: every caller runs inside a transaction (appointment_book, series_book) and lets the
        # BookingConflictError below leave it, so the whole booking rolls back either way (a caller that is
        # itself nested rolls back to its own savepoint). Saves two round trips per booking.
        with transaction.atomic(savepoint=False):
            appointment = Appointment.objects.create(
                clinic_id=req.client.clinic_id,
                **clinic,
                client=req.client,
                therapist=req.therapist,
                room=req.room,
                service=req.service,
                plan=req.plan,
                series=series,
                series_index=index,
                starts_at=req.starts_at,
                ends_at=req.ends_at,
                blocked_until=req.blocked_until,
                due_measures=due_measures or [],
                created_by=actor,
            )
    except IntegrityError as exc:  # a PostgreSQL exclusion constraint caught a concurrent booking
        conflict = _raced(exc)
        if conflict is None:
            raise
        raise conflict from exc
    reminders.on_booked(appointment)
    return appointment


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    starts_at: datetime,
    room_id: int | None = None,
    plan_id: int | None = None,
    request: HttpRequest | None = None,
) -> Booking:
    """Book one appointment. Errors: 422 (FieldErrors) for bad input or hours, 409 for a taken time or an
    open stop flag. An open clearance flag books with a warning.

    The actor is a member of staff, or the client booking for themself in the portal."""
    require_scheduling_or_own_record(actor, client)
    errors: dict[str, str] = {}
    therapist, service, room, plan = _resolve(
        actor=actor,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        room_id=room_id,
        plan_id=plan_id,
        errors=errors,
    )
    if errors:
        raise FieldErrors(errors)
    starts_at = localtime.to_utc(starts_at, clinic_tz(client.clinic), field="starts_at")
    if starts_at < timezone.now() - timedelta(minutes=5):
        raise FieldErrors({"starts_at": "cannot be in the past"})
    errors.update(_qualification_errors(therapist, service, plan))
    errors.update(_therapist_access_errors(actor, client, therapist))
    req = _request(
        client=client, therapist=therapist, service=service, room=room, plan=plan, starts_at=starts_at
    )
    time_errors, conflicts = _check_time(req)
    errors.update(time_errors)
    if errors:
        raise FieldErrors(errors)
    if conflicts:
        raise BookingConflictError({"starts_at": _conflict_message(conflicts)}, conflicts)
    flags = open_flags(client)
    stops = _stop_flags(client, service.modality, flags)
    if stops:
        raise SessionBlockedError(stops)
    appointment = _insert(req, actor=actor)
    audit_record(
        actor=actor, action="create", obj=appointment, summary=f"Booked {appointment}", request=request
    )
    _booking_access_grant(actor=actor, appointment=appointment, request=request)
    return Booking(appointment, _clearance_warnings(client, flags, actor))


def _occurrences(
    first_date: date,
    local_time: time,
    count: int,
    tz,  # noqa: ANN001
) -> list[tuple[datetime, str]]:
    """Same weekday and wall-clock time every week: across a daylight-saving change the local time holds.
    Each as (start in UTC, problem): a date on which the time does not exist (the clocks go forward) is a
    problem to skip or replace, shown at the time it would move to; a repeated time is its first occurrence
    (core.localtime)."""
    out = []
    for i in range(count):
        day = first_date + timedelta(weeks=i)
        try:
            out.append((localtime.combine_to_utc(day, local_time, tz, field="local_time"), ""))
        except FieldErrors as exc:
            out.append((localtime.boundary_to_utc(day, local_time, tz), exc.errors["local_time"]))
    return out


def _due_measures(plan: CarePlan | None, index: int) -> list[str]:
    if plan is None:
        return []
    week = index // max(plan.sessions_per_week, 1) + 1
    if week in plan.reevaluation_weeks:
        return [m["instrument"] for m in plan.outcome_measures if m.get("when") == "reevaluation"]
    return []


def series_preview(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    first_date: date,
    local_time: time,
    count: int | None = None,
    plan_id: int | None = None,
    room_id: int | None = None,
) -> dict[str, Any]:
    """Every date of a weekly series with whether it can be booked and, if not, why and which free times
    nearby could take its place."""
    require_scheduling(actor)
    require_scheduling_or_own_record(actor, client)
    errors: dict[str, str] = {}
    therapist, service, room, plan = _resolve(
        actor=actor,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        room_id=room_id,
        plan_id=plan_id,
        errors=errors,
    )
    already = 0  # the plan's sessions already held or booked: a series continues the course, never repeats it
    if plan is not None:
        already = plan.appointments.exclude(status=Appointment.Status.CANCELLED).count()
        remaining = plan.course_weeks * plan.sessions_per_week - already
        if count is None:
            count = remaining
        if remaining <= 0:
            errors["plan_id"] = "every session of this plan's course is already done or booked"
        elif count > remaining:
            errors["count"] = f"the plan has {remaining} sessions left to book; {count} asked"
    if count is None:
        count = 0
    if not errors and not 1 <= count <= 104:
        errors["count"] = "a series has 1 to 104 weekly sessions"
    if errors:
        raise FieldErrors(errors)
    errors.update(_qualification_errors(therapist, service, plan))
    errors.update(_therapist_access_errors(actor, client, therapist))
    if errors:
        raise FieldErrors(errors)
    tz = clinic_tz(client.clinic)
    if first_date < timezone.localdate(timezone=tz):
        raise FieldErrors({"first_date": "cannot be in the past"})
    rows = []
    for index, (starts_at, missing) in enumerate(_occurrences(first_date, local_time, count, tz)):
        req = _request(
            client=client, therapist=therapist, service=service, room=room, plan=plan, starts_at=starts_at
        )
        time_errors, conflicts = _check_time(req)
        problem = (
            missing or time_errors.get("starts_at") or (_conflict_message(conflicts) if conflicts else "")
        )
        if starts_at < timezone.now():
            problem = "this date and time has already passed"
        alternatives = []
        if problem:
            local_day = starts_at.astimezone(tz).date()
            alternatives = [
                {
                    "starts_at": s["starts_at"],
                    "local_start": s["local_start"],
                    "therapist_id": s["therapist_id"],
                }
                for s in free_slots(
                    clinic=client.clinic,
                    service=service,
                    start=local_day,
                    end=local_day + timedelta(days=2),
                    therapists=[therapist],
                    limit=3,
                )
            ]
        rows.append(
            {
                "index": index,
                "starts_at": starts_at,
                "local_start": starts_at.astimezone(tz).isoformat(),
                "ok": not problem,
                "problem": problem,
                "alternatives": alternatives,
                "due_measures": _due_measures(plan, already + index),
            }
        )
    flags = open_flags(client)
    stops = _stop_flags(client, service.modality, flags)
    return {
        "count": count,
        "bookable": sum(1 for r in rows if r["ok"]),
        "conflicts": sum(1 for r in rows if not r["ok"]),
        "rows": rows,
        "blocked_by_stop_flags": [f.title for f in stops]
        if _sees_record(actor, client.pk)
        else (["a safety hold"] if stops else []),
        "warnings": _clearance_warnings(client, flags, actor),
    }


@transaction.atomic
def series_book(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    first_date: date,
    local_time: time,
    count: int | None = None,
    plan_id: int | None = None,
    room_id: int | None = None,
    skip_conflicts: bool = False,
    replacements: dict[int, datetime] | None = None,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Book a weekly series whole, or not at all. With skip_conflicts the conflicting dates are left out;
    `replacements` maps a conflicting index to another start (e.g. one of the offered alternatives)."""
    preview = series_preview(
        actor=actor,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        first_date=first_date,
        local_time=local_time,
        count=count,
        plan_id=plan_id,
        room_id=room_id,
    )
    if preview["blocked_by_stop_flags"]:
        raise SessionBlockedError(_stop_flags(client, Service.objects.get(pk=service_id).modality))
    replacements = replacements or {}
    unknown = sorted(set(replacements) - {r["index"] for r in preview["rows"]})
    if unknown:
        raise FieldErrors(
            {
                f"replacements.{i}": f"the series has no session {i} (0 to {preview['count'] - 1})"
                for i in unknown
            }
        )
    unresolved = [r for r in preview["rows"] if not r["ok"] and r["index"] not in replacements]
    if unresolved and not skip_conflicts:
        raise BookingConflictError(
            {"series": f"{len(unresolved)} of {preview['count']} dates conflict; nothing was booked"},
            [
                {
                    "index": r["index"],
                    "starts_at": r["starts_at"],
                    "problem": r["problem"],
                    "alternatives": r["alternatives"],
                }
                for r in unresolved
            ],
        )
    therapist = Therapist.objects.get(pk=therapist_id)
    service = Service.objects.get(pk=service_id)
    room = Room.objects.get(pk=room_id) if room_id else None
    plan = CarePlan.objects.get(pk=plan_id) if plan_id else None
    tz = clinic_tz(client.clinic)
    series = Series.objects.create(
        plan=plan,
        client=client,
        therapist=therapist,
        service=service,
        weekday=first_date.weekday(),
        local_time=local_time,
        first_date=first_date,
        count=preview["count"],
        created_by=actor,
    )
    booked, skipped = [], []
    for row in preview["rows"]:
        starts_at = row["starts_at"]
        key = f"replacements.{row['index']}"
        if row["index"] in replacements:
            starts_at = localtime.to_utc(replacements[row["index"]], tz, field=key)
        elif not row["ok"]:
            skipped.append(row["index"])
            continue
        req = _request(
            client=client, therapist=therapist, service=service, room=room, plan=plan, starts_at=starts_at
        )
        errors, conflicts = _check_time(req)
        if starts_at < timezone.now():
            raise FieldErrors({key: "cannot be in the past"})
        if errors:
            raise FieldErrors({key: errors["starts_at"]})
        if conflicts:
            raise BookingConflictError({key: _conflict_message(conflicts)}, conflicts)
        booked.append(
            _insert(req, actor=actor, series=series, index=row["index"], due_measures=row["due_measures"])
        )
    audit_record(
        actor=actor,
        action="create",
        obj=series,
        summary=f"Series booked: {len(booked)} sessions, {len(skipped)} skipped",
        request=request,
    )
    if booked:
        _booking_access_grant(actor=actor, appointment=booked[0], request=request)
    return {"series": series, "appointments": booked, "skipped": skipped, "warnings": preview["warnings"]}


def _move(
    appointment: Appointment, *, actor: User, starts_at: datetime, therapist: Therapist | None = None
) -> None:
    old_start = appointment.starts_at
    req = _request(
        client=appointment.client,
        therapist=therapist or appointment.therapist,
        service=appointment.service,
        room=appointment.room,
        plan=appointment.plan,
        starts_at=starts_at,
    )
    errors, conflicts = _check_time(req, exclude_id=appointment.id)
    if therapist is not None:
        errors.update(_qualification_errors(therapist, appointment.service, appointment.plan))
    if errors:
        raise FieldErrors(errors)
    if conflicts:
        raise BookingConflictError({"starts_at": _conflict_message(conflicts)}, conflicts)
    appointment.therapist = req.therapist
    appointment.starts_at, appointment.ends_at, appointment.blocked_until = (
        req.starts_at,
        req.ends_at,
        req.blocked_until,
    )
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:  # a PostgreSQL exclusion constraint caught a concurrent booking
        conflict = _raced(exc)
        if conflict is None:
            raise
        raise conflict from exc
    reminders.on_moved(appointment, old_start)


def _require_movable(appointment: Appointment) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise FieldErrors(
            {"status": f"a {appointment.get_status_display().lower()} appointment cannot be changed"}
        )


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: datetime,
    therapist_id: int | None = None,
    request: HttpRequest | None = None,
) -> Appointment:
    """Move one appointment (same row: no stray duplicate), optionally to another qualified therapist."""
    require_scheduling(actor)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client__clinic", "service", "plan")
        .get(pk=appointment.pk)
    )
    _require_movable(appointment)
    starts_at = localtime.to_utc(starts_at, clinic_tz(appointment.client.clinic), field="starts_at")
    if starts_at < timezone.now():
        raise FieldErrors({"starts_at": "cannot be in the past"})
    therapist = None
    old_therapist = appointment.therapist
    if therapist_id is not None and therapist_id != appointment.therapist_id:
        # Another therapist is a new booking of this client with them: the same rule decides who may.
        require_scheduling_or_own_record(actor, appointment.client)
        therapist = (
            Therapist.objects.filter(pk=therapist_id, clinic_id=appointment.clinic_id, active=True)
            .select_related("user")
            .first()
        )
        if therapist is None:
            raise FieldErrors(
                {"therapist_id": "unknown therapist: choose an active therapist of this clinic"}
            )
        errors = _therapist_access_errors(actor, appointment.client, therapist)
        if errors:
            raise FieldErrors(errors)
    old = appointment.starts_at
    _move(appointment, actor=actor, starts_at=starts_at, therapist=therapist)
    audit_record(
        actor=actor,
        action="update",
        obj=appointment,
        summary="Rescheduled",
        changes={"starts_at": [old.isoformat(), appointment.starts_at.isoformat()]},
        request=request,
    )
    if therapist is not None:
        _booking_access_grant(actor=actor, appointment=appointment, request=request)
        booking_access_release(
            actor=actor, client=appointment.client, therapist=old_therapist, request=request
        )
    return appointment


@transaction.atomic
def series_reschedule_rest(
    *,
    actor: User,
    appointment: Appointment,
    local_time: time,
    weekday: int | None = None,
    request: HttpRequest | None = None,
) -> list[Appointment]:
    """Move this appointment and every later booked one of its series to a new local time (and weekday).
    All of them move, or none."""
    require_scheduling(actor)
    if appointment.series_id is None:
        raise FieldErrors({"appointment": "this appointment is not part of a series"})
    _require_movable(appointment)
    if weekday is not None and not 0 <= weekday <= 6:
        raise FieldErrors({"weekday": "must be 0 (Monday) to 6 (Sunday)"})
    tz = clinic_tz(appointment.clinic)
    rest = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(
            series_id=appointment.series_id,
            status=Appointment.Status.BOOKED,
            starts_at__gte=appointment.starts_at,
        )
        .select_related("client__clinic", "service", "plan", "therapist")
        .order_by("starts_at")
    )
    moved = []
    for item in rest:
        local_day = item.starts_at.astimezone(tz).date()
        if weekday is not None:
            local_day += timedelta(days=weekday - local_day.weekday())
        new_start = localtime.combine_to_utc(local_day, local_time, tz, field="local_time")
        if new_start < timezone.now():
            raise FieldErrors({"local_time": f"the session of {local_day} would move into the past"})
        try:
            _move(item, actor=actor, starts_at=new_start)
        except FieldErrors as exc:
            raise FieldErrors(
                {f"appointments.{item.id}": f"{local_day}: {m}" for m in exc.errors.values()}
            ) from None
        except BookingConflictError as exc:
            raise BookingConflictError(
                {f"appointments.{item.id}": f"{local_day}: {m}" for m in exc.errors.values()}, exc.conflicts
            ) from None
        moved.append(item)
    series = appointment.series
    series.local_time = local_time
    if weekday is not None:
        series.weekday = weekday
    series.save(update_fields=["local_time", "weekday", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=series,
        summary=f"Rest of series moved ({len(moved)})",
        request=request,
    )
    return moved


@transaction.atomic
def appointment_cancel(
    *, actor: User, appointment: Appointment, reason: str, request: HttpRequest | None = None
) -> Appointment:
    """Cancel with a reason and who; the client is told and the freed time is offered to the waitlist."""
    require_scheduling(actor)
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if not reason or not reason.strip():
        raise FieldErrors({"reason": "say why the appointment is cancelled"})
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
        raise FieldErrors(
            {"status": f"a {appointment.get_status_display().lower()} appointment cannot be cancelled"}
        )
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = actor
    appointment.cancel_reason = reason.strip()[:300]
    appointment.save()
    reminders.on_cancelled(appointment)
    audit_record(
        actor=actor,
        action="update",
        obj=appointment,
        summary=f"Cancelled: {appointment.cancel_reason}",
        request=request,
    )
    booking_access_release(
        actor=actor, client=appointment.client, therapist=appointment.therapist, request=request
    )
    waitlist_offer_freed(appointment)
    return appointment


@transaction.atomic
def appointment_no_show(
    *, actor: User, appointment: Appointment, request: HttpRequest | None = None
) -> Appointment:
    require_scheduling(actor)
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise FieldErrors(
            {"status": f"a {appointment.get_status_display().lower()} appointment cannot be a no-show"}
        )
    if appointment.starts_at > timezone.now():
        raise FieldErrors({"status": "an appointment can be marked a no-show only after its start"})
    appointment.status = Appointment.Status.NO_SHOW
    appointment.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="update", obj=appointment, summary="No-show", request=request)
    booking_access_release(
        actor=actor, client=appointment.client, therapist=appointment.therapist, request=request
    )
    return appointment


def appointment_check_in(
    *, actor: User, appointment: Appointment, request: HttpRequest | None = None
) -> Booking:
    """Check the client in. The safety check runs first (and is kept); an open stop flag blocks the session."""
    require_scheduling(actor)
    safety_check_run(actor=None, client=appointment.client, request=request)
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "service")
            .get(pk=appointment.pk)
        )
        if appointment.status != Appointment.Status.BOOKED:
            raise FieldErrors(
                {"status": f"a {appointment.get_status_display().lower()} appointment cannot be checked in"}
            )
        stops = _stop_flags(appointment.client, appointment.service.modality)
        if stops:
            raise SessionBlockedError(stops)
        appointment.status = Appointment.Status.CHECKED_IN
        appointment.checked_in_at = timezone.now()
        appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
        audit_record(actor=actor, action="update", obj=appointment, summary="Checked in", request=request)
    return Booking(appointment, _clearance_warnings(appointment.client, None, actor))


@transaction.atomic
def appointment_complete(*, actor: User, appointment: Appointment) -> Appointment:
    """Mark a checked-in (or booked, once started) appointment as done; used when the note is signed."""
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if appointment.status in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
        appointment.status = Appointment.Status.COMPLETED
        appointment.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="update", obj=appointment, summary="Completed")
    return appointment


@transaction.atomic
def waitlist_add(
    *,
    actor: User,
    client: Client,
    service_id: int,
    earliest: datetime,
    latest: datetime,
    therapist_id: int | None = None,
    note: str = "",
) -> WaitlistEntry:
    require_scheduling(actor)
    require_scheduling_or_own_record(actor, client)
    errors: dict[str, str] = {}
    service = Service.objects.filter(pk=service_id, clinic_id=actor.clinic_id).first()
    if service is None:
        errors["service_id"] = "unknown service"
    if client.clinic_id != actor.clinic_id:
        errors["client_id"] = "no such client in this clinic"
    if (
        therapist_id is not None
        and not Therapist.objects.filter(pk=therapist_id, clinic_id=actor.clinic_id).exists()
    ):
        errors["therapist_id"] = "unknown therapist"
    tz = clinic_tz(client.clinic)
    # No offset: the clinic's local time.
    earliest = localtime.to_utc(earliest, tz, field="earliest")
    latest = localtime.to_utc(latest, tz, field="latest")
    if earliest >= latest:
        errors["latest"] = "must be after earliest"
    elif latest <= timezone.now():
        errors["latest"] = "the window has already passed"
    if errors:
        raise FieldErrors(errors)
    entry = WaitlistEntry.objects.create(
        client=client,
        service=service,
        therapist_id=therapist_id,
        earliest=earliest,
        latest=latest,
        note=note[:300],
    )
    audit_record(actor=actor, action="create", obj=entry, summary="Added to the waitlist")
    return entry


def waitlist_offer_freed(appointment: Appointment) -> WaitlistEntry | None:
    """Offer a freed time to the first waiting client whose window, service and therapist fit."""
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(
            status=WaitlistEntry.Status.WAITING,
            service=appointment.service,
            earliest__lte=appointment.starts_at,
            latest__gte=appointment.ends_at,
            client__clinic_id=appointment.clinic_id,
        )
        .exclude(client=appointment.client)
        .filter(Q(therapist__isnull=True) | Q(therapist_id=appointment.therapist_id))
        .order_by("created_at", "id")
        .first()
    )
    if entry is None:
        return None
    entry.status = WaitlistEntry.Status.OFFERED
    entry.offered_appointment_start = appointment.starts_at
    entry.offered_therapist_id = appointment.therapist_id
    entry.save()
    return entry


@transaction.atomic
def waitlist_accept(*, actor: User, entry: WaitlistEntry, request: HttpRequest | None = None) -> Booking:
    """Book the time a waitlist entry was offered."""
    entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("client").get(pk=entry.pk)
    require_scheduling_or_own_record(actor, entry.client)  # before anything about the entry is told
    if entry.status != WaitlistEntry.Status.OFFERED:
        raise FieldErrors({"status": "this waitlist entry has no open offer"})
    booking = appointment_book(
        actor=actor,
        client=entry.client,
        therapist_id=entry.offered_therapist_id,
        service_id=entry.service_id,
        starts_at=entry.offered_appointment_start,
        request=request,
    )
    entry.status = WaitlistEntry.Status.BOOKED
    entry.save(update_fields=["status", "updated_at"])
    return booking


@transaction.atomic
def working_hours_set(
    *, actor: User, therapist: Therapist, hours: list[dict[str, Any]]
) -> list[WorkingHours]:
    """Replace a therapist's weekly hours: [{"weekday": 0-6, "start": time, "end": time}, ...]."""
    require_scheduling(actor)
    if actor.role not in (User.Role.ADMIN,) and getattr(actor, "therapist", None) != therapist:
        raise FieldErrors({"therapist_id": "only an admin or the therapist may change these hours"})
    errors: dict[str, str] = {}
    rows = []
    for i, h in enumerate(hours):
        if not 0 <= h["weekday"] <= 6:
            errors[f"hours[{i}].weekday"] = "must be 0 (Monday) to 6 (Sunday)"
        if h["start"] >= h["end"]:
            errors[f"hours[{i}].end"] = "the end must be after the start"
        rows.append(WorkingHours(therapist=therapist, weekday=h["weekday"], start=h["start"], end=h["end"]))
    for i, a in enumerate(rows):
        for j, b in enumerate(rows[:i]):
            if a.weekday == b.weekday and a.start < b.end and b.start < a.end:
                errors[f"hours[{i}]"] = f"overlaps hours[{j}]"
    if errors:
        raise FieldErrors(errors)
    WorkingHours.objects.filter(therapist=therapist).delete()
    WorkingHours.objects.bulk_create(rows)
    audit_record(actor=actor, action="update", obj=therapist, summary="Working hours changed")
    return rows


@transaction.atomic
def exception_add(
    *, actor: User, therapist: Therapist, kind: str, starts_at: datetime, ends_at: datetime, note: str = ""
) -> AvailabilityException:
    require_scheduling(actor)
    tz = clinic_tz(therapist.clinic)
    # No offset: the clinic's local time.
    starts_at = localtime.to_utc(starts_at, tz, field="starts_at")
    ends_at = localtime.to_utc(ends_at, tz, field="ends_at")
    errors: dict[str, str] = {}
    if kind not in AvailabilityException.Kind.values:
        errors["kind"] = "must be time_off or extra"
    if starts_at >= ends_at:
        errors["ends_at"] = "the end must be after the start"
    if errors:
        raise FieldErrors(errors)
    exception = AvailabilityException.objects.create(
        therapist=therapist, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note[:200]
    )
    audit_record(actor=actor, action="create", obj=exception, summary=f"{kind} added")
    return exception
