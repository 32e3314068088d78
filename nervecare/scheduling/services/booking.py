"""Booking one appointment and moving it (to another time or therapist)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.services import audit_record
from nervecare.plans.models import CarePlan
from nervecare.scheduling import reminders, rules
from nervecare.scheduling.booking_context import BookingContext, booking_context
from nervecare.scheduling.models import Appointment, Room, Series, Service
from nervecare.scheduling.selectors import clinic_tz
from nervecare.scheduling.services.access import _booking_access_grant, booking_access_release
from nervecare.scheduling.services.checks import (
    Booking,
    BookingConflictError,
    SessionBlockedError,
    _check_time,
    _clearance_warnings,
    _conflict_message,
    _qualification_errors,
    _raced,
    _Request,
    _request,
    _resolve,
    _stop_flags,
    _therapist_access_errors,
    check_may_book,
)
from nervecare.screening.selectors import open_flags

_UNKNOWN = object()  # the client's outcome summary row was not read: the signal marks it as it always did


def _context(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    room_id: int | None,
    plan_id: int | None,
    starts_at: datetime,
) -> BookingContext | None:
    """The booking's rows in one read (booking_context), when the request names a therapist and a service of
    the actor's clinic, no plan, and a time that converts; None otherwise (the separate reads then)."""
    clinic_id = clinic_id_of(actor)
    if not therapist_id or not service_id or plan_id is not None or client.clinic_id != clinic_id:
        return None
    tz = clinic_tz(client.clinic)
    try:
        start_utc = localtime.to_utc(starts_at, tz, field="starts_at")
    except FieldErrors:
        return None
    return booking_context(
        clinic_id=clinic_id,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        room_id=room_id,
        starts_at=start_utc,
        tz=tz,
        now=timezone.now(),
    )


def _insert(
    req: _Request,
    *,
    actor: User | None,
    series: Series | None = None,
    index: int | None = None,
    due_measures: list[str] | None = None,
    hold_expires_at: datetime | None = None,
    summary_state: bool | None | object = _UNKNOWN,
) -> Appointment:
    """Insert the appointment (booked; or held until `hold_expires_at`, an online booking awaiting its e-mail
    confirmation, which is told nothing and reminded of nothing until it is confirmed). `summary_state`: the
    client's outcome summary row as read in this transaction (None: none, True: already stale), which spares
    the outcomes signal its UPDATE when there is nothing to mark (outcomes/summary.py)."""
    clinic = {"clinic": req.client.clinic} if Client.clinic.is_cached(req.client) else {}
    try:
        # No savepoint: every caller runs inside a transaction (appointment_book, series_book) and lets the
        # BookingConflictError below leave it, so the whole booking rolls back either way (a caller that is
        # itself nested rolls back to its own savepoint). Saves two round trips per booking.
        with transaction.atomic(savepoint=False):
            appointment = Appointment(
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
                **(
                    {"status": Appointment.Status.HELD, "hold_expires_at": hold_expires_at}
                    if hold_expires_at is not None
                    else {}
                ),
            )
            if summary_state is not _UNKNOWN:
                appointment._outcome_summary_state = summary_state  # type: ignore[attr-defined]
            appointment.save(force_insert=True)
    except IntegrityError as exc:  # a PostgreSQL exclusion constraint caught a concurrent booking
        conflict = _raced(exc)
        if conflict is None:
            raise
        raise conflict from exc
    if hold_expires_at is None:
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
) -> Booking:
    """Book one appointment. Errors: 422 (FieldErrors) for bad input or hours, 409 for a taken time or an
    open stop flag. An open clearance flag books with a warning.

    The actor is a member of staff, or the client booking for themself in the portal."""
    check_may_book(actor, client)
    errors: dict[str, str] = {}
    ctx = _context(
        actor=actor,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        room_id=room_id,
        plan_id=plan_id,
        starts_at=starts_at,
    )
    therapist: Therapist | None
    service: Service | None
    room: Room | None
    plan: CarePlan | None
    if ctx is not None:
        therapist, service, room, plan = ctx.therapist, ctx.service, ctx.room, None
        therapist.clinic = client.clinic  # the same clinic (booking_context reads the actor's clinic's rows)
    else:  # the separate reads: they word the errors of an unknown therapist, service, room or plan
        therapist, service, room, plan = _resolve(
            actor=actor,
            client=client,
            therapist_id=therapist_id,
            service_id=service_id,
            room_id=room_id,
            plan_id=plan_id,
            errors=errors,
        )
    if errors or therapist is None or service is None:  # neither is None without an error
        raise FieldErrors(errors)
    starts_at = localtime.to_utc(starts_at, clinic_tz(client.clinic), field="starts_at")
    if starts_at < timezone.now() - timedelta(minutes=5):
        raise FieldErrors({"starts_at": "cannot be in the past"})
    if actor.role == User.Role.CLIENT:  # a client booking themself: the clinic's notice and horizon
        rule = rules.client_booking_error(client.clinic, starts_at)
        if rule:
            raise FieldErrors({"starts_at": rule})
    local_day = starts_at.astimezone(clinic_tz(client.clinic)).date()
    errors.update(_qualification_errors(therapist, service, plan, on=local_day))
    errors.update(_therapist_access_errors(actor, client, therapist))
    req = _request(
        client=client, therapist=therapist, service=service, room=room, plan=plan, starts_at=starts_at
    )
    time_errors, conflicts = _check_time(req, pre=ctx)
    errors.update(time_errors)
    if errors:
        raise FieldErrors(errors)
    if conflicts:
        raise BookingConflictError({"starts_at": _conflict_message(conflicts)}, conflicts)
    # Only stop and clearance flags matter here: the context says whether the client has any open.
    flags = open_flags(client) if ctx is None or ctx.has_booking_flags else []
    stops = _stop_flags(client, service.modality, flags)
    if stops:
        raise SessionBlockedError(stops)
    appointment = _insert(req, actor=actor, summary_state=ctx.summary_state if ctx is not None else _UNKNOWN)
    audit_record(actor=actor, action="create", obj=appointment, summary=f"Booked {appointment}")
    _booking_access_grant(actor=actor, appointment=appointment)
    return Booking(appointment, _clearance_warnings(client, flags, actor))


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
    # The therapist (the new one, or the same one on a new date) must hold the training on the new date.
    errors.update(
        _qualification_errors(
            therapist or appointment.therapist,
            appointment.service,
            appointment.plan,
            on=starts_at.astimezone(clinic_tz(appointment.client.clinic)).date(),
        )
    )
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
        check_may_book(actor, appointment.client)
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
    )
    if therapist is not None:
        _booking_access_grant(actor=actor, appointment=appointment)
        booking_access_release(actor=actor, client=appointment.client, therapist=old_therapist)
    return appointment
