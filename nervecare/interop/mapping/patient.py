"""Patient, Practitioner and Organization: the people and places."""

from __future__ import annotations

from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml
from nervecare.interop import codes
from nervecare.interop.mapping.common import (
    CONTACT_ROLE,
    Context,
    Resource,
    coding,
    concept,
    extension,
    iso,
    ref,
)


@cache
def _qualification_labels() -> dict[str, str]:
    return {q["code"]: q["label"] for q in load_yaml("plans/data/plan_defaults.yaml")["qualifications"]}


# --- people and places -----------------------------------------------------------------------------------


def patient(client: Any, identifiers: list[tuple[str, str]] = (), ctx: Context = Context()) -> Resource:  # noqa: B008
    """Patient from a Client. identifiers: other systems' (system, value) pairs recorded at import."""
    res: Resource = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "meta": {"lastUpdated": iso(client.updated_at)},
        "identifier": [
            {
                "use": "usual",
                "system": codes.SID_CLIENT,
                "value": str(client.pk),
                "assigner": ref("Organization", client.clinic_id),
            },
            *({"system": system, "value": value} for system, value in identifiers),
        ],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": f"{client.first_name} {client.last_name}",
                "family": client.last_name,
                "given": [client.first_name],
            }
        ],
        "birthDate": iso(client.date_of_birth),
        "managingOrganization": ref("Organization", client.clinic_id),
    }
    telecom = []
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if telecom:
        res["telecom"] = telecom
    if client.address:
        res["address"] = [{"text": client.address}]
    if client.emergency_contact_name or client.emergency_contact_phone:
        contact: dict[str, Any] = {
            "relationship": [concept(coding(CONTACT_ROLE, "C", "Emergency Contact"))],
        }
        if client.emergency_contact_name:
            contact["name"] = {"text": client.emergency_contact_name}
        if client.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": client.emergency_contact_phone}]
        res["contact"] = [contact]
    extensions = []
    if client.referring_clinician:
        extensions.append(extension("referring-clinician", valueString=client.referring_clinician))
    if client.referring_clinician_contact:
        extensions.append(
            extension("referring-clinician-contact", valueString=client.referring_clinician_contact)
        )
    if client.goals:
        extensions.append(extension("client-goals", valueString=client.goals))
    if extensions:
        res["extension"] = extensions
    return res


def practitioner(therapist: Any) -> Resource:
    labels = _qualification_labels()
    res: Resource = {
        "resourceType": "Practitioner",
        "id": str(therapist.pk),
        "meta": {"lastUpdated": iso(therapist.updated_at)},
        "active": therapist.active,
        "name": [{"text": therapist.display_name}],
        "extension": [extension("years-experience", valueInteger=therapist.years_experience)],
    }
    if therapist.certifications:
        expiry = therapist.certification_expiry or {}
        res["qualification"] = []
        for c in therapist.certifications:
            item: dict[str, Any] = {
                "code": concept(coding(codes.CS_QUALIFICATION, c, labels.get(c)), text=labels.get(c, c))
            }
            if expiry.get(c):
                # Valid through its expiry date: Period.end says so, and an expired one is visibly over.
                item["period"] = {"end": str(expiry[c])}
            res["qualification"].append(item)
    return res


def organization(clinic: Any) -> Resource:
    return {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "meta": {"lastUpdated": iso(clinic.updated_at)},
        "identifier": [{"system": codes.SID_CLINIC, "value": clinic.slug}],
        "active": True,
        "name": clinic.name,
    }
