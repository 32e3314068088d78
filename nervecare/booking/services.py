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
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from nervecare.booking import selectors
from nervecare.booking.models import OnlineBooking
from nervecare.clients.models import Client, Consent
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, User
from nervecare.core.services import audit_record
from nervecare.portal.models import ClientAccount
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


def _invite(client: Client, link_base: str) -> tuple[ClientAccount, str]:
    """The client's portal sign-in (no usable password yet) and the link that sets its password (Django's
    password-reset token: single use, expiring after PASSWORD_RESET_TIMEOUT)."""
    account = ClientAccount.objects.select_related("user").filter(client=client).first()
    if account is None:
        wanted = client.email.strip().lower()
        username = (
            wanted
            if wanted and not User.objects.filter(username__iexact=wanted).exists()
            else f"client-{client.pk}"
        )
        user = User(
            username=username,
            email=client.email,
            first_name=client.first_name,
            last_name=client.last_name,
            role=User.Role.CLIENT,
            clinic_id=client.clinic_id,
        )
        user.set_unusable_password()
        user.save()
        account = ClientAccount(user=user, client=client)
    account.invited_at = timezone.now()
    account.save()
    path = reverse(
        "portal:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(account.user.pk)),
            "token": default_token_generator.make_token(account.user),
        },
    )
    return account, link_base.rstrip("/") + path


@transaction.atomic
def online_booking_confirm(*, token: str, link_base: str) -> OnlineBooking:
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
    account, link = _invite(client, link_base)
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
