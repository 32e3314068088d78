"""A client's own appointments: cancelling (within the notice period), booking one session of their plan or
rescheduling, and the waitlist offer (its e-mail, and accepting it)."""

from zoneinfo import ZoneInfo

from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.request_context import site_url
from nervecare.core.services import audit_record
from nervecare.core.tasks import send_email
from nervecare.portal import selectors
from nervecare.portal.models import ClientAccount
from nervecare.scheduling import reminders
from nervecare.scheduling.models import Appointment, WaitlistEntry
from nervecare.scheduling.rules import client_booking_error, client_change_error
from nervecare.scheduling.services import (
    Booking,
    appointment_book,
    booking_access_release,
    waitlist_accept,
    waitlist_offer_freed,
)

CLIENT_CANCEL_REASON = "cancelled by the client"


@transaction.atomic
def portal_appointment_cancel(
    *,
    user: User,
    appointment_id: int,
    reason: str = CLIENT_CANCEL_REASON,
) -> Appointment:
    """The client cancels their own booked appointment, no later than the clinic's notice period before it.

    Does what scheduling.services.appointment_cancel does (reminder dropped, client told, waitlist offered),
    with the client as the actor: that service only accepts staff."""
    client = selectors.client_for_portal_user(user)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic")
        .filter(pk=appointment_id, client=client)
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    blocked = client_change_error(appointment)
    if blocked:
        raise FieldErrors({"starts_at": f"This appointment cannot be changed online: {blocked}."})
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = user
    appointment.cancel_reason = reason
    appointment.save()
    reminders.on_cancelled(appointment)
    audit_record(
        actor=user,
        action="update",
        obj=appointment,
        summary=f"Cancelled: {reason}",
    )
    booking_access_release(actor=user, client=client, therapist=appointment.therapist)
    waitlist_offer_freed(appointment)
    return appointment


CLIENT_RESCHEDULE_REASON = "rescheduled by the client"


@transaction.atomic
def portal_appointment_book(*, user: User, slot: str, replace_id: int | None = None) -> Booking:
    """The client books one session of their active plan at a free time, at least the clinic's notice period
    ahead. Goes through scheduling.services.appointment_book (working hours, double booking, qualification,
    stop flags), with the client as the actor.

    With `replace_id` this is a reschedule: the client's own appointment is cancelled (within the cancellation
    policy) and the new one booked in the same transaction, so a failed booking keeps the old appointment."""
    client = selectors.client_for_portal_user(user)
    parsed = selectors.parse_slot(slot)
    if parsed is None:
        raise FieldErrors({"slot": "choose one of the free times"})
    therapist_id, starts_at = parsed
    plan = selectors.active_plan(client)
    service = selectors.booking_service(plan) if plan else None
    reason = selectors.booking_block_reason(client, plan, service, rescheduling=replace_id is not None)
    if reason is not None or plan is None or service is None:  # without a plan or a service, reason says so
        raise FieldErrors({"slot": str(reason)})
    rule = client_booking_error(client.clinic, starts_at)
    if rule:
        raise FieldErrors({"slot": rule})
    if replace_id is not None:
        old = portal_appointment_cancel(user=user, appointment_id=replace_id, reason=CLIENT_RESCHEDULE_REASON)
        if old.plan_id not in (None, plan.id):
            raise FieldErrors({"slot": "this appointment belongs to another plan; please call the clinic"})
    return appointment_book(
        actor=user,
        client=client,
        therapist_id=therapist_id,
        service_id=service.id,
        starts_at=starts_at,
        plan_id=plan.id,
    )


def waitlist_offer_email(*, entry: WaitlistEntry) -> None:
    """A waiting client was offered a time (scheduling.hooks.on_waitlist_offer): e-mail it through the job
    queue once the offer is committed, with the link that accepts it in the portal (or, without a portal
    account, the clinic's phone number). Nothing clinical in the e-mail: the time, the service, the therapist."""
    client = entry.client
    if not client.email or entry.offered_appointment_start is None or entry.offered_therapist_id is None:
        return
    clinic = client.clinic
    has_account = ClientAccount.objects.filter(client=client, user__is_active=True).exists()
    therapist = Therapist.objects.filter(pk=entry.offered_therapist_id).first()
    context = {
        "client": client,
        "clinic": clinic,
        "when": entry.offered_appointment_start.astimezone(ZoneInfo(clinic.timezone)),
        "zone": clinic.timezone,
        "service": entry.service.name,
        "therapist": therapist.display_name if therapist else "",
        "link": site_url() + reverse("portal:waitlist_offer", kwargs={"entry_id": entry.pk})
        if has_account
        else "",
    }
    subject = render_to_string("portal/email/waitlist_offer_subject.txt", context).strip()
    body = render_to_string("portal/email/waitlist_offer_body.txt", context)
    recipient = client.email
    transaction.on_commit(lambda: send_email(subject, body, [recipient]))
    audit_record(actor=None, action="update", obj=entry, summary="Waitlist offer e-mailed to the client")


@transaction.atomic
def portal_waitlist_accept(*, user: User, entry_id: int) -> Appointment:
    """The client books the time they were offered from the waitlist (the link in the offer's e-mail)."""
    client = selectors.client_for_portal_user(user)
    entry = WaitlistEntry.objects.filter(pk=entry_id, client=client).first()
    if entry is None:
        raise Http404("No such offer.")
    return waitlist_accept(actor=user, entry=entry).appointment
