"""Import a referral: a FHIR Bundle with a Patient and Conditions (optionally Observations) creates or
updates a client through the clinical record's own services, in one transaction.

The report lists what was taken and what was skipped and why, as OperationOutcome issues. A bundle that
cannot be read (400) or whose patient cannot be recorded (422) stores nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest

from nervecare.clients.models import CLIENT_FIELDS, Client, Condition
from nervecare.clients.selectors import clients_visible_to
from nervecare.clients.services import client_update, condition_add, intake_create
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.interop import codes, mapping
from nervecare.interop.models import PatientIdentifier
from nervecare.interop.services import CONTACT_FIELDS, contact_change_propose
from nervecare.screening.instruments import get_definition
from nervecare.screening.services import response_create

Issue = tuple[str, str, str, str]  # severity, code, diagnostics, expression
BUNDLE_TYPES = ("transaction", "collection")
INACTIVE_VERIFICATION = {"refuted", "entered-in-error"}


class BundleError(Exception):
    """A bundle that is refused as a whole (nothing stored): 400 unreadable, 422 not importable."""

    def __init__(self, status: int, issues: list[Issue]):
        self.status = status
        self.issues = issues
        super().__init__("; ".join(i[2] for i in issues))


@dataclass
class ImportReport:
    client: Client
    created: bool
    issues: list[Issue] = field(default_factory=list)


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else: an odd shape is read as absent, never a crash."""
    return value if isinstance(value, dict) else {}


def _arr(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _code(concept: Any) -> Any:
    """The first code of a CodeableConcept (e.g. a verificationStatus), or None."""
    first = next(iter(_arr(_obj(concept).get("coding"))), None)
    return _obj(first).get("code")


def _ext(resource: dict[str, Any], name: str) -> dict[str, Any] | None:
    url = f"{codes.EXT}/{name}" if "://" not in name else name
    return next(
        (e for e in _arr(resource.get("extension")) if isinstance(e, dict) and e.get("url") == url), None
    )


def _date(value: Any) -> dt.date | None:
    """The date of a FHIR date or dateTime ("2024-05-17", "2024-05-17T10:00:00Z"); None if not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(12))  # clinic local noon
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- reading the bundle ------------------------------------------------------------------------------------


def _entries(bundle: Any) -> list[tuple[int, str | None, dict[str, Any]]]:
    """(index, fullUrl, resource) of each entry; 400 if the bundle is not one we can read."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleError(400, [("error", "structure", "The body must be a FHIR Bundle resource.", "Bundle")])
    if bundle.get("type") not in BUNDLE_TYPES:
        raise BundleError(
            400,
            [
                (
                    "error",
                    "not-supported",
                    f"Bundle.type must be transaction or collection, not {bundle.get('type')!r}.",
                    "Bundle.type",
                )
            ],
        )
    raw = bundle.get("entry", [])
    if not isinstance(raw, list):
        raise BundleError(400, [("error", "structure", "Bundle.entry must be a list.", "Bundle.entry")])
    out = []
    for i, entry in enumerate(raw):
        where = f"Bundle.entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise BundleError(
                400, [("error", "structure", f"{where} has no resource with a resourceType.", where)]
            )
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        out.append((i, full_url, resource))
    return out


def _patient_fields(patient: dict[str, Any], where: str, issues: list[Issue]) -> dict[str, Any]:
    """The client's details from a Patient; 422 without a name or a birth date."""
    errors: list[Issue] = []
    names = [n for n in _arr(patient.get("name")) if isinstance(n, dict)]
    name = next((n for n in names if n.get("use") in ("official", "usual")), names[0] if names else None)
    given = [g for g in _arr(_obj(name).get("given")) if isinstance(g, str) and g.strip()]
    family = _obj(name).get("family")
    if not given or not isinstance(family, str) or not family.strip():
        errors.append(("error", "required", "The Patient needs a family and a given name.", f"{where}.name"))
    birth = _date(patient.get("birthDate"))
    if birth is None or len(str(patient.get("birthDate"))) != 10:
        errors.append(
            ("error", "required", "The Patient needs a birthDate (YYYY-MM-DD).", f"{where}.birthDate")
        )
    if errors:
        raise BundleError(422, errors)
    fields: dict[str, Any] = {
        "first_name": " ".join(g.strip() for g in given),
        "last_name": family.strip(),
        "date_of_birth": birth,
    }
    for telecom in _arr(patient.get("telecom")):
        if not isinstance(telecom, dict) or not isinstance(telecom.get("value"), str):
            continue
        if telecom.get("system") == "phone" and "phone" not in fields:
            fields["phone"] = telecom["value"].strip()
        elif telecom.get("system") == "email" and "email" not in fields:
            try:
                validate_email(telecom["value"].strip())
                fields["email"] = telecom["value"].strip()
            except ValidationError:
                issues.append(
                    (
                        "warning",
                        "value",
                        f"Email {telecom['value']!r} is not valid: not taken.",
                        f"{where}.telecom",
                    )
                )
    addresses = [a for a in _arr(patient.get("address")) if isinstance(a, dict)]
    if addresses:
        a = addresses[0]
        text = a.get("text") or ", ".join(
            p
            for p in [*_arr(a.get("line")), a.get("city"), a.get("postalCode"), a.get("country")]
            if isinstance(p, str) and p
        )
        if isinstance(text, str) and text:
            fields["address"] = text
    contacts = [c for c in _arr(patient.get("contact")) if isinstance(c, dict)]
    if contacts:
        contact = contacts[0]
        cname = _obj(contact.get("name"))
        parts = [*_arr(cname.get("given")), cname.get("family")]
        text = cname.get("text") or " ".join(p for p in parts if isinstance(p, str)).strip()
        if isinstance(text, str) and text:
            fields["emergency_contact_name"] = text
        phone = next(
            (_obj(t).get("value") for t in _arr(contact.get("telecom")) if _obj(t).get("system") == "phone"),
            None,
        )
        if isinstance(phone, str) and phone:
            fields["emergency_contact_phone"] = phone
    for name_, field_name in (
        ("referring-clinician", "referring_clinician"),
        ("referring-clinician-contact", "referring_clinician_contact"),
        ("client-goals", "goals"),
    ):
        ext = _ext(patient, name_)
        if ext and isinstance(ext.get("valueString"), str):
            fields[field_name] = ext["valueString"]
    return fields


def _identifiers(patient: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(system, value, assigner reference) of each identifier with a system and a value."""
    out = []
    for ident in _arr(patient.get("identifier")):
        if (
            isinstance(ident, dict)
            and isinstance(ident.get("system"), str)
            and isinstance(ident.get("value"), str)
        ):
            assigner = _obj(ident.get("assigner")).get("reference")
            out.append((ident["system"], ident["value"], assigner if isinstance(assigner, str) else None))
    return out


def _subject_ok(resource: dict[str, Any], patient_refs: set[str]) -> bool:
    reference = _obj(resource.get("subject")).get("reference")
    return not reference or reference in patient_refs


def _diagnosis(resource: dict[str, Any]) -> tuple[str | None, list[str]]:
    """NerveCare's diagnosis for a Condition's codings, and the codings as text (for the report)."""
    codings = [c for c in _arr(_obj(resource.get("code")).get("coding")) if isinstance(c, dict)]
    shown = [f"{c.get('system')}|{c.get('code')}" for c in codings]
    order = {codes.CS_DIAGNOSIS: 0, codes.SNOMED: 1, codes.ICD10CM: 2}
    for c in sorted(codings, key=lambda c: order.get(c.get("system"), 3)):
        found = codes.diagnosis_for_coding(c.get("system"), c.get("code"))
        if found:
            return found, shown
    return None, shown


def _condition_data(
    resource: dict[str, Any], diagnosis: str, ratings: dict[str, int], where: str, issues: list[Issue]
) -> dict[str, Any]:
    neuropathy_type, cause = codes.diagnosis_type_cause(diagnosis)
    type_ext, cause_ext = _ext(resource, "neuropathy-type"), _ext(resource, "neuropathy-cause")
    if type_ext and _obj(type_ext.get("valueCoding")).get("code") in Condition.Type.values:
        neuropathy_type = type_ext["valueCoding"]["code"]
    if cause_ext and _obj(cause_ext.get("valueCoding")).get("code") in Condition.Cause.values:
        cause = cause_ext["valueCoding"]["code"]
    label = codes.diagnoses()[diagnosis]["label"]
    text = _obj(resource.get("code")).get("text")
    # An unconfirmed condition is a neuropathy without a named diagnosis: its codes say what kind it is
    # (as NerveCare's own export codes one from its type and cause), not that a doctor diagnosed it.
    verification = _code(resource.get("verificationStatus"))
    named = verification not in ("unconfirmed", "provisional", "differential")
    data: dict[str, Any] = {
        "type": neuropathy_type,
        "cause": cause,
        "diagnosis_code": diagnosis if named else "",
        "diagnosis": text.strip()[:200] if isinstance(text, str) and text.strip() != label else "",
    }
    onset = _date(resource.get("onsetDateTime")) or _date(_obj(resource.get("onsetPeriod")).get("start"))
    if onset:
        data["onset_date"] = onset
    asserted = _ext(resource, mapping.ASSERTED_DATE)
    if asserted and _date(asserted.get("valueDateTime")):
        data["diagnosis_date"] = _date(asserted["valueDateTime"])
    phase = _ext(resource, "neuropathy-phase")
    if phase and phase.get("valueCode") in Condition.Phase.values:
        data["phase"] = phase["valueCode"]
    agent = _ext(resource, "chemotherapy-agent")
    if agent and isinstance(agent.get("valueString"), str):
        data["chemotherapy_agent"] = agent["valueString"][:100]
    period = _obj(_obj(_ext(resource, "chemotherapy-period")).get("valuePeriod"))
    if _date(period.get("start")):
        data["chemotherapy_start"] = _date(period["start"])
    if _date(period.get("end")):
        data["chemotherapy_end"] = _date(period["end"])
    if cause == Condition.Cause.CHEMOTHERAPY and not data.get("chemotherapy_agent"):
        data["chemotherapy_agent"] = "not named in the referral"
        issues.append(
            ("warning", "incomplete", "The chemotherapy agent is not named: ask the client.", f"{where}")
        )
    notes = [n.get("text") for n in resource.get("note") or [] if isinstance(n, dict) and n.get("text")]
    if notes:
        data["notes"] = "\n".join(notes)
    data.update(ratings)
    return data


def _rating_value(resource: dict[str, Any]) -> int | None:
    value = _obj(resource.get("valueQuantity")).get("value")
    if value is None:
        value = resource.get("valueInteger")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if 0 <= value <= 10 else None


def _rating_symptom(resource: dict[str, Any]) -> str | None:
    for c in _arr(_obj(resource.get("code")).get("coding")):
        if isinstance(c, dict) and (symptom := codes.rating_for_code(c.get("system"), c.get("code"))):
            return symptom
    return None


# --- matching and writing ----------------------------------------------------------------------------------


def _match(
    actor: User, fields: dict[str, Any], identifiers: list[tuple[str, str, str | None]], where: str
) -> Client | None:
    """The existing client this referral is about, among the clients the actor may see; None: a new client.

    Only visible clients are candidates: a client the actor may not see is never changed, and the answer
    (a new client, 201) is the same whether such a client exists or not, so the import cannot be used to
    learn who is on the clinic's books or their birth dates."""
    visible = clients_visible_to(actor)
    own_org = f"Organization/{actor.clinic_id}"
    client_ids = [
        int(value)
        for system, value, assigner in identifiers
        if system == codes.SID_CLIENT and assigner == own_org and value.isdigit() and len(value) < 18
    ]
    others = [(system, value) for system, value, _a in identifiers if system != codes.SID_CLIENT]
    candidates: set[int] = set()
    if client_ids:
        candidates.update(visible.filter(pk__in=client_ids).values_list("pk", flat=True))
    for system, value in others:
        candidates.update(
            PatientIdentifier.objects.filter(
                clinic_id=actor.clinic_id, system=system, value=value, client__in=visible
            ).values_list("client_id", flat=True)
        )
    if len(candidates) > 1:
        raise BundleError(
            422,
            [
                (
                    "error",
                    "conflict",
                    "The Patient's identifiers name different clients.",
                    f"{where}.identifier",
                )
            ],
        )
    if candidates:
        client = visible.get(pk=candidates.pop())
        if client.date_of_birth != fields["date_of_birth"]:  # the actor may see this client: no oracle
            raise BundleError(
                422,
                [
                    (
                        "error",
                        "conflict",
                        f"The identifier belongs to Patient/{client.pk}, whose birth date differs: nothing imported.",
                        f"{where}.identifier",
                    )
                ],
            )
        return client
    same = list(
        visible.filter(
            first_name__iexact=fields["first_name"],
            last_name__iexact=fields["last_name"],
            date_of_birth=fields["date_of_birth"],
        )[:2]
    )
    if len(same) > 1:
        raise BundleError(
            422,
            [
                (
                    "error",
                    "multiple-matches",
                    "Several clients have this name and birth date: send an identifier to say which.",
                    where,
                )
            ],
        )
    return same[0] if same else None


def _field_issues(exc: FieldErrors) -> list[Issue]:
    return [("error", "invariant", f"{key}: {message}", key) for key, message in exc.errors.items()]


@transaction.atomic
def referral_import(*, actor: User, bundle: Any, request: HttpRequest | None = None) -> ImportReport:
    """Create or update a client from a referral bundle, all or nothing, with a report of each entry."""
    require_clinical(actor)
    entries = _entries(bundle)
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
    p_index, p_url, patient = patients[0]
    p_where = f"Bundle.entry[{p_index}].resource"
    issues: list[Issue] = []
    fields = _patient_fields(patient, p_where, issues)
    identifiers = _identifiers(patient)
    patient_refs = {
        ref for ref in (p_url, f"Patient/{patient.get('id')}" if patient.get("id") else None) if ref
    }
    if p_url and "/Patient/" in p_url:
        patient_refs.add("Patient/" + p_url.rsplit("/Patient/", 1)[1])

    # Observations named as a condition's evidence are its intake ratings; the others stand alone.
    by_ref = {}
    for _i, url, r in entries:
        if r["resourceType"] == "Observation" and r.get("id"):
            by_ref[f"Observation/{r['id']}"] = r
            if url:
                by_ref[url] = r
    used_as_evidence: set[int] = set()
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
        if not _subject_ok(r, patient_refs):
            raise BundleError(
                422, [("error", "invalid", "The Condition is about another patient.", f"{where}.subject")]
            )
        status = _code(r.get("verificationStatus"))
        if status in INACTIVE_VERIFICATION:
            issues.append(
                ("information", "informational", f"Condition skipped: verification status {status}.", where)
            )
            continue
        diagnosis, shown = _diagnosis(r)
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
        ratings: dict[str, int] = {}
        for evidence in _arr(r.get("evidence")):
            for detail in _arr(_obj(evidence).get("detail")):
                obs = by_ref.get(_obj(detail).get("reference"))
                if obs is None:
                    continue
                symptom = _rating_symptom(obs)
                value = _rating_value(obs)
                if symptom in Condition.SYMPTOMS and value is not None:
                    ratings[symptom] = value
                    used_as_evidence.add(id(obs))
        conditions.append(
            _condition_data(r, diagnosis, ratings, where, issues) | {"_where": where, "_diagnosis": diagnosis}
        )

    client = _match(actor, fields, identifiers, p_where)
    created = client is None
    try:
        if created:
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
                request=request,
            )
            issues.insert(
                0, ("information", "informational", f"Created Patient/{client.pk} ({client}).", p_where)
            )
            for c in conditions:
                issues.append(_taken(c))
        else:
            changes = {k: v for k, v in fields.items() if k in CLIENT_FIELDS and getattr(client, k) != v}
            # How the client is reached is never overwritten by an import: staff review the difference.
            contact = {k: changes.pop(k) for k in CONTACT_FIELDS if k in changes}
            if changes:
                client = client_update(actor=actor, client=client, data=changes, request=request)
            proposal = (
                contact_change_propose(actor=actor, client=client, proposed=contact, request=request)
                if contact
                else None
            )
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
                    issues.append(
                        ("information", "duplicate", "Condition already recorded: skipped.", c["_where"])
                    )
                    continue
                condition_add(
                    actor=actor,
                    client=client,
                    data=_fields(c),
                    request=request,
                )
                issues.append(_taken(c))
    except FieldErrors as exc:
        raise BundleError(422, _field_issues(exc)) from None

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

    for i, _url, r in entries:
        if r["resourceType"] == "Observation" and id(r) not in used_as_evidence:
            issues.append(
                _import_observation(actor, client, r, f"Bundle.entry[{i}].resource", patient_refs, request)
            )

    audit_record(
        actor=actor,
        action="create" if created else "update",
        obj=client,
        summary="FHIR referral imported",
        changes={"issues": [f"{s}: {d}" for s, _c, d, _w in issues][:50]},
        request=request,
    )
    return ImportReport(client=client, created=created, issues=issues)


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
    request: HttpRequest | None,
) -> Issue:
    """A stand-alone 0-10 rating with an instrument (pain, numbness, tingling) becomes a screening."""
    if not _subject_ok(r, patient_refs):
        raise BundleError(
            422, [("error", "invalid", "The Observation is about another patient.", f"{where}.subject")]
        )
    if r.get("status") in ("entered-in-error", "cancelled"):
        return ("information", "informational", f"Observation skipped: status {r.get('status')}.", where)
    symptom = _rating_symptom(r)
    instrument = codes.ratings()[symptom].get("instrument") if symptom else None
    if instrument is None:
        return (
            "warning",
            "not-supported",
            "Observation skipped: only 0-10 pain, numbness and tingling ratings are imported "
            "(a total score without its answers cannot be re-scored).",
            f"{where}.code",
        )
    value = _rating_value(r)
    if value is None:
        return (
            "warning",
            "value",
            "Observation skipped: the value is not a whole number from 0 to 10.",
            f"{where}.value[x]",
        )
    definition = get_definition(instrument)
    when = _datetime(r.get("effectiveDateTime")) or _datetime(r.get("issued"))
    try:
        with transaction.atomic():
            response = response_create(
                actor=actor,
                client=client,
                instrument=instrument,
                answers={definition.items[0].id: value},
                administered_at=when,
                context="intake",
                request=request,
            )
    except FieldErrors as exc:
        return ("warning", "invalid", f"Observation skipped: {exc}.", where)
    return (
        "information",
        "informational",
        f"Observation taken: {definition.short_title} {value} (screening {response.pk}).",
        where,
    )
