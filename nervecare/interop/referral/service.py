"""Import a referral: a FHIR Bundle with a Patient and Conditions (optionally Observations) creates or
updates a client through the clinical record's own services, in one transaction.

The report lists what was taken and what was skipped and why, as OperationOutcome issues. A bundle that
cannot be read (400) or whose patient cannot be recorded (422) stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from nervecare.clients.models import CLIENT_FIELDS, Client, Condition
from nervecare.clients.services import client_update, condition_add, intake_create
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.interop import codes
from nervecare.interop.models import PatientIdentifier
from nervecare.interop.referral.bundle import (
    INACTIVE_VERIFICATION,
    BundleError,
    Issue,
    as_list,
    as_object,
    bundle_entries,
    condition_data,
    diagnosis_of,
    first_code,
    parse_datetime,
    patient_fields,
    patient_identifiers,
    rating_symptom,
    rating_value,
    subject_ok,
)
from nervecare.interop.referral.match import client_match
from nervecare.interop.services import CONTACT_FIELDS, contact_change_propose
from nervecare.screening.instruments import get_definition
from nervecare.screening.services import response_create


@dataclass
class ImportReport:
    client: Client
    created: bool
    issues: list[Issue] = field(default_factory=list)


def _field_issues(exc: FieldErrors) -> list[Issue]:
    return [("error", "invariant", f"{key}: {message}", key) for key, message in exc.errors.items()]


@transaction.atomic
def referral_import(*, actor: User, bundle: Any) -> ImportReport:
    """Create or update a client from a referral bundle, all or nothing, with a report of each entry."""
    require_clinical(actor)
    entries = bundle_entries(bundle)
    p_index, p_url, patient = _the_patient(entries)
    p_where = f"Bundle.entry[{p_index}].resource"
    issues: list[Issue] = []
    fields = patient_fields(patient, p_where, issues)
    identifiers = patient_identifiers(patient)
    patient_refs = _patient_refs(p_url, patient)
    used_as_evidence: set[int] = set()
    conditions = _conditions(entries, patient_refs, issues, used_as_evidence)

    client = client_match(actor, fields, identifiers, p_where)
    created = client is None
    try:
        if client is None:
            client = _client_create(actor, fields, conditions, issues, p_where)
        else:
            client = _client_update(actor, client, fields, conditions, issues, p_where)
    except FieldErrors as exc:
        raise BundleError(422, _field_issues(exc)) from None

    _identifiers_store(actor, client, identifiers)
    for i, _url, r in entries:
        if r["resourceType"] == "Observation" and id(r) not in used_as_evidence:
            issues.append(_import_observation(actor, client, r, f"Bundle.entry[{i}].resource", patient_refs))

    audit_record(
        actor=actor,
        action="create" if created else "update",
        obj=client,
        summary="FHIR referral imported",
        changes={"issues": [f"{s}: {d}" for s, _c, d, _w in issues][:50]},
    )
    return ImportReport(client=client, created=created, issues=issues)


Entry = tuple[int, str | None, dict[str, Any]]


def _the_patient(entries: list[Entry]) -> Entry:
    """The bundle's one Patient; 422 for none or several."""
    patients = [(i, url, r) for i, url, r in entries if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise BundleError(
            422,
            [
                (
                    "error",
                    "required",
                    f"A referral has exactly one Patient; this one has {len(patients)}.",
                    "Bundle.entry",
                )
            ],
        )
    return patients[0]


def _patient_refs(p_url: str | None, patient: dict[str, Any]) -> set[str]:
    """The references by which the bundle's other resources may name its patient."""
    patient_refs = {
        ref for ref in (p_url, f"Patient/{patient.get('id')}" if patient.get("id") else None) if ref
    }
    if p_url and "/Patient/" in p_url:
        patient_refs.add("Patient/" + p_url.rsplit("/Patient/", 1)[1])
    return patient_refs


def _conditions(
    entries: list[Entry], patient_refs: set[str], issues: list[Issue], used_as_evidence: set[int]
) -> list[dict[str, Any]]:
    """The conditions to record, each with its intake ratings; notes the entries skipped in `issues` and the
    Observations taken as a condition's evidence in `used_as_evidence`."""
    # Observations named as a condition's evidence are its intake ratings; the others stand alone.
    by_ref = {}
    for _i, url, r in entries:
        if r["resourceType"] == "Observation" and r.get("id"):
            by_ref[f"Observation/{r['id']}"] = r
            if url:
                by_ref[url] = r
    conditions: list[dict[str, Any]] = []
    for i, _url, r in entries:
        where = f"Bundle.entry[{i}].resource"
        kind = r["resourceType"]
        if kind == "Patient" or kind == "Observation":
            continue
        if kind != "Condition":
            issues.append(
                ("information", "informational", f"{kind} is not imported (not part of a referral).", where)
            )
            continue
        if not subject_ok(r, patient_refs):
            raise BundleError(
                422, [("error", "invalid", "The Condition is about another patient.", f"{where}.subject")]
            )
        status = first_code(r.get("verificationStatus"))
        if status in INACTIVE_VERIFICATION:
            issues.append(
                ("information", "informational", f"Condition skipped: verification status {status}.", where)
            )
            continue
        diagnosis, shown = diagnosis_of(r)
        if diagnosis is None:
            issues.append(
                (
                    "warning",
                    "code-invalid",
                    "Condition skipped: no neuropathy code NerveCare knows "
                    f"({', '.join(shown) or 'no coding'}; see GET /api/v1/vocabularies).",
                    f"{where}.code",
                )
            )
            continue
        ratings = _evidence_ratings(r, by_ref, used_as_evidence)
        conditions.append(
            condition_data(r, diagnosis, ratings, where, issues) | {"_where": where, "_diagnosis": diagnosis}
        )
    return conditions


def _evidence_ratings(
    condition: dict[str, Any], by_ref: dict[str, dict[str, Any]], used_as_evidence: set[int]
) -> dict[str, int]:
    """The 0-10 symptom ratings among the Observations a Condition names as its evidence."""
    ratings: dict[str, int] = {}
    for evidence in as_list(condition.get("evidence")):
        for detail in as_list(as_object(evidence).get("detail")):
            obs = by_ref.get(as_object(detail).get("reference"))
            if obs is None:
                continue
            symptom = rating_symptom(obs)
            value = rating_value(obs)
            if symptom in Condition.SYMPTOMS and value is not None:
                ratings[symptom] = value
                used_as_evidence.add(id(obs))
    return ratings


def _client_create(
    actor: User,
    fields: dict[str, Any],
    conditions: list[dict[str, Any]],
    issues: list[Issue],
    p_where: str,
) -> Client:
    """A new client through the intake service; 422 without a condition NerveCare can code."""
    if not conditions:
        raise BundleError(
            422,
            [
                *issues,
                (
                    "error",
                    "required",
                    "A new client needs at least one neuropathy NerveCare can code.",
                    "Bundle",
                ),
            ],
        )
    client = intake_create(
        actor=actor,
        client=fields,
        conditions=[_fields(c) for c in conditions],
    )
    issues.insert(0, ("information", "informational", f"Created Patient/{client.pk} ({client}).", p_where))
    for c in conditions:
        issues.append(_taken(c))
    return client


def _client_update(
    actor: User,
    client: Client,
    fields: dict[str, Any],
    conditions: list[dict[str, Any]],
    issues: list[Issue],
    p_where: str,
) -> Client:
    """Changed details and new conditions of a known client; contact details only as a proposal."""
    changes = {k: v for k, v in fields.items() if k in CLIENT_FIELDS and getattr(client, k) != v}
    # How the client is reached is never overwritten by an import: staff review the difference.
    contact = {k: changes.pop(k) for k in CONTACT_FIELDS if k in changes}
    if changes:
        client = client_update(actor=actor, client=client, data=changes)
    proposal = contact_change_propose(actor=actor, client=client, proposed=contact) if contact else None
    issues.insert(
        0,
        (
            "information",
            "informational",
            f"Updated Patient/{client.pk} ({client})"
            + (f": {', '.join(sorted(changes))} changed." if changes else ": details unchanged."),
            p_where,
        ),
    )
    if proposal is not None:
        issues.insert(
            1,
            (
                "information",
                "informational",
                f"Contact details differ ({', '.join(sorted(contact))}): not changed, proposed for "
                f"review as contact change proposal {proposal.pk} (GET /api/v1/contact-proposals).",
                f"{p_where}.telecom",
            ),
        )
    existing = {(c.type, c.cause, c.diagnosis_code) for c in client.conditions.all()}
    for c in conditions:
        if (c["type"], c["cause"], c["diagnosis_code"]) in existing:
            issues.append(("information", "duplicate", "Condition already recorded: skipped.", c["_where"]))
            continue
        condition_add(
            actor=actor,
            client=client,
            data=_fields(c),
        )
        issues.append(_taken(c))
    return client


def _identifiers_store(actor: User, client: Client, identifiers: list[tuple[str, str, str | None]]) -> None:
    # One INSERT that skips identifiers already held (by this client, or by one the actor may not see): the
    # same statement either way, so neither the answer nor its timing says whether another client has it.
    PatientIdentifier.objects.bulk_create(
        [
            PatientIdentifier(
                clinic_id=actor.clinic_id, client=client, system=system[:255], value=value[:255]
            )
            for system, value, _assigner in identifiers
            if system != codes.SID_CLIENT
        ],
        ignore_conflicts=True,
    )


def _fields(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if not k.startswith("_")}


def _taken(c: dict[str, Any]) -> Issue:
    entry = codes.diagnoses()[c["_diagnosis"]]
    return (
        "information",
        "informational",
        f"Condition taken: {entry['label']} (ICD-10-CM {entry['icd10cm']}, SNOMED CT {entry['snomed']}), "
        f"{c['type']} / {c['cause']}.",
        c["_where"],
    )


def _import_observation(
    actor: User,
    client: Client,
    r: dict[str, Any],
    where: str,
    patient_refs: set[str],
) -> Issue:
    """A stand-alone 0-10 rating with an instrument (pain, numbness, tingling) becomes a screening."""
    if not subject_ok(r, patient_refs):
        raise BundleError(
            422, [("error", "invalid", "The Observation is about another patient.", f"{where}.subject")]
        )
    if r.get("status") in ("entered-in-error", "cancelled"):
        return ("information", "informational", f"Observation skipped: status {r.get('status')}.", where)
    symptom = rating_symptom(r)
    instrument = codes.ratings()[symptom].get("instrument") if symptom else None
    if instrument is None:
        return (
            "warning",
            "not-supported",
            "Observation skipped: only 0-10 pain, numbness and tingling ratings are imported "
            "(a total score without its answers cannot be re-scored).",
            f"{where}.code",
        )
    value = rating_value(r)
    if value is None:
        return (
            "warning",
            "value",
            "Observation skipped: the value is not a whole number from 0 to 10.",
            f"{where}.value[x]",
        )
    definition = get_definition(instrument)
    when = parse_datetime(r.get("effectiveDateTime")) or parse_datetime(r.get("issued"))
    try:
        with transaction.atomic():
            response = response_create(
                actor=actor,
                client=client,
                instrument=instrument,
                answers={definition.items[0].id: value},
                administered_at=when,
                context="intake",
            )
    except FieldErrors as exc:
        return ("warning", "invalid", f"Observation skipped: {exc}.", where)
    return (
        "information",
        "informational",
        f"Observation taken: {definition.short_title} {value} (screening {response.pk}).",
        where,
    )
