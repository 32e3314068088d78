"""The intake the client fills in before the first session: the conditions, medical facts and body map they
tell, the safety check run on them, the therapists alerted, and the therapist's review."""

import datetime
import logging
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from nervecare.clients.models import Client, MedicalContext
from nervecare.clients.services import body_map_record, condition_add, medical_context_update
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.request_context import site_url
from nervecare.core.services import audit_record
from nervecare.portal import selectors
from nervecare.portal.models import ClientIntake
from nervecare.screening.services import safety_check_run

log = logging.getLogger(__name__)


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
