"""The CapabilityStatement at /fhir/R4/metadata: what this server reads, searches, exports and imports."""

from typing import Any

from django.utils import timezone

from nervecare.interop import codes
from nervecare.interop.selectors import RESOURCE_TYPES

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"


def capability_statement(base: str) -> dict[str, Any]:
    resources = []
    for name, rtype in RESOURCE_TYPES.items():
        resource: dict[str, Any] = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": p.name, "type": p.type, "documentation": p.documentation} for p in rtype.params
            ],
        }
        if name == "Patient":
            resource["operation"] = [
                {"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/patient-export"}
            ]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "NerveCare",
        "kind": "instance",
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "software": {"name": "NerveCare"},
        "implementation": {"description": "NerveCare FHIR R4 interface", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only clinical data of the caller's clinic, for its therapists and admins (a therapist "
                    "sees the session notes of their own sessions only: Procedure and session Observations). "
                    "Searches page with _count (at most 500) and an opaque _cursor (next link). Unknown "
                    "search parameters are ignored unless Prefer: handling=strict. POST a referral Bundle "
                    "(transaction or collection: one Patient, its Conditions, optionally 0-10 rating "
                    "Observations) to the base URL to create or update a client; the answer is an "
                    "OperationOutcome saying what was taken and what was skipped. Local codes: "
                    f"{codes.BASE}/CodeSystem/*."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "Authorization: Bearer <token> (nervecare token create <user>) or the web session "
                        "with its CSRF token. 401 without either, 403 for a role without clinical access, "
                        "404 for another clinic's resources."
                    ),
                },
                "resource": resources,
                "interaction": [
                    {"code": "transaction", "documentation": "Referral import (also a collection Bundle)."}
                ],
                "operation": [{"name": "export", "definition": f"{BULK_DATA}/OperationDefinition/export"}],
            }
        ],
    }
