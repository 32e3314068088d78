"""Online holds: a new client's booking from the public page holds its time (status "held") until it is
confirmed from the e-mailed link or its short hold expires.

A hold is checked exactly as a booking is (the therapist's qualification and hours, closures, the therapist's
and the client's time) and counts for the no-double-booking guarantee (BLOCKING_STATUSES and, on PostgreSQL,
the exclusion constraints). An expired hold is free time for every read (models.expired_hold_q) and is
released (cancelled) by the first booking that needs its time (checks.release_expired_holds) and by the
periodic job (tasks.expire_online_holds), so correctness never depends on the job running."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist
from nervecare.core.services import audit_record
from nervecare.scheduling import reminders
from nervecare.scheduling.models import Appointment, Service
from nervecare.scheduling.selectors import clinic_tz
from nervecare.scheduling.services.booking import _insert
from nervecare.scheduling.services.checks import (
    HOLD_EXPIRED_REASON,
    BookingConflictError,
    _check_time,
    _conflict_message,
    _qualification_errors,
    _raced,
    _request,
)


@transaction.atomic
def appointment_hold(
    *, client: Client, therapist: Therapist, service: Service, starts_at: datetime, expires_at: datetime
) -> Appointment:
    """Hold a time for a new client's online booking until `expires_at` (no actor: nobody is signed in).
    Errors: 422 (FieldErrors) for a therapist who may not give the service, a time outside their hours or on
    a closed day; 409 (BookingConflictError) for a taken time."""
    errors = _qualification_errors(
        therapist, service, None, on=starts_at.astimezone(clinic_tz(client.clinic)).date()
    )
    req = _request(
        client=client, therapist=therapist, service=service, room=None, plan=None, starts_at=starts_at
    )
    time_errors, conflicts = _check_time(req)
    errors.update(time_errors)
    if errors:
        raise FieldErrors(errors)
    if conflicts:
        raise BookingConflictError({"starts_at": _conflict_message(conflicts)}, conflicts)
    appointment = _insert(req, actor=None, hold_expires_at=expires_at)
    audit_record(
        actor=None,
        action="create",
        obj=appointment,
        summary=f"Held online until {expires_at:%Y-%m-%d %H:%M} UTC, awaiting the e-mail confirmation",
    )
    return appointment


@transaction.atomic
def appointment_hold_confirm(*, appointment: Appointment) -> Appointment:
    """The client followed the e-mailed link: the held time becomes a booking. A hold that expired meanwhile
    is booked again if its time is still free (409 BookingConflictError if not). A booking already confirmed
    is returned as it is (following the link twice changes nothing)."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client__clinic", "therapist__clinic", "service")
        .get(pk=appointment.pk)
    )
    if appointment.status != Appointment.Status.HELD and not (
        appointment.status == Appointment.Status.CANCELLED
        and appointment.cancel_reason == HOLD_EXPIRED_REASON
    ):
        return appointment
    now = timezone.now()
    if appointment.starts_at <= now:
        raise FieldErrors({"starts_at": "this time has passed: choose another time"})
    expired = appointment.status == Appointment.Status.CANCELLED or (
        appointment.hold_expires_at is not None and appointment.hold_expires_at <= now
    )
    if expired:
        req = _request(
            client=appointment.client,
            therapist=appointment.therapist,
            service=appointment.service,
            room=appointment.room,
            plan=None,
            starts_at=appointment.starts_at,
        )
        errors, conflicts = _check_time(req, exclude_id=appointment.pk)
        if errors:
            raise FieldErrors(errors)
        if conflicts:
            raise BookingConflictError(
                {
                    "starts_at": "the time was taken while it waited for your confirmation: choose another time"
                },
                conflicts,
            )
    appointment.status = Appointment.Status.BOOKED
    appointment.hold_expires_at = None
    appointment.cancelled_at = None
    appointment.cancel_reason = ""
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=["status", "hold_expires_at", "cancelled_at", "cancel_reason", "updated_at"]
            )
    except IntegrityError as exc:  # a PostgreSQL exclusion constraint caught a concurrent booking
        conflict = _raced(exc)
        if conflict is None:
            raise
        raise conflict from exc
    reminders.on_booked(appointment)
    audit_record(actor=None, action="update", obj=appointment, summary="Online booking confirmed by e-mail")
    return appointment
