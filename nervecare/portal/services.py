"""Writes made by or for a client in the portal.

Each service first finds the client's own record through their account (selectors.client_for_portal_user),
then writes with the client's own user as the actor, in one transaction with its audit event. Where a clinical
service accepts the client as the actor on their own record (screening.services.response_create,
clients.services.condition_add / medical_context_update / body_map_record, scheduling.services.appointment_book)
the portal goes through it, so the same validation and the same safety check run as for the staff.
"""

import datetime
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from nervecare.clients.models import Client, Consent, MedicalContext
from nervecare.clients.services import body_map_record, condition_add, medical_context_update
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_clinical
from nervecare.core.request_context import site_url
from nervecare.core.services import audit_record
from nervecare.core.tasks import send_email
from nervecare.portal import selectors
from nervecare.portal.models import ClientAccount, ClientIntake, DiaryEntry
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
from nervecare.screening.measures import applicable_diary_fields
from nervecare.screening.models import InstrumentResponse
from nervecare.screening.services import response_create, safety_check_run

log = logging.getLogger(__name__)

CLIENT_CANCEL_REASON = "cancelled by the client"


def _username_for(client: Client) -> str:
    wanted = client.email.strip().lower()
    if wanted and not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    return f"client-{client.pk}"


def _account_for_invitation(*, actor: User | None, client: Client) -> ClientAccount:
    """The client's portal sign-in with no usable password (made now, or the one made before), marked
    invited by the actor (None: the client asked for it on the public booking page)."""
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
    return account


def _set_password_link(account: ClientAccount, request: HttpRequest | None) -> str:
    """The absolute set-password link (Django's password-reset token: single use, it changes with the
    password, and it expires after PASSWORD_RESET_TIMEOUT): NERVECARE_PUBLIC_URL, else the request's own
    address (core.request_context.site_url), so the link works even when the setting is unset."""
    user = account.user
    path = reverse(
        "portal:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path) if request is not None else site_url() + path


def portal_invitation(
    *, actor: User | None, client: Client, request: HttpRequest | None = None
) -> tuple[ClientAccount, str]:
    """THE invitation to the portal, for every path that invites (a therapist's invite, the desk's
    registration, online booking's confirmation): the client's sign-in with no usable password (made or
    reused, marked invited) and its absolute set-password link. The caller sends it (its own words, its own
    moment) and records the audit event naming why."""
    account = _account_for_invitation(actor=actor, client=client)
    return account, _set_password_link(account, request)


def _invitation(client: Client, account: ClientAccount, link: str, *, intake: bool) -> tuple[str, str]:
    """The portal's invitation e-mail: subject and body."""
    context = {
        "client": client,
        "clinic": client.clinic,
        "link": link,
        "username": account.user.username,
        "intake": intake,
    }
    return (
        render_to_string("portal/email/invite_subject.txt", context).strip(),
        render_to_string("portal/email/invite_body.txt", context),
    )


@transaction.atomic
def client_invite(*, actor: User, client: Client, request: HttpRequest | None = None) -> ClientAccount:
    """Create (or reuse) the client's portal sign-in with no usable password and email a set-password link."""
    require_clinical(actor)
    if client.clinic_id != actor.clinic_id:
        raise Http404("No such client.")
    account, link = portal_invitation(actor=actor, client=client, request=request)
    subject, body = _invitation(client, account, link, intake=False)
    send_mail(subject, body, None, [client.email])
    audit_record(actor=actor, action="update", obj=client, summary="Portal invitation sent")
    return account


def invite_registered_client(*, actor: User, client: Client) -> str | None:
    """After the front desk registers a client (clients.hooks.on_client_registered): invite them to the
    portal to sign the consent and complete the intake before their first visit. The email goes through the
    job queue once the registration is committed (retried if the mail server is down). Returns what the desk
    is told."""
    if not client.email:
        return (
            "No email address: no portal invitation was sent. Ask the client to complete the intake "
            "with the therapist before the first session, or add an email address and invite them."
        )
    account, link = portal_invitation(actor=actor, client=client)
    subject, body = _invitation(client, account, link, intake=True)
    recipient = client.email
    transaction.on_commit(lambda: send_email(subject, body, [recipient]))
    audit_record(actor=actor, action="update", obj=client, summary="Portal invitation sent (intake)")
    return f"The portal invitation to complete the intake before the first visit was sent to {recipient}."


@transaction.atomic
def portal_consent_sign(*, user: User, version: str) -> Consent:
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
    )
    return consent


@transaction.atomic
def portal_response_create(*, user: User, instrument: str, answers: dict[str, Any]) -> InstrumentResponse:
    """Score and store a questionnaire the client answered about themselves, then run the safety check.

    Goes through screening.services.response_create with the client as the actor (their own record only)."""
    client = selectors.client_for_portal_user(user)
    if instrument not in selectors.portal_instrument_codes(client):
        raise Http404("No such questionnaire.")
    has_visited = client.appointments.filter(status=Appointment.Status.COMPLETED).exists()
    return response_create(
        actor=user,
        client=client,
        instrument=instrument,
        answers=answers,
        context="visit" if has_visited else "intake",
    )


def _clean_diary_measures(
    client: Client, measures: dict[str, Any], errors: dict[str, str]
) -> dict[str, int | bool | None]:
    """The claims' optional diary answers (issue 21): only those asked of this client (their conditions and
    goals, screening/data/measures.yaml), each in its range. None leaves a question unanswered."""
    asked = set(applicable_diary_fields(client))
    cleaned: dict[str, int | bool | None] = {}
    for name, value in measures.items():
        if name not in DiaryEntry.CLAIM_FIELDS:
            errors[name] = "unknown question"
        elif name not in asked:
            errors[name] = "this question is not asked of you"
        elif value is None:
            cleaned[name] = None
        elif name == "headache":
            if not isinstance(value, bool):
                errors[name] = "answer yes or no"
            else:
                cleaned[name] = value
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[name] = "must be a whole number"
        elif name == "cramp_count" and not 0 <= value <= 50:
            errors[name] = "enter a number of cramps from 0 to 50"
        elif name != "cramp_count" and not 0 <= value <= 10:
            errors[name] = "choose a number from 0 to 10"
        else:
            cleaned[name] = value
    return cleaned


@transaction.atomic
def diary_entry_save(
    *,
    user: User,
    day: datetime.date,
    ratings: dict[str, int],
    note: str = "",
    measures: dict[str, Any] | None = None,
) -> DiaryEntry:
    """Write (or rewrite) the client's diary for one day; at most one entry per day, none in the future.

    `ratings`: pain, numbness and tingling (0-10); "sleep" (disturbed by symptoms) only from older callers:
    sleep is asked once, as the sleep-quality measure.
    `measures` holds the optional answers of the claims' measures (sleep quality, cramps, worst cramp,
    headache, arthritis joint pain) asked of this client only; one not given keeps its earlier answer."""
    client = selectors.client_for_portal_user(user)
    today = timezone.now().astimezone(ZoneInfo(client.clinic.timezone)).date()
    errors: dict[str, str] = {}
    if day > today:
        errors["day"] = "cannot be in the future"
    elif day < today - datetime.timedelta(days=14):
        errors["day"] = "only the last two weeks can be filled in"
    for name in ("pain", "numbness", "tingling", "sleep"):
        value = ratings.get(name)
        if name == "sleep" and value is None:
            continue  # no longer asked (sleep quality is): kept when an older caller sends it
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            errors[name] = "choose a number from 0 to 10"
    extra = _clean_diary_measures(client, measures or {}, errors)
    if errors:
        raise FieldErrors(errors)
    entry = DiaryEntry.objects.select_for_update().filter(client=client, day=day).first() or DiaryEntry(
        client=client, day=day
    )
    created = entry.pk is None
    for name in ("pain", "numbness", "tingling", "sleep"):
        if ratings.get(name) is not None:
            setattr(entry, name, ratings[name])  # an older entry's "sleep disturbed" stays when not sent
    for name, value in extra.items():
        setattr(entry, name, value)
    entry.note = note.strip()[:200]
    entry.full_clean()
    entry.save()
    audit_record(
        actor=user,
        action="create" if created else "update",
        obj=entry,
        summary=f"Diary {day.isoformat()}",
    )
    return entry


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


# --- The intake the client fills in ---------------------------------------------------------------------------

# Medical facts a client can tell about themselves; ticking one records it, leaving it unticked never clears
# what the clinic has recorded (the therapist reviews and corrects).
CLIENT_MEDICAL_FLAGS = (
    "foot_wound_or_ulcer",
    "foot_red_warm_swollen",
    "skin_infection",
    "dvt_history",
    "dvt_signs_now",
    "on_anticoagulants",
    "bleeding_disorder",
    "in_chemotherapy",
    "lymph_nodes_removed",
    "lymphedema",
    "radiation",
    "recent_surgery",
    "fever_or_infection",
    "pregnant",
    "weakness_worsening_fast",
    "breathing_or_swallowing_trouble",
    "new_bladder_bowel_problems",
    "sudden_facial_droop",
)
CLIENT_MEDICAL_VALUES = (
    "lymphedema_site",
    "foot_wound_site",
    "foot_red_warm_swollen_side",  # the suspected Charcot flag names the foot (issue 19 point 6)
    "platelets_per_ul",
    "labs_date",
)


@transaction.atomic
def client_intake_submit(
    *,
    user: User,
    condition: dict[str, Any],
    medical: dict[str, Any],
    marks: list[dict[str, Any]],
    medications: list[str],
    comorbidities: list[str],
    goals: str = "",
) -> ClientIntake:
    """The client's own intake: their condition (when they know its type), symptoms, body map, medications,
    other conditions, goals and the medical facts the safety check needs.

    Written through clients.services (condition_add, medical_context_update, body_map_record) with the client
    as the actor, so the same validation and safety check run as for the staff intake; all of it is stored or
    none of it. A condition whose type the client does not know (type "") is kept in the report for the
    therapist to record; the rest is written. Errors are keyed "condition.<field>", "medical.<field>", "marks[<i>].<field>", "goals"."""
    client = selectors.client_for_portal_user(user)
    errors: dict[str, str] = {}
    new_condition = None
    if condition.get("type"):
        try:
            new_condition = condition_add(actor=user, client=client, data=condition)
        except FieldErrors as exc:
            errors.update({f"condition.{k}": v for k, v in exc.errors.items()})
    existing = MedicalContext.objects.filter(client=client).first()
    update: dict[str, Any] = {k: True for k in CLIENT_MEDICAL_FLAGS if medical.get(k) is True}
    update.update({k: medical[k] for k in CLIENT_MEDICAL_VALUES if medical.get(k) not in (None, "")})
    known_meds = {m["name"].strip().lower() for m in (existing.medications if existing else [])}
    new_meds = [{"name": n.strip()} for n in medications if n.strip() and n.strip().lower() not in known_meds]
    if new_meds:
        update["medications"] = [*(existing.medications if existing else []), *new_meds]
    known_comorbid = {c.strip().lower() for c in (existing.comorbidities if existing else [])}
    new_comorbid = [c.strip() for c in comorbidities if c.strip() and c.strip().lower() not in known_comorbid]
    if new_comorbid:
        update["comorbidities"] = [*(existing.comorbidities if existing else []), *new_comorbid]
    if update:
        try:
            medical_context_update(actor=user, client=client, data=update)
        except FieldErrors as exc:
            errors.update({f"medical.{k}": v for k, v in exc.errors.items()})
    body_map = None
    if marks:
        try:
            body_map = body_map_record(actor=user, client=client, marks=marks, context="client_intake")
        except FieldErrors as exc:
            errors.update(exc.errors)
    goals = goals.strip()
    if len(goals) > 2000:
        errors["goals"] = "keep it under 2000 characters"
    if errors:
        raise FieldErrors(errors)
    if goals and not client.goals.strip():
        # The client's goals "in their words": filled in when the clinic has none yet, else kept for review.
        Client.objects.filter(pk=client.pk).update(goals=goals)
    intake = ClientIntake.objects.create(
        client=client,
        submitted_by=user,
        condition=new_condition,
        body_map=body_map,
        reported={
            "condition": {
                k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in condition.items()
            },
            "medical": {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in update.items()},
            "medications": [m["name"] for m in new_meds],
            "comorbidities": new_comorbid,
            "goals": goals,
            "marks": len(marks),
        },
    )
    audit_record(actor=user, action="create", obj=intake, summary="Intake filled in by the client")
    safety_check_run(actor=user, client=client)
    if selectors.must_call_clinic(client):
        _alert_therapists(user=user, client=client)
    return intake


def _alert_therapists(*, user: User, client: Client) -> None:
    """The safety check raised a stop after the client's own intake: their therapist (the primary one, and
    whoever they are booked with) is e-mailed a link to the record, with no clinical detail in the e-mail;
    the client is told in the portal to call the clinic (selectors.must_call_clinic)."""
    emails = {t.user.email for t in selectors.therapists_to_alert(client) if t.user.email}
    if not emails:
        return
    context = {
        "clinic": client.clinic,
        "link": site_url() + reverse("clients:client", kwargs={"client_id": client.pk}),
    }
    subject = render_to_string("portal/email/stop_alert_subject.txt", context).strip()
    body = render_to_string("portal/email/stop_alert_body.txt", context)

    def send() -> None:
        try:
            send_mail(subject, body, None, sorted(emails))
        except Exception:  # noqa: BLE001 - a mail server's failure must not undo the client's intake
            log.exception("therapist alert not sent")

    transaction.on_commit(send)
    audit_record(
        actor=user,
        action="update",
        obj=client,
        summary=f"Therapist alerted by e-mail: a safety stop after the client's intake ({len(emails)} recipient(s))",
    )


@transaction.atomic
def client_intake_review(*, actor: User, intake: ClientIntake) -> ClientIntake:
    """A therapist has read what the client reported (and corrected the record where needed)."""
    require_clinical(actor)
    intake = ClientIntake.objects.select_for_update().get(pk=intake.pk)
    if intake.client.clinic_id != actor.clinic_id:
        raise Http404("No such intake.")
    if intake.reviewed_at is not None:
        raise FieldErrors({"intake": "already reviewed"})
    intake.reviewed_at = timezone.now()
    intake.reviewed_by = actor
    intake.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
    # A client who registered online stops being provisional once a therapist has reviewed their intake.
    Client.all_objects.filter(pk=intake.client_id, provisional=True).update(provisional=False)
    audit_record(actor=actor, action="update", obj=intake, summary="Client-reported intake reviewed")
    return intake


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
