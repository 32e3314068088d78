"""Writes to the clinical record. Each is one transaction and leaves an audit event."""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from nervecare.clients import bodymap, lymph, medicines
from nervecare.clients.hooks import FreshRecord, client_registered, record_changed
from nervecare.clients.models import (
    CLIENT_FIELDS,
    CONDITION_FIELDS,
    BodyMap,
    BodyMapMark,
    Client,
    ClientAccessGrant,
    ClientShare,
    Condition,
    Consent,
    ConsentText,
    MedicalContext,
)
from nervecare.clients.selectors import portal_user_id_of
from nervecare.core.audit import audited_bulk_create
from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import (
    clinic_id_of,
    require_clinical,
    require_clinical_or_own_record,
    require_scheduling,
)
from nervecare.core.services import audit_record, model_changes
from nervecare.core.vocab import load_yaml

MEDICAL_FIELDS = tuple(
    f.name
    for f in MedicalContext._meta.concrete_fields
    if f.name not in {"id", "client", "created_at", "updated_at"}
)
DEVICE_CODES = {"port", "picc", "pacemaker", "insulin_pump", "other"}


def _diagnosis_codes() -> set[str]:
    return {d["code"] for d in load_yaml("clients/data/conditions.yaml")["diagnoses"]}


EARLIEST_BIRTH = date(1900, 1, 1)


def _check_birth_date(value: Any, errors: dict[str, str], key: str) -> None:
    if isinstance(value, date):
        if value > timezone.localdate():
            errors[key] = "cannot be in the future"
        elif value < EARLIEST_BIRTH:
            errors[key] = "must be 1900-01-01 or later"


def _check_consent_time(given_at: Any, errors: dict[str, str], key: str) -> None:
    if isinstance(given_at, datetime) and given_at > timezone.now() + timedelta(minutes=5):
        errors[key] = "cannot be in the future"


def _unknown_fields(
    data: dict[str, Any], allowed: tuple[str, ...], prefix: str, errors: dict[str, str]
) -> None:
    for key in data:
        if key not in allowed:
            errors[f"{prefix}{key}"] = "unknown field"


def _validate_condition(condition: Condition, errors: dict[str, str], prefix: str) -> None:
    # The 0-10 check constraints are the fields' own validators too (RATING): validate them here, in Python,
    # and let the database enforce the constraints, rather than one query and savepoint per rating (issue 20).
    full_clean_or_collect(
        condition, errors, prefix.rstrip("."), exclude=["client"], validate_constraints=False
    )
    if condition.diagnosis_code and condition.diagnosis_code not in _diagnosis_codes():
        errors[f"{prefix}diagnosis_code"] = (
            f"unknown diagnosis code {condition.diagnosis_code!r}; use one of {', '.join(sorted(_diagnosis_codes()))} "
            "(GET /api/v1/vocabularies lists them with their ICD-10-CM and SNOMED CT codes)"
        )
    if condition.cause == Condition.Cause.CHEMOTHERAPY and not condition.chemotherapy_agent:
        errors[f"{prefix}chemotherapy_agent"] = "name the chemotherapy agent (e.g. oxaliplatin)"
    start, end = condition.chemotherapy_start, condition.chemotherapy_end
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors[f"{prefix}chemotherapy_end"] = "chemotherapy cannot end before it starts"
    today = timezone.localdate()
    for name in ("onset_date", "diagnosis_date", "chemotherapy_start"):
        value = getattr(condition, name)
        if isinstance(value, date) and value > today:
            errors[f"{prefix}{name}"] = "cannot be in the future"


def _keep_consistent(medical: MedicalContext) -> None:
    """The boxes follow what the record lists (issue 19 points 1 and 2): a medicine the vocabulary knows as an
    anticoagulant, antiplatelet, insulin, sulfonylurea or steroid ticks its box (clients/data/medicines.yaml);
    recorded lymph-node sites tick "lymph nodes removed". A box stays ticked without a listed medicine (the
    list may be incomplete); unticking it while the list still names one is undone, and the flag says why."""
    if isinstance(medical.medications, list):
        for fact in medicines.implied_facts(medical.medications):
            setattr(medical, fact, True)
    if isinstance(medical.lymph_node_sites, list) and medical.lymph_node_sites:
        medical.lymph_nodes_removed = True


def _validate_medical(medical: MedicalContext, errors: dict[str, str], prefix: str) -> None:
    _keep_consistent(medical)
    full_clean_or_collect(medical, errors, prefix.rstrip("."), exclude=["client"])
    if lymph.invalid(medical.lymph_node_sites):
        errors[f"{prefix}lymph_node_sites"] = (
            f"lymph-node sites must be a list of: {', '.join(lymph.codes())} (site and side)"
        )
    if not isinstance(medical.devices, list) or not set(medical.devices) <= DEVICE_CODES:
        errors[f"{prefix}devices"] = f"devices must be a list of: {', '.join(sorted(DEVICE_CODES))}"
    if not isinstance(medical.medications, list) or not all(
        isinstance(m, dict) and isinstance(m.get("name"), str) and m["name"].strip()
        for m in medical.medications
    ):
        errors[f"{prefix}medications"] = 'medications must be a list of {"name": ..., "class": ...}'
    if not isinstance(medical.comorbidities, list) or not all(
        isinstance(c, str) for c in medical.comorbidities
    ):
        errors[f"{prefix}comorbidities"] = "comorbidities must be a list of names"
    if isinstance(medical.dvt_date, date) and medical.dvt_date > timezone.localdate():
        errors[f"{prefix}dvt_date"] = "cannot be in the future"


def _marks_from(
    raw_marks: list[dict[str, Any]], errors: dict[str, str], prefix: str, rename: str = "marks"
) -> list[bodymap.Mark]:
    """Validated marks; errors are keyed like the request names the list (e.g. body_map[0].region)."""
    marks, mark_errors = bodymap.validate_marks(raw_marks)
    errors.update({prefix + k.removeprefix(rename): v for k, v in mark_errors.items()})
    return marks


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
    audit_record(actor=actor, action="create", obj=new_client, summary="Intake recorded")
    # The record is new and all of it is in hand: the safety check and the record read it from here (issue 20).
    fresh = FreshRecord(
        conditions=new_conditions, medical=new_medical, body_map=new_map, consents=new_consents
    )
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


def _require_may_share(actor: User, client: Client) -> None:
    """Admins of the client's clinic, or the client's primary therapist, decide who else sees the record."""
    require_clinical(actor)
    if actor.clinic_id != client.clinic_id:
        raise PermissionDenied("Only the clinic's admins or the primary therapist may share this client.")
    if actor.role == User.Role.ADMIN:
        return
    if client.primary_therapist is None or client.primary_therapist.user_id != actor.pk:
        raise PermissionDenied("Only the clinic's admins or the primary therapist may share this client.")


@transaction.atomic
def client_share(
    *,
    actor: User,
    client: Client,
    therapist_id: Any,
    reason: str = "",
) -> ClientShare:
    """Share the client's clinical record with another therapist of the clinic (audited)."""
    _require_may_share(actor, client)
    errors: dict[str, str] = {}
    wanted = str(therapist_id) if therapist_id is not None else ""
    therapist = (
        Therapist.objects.filter(pk=int(wanted), clinic_id=client.clinic_id, active=True).first()
        if wanted.isdigit()
        else None
    )
    if therapist is None:
        errors["therapist_id"] = "choose an active therapist of this clinic"
    elif therapist.pk == client.primary_therapist_id:
        errors["therapist_id"] = "this therapist is the client's primary therapist already"
    elif ClientShare.objects.filter(client=client, therapist=therapist).exists():
        errors["therapist_id"] = "the client is shared with this therapist already"
    reason = (reason or "").strip()
    if len(reason) > 300:
        errors["reason"] = "at most 300 characters"
    if errors or therapist is None:  # no therapist: errors says so
        raise FieldErrors(errors)
    share = ClientShare.objects.create(client=client, therapist=therapist, shared_by=actor, reason=reason)
    audit_record(
        actor=actor,
        action="create",
        obj=share,
        summary=f"Shared client {client.pk} with {therapist.display_name}",
        changes={"client_id": client.pk, "therapist_id": therapist.pk, "reason": reason},
    )
    return share


@transaction.atomic
def client_unshare(*, actor: User, client: Client, therapist_id: int) -> None:
    """Stop sharing the client's record with a therapist (audited). 404 if it was not shared with them."""
    _require_may_share(actor, client)
    share = ClientShare.objects.filter(client=client, therapist_id=therapist_id).first()
    if share is None:
        raise Http404("The client is not shared with this therapist.")
    audit_record(
        actor=actor,
        action="delete",
        obj=share,
        summary=f"Stopped sharing client {client.pk} with {share.therapist.display_name}",
        changes={"client_id": client.pk, "therapist_id": share.therapist_id},
    )
    share.delete()


@transaction.atomic
def client_access_grant(
    *,
    actor: User | None,
    client: Client,
    user: User,
    reason: str,
    source_id: int,
) -> ClientAccessGrant:
    """Give a member of staff access to the client's clinical record because of a plan or a booking (audited).

    Called by the services that decide it (plans, scheduling), never by a view. Granting again for the same
    source returns the live grant unchanged."""
    live = ClientAccessGrant.objects.filter(
        client=client, user=user, reason=reason, source_id=source_id, revoked_at__isnull=True
    ).first()
    if live is not None:
        return live
    grant = ClientAccessGrant.objects.create(
        client=client,
        user=user,
        reason=reason,
        source_id=source_id,
        granted_by=actor if actor is not None and actor.is_authenticated else None,
        granted_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="create",
        obj=grant,
        summary=f"Access to client {client.pk} granted to {user.username} ({reason} {source_id})",
        changes={"client_id": client.pk, "user_id": user.pk, "reason": reason, "source_id": source_id},
    )
    return grant


@transaction.atomic
def client_access_revoke(
    *,
    actor: User | None,
    client: Client,
    user: User,
    reason: str,
    source_id: int | None = None,
) -> int:
    """End the user's live grants to the client for this reason (and source, if given), audited one by one.
    Returns how many ended; none live is not an error."""
    grants = list(
        ClientAccessGrant.objects.select_for_update().filter(
            client=client,
            user=user,
            reason=reason,
            revoked_at__isnull=True,
            **({"source_id": source_id} if source_id is not None else {}),
        )
    )
    now = timezone.now()
    by = actor if actor is not None and actor.is_authenticated else None
    for grant in grants:
        grant.revoked_at, grant.revoked_by = now, by
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="update",
            obj=grant,
            summary=f"Access to client {client.pk} revoked for {user.username} ({reason} {grant.source_id})",
            changes={"revoked_at": [None, now.isoformat()]},
        )
    return len(grants)
