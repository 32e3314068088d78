"""An appointment's day: check-in (the safety check first) and check-out, each undoable within the day,
completion, cancellation and no-show."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_scheduling
from nervecare.core.services import audit_record
from nervecare.scheduling import hooks, reminders
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.selectors import clinic_tz
from nervecare.scheduling.services.access import booking_access_release
from nervecare.scheduling.services.checks import (
    Booking,
    SessionBlockedError,
    _clearance_warnings,
    _stop_flags,
)
from nervecare.scheduling.services.waitlist import waitlist_offer_freed
from nervecare.screening.services import safety_check_run


def _require_its_day(appointment: Appointment, doing: str) -> None:
    """Check-in, check-out and their undoing happen on the appointment's own day (the clinic's local date)."""
    tz = clinic_tz(appointment.clinic)
    day = appointment.starts_at.astimezone(tz).date()
    today = timezone.localdate(timezone=tz)
    if day != today:
        raise FieldErrors(
            {
                "status": f"{doing} only on the appointment's day ({day:%A %d %B %Y}); "
                f"today is {today:%A %d %B %Y} ({tz.key})"
            }
        )


def appointment_check_in(*, actor: User, appointment: Appointment) -> Booking:
    """Check the client in, on the appointment's day only. The safety check runs first (and is kept); an open
    stop flag blocks the session, and so does any registered check-in guard (hooks.register_check_in_guard)."""
    require_scheduling(actor)
    safety_check_run(actor=None, client=appointment.client)
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "service", "clinic")
            .get(pk=appointment.pk)
        )
        _require_status(appointment, (Appointment.Status.BOOKED,), "be checked in")
        stops = _stop_flags(appointment.client, appointment.service.modality)
        if stops:
            raise SessionBlockedError(stops)
        _require_its_day(appointment, "a client can be checked in")
        blocked = hooks.check_in_block_reason(appointment)
        if blocked:
            raise FieldErrors({"status": blocked})
        appointment.status = Appointment.Status.CHECKED_IN
        appointment.checked_in_at = timezone.now()
        appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
        audit_record(actor=actor, action="update", obj=appointment, summary="Checked in")
    return Booking(appointment, _clearance_warnings(appointment.client, None, actor))


@transaction.atomic
def appointment_check_in_undo(*, actor: User, appointment: Appointment) -> Appointment:
    """Undo a check-in made by mistake: back to booked, on the appointment's day only."""
    require_scheduling(actor)
    appointment = _locked(appointment)
    _require_status(appointment, (Appointment.Status.CHECKED_IN,), "have its check-in undone")
    _require_its_day(appointment, "a check-in can be undone")
    appointment.status = Appointment.Status.BOOKED
    appointment.checked_in_at = None
    appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
    audit_record(actor=actor, action="update", obj=appointment, summary="Check-in undone")
    return appointment


@transaction.atomic
def check_out(*, actor: User, appointment: Appointment) -> Appointment:
    """The client leaves: a checked-in appointment is completed and its check-out time kept, on its day only.
    What follows a visit (billing's invoice) hangs on hooks.on_checked_out, in this transaction."""
    require_scheduling(actor)
    appointment = _locked(appointment)
    _require_status(
        appointment, (Appointment.Status.CHECKED_IN,), "be checked out (check the client in first)"
    )
    _require_its_day(appointment, "a client can be checked out")
    appointment.status = Appointment.Status.COMPLETED
    appointment.checked_out_at = timezone.now()
    appointment.save(update_fields=["status", "checked_out_at", "updated_at"])
    audit_record(actor=actor, action="update", obj=appointment, summary="Checked out")
    hooks.checked_out(actor=actor, appointment=appointment)
    return appointment


@transaction.atomic
def check_out_undo(*, actor: User, appointment: Appointment) -> Appointment:
    """Undo a check-out made by mistake: back to checked in, on the appointment's day only."""
    require_scheduling(actor)
    appointment = _locked(appointment)
    if appointment.status != Appointment.Status.COMPLETED or appointment.checked_out_at is None:
        raise FieldErrors({"status": "only a checked-out appointment can have its check-out undone"})
    _require_its_day(appointment, "a check-out can be undone")
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.checked_out_at = None
    appointment.save(update_fields=["status", "checked_out_at", "updated_at"])
    audit_record(actor=actor, action="update", obj=appointment, summary="Check-out undone")
    hooks.check_out_undone(actor=actor, appointment=appointment)
    return appointment


@transaction.atomic
def appointment_complete(*, actor: User, appointment: Appointment) -> Appointment:
    """Mark a checked-in (or booked, once started) appointment as done; used when the note is signed."""
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if appointment.status in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
        appointment.status = Appointment.Status.COMPLETED
        appointment.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="update", obj=appointment, summary="Completed")
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "client", "therapist", "service")
        .get(pk=appointment.pk)
    )


def _require_status(appointment: Appointment, allowed: tuple[str, ...], cannot: str) -> None:
    if appointment.status not in allowed:
        raise FieldErrors(
            {"status": f"a {appointment.get_status_display().lower()} appointment cannot {cannot}"}
        )


def _did_not_happen(*, actor: User, appointment: Appointment, summary: str) -> None:
    """What a cancellation and a no-show share, once the appointment is saved: the event, the end of the
    record access its booking granted (booking_access_release), and the apps above told (hooks: a fee)."""
    audit_record(actor=actor, action="update", obj=appointment, summary=summary)
    hooks.status_changed(
        actor=actor,
        appointment=appointment,
        event="no_show" if appointment.status == Appointment.Status.NO_SHOW else "cancelled",
    )
    booking_access_release(actor=actor, client=appointment.client, therapist=appointment.therapist)


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment, reason: str) -> Appointment:
    """Cancel with a reason and who; the client is told and the freed time is offered to the waitlist."""
    require_scheduling(actor)
    appointment = _locked(appointment)
    if not reason or not reason.strip():
        raise FieldErrors({"reason": "say why the appointment is cancelled"})
    _require_status(appointment, (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN), "be cancelled")
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = actor
    appointment.cancel_reason = reason.strip()[:300]
    appointment.save()
    reminders.on_cancelled(appointment)
    _did_not_happen(
        actor=actor,
        appointment=appointment,
        summary=f"Cancelled: {appointment.cancel_reason}",
    )
    waitlist_offer_freed(appointment)
    return appointment


@transaction.atomic
def appointment_no_show(*, actor: User, appointment: Appointment) -> Appointment:
    """The client did not come: only after the start, and only a booked (not checked-in) appointment."""
    require_scheduling(actor)
    appointment = _locked(appointment)
    _require_status(appointment, (Appointment.Status.BOOKED,), "be a no-show")
    if appointment.starts_at > timezone.now():
        raise FieldErrors({"status": "an appointment can be marked a no-show only after its start"})
    appointment.status = Appointment.Status.NO_SHOW
    appointment.save(update_fields=["status", "updated_at"])
    _did_not_happen(actor=actor, appointment=appointment, summary="No-show")
    return appointment
