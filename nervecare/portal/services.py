"""Writes made by or for a client in the portal.

The clinical services (consent_record, response_create, appointment_cancel) require a staff actor. Here the
client acts on their own record, so each service first proves ownership through the client's account, then
writes with the client's own user as the actor, in one transaction with its audit event.
"""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from nervecare.clients.models import Client, Consent
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.portal import selectors
from nervecare.portal.models import ClientAccount, DiaryEntry
from nervecare.scheduling import reminders
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import waitlist_offer_freed
from nervecare.screening import instruments
from nervecare.screening.models import InstrumentResponse
from nervecare.screening.services import _definition_sha, _jsonable, safety_check_run

CLIENT_CANCEL_REASON = "cancelled by the client"


def _username_for(client: Client) -> str:
    wanted = client.email.strip().lower()
    if wanted and not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    return f"client-{client.pk}"


@transaction.atomic
def client_invite(*, actor: User, client: Client, request: HttpRequest | None = None) -> ClientAccount:
    """Create (or reuse) the client's portal sign-in with no usable password and email a set-password link.

    The link is Django's password-reset token: single use (it changes with the password) and it expires after
    PASSWORD_RESET_TIMEOUT."""
    require_clinical(actor)
    if client.clinic_id != actor.clinic_id:
        raise Http404("No such client.")
    if not client.email:
        raise FieldErrors({"email": "add the client's email address before inviting them"})
    account = ClientAccount.objects.select_related("user").filter(client=client).first()
    if account is None:
        user = User(
            username=_username_for(client),
            email=client.email,
            first_name=client.first_name,
            last_name=client.last_name,
            role=User.Role.CLIENT,
            clinic_id=client.clinic_id,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        account = ClientAccount(user=user, client=client)
    elif account.user.has_usable_password():
        raise FieldErrors({"email": "this client already has a portal password"})
    account.invited_at = timezone.now()
    account.invited_by = actor
    account.full_clean()
    account.save()
    user = account.user
    path = reverse(
        "portal:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    base = getattr(settings, "NERVECARE_PUBLIC_URL", "") or ""
    link = request.build_absolute_uri(path) if request is not None else base.rstrip("/") + path
    context = {"client": client, "clinic": client.clinic, "link": link, "username": user.username}
    send_mail(
        render_to_string("portal/email/invite_subject.txt", context).strip(),
        render_to_string("portal/email/invite_body.txt", context),
        None,
        [client.email],
    )
    audit_record(actor=actor, action="update", obj=client, summary="Portal invitation sent", request=request)
    return account


@transaction.atomic
def portal_consent_sign(*, user: User, version: str, request: HttpRequest | None = None) -> Consent:
    """The client reads the clinic's consent text and signs it electronically."""
    client = selectors.client_for_portal_user(user)
    text = client.clinic.consent_texts.filter(version=version).first()
    if text is None:
        raise FieldErrors({"version": f"no consent text version {version!r} in this clinic"})
    consent = Consent(
        client=client, text=text, given_at=timezone.now(), method="electronic", recorded_by=user
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=user,
        action="create",
        obj=consent,
        summary=f"Consent v{version} signed in the portal",
        request=request,
    )
    return consent


@transaction.atomic
def portal_response_create(
    *, user: User, instrument: str, answers: dict[str, Any], request: HttpRequest | None = None
) -> InstrumentResponse:
    """Score and store a questionnaire the client answered about themselves, then run the safety check."""
    client = selectors.client_for_portal_user(user)
    if instrument not in selectors.portal_instrument_codes(client):
        raise Http404("No such questionnaire.")
    definition = instruments.get_definition(instrument)
    try:
        result = instruments.score(definition, answers)
    except instruments.ScoringError as exc:
        raise FieldErrors(exc.errors) from None
    has_visited = client.appointments.filter(status=Appointment.Status.COMPLETED).exists()
    response = InstrumentResponse(
        client=client,
        instrument=definition.code,
        definition_version=definition.version,
        definition_sha256=_definition_sha(definition.code),
        answers=result["answers"],
        item_scores=result["item_scores"],
        total=result["total"],
        max_total=result["max"],
        interpretation=_jsonable(result["interpretation"]),
        administered_at=timezone.now(),
        context="visit" if has_visited else "intake",
        recorded_by=user,
    )
    response.save()
    audit_record(
        actor=user,
        action="create",
        obj=response,
        summary=f"{definition.short_title} answered in the portal: {result['total']}",
        request=request,
    )
    safety_check_run(actor=None, client=client, request=request)
    return response


@transaction.atomic
def diary_entry_save(
    *,
    user: User,
    day: datetime.date,
    ratings: dict[str, int],
    note: str = "",
    request: HttpRequest | None = None,
) -> DiaryEntry:
    """Write (or rewrite) the client's diary for one day; at most one entry per day, none in the future."""
    client = selectors.client_for_portal_user(user)
    today = timezone.now().astimezone(ZoneInfo(client.clinic.timezone)).date()
    errors: dict[str, str] = {}
    if day > today:
        errors["day"] = "cannot be in the future"
    elif day < today - datetime.timedelta(days=14):
        errors["day"] = "only the last two weeks can be filled in"
    for name in ("pain", "numbness", "tingling", "sleep"):
        value = ratings.get(name)
        if not isinstance(value, int) or not 0 <= value <= 10:
            errors[name] = "choose a number from 0 to 10"
    if errors:
        raise FieldErrors(errors)
    entry = DiaryEntry.objects.select_for_update().filter(client=client, day=day).first() or DiaryEntry(
        client=client, day=day
    )
    created = entry.pk is None
    for name in ("pain", "numbness", "tingling", "sleep"):
        setattr(entry, name, ratings[name])
    entry.note = note.strip()[:200]
    entry.full_clean()
    entry.save()
    audit_record(
        actor=user,
        action="create" if created else "update",
        obj=entry,
        summary=f"Diary {day.isoformat()}",
        request=request,
    )
    return entry


def cancel_policy_hours() -> int:
    return int(getattr(settings, "NERVECARE_CANCEL_POLICY_HOURS", 24))


@transaction.atomic
def portal_appointment_cancel(
    *, user: User, appointment_id: int, request: HttpRequest | None = None
) -> Appointment:
    """The client cancels their own booked appointment, no later than the clinic's notice period before it.

    Does what scheduling.services.appointment_cancel does (reminder dropped, client told, waitlist offered),
    with the client as the actor: that service only accepts staff."""
    client = selectors.client_for_portal_user(user)
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).filter(pk=appointment_id, client=client).first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    if appointment.status != Appointment.Status.BOOKED:
        raise FieldErrors({"status": "only a booked appointment can be cancelled"})
    hours = cancel_policy_hours()
    if appointment.starts_at - timezone.now() < datetime.timedelta(hours=hours):
        raise FieldErrors(
            {
                "starts_at": f"appointments can be cancelled online up to {hours} hours before; please call the clinic"
            }
        )
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = user
    appointment.cancel_reason = CLIENT_CANCEL_REASON
    appointment.save()
    reminders.on_cancelled(appointment)
    audit_record(
        actor=user,
        action="update",
        obj=appointment,
        summary=f"Cancelled: {CLIENT_CANCEL_REASON}",
        request=request,
    )
    waitlist_offer_freed(appointment)
    return appointment
