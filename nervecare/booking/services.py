"""Writes of the public booking page: a stranger's request (a provisional client with contact details and
consent, and a short hold on the chosen time), its confirmation from the e-mailed link (the booking, and the
portal invitation to complete the intake), and the erasure of requests never confirmed.

Nobody is signed in: the audit events have no actor (the request context gives their address). Whatever the
e-mail address, the answer is the same: nothing about any other client is said or shown."""

from __future__ import annotations

import datetime
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from nervecare.booking import selectors
from nervecare.booking.models import OnlineBooking
from nervecare.clients.models import Client, Consent
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, User
from nervecare.core.permissions import require_scheduling
from nervecare.core.services import audit_record
from nervecare.portal.models import ClientAccount
from nervecare.portal.services import portal_invitation
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import (
    BookingConflictError,
    appointment_hold,
    appointment_hold_confirm,
)

log = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")
# Letters (any script), spaces, apostrophes, hyphens and dots: a name, not a message.
NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-][^\W\d_]*)*$")
CONTACT_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone")


def hold_minutes() -> int:
    return int(getattr(settings, "NERVECARE_ONLINE_HOLD_MINUTES", 15))


def confirm_hours() -> int:
    return int(getattr(settings, "NERVECARE_ONLINE_CONFIRM_HOURS", 24))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _contact_errors(contact: dict[str, Any], clinic: Clinic) -> tuple[dict[str, Any], dict[str, str]]:
    """The contact details, cleaned, and what is wrong with them (in the words of the page's labels)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        value = _text(contact.get(name))
        if not value:
            errors[name] = f"enter your {label}"
        elif len(value) > 100:
            errors[name] = f"your {label} must be at most 100 characters"
        elif "\x00" in value or not NAME.match(value):
            errors[name] = f"your {label} may contain only letters, spaces, apostrophes, hyphens and dots"
        clean[name] = value
    born = contact.get("date_of_birth")
    if isinstance(born, str):
        try:
            born = datetime.date.fromisoformat(born.strip())
        except ValueError:
            born = None
            errors["date_of_birth"] = "enter your date of birth as a date, e.g. 1960-04-23"
    today = timezone.now().astimezone(ZoneInfo(clinic.timezone)).date()
    if "date_of_birth" not in errors:
        if not isinstance(born, datetime.date) or isinstance(born, datetime.datetime):
            errors["date_of_birth"] = "enter your date of birth"
        elif born > today:
            errors["date_of_birth"] = "your date of birth cannot be in the future"
        elif born < today.replace(year=today.year - 120):
            errors["date_of_birth"] = "check the year of your date of birth"
        elif born > today.replace(year=today.year - 16):
            errors["date_of_birth"] = "online booking is for adults (16 and over): please call the clinic"
    clean["date_of_birth"] = born
    email = _text(contact.get("email"))
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = "enter the e-mail address we should send the confirmation link to"
    clean["email"] = email
    phone = _text(contact.get("phone"))
    if not PHONE.match(phone):
        errors["phone"] = "enter a phone number the clinic can call you on (digits, spaces, +, brackets)"
    clean["phone"] = phone
    return clean, errors


@dataclass
class Request:
    booking: OnlineBooking
    token: str


@transaction.atomic
def online_booking_request(
    *,
    clinic: Clinic,
    service_id: Any,
    therapist: Any,
    slot: Any,
    contact: dict[str, Any],
    consent: Any,
    consent_version: Any,
    link_for: Any,
) -> Request:
    """A stranger asks for a time: a provisional client (contact details and consent), the time held for
    NERVECARE_ONLINE_HOLD_MINUTES, and an e-mail with the link that confirms it (`link_for(token)` makes its
    address). Errors: 422 FieldErrors naming the field, 409 BookingConflictError when the time was taken.
    Nothing is written unless all of it is."""
    clean, errors = _contact_errors(contact, clinic)
    try:
        service = selectors.online_service(clinic, service_id)
    except Http404:  # any absurd id is simply not one of the services offered
        service = None
        errors["service_id"] = "choose one of the services offered"
    text = selectors.current_consent_text(clinic)
    if text is None:
        errors["consent"] = "the clinic cannot take bookings online yet: please call"
    elif consent is not True:
        errors["consent"] = "read the consent to treatment and tick the box to agree"
    elif _text(consent_version) != text.version:
        errors["consent"] = "the consent text has changed: read it again and agree"
    parsed = selectors.parse_slot(slot if isinstance(slot, str) else "")
    if parsed is None:
        errors["slot"] = "choose one of the free times"
    choice = "any" if therapist in (None, "", "any") else _text(str(therapist))
    if choice != "any" and not choice.isdigit():
        errors["therapist"] = "choose a therapist or “any qualified therapist”"
    if errors or service is None or parsed is None or text is None:
        raise FieldErrors(errors)
    slot_therapist_id, starts_at = parsed
    qualified = selectors.online_therapists(clinic, service)
    by_id = {t.pk: t for t in qualified}
    if choice != "any" and (int(choice) not in by_id or int(choice) != slot_therapist_id):
        raise FieldErrors({"therapist": "choose one of the therapists offered for this service"})
    earliest, latest = selectors.booking_window(clinic)
    if not earliest <= starts_at < latest or slot_therapist_id not in by_id:
        raise FieldErrors({"slot": "choose one of the free times"})
    if starts_at.astimezone(ZoneInfo(clinic.timezone)).date() in selectors.closed_days(
        clinic, starts_at.date() - datetime.timedelta(days=1), starts_at.date() + datetime.timedelta(days=1)
    ):
        raise FieldErrors({"slot": "the clinic is closed that day: choose another time"})

    now = timezone.now()
    client = Client.objects.create(
        clinic=clinic,
        first_name=clean["first_name"],
        last_name=clean["last_name"],
        date_of_birth=clean["date_of_birth"],
        email=clean["email"],
        phone=clean["phone"],
        provisional=True,
    )
    audit_record(actor=None, action="create", obj=client, summary="Registered on the public booking page")
    given = Consent.objects.create(client=client, text=text, given_at=now, method="electronic")
    audit_record(
        actor=None, action="create", obj=given, summary=f"Consent v{text.version} given when booking online"
    )
    # "Any qualified therapist": the one the slot named first, then any other free at that time.
    candidates = [by_id[slot_therapist_id]]
    if choice == "any":
        candidates += [t for t in qualified if t.pk != slot_therapist_id]
    appointment = None
    for candidate in candidates:
        try:
            appointment = appointment_hold(
                client=client,
                therapist=candidate,
                service=service,
                starts_at=starts_at,
                expires_at=now + datetime.timedelta(minutes=hold_minutes()),
            )
            break
        except (FieldErrors, BookingConflictError):
            continue
    if appointment is None:
        raise BookingConflictError({"slot": "that time has just been taken: choose another time"})
    token = secrets.token_urlsafe(32)
    booking = OnlineBooking.objects.create(
        clinic=clinic,
        client=client,
        appointment=appointment,
        token_hash=selectors.token_hash(token),
        confirm_by=now + datetime.timedelta(hours=confirm_hours()),
        may_be_existing_client=Client.objects.filter(clinic=clinic, email__iexact=clean["email"])
        .exclude(pk=client.pk)
        .exists(),
    )
    audit_record(actor=None, action="create", obj=booking, summary="Online booking requested")
    context = {
        **selectors.appointment_summary(appointment),
        "first_name": client.first_name,
        "link": link_for(token),
        "hold_minutes": hold_minutes(),
        "confirm_hours": confirm_hours(),
    }
    _mail_on_commit(
        "booking/email/confirm_subject.txt", "booking/email/confirm_body.txt", context, client.email
    )
    return Request(booking, token)


def _mail_on_commit(subject: str, body: str, context: dict[str, Any], to: str) -> None:
    """Send after the transaction commits (an unsent e-mail for a rolled-back request would be a lie); a
    failing mail server is logged, never a 500 for the visitor (the hold then simply expires)."""
    subject_text = render_to_string(subject, context).strip()
    body_text = render_to_string(body, context)

    def send() -> None:
        try:
            send_mail(subject_text, body_text, None, [to])
        except Exception:  # noqa: BLE001 - SMTP errors of every kind
            log.exception("online booking e-mail not sent")

    transaction.on_commit(send)


@transaction.atomic
def online_booking_confirm(*, token: str) -> OnlineBooking:
    """The link in the e-mail was followed: the held time becomes a booking, the booked therapist becomes
    the client's therapist (so they can review the intake), and the client is sent the portal invitation to
    complete the intake before the first visit. Following it again changes nothing.

    Errors: 404-like FieldErrors {"token": ...} for an unknown or expired link, 409 BookingConflictError when
    the time was taken after the hold expired."""
    found = selectors.booking_by_token(token)
    if found is None:
        raise FieldErrors({"token": "this confirmation link is not valid: please book again"})
    booking = OnlineBooking.objects.select_for_update().get(pk=found.pk)
    booking.client, booking.appointment, booking.clinic = found.client, found.appointment, found.clinic
    if booking.confirmed_at is not None:
        return booking
    now = timezone.now()
    if booking.confirm_by <= now:
        raise FieldErrors({"token": "this confirmation link has expired: please book again"})
    appointment = appointment_hold_confirm(appointment=booking.appointment)
    booking.appointment = appointment
    booking.confirmed_at = now
    booking.save(update_fields=["confirmed_at"])
    client = booking.client
    if client.primary_therapist_id is None:
        client.primary_therapist = appointment.therapist
        client.save(update_fields=["primary_therapist", "updated_at"])
    audit_record(actor=None, action="update", obj=booking, summary="Online booking confirmed by e-mail")
    # The portal's one invitation service (the same account and absolute link as every other invitation).
    account, link = portal_invitation(actor=None, client=client)
    audit_record(actor=None, action="update", obj=client, summary="Portal invitation sent (online booking)")
    context = {
        **selectors.appointment_summary(appointment),
        "first_name": client.first_name,
        "link": link,
        "username": account.user.username,
    }
    _mail_on_commit(
        "booking/email/confirmed_subject.txt", "booking/email/confirmed_body.txt", context, client.email
    )
    return booking


@transaction.atomic
def online_requests_erase_unconfirmed(*, now: datetime.datetime | None = None) -> int:
    """Erase the requests whose link expired unconfirmed: the provisional client, their consent and the
    released hold. A stranger's details are not kept for a booking that never happened (the audit trail
    keeps that it was, by id)."""
    now = now or timezone.now()
    stale = list(
        OnlineBooking.objects.filter(confirmed_at__isnull=True, confirm_by__lte=now).select_related(
            "client", "appointment"
        )
    )
    for booking in stale:
        client = booking.client
        audit_record(
            actor=None,
            action="delete",
            obj=client,
            summary="Unconfirmed online booking request erased (link expired)",
        )
        Appointment.objects.filter(pk=booking.appointment_id).delete()
        ClientAccount.objects.filter(client=client).delete()
        Client.all_objects.filter(pk=client.pk).delete()
        # simple_history keeps a copy of every version (and of the deletion): erased too.
        Client.history.filter(id=client.pk).delete()
    return len(stale)


HELD_CANCEL_PREFIX = "Held online booking cancelled by the clinic"


@transaction.atomic
def online_booking_cancel_hold(*, actor: User, appointment: Appointment, reason: str) -> OnlineBooking:
    """The clinic cancels a stranger's request that is still only held (e-mail not confirmed): the time is
    free at once, the confirmation link stops working ("expired: please book again"), and the hourly job
    erases the provisional client as for any request never confirmed. A confirmed booking is cancelled like
    any appointment instead. The caller fetched the appointment through scheduling's permission rule."""
    require_scheduling(actor)
    if not reason or not reason.strip():
        raise FieldErrors({"reason": "say why the held booking is cancelled"})
    booking = OnlineBooking.objects.select_for_update().filter(appointment_id=appointment.pk).first()
    if booking is None:
        raise FieldErrors({"status": "this appointment was not requested on the public booking page"})
    if booking.confirmed_at is not None:
        raise FieldErrors({"status": "the client confirmed this booking: cancel it as any appointment"})
    locked = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    now = timezone.now()
    if locked.status == Appointment.Status.HELD:
        locked.status = Appointment.Status.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = actor
        locked.cancel_reason = f"{HELD_CANCEL_PREFIX}: {reason.strip()}"[:300]
        locked.hold_expires_at = None
        locked.save()
    booking.confirm_by = min(booking.confirm_by, now)
    booking.save(update_fields=["confirm_by"])
    audit_record(
        actor=actor, action="update", obj=locked, summary=f"{HELD_CANCEL_PREFIX}: {reason.strip()[:200]}"
    )
    return booking
