"""Reading a referral bundle: its entries, the patient's details and identifiers, the conditions and the
0-10 ratings, each checked for shape (an odd shape is read as absent, never a crash)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from nervecare.clients.models import Condition
from nervecare.interop import codes, mapping

Issue = tuple[str, str, str, str]  # severity, code, diagnostics, expression
BUNDLE_TYPES = ("transaction", "collection")
INACTIVE_VERIFICATION = {"refuted", "entered-in-error"}


class BundleError(Exception):
    """A bundle that is refused as a whole (nothing stored): 400 unreadable, 422 not importable."""

    def __init__(self, status: int, issues: list[Issue]):
        self.status = status
        self.issues = issues
        super().__init__("; ".join(i[2] for i in issues))


def as_object(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else: an odd shape is read as absent, never a crash."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def first_code(concept: Any) -> Any:
    """The first code of a CodeableConcept (e.g. a verificationStatus), or None."""
    first = next(iter(as_list(as_object(concept).get("coding"))), None)
    return as_object(first).get("code")


def _ext(resource: dict[str, Any], name: str) -> dict[str, Any] | None:
    url = f"{codes.EXT}/{name}" if "://" not in name else name
    return next(
        (e for e in as_list(resource.get("extension")) if isinstance(e, dict) and e.get("url") == url), None
    )


def _date(value: Any) -> dt.date | None:
    """The date of a FHIR date or dateTime ("2024-05-17", "2024-05-17T10:00:00Z"); None if not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(12))  # clinic local noon
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- reading the bundle ------------------------------------------------------------------------------------


def bundle_entries(bundle: Any) -> list[tuple[int, str | None, dict[str, Any]]]:
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


def patient_fields(patient: dict[str, Any], where: str, issues: list[Issue]) -> dict[str, Any]:
    """The client's details from a Patient; 422 without a name or a birth date."""
    errors: list[Issue] = []
    names = [n for n in as_list(patient.get("name")) if isinstance(n, dict)]
    name = next((n for n in names if n.get("use") in ("official", "usual")), names[0] if names else None)
    given = [g for g in as_list(as_object(name).get("given")) if isinstance(g, str) and g.strip()]
    family = as_object(name).get("family")
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
    for telecom in as_list(patient.get("telecom")):
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
    addresses = [a for a in as_list(patient.get("address")) if isinstance(a, dict)]
    if addresses:
        a = addresses[0]
        text = a.get("text") or ", ".join(
            p
            for p in [*as_list(a.get("line")), a.get("city"), a.get("postalCode"), a.get("country")]
            if isinstance(p, str) and p
        )
        if isinstance(text, str) and text:
            fields["address"] = text
    contacts = [c for c in as_list(patient.get("contact")) if isinstance(c, dict)]
    if contacts:
        contact = contacts[0]
        cname = as_object(contact.get("name"))
        parts = [*as_list(cname.get("given")), cname.get("family")]
        text = cname.get("text") or " ".join(p for p in parts if isinstance(p, str)).strip()
        if isinstance(text, str) and text:
            fields["emergency_contact_name"] = text
        phone = next(
            (
                as_object(t).get("value")
                for t in as_list(contact.get("telecom"))
                if as_object(t).get("system") == "phone"
            ),
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


def patient_identifiers(patient: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(system, value, assigner reference) of each identifier with a system and a value."""
    out = []
    for ident in as_list(patient.get("identifier")):
        if (
            isinstance(ident, dict)
            and isinstance(ident.get("system"), str)
            and isinstance(ident.get("value"), str)
        ):
            assigner = as_object(ident.get("assigner")).get("reference")
            out.append((ident["system"], ident["value"], assigner if isinstance(assigner, str) else None))
    return out


def subject_ok(resource: dict[str, Any], patient_refs: set[str]) -> bool:
    reference = as_object(resource.get("subject")).get("reference")
    return not reference or reference in patient_refs


def diagnosis_of(resource: dict[str, Any]) -> tuple[str | None, list[str]]:
    """NerveCare's diagnosis for a Condition's codings, and the codings as text (for the report)."""
    codings = [c for c in as_list(as_object(resource.get("code")).get("coding")) if isinstance(c, dict)]
    shown = [f"{c.get('system')}|{c.get('code')}" for c in codings]
    order = {codes.CS_DIAGNOSIS: 0, codes.SNOMED: 1, codes.ICD10CM: 2}
    for c in sorted(codings, key=lambda c: order.get(c.get("system"), 3)):
        found = codes.diagnosis_for_coding(c.get("system"), c.get("code"))
        if found:
            return found, shown
    return None, shown


def condition_data(
    resource: dict[str, Any], diagnosis: str, ratings: dict[str, int], where: str, issues: list[Issue]
) -> dict[str, Any]:
    neuropathy_type, cause = codes.diagnosis_type_cause(diagnosis)
    type_ext, cause_ext = _ext(resource, "neuropathy-type"), _ext(resource, "neuropathy-cause")
    if type_ext and as_object(type_ext.get("valueCoding")).get("code") in Condition.Type.values:
        neuropathy_type = type_ext["valueCoding"]["code"]
    if cause_ext and as_object(cause_ext.get("valueCoding")).get("code") in Condition.Cause.values:
        cause = cause_ext["valueCoding"]["code"]
    label = codes.diagnoses()[diagnosis]["label"]
    text = as_object(resource.get("code")).get("text")
    # An unconfirmed condition is a neuropathy without a named diagnosis: its codes say what kind it is
    # (as NerveCare's own export codes one from its type and cause), not that a doctor diagnosed it.
    verification = first_code(resource.get("verificationStatus"))
    named = verification not in ("unconfirmed", "provisional", "differential")
    data: dict[str, Any] = {
        "type": neuropathy_type,
        "cause": cause,
        "diagnosis_code": diagnosis if named else "",
        "diagnosis": text.strip()[:200] if isinstance(text, str) and text.strip() != label else "",
    }
    onset = _date(resource.get("onsetDateTime")) or _date(as_object(resource.get("onsetPeriod")).get("start"))
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
    period = as_object(as_object(_ext(resource, "chemotherapy-period")).get("valuePeriod"))
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


def rating_value(resource: dict[str, Any]) -> int | None:
    value = as_object(resource.get("valueQuantity")).get("value")
    if value is None:
        value = resource.get("valueInteger")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if 0 <= value <= 10 else None


def rating_symptom(resource: dict[str, Any]) -> str | None:
    for c in as_list(as_object(resource.get("code")).get("coding")):
        if isinstance(c, dict) and (symptom := codes.rating_for_code(c.get("system"), c.get("code"))):
            return symptom
    return None
