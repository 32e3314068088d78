"""Changes to the clinical record after intake: details, conditions, medical context, body map, consent.
Each is one transaction, leaves an audit event and (for clinical facts) re-runs the safety check."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.clients import bodymap
from nervecare.clients.hooks import record_changed
from nervecare.clients.models import (
    CLIENT_FIELDS,
    CONDITION_FIELDS,
    BodyMap,
    BodyMapMark,
    Client,
    Condition,
    Consent,
    ConsentText,
    MedicalContext,
)
from nervecare.clients.selectors import portal_user_id_of
from nervecare.clients.services.validation import (
    MEDICAL_FIELDS,
    _check_birth_date,
    _check_consent_time,
    _marks_from,
    _unknown_fields,
    _validate_condition,
    _validate_medical,
)
from nervecare.core.audit import audited_bulk_create
from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import User
from nervecare.core.permissions import (
    require_clinical,
    require_clinical_or_own_record,
)
from nervecare.core.services import audit_record, model_changes


def _save_body_map(
    *, client: Client, marks: list[bodymap.Mark], actor: User, recorded_at: datetime, context: str
) -> BodyMap:
    pattern = bodymap.recognise_pattern(marks)
    body_map = BodyMap.objects.create(
        client=client,
        recorded_at=recorded_at,
        recorded_by=actor,
        context=context,
        pattern=pattern["pattern"],
        pattern_detail=pattern,
    )
    audited_bulk_create(
        BodyMapMark,
        [
            BodyMapMark(
                body_map=body_map, region=m.region, side=m.side, sensation=m.sensation, intensity=m.intensity
            )
            for m in marks
        ],
        actor=actor,
        summary=f"Body map {body_map.pk} marks",
        clinic_id=client.clinic_id,
        client_id=client.pk,
    )
    return body_map


def _apply_update(
    obj: Any, data: dict[str, Any], allowed: tuple[str, ...], prefix: str
) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    _unknown_fields(data, allowed, prefix, errors)
    before = {k: getattr(obj, k) for k in data if k in allowed}
    for key, value in data.items():
        if key in allowed:
            setattr(obj, key, value)
    return before, errors


@transaction.atomic
def client_update(*, actor: User, client: Client, data: dict[str, Any]) -> Client:
    """Change the client's details; history keeps who changed what and when."""
    require_clinical(actor)
    client = Client.objects.select_for_update().get(pk=client.pk)
    before, errors = _apply_update(client, data, CLIENT_FIELDS, "")
    full_clean_or_collect(client, errors, exclude=["clinic", "primary_therapist", "created_by"])
    _check_birth_date(client.date_of_birth, errors, "date_of_birth")
    if errors:
        raise FieldErrors(errors)
    client.save()
    after = {k: getattr(client, k) for k in before}
    audit_record(actor=actor, action="update", obj=client, changes=model_changes(before, after))
    return client


@transaction.atomic
def condition_add(*, actor: User, client: Client, data: dict[str, Any]) -> Condition:
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    errors: dict[str, str] = {}
    _unknown_fields(data, CONDITION_FIELDS, "", errors)
    condition = Condition(client=client, **{k: v for k, v in data.items() if k in CONDITION_FIELDS})
    _validate_condition(condition, errors, "")
    if errors:
        raise FieldErrors(errors)
    condition.save()
    audit_record(actor=actor, action="create", obj=condition, summary=str(condition))
    record_changed(actor=actor, client=client)
    return condition


@transaction.atomic
def condition_update(*, actor: User, condition: Condition, data: dict[str, Any]) -> Condition:
    require_clinical(actor)
    condition = Condition.objects.select_for_update().get(pk=condition.pk)
    before, errors = _apply_update(condition, data, CONDITION_FIELDS, "")
    _validate_condition(condition, errors, "")
    if errors:
        raise FieldErrors(errors)
    condition.save()
    after = {k: getattr(condition, k) for k in before}
    audit_record(actor=actor, action="update", obj=condition, changes=model_changes(before, after))
    record_changed(actor=actor, client=condition.client)
    return condition


@transaction.atomic
def medical_context_update(*, actor: User, client: Client, data: dict[str, Any]) -> MedicalContext:
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    medical, _ = MedicalContext.objects.select_for_update().get_or_create(client=client)
    # Every field, not only those sent: keeping the boxes consistent with the lists may change others.
    before = {k: getattr(medical, k) for k in MEDICAL_FIELDS}
    _sent, errors = _apply_update(medical, data, MEDICAL_FIELDS, "")
    _validate_medical(medical, errors, "")
    if errors:
        raise FieldErrors(errors)
    medical.save()
    after = {k: getattr(medical, k) for k in before}
    audit_record(actor=actor, action="update", obj=medical, changes=model_changes(before, after))
    if actor.is_clinical and client.provisional:
        # A therapist took the medical facts themselves: the intake is the clinician's, reviewed as written.
        Client.all_objects.filter(pk=client.pk).update(provisional=False)
        client.provisional = False
        audit_record(actor=actor, action="update", obj=client, summary="Intake taken by a clinician")
    record_changed(actor=actor, client=client)
    return medical


@transaction.atomic
def body_map_record(
    *,
    actor: User,
    client: Client,
    marks: list[dict[str, Any]],
    context: str = "visit",
    recorded_at: datetime | None = None,
) -> BodyMap:
    """Record the body map again (at any visit); the pattern is recognised and stored with it."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(client))
    errors: dict[str, str] = {}
    clean = _marks_from(marks, errors, "marks")
    if errors:
        raise FieldErrors(errors)
    body_map = _save_body_map(
        client=client, marks=clean, actor=actor, recorded_at=recorded_at or timezone.now(), context=context
    )
    audit_record(actor=actor, action="create", obj=body_map, summary=f"Body map: {body_map.pattern}")
    return body_map


@transaction.atomic
def consent_record(
    *,
    actor: User,
    client: Client,
    version: str,
    method: str,
    given_at: datetime | None = None,
) -> Consent:
    require_clinical(actor)
    errors: dict[str, str] = {}
    text = ConsentText.objects.filter(clinic_id=client.clinic_id, version=version).first()
    if text is None:
        errors["version"] = f"no consent text version {version!r} in this clinic"
    if method not in Consent.Method.values:
        errors["method"] = f"must be one of {', '.join(Consent.Method.values)}"
    _check_consent_time(given_at, errors, "given_at")
    if errors or text is None:  # no text: errors says so
        raise FieldErrors(errors)
    consent = Consent.objects.create(
        client=client, text=text, given_at=given_at or timezone.now(), method=method, recorded_by=actor
    )
    audit_record(actor=actor, action="create", obj=consent, summary=f"Consent v{version} ({method})")
    return consent
