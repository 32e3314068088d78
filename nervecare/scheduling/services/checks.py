"""What every booking, series and move checks: who may book, the therapist, the service and the time, the
safety flags; and the errors that say why not (409s)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_visible_to, portal_user_id_of, user_may_book, user_sees_client
from nervecare.core.audit import audited_update
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_id_of, require_scheduling_or_own_record
from nervecare.plans.models import CarePlan
from nervecare.scheduling import availability
from nervecare.scheduling.booking_context import BookingContext
from nervecare.scheduling.models import Appointment, AvailabilityException, Room, Service
from nervecare.scheduling.selectors import (
    busy_and_expired_holds,
    clinic_tz,
    closed_days,
    closed_message,
    therapist_working_intervals,
)
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import open_flags


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

    def shows_reason_to(self, user: User | None) -> bool:
        """Only someone who may see the client's clinical record learns which flag and why."""
        return bool(self.flags) and _sees_record(user, self.flags[0].client_id)

    def message_for(self, user: User | None) -> str:
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


def check_may_book(actor: User, client: Client) -> None:
    """Who may book this client: the front desk and admins of the client's clinic, a therapist who already
    sees the client's record (clients_bookable_by), or the client booking for themself in the portal (the
    role check is core.permissions'). A member of staff who may not gets the same 404 as for a record they
    cannot see: booking is never a way in."""
    require_scheduling_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    if actor.role != User.Role.CLIENT and not user_may_book(actor, client):
        raise Http404("No such client.")


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
    clinic_id = clinic_id_of(actor)
    if client.clinic_id != clinic_id:
        errors["client_id"] = "no such client in this clinic"
    # The therapist's clinic is the client's (both must be the actor's): share the row read with the client
    # rather than join it again.
    share_clinic = Client.clinic.is_cached(client)
    therapist = None
    if therapist_id:
        therapists = Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_id, active=True)
        therapist = (
            (therapists if share_clinic else therapists.select_related("clinic"))
            .select_related("user")
            .first()
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


def _qualification_errors(
    therapist: Therapist, service: Service, plan: CarePlan | None, *, on: date
) -> dict[str, str]:
    """Whether the therapist may give the service (and the plan) on `on`, the session's local date: a
    certification counts only on the days it is valid, so one that expires before the session does not."""
    needed = set(service.required_certifications) | set(plan.required_certifications if plan else [])
    missing = sorted(needed - set(therapist.certifications_on(on)))
    if missing:
        expired = [c for c in missing if c in therapist.certifications]
        if expired:
            until = ", ".join(f"{c} until {therapist.certification_expiry[c]}" for c in expired)
            return {
                "therapist_id": f"{therapist.display_name}'s training is not valid on {on:%d %B %Y} "
                f"({until}): {', '.join(missing)}"
            }
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


def closed_error(req: _Request, closed: Mapping[date, str] | None = None) -> str:
    """Why the session cannot be on its day(s): the clinic is closed (naming the date and the closure), or ""."""
    tz = clinic_tz(req.therapist.clinic)
    first = req.starts_at.astimezone(tz).date()
    last = (req.ends_at - timedelta(microseconds=1)).astimezone(tz).date()
    if closed is None:
        closed = closed_days(req.therapist.clinic_id, first, last)
    day = next((d for d in (first, last) if d in closed), None)
    return closed_message(day, closed[day]) if day is not None else ""


def _check_time(
    req: _Request,
    *,
    exclude_id: int | None = None,
    closed: Mapping[date, str] | None = None,
    pre: BookingContext | None = None,
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Problems with the time: a day the clinic is closed or outside hours (422), or taken (409, returned as
    conflicts). `closed` (closed_days) saves the read when the caller checks many dates; `pre` (a booking's
    context, read in one statement) supplies the closures, hours, exceptions and held times instead."""
    errors: dict[str, str] = {}
    tz = clinic_tz(req.therapist.clinic)
    local = req.starts_at.astimezone(tz)
    if pre is not None and not pre.covers(req.starts_at, req.blocked_until):
        pre = None  # a session longer than the rows read: the separate reads
    closure = closed_error(req, pre.closed if pre is not None else closed)
    if closure:
        working = []
    elif pre is None:
        working = therapist_working_intervals(req.therapist, local.date(), tz, closed={})
    else:
        working = availability.working_intervals(
            day=local.date(),
            tz=tz,
            hours=availability.hours_on(local.date(), pre.hours),
            extra=[(s, e) for kind, s, e in pre.exceptions if kind == AvailabilityException.Kind.EXTRA],
            time_off=[(s, e) for kind, s, e in pre.exceptions if kind == AvailabilityException.Kind.TIME_OFF],
        )
    if closure:
        errors["starts_at"] = closure
    elif not availability.fits((req.starts_at, req.ends_at), working):
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
    if pre is not None and exclude_id is None:
        busy, expired_holds = pre.busy_and_expired(held[0], held[1])
    else:
        busy, expired_holds = busy_and_expired_holds(
            therapist_id=req.therapist.id,
            room_id=req.room.id if req.room else None,
            client_id=req.client.id,
            start=held[0],
            end=held[1],
            exclude_id=exclude_id,
        )
    if expired_holds:
        # Free time for every read already; PostgreSQL's exclusion constraints count them until released.
        release_expired_holds(ids=expired_holds)
    for s, e, held_until, other_id, therapist_id, room_id, client_id in busy:
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


HOLD_EXPIRED_REASON = "online hold expired without the e-mail confirmation"


def release_expired_holds(*, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Cancel the online holds past their expiry (those ids, or all): one audited update per clinic. Run by
    every booking whose time they are in (so correctness never waits for the job) and by the periodic job."""
    now = now or timezone.now()
    qs = Appointment.objects.filter(status=Appointment.Status.HELD, hold_expires_at__lte=now)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    released = 0
    for clinic_id in sorted(set(qs.values_list("clinic_id", flat=True))):
        released += audited_update(
            qs.filter(clinic_id=clinic_id),
            actor=None,
            summary="Online hold expired without the e-mail confirmation",
            clinic_id=clinic_id,
            status=Appointment.Status.CANCELLED,
            cancelled_at=now,
            cancel_reason=HOLD_EXPIRED_REASON,
        )
    return released


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
    conflicts: list[dict[str, Any]] = [{"with": kind, "constraint": getattr(diag, "constraint_name", "")}]
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
