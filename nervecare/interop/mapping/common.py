"""Shared by every FHIR mapping: code systems, NerveCare-to-FHIR status value sets, the mapping context,
small JSON builders, and OperationOutcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nervecare.interop import codes

Resource = dict[str, Any]

HL7_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
CONDITION_CLINICAL = f"{HL7_TERMINOLOGY}/condition-clinical"
CONDITION_VERIFICATION = f"{HL7_TERMINOLOGY}/condition-ver-status"
CONDITION_CATEGORY = f"{HL7_TERMINOLOGY}/condition-category"
OBSERVATION_CATEGORY = f"{HL7_TERMINOLOGY}/observation-category"
INTERPRETATION = f"{HL7_TERMINOLOGY}/v3-ObservationInterpretation"
FLAG_CATEGORY = f"{HL7_TERMINOLOGY}/flag-category"
ACT_CODE = f"{HL7_TERMINOLOGY}/v3-ActCode"
CONTACT_ROLE = f"{HL7_TERMINOLOGY}/v2-0131"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ASSERTED_DATE = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"

# NerveCare statuses -> FHIR R4 value sets.
APPOINTMENT_STATUS = {
    "booked": "booked",
    "checked_in": "checked-in",
    "completed": "fulfilled",
    "no_show": "noshow",
    "cancelled": "cancelled",
    # An online booking awaiting the client's e-mail confirmation (FHIR: "pending", some participant has
    # not yet confirmed).
    "held": "pending",
}
ENCOUNTER_STATUS = {"checked_in": "in-progress", "completed": "finished"}
CAREPLAN_STATUS = {"proposed": "draft", "active": "active", "completed": "completed", "cancelled": "revoked"}
CAREPLAN_ACTIVITY_STATUS = {
    "proposed": "not-started",
    "active": "in-progress",
    "completed": "completed",
    "cancelled": "cancelled",
}
# The 0-10 ratings of a session note: (note field, symptom, before/after).
NOTE_RATINGS = (
    ("pain_before", "pain", "before"),
    ("pain_after", "pain", "after"),
    ("numbness_before", "numbness", "before"),
    ("numbness_after", "numbness", "after"),
    ("tingling_before", "tingling", "before"),
    ("tingling_after", "tingling", "after"),
    ("soreness_after", "soreness", "after"),
)
CONDITION_RATINGS = ("numbness", "pain", "tingling", "burning", "cramps", "weakness", "balance")


@dataclass(frozen=True)
class Context:
    """What a mapping needs beyond the row: the site's address, for links to NerveCare's own pages."""

    site_url: str = ""  # e.g. "https://care.example.org" (no trailing slash); "" gives relative links


# --- small builders --------------------------------------------------------------------------------------


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ref(resource_type: str, resource_id: Any, display: str | None = None) -> dict[str, str]:
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": list(codings)} if codings else {}
    if text:
        out["text"] = text
    return out


def extension(name: str, **value: Any) -> dict[str, Any]:
    """A NerveCare extension: extension("referring-clinician", valueString="Dr Lee")."""
    return {"url": f"{codes.EXT}/{name}", **value}


def number(value: Decimal | int | float) -> int | float:
    """A score as JSON: 7 rather than 7.0, 2.5 as 2.5."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def score_quantity(value: Decimal | int | float) -> dict[str, Any]:
    shown = value if type(value) is int else number(value)
    return {"value": shown, "unit": "score", "system": codes.UCUM, "code": "{score}"}


def fhir_id(code: str) -> str:
    """A NerveCare code as a FHIR id ([A-Za-z0-9-.]): "mnsi_history" -> "mnsi-history"."""
    return code.replace("_", "-")


def practitioner_ref(therapist: Any | None) -> dict[str, str] | None:
    return ref("Practitioner", therapist.pk, therapist.display_name) if therapist is not None else None


# --- messages --------------------------------------------------------------------------------------------


def operation_outcome(*issues: tuple[str, ...]) -> Resource:
    """OperationOutcome from (severity, code, diagnostics[, expression]) issues."""
    out = []
    for severity, code, diagnostics, *where in issues:
        issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
        if where and where[0]:
            issue["expression"] = [where[0]]
        out.append(issue)
    return {"resourceType": "OperationOutcome", "issue": out}
