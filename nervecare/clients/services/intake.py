"""A new client: the whole intake at once (clinical staff), or contact details only (the front desk)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.clients.hooks import FreshRecord, client_registered, record_changed
from nervecare.clients.models import (
    CLIENT_FIELDS,
    CONDITION_FIELDS,
    Client,
    Condition,
    Consent,
    ConsentText,
    MedicalContext,
)
from nervecare.clients.services.record import _save_body_map
from nervecare.clients.services.validation import (
    MEDICAL_FIELDS,
    _check_birth_date,
    _check_consent_time,
    _marks_from,
    _unknown_fields,
    _validate_condition,
    _validate_medical,
)
from nervecare.core import audit
from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import (
    clinic_id_of,
    require_clinical,
    require_scheduling,
)
from nervecare.core.services import audit_record


@transaction.atomic
def intake_create(
    *,
    actor: User,
    client: dict[str, Any],
    conditions: list[dict[str, Any]],
    medical: dict[str, Any] | None = None,
    body_map: list[dict[str, Any]] | None = None,
    consent: dict[str, Any] | None = None,
    primary_therapist_id: int | None = None,
) -> Client:
    """Create a client with the whole intake at once: all of it is stored, or none of it."""
    require_clinical(actor)
    clinic_id = clinic_id_of(actor)
    errors: dict[str, str] = {}
    _unknown_fields(client, CLIENT_FIELDS, "client.", errors)
    new_client = Client(
        clinic_id=clinic_id, created_by=actor, **{k: v for k, v in client.items() if k in CLIENT_FIELDS}
    )
    full_clean_or_collect(new_client, errors, "client", exclude=["clinic", "primary_therapist", "created_by"])
    _check_birth_date(new_client.date_of_birth, errors, "client.date_of_birth")
    if primary_therapist_id is not None:
        therapist = Therapist.objects.filter(pk=primary_therapist_id, clinic_id=clinic_id).first()
        if therapist is None:
            errors["primary_therapist_id"] = "choose a therapist of this clinic"
        new_client.primary_therapist = therapist
    elif actor.role == User.Role.THERAPIST:
        # A therapist's new client is their own: without this they could not open the record they just made.
        new_client.primary_therapist = Therapist.objects.filter(user=actor, clinic_id=clinic_id).first()
    if not conditions:
        errors["conditions"] = "record at least one neuropathy (type and cause)"
    new_conditions = []
    for i, data in enumerate(conditions):
        prefix = f"conditions[{i}]."
        _unknown_fields(data, CONDITION_FIELDS, prefix, errors)
        condition = Condition(**{k: v for k, v in data.items() if k in CONDITION_FIELDS})
        _validate_condition(condition, errors, prefix)
        new_conditions.append(condition)
    medical = medical or {}
    _unknown_fields(medical, MEDICAL_FIELDS, "medical.", errors)
    new_medical = MedicalContext(**{k: v for k, v in medical.items() if k in MEDICAL_FIELDS})
    _validate_medical(new_medical, errors, "medical.")
    marks = _marks_from(body_map or [], errors, "body_map", rename="marks")
    consent_text = None
    if consent:
        consent_text = ConsentText.objects.filter(clinic_id=clinic_id, version=consent.get("version")).first()
        if consent_text is None:
            errors["consent.version"] = f"no consent text version {consent.get('version')!r} in this clinic"
        if consent.get("method") not in Consent.Method.values:
            errors["consent.method"] = f"must be one of {', '.join(Consent.Method.values)}"
        _check_consent_time(consent.get("given_at"), errors, "consent.given_at")
    if errors:
        raise FieldErrors(errors)

    new_client.save()
    for condition in new_conditions:
        condition.client = new_client
        # The client is new: no outcome summary row can exist to mark stale (outcomes/summary.py), so the
        # UPDATE that would find none is spared; the refresh is still queued.
        condition._outcome_summary_state = None  # type: ignore[attr-defined]
        condition.save()
    new_medical.client = new_client
    new_medical.save()
    now = timezone.now()
    new_map = None
    if marks:
        new_map = _save_body_map(
            client=new_client, marks=marks, actor=actor, recorded_at=now, context="intake"
        )
    new_consents = []
    if consent and consent_text is not None:
        new_consents.append(
            Consent.objects.create(
                client=new_client,
                text=consent_text,
                given_at=consent.get("given_at") or now,
                method=consent["method"],
                recorded_by=actor,
            )
        )
    # The record is new and all of it is in hand: the safety check and the record read it from here (issue 20).
    fresh = FreshRecord(
        conditions=new_conditions, medical=new_medical, body_map=new_map, consents=new_consents
    )
    # The intake's event and the safety check's go in together: one INSERT (issue 20).
    with audit.held_together():
        audit_record(actor=actor, action="create", obj=new_client, summary="Intake recorded")
        record_changed(actor=actor, client=new_client, fresh=fresh)
    new_client.__dict__["_fresh_record"] = fresh  # for the caller's response: selectors.take_fresh_record
    return new_client


# What the front desk records about a new client: who they are and how to reach them, nothing clinical.


CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
)


@transaction.atomic
def client_register(*, actor: User, data: dict[str, Any]) -> tuple[Client, list[str]]:
    """The front desk registers a new client with contact details only (no intake: the client fills it in
    through the portal before the first visit, so the client is provisional until a therapist has reviewed it
    or taken the medical facts in person). Returns the client and what the registered hooks did (the
    portal's invitation), as sentences for the desk. A therapist's new client is their own."""
    require_scheduling(actor)
    clinic_id = clinic_id_of(actor)
    errors: dict[str, str] = {}
    _unknown_fields(data, CONTACT_FIELDS, "", errors)
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in CONTACT_FIELDS}
    for key in ("first_name", "last_name"):
        if not cleaned.get(key):
            errors[key] = "required"
    if not cleaned.get("date_of_birth"):
        errors["date_of_birth"] = "required"
    if not cleaned.get("email") and not cleaned.get("phone"):
        errors["email"] = "give an email address or a phone number, so the clinic can reach the client"
    # Provisional until the intake is taken: the first session waits for it (booking's check-in guard).
    new_client = Client(clinic_id=clinic_id, created_by=actor, provisional=True, **cleaned)
    full_clean_or_collect(new_client, errors, exclude=["clinic", "primary_therapist", "created_by"])
    _check_birth_date(new_client.date_of_birth, errors, "date_of_birth")
    if errors:
        raise FieldErrors(errors)
    if actor.role == User.Role.THERAPIST:
        new_client.primary_therapist = Therapist.objects.filter(user=actor, clinic_id=clinic_id).first()
    new_client.save()
    audit_record(actor=actor, action="create", obj=new_client, summary="Registered with contact details")
    return new_client, client_registered(actor=actor, client=new_client)
