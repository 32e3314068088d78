"""Condition: a client's neuropathy diagnosis."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import (
    ASSERTED_DATE,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_RATINGS,
    CONDITION_VERIFICATION,
    Resource,
    coding,
    concept,
    extension,
    iso,
    ref,
)

# --- the clinical record ---------------------------------------------------------------------------------


def condition_codings(condition: Any) -> tuple[list[dict[str, str]], str]:
    """SNOMED CT, ICD-10-CM and NerveCare's diagnosis code for a condition, and the text to show."""
    diagnosis = condition.diagnosis_code or codes.default_diagnosis(condition.type, condition.cause)
    entry = codes.diagnoses().get(diagnosis, {})
    out = []
    if entry.get("snomed"):
        out.append(coding(codes.SNOMED, str(entry["snomed"]), entry.get("label")))
    if entry.get("icd10cm"):
        out.append(coding(codes.ICD10CM, str(entry["icd10cm"]), entry.get("label")))
    if entry:
        out.append(coding(codes.CS_DIAGNOSIS, diagnosis, entry.get("label")))
    text = condition.diagnosis or entry.get("label") or str(condition)
    return out, text


def condition(cond: Any) -> Resource:
    codings, text = condition_codings(cond)
    res: Resource = {
        "resourceType": "Condition",
        "id": str(cond.pk),
        "meta": {"lastUpdated": iso(cond.updated_at)},
        "clinicalStatus": concept(coding(CONDITION_CLINICAL, "active")),
        "verificationStatus": concept(
            coding(CONDITION_VERIFICATION, "confirmed" if cond.diagnosis_code else "unconfirmed")
        ),
        "category": [concept(coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))],
        "code": concept(*codings, text=text),
        "subject": ref("Patient", cond.client_id),
        "recordedDate": iso(cond.created_at),
    }
    extensions = [
        extension(
            "neuropathy-type",
            valueCoding=coding(codes.CS_NEUROPATHY_TYPE, cond.type, cond.get_type_display()),
        ),
        extension(
            "neuropathy-cause",
            valueCoding=coding(codes.CS_NEUROPATHY_CAUSE, cond.cause, cond.get_cause_display()),
        ),
    ]
    if cond.phase:
        extensions.append(extension("neuropathy-phase", valueCode=cond.phase))
    if cond.chemotherapy_agent:
        extensions.append(extension("chemotherapy-agent", valueString=cond.chemotherapy_agent))
    if cond.chemotherapy_start or cond.chemotherapy_end:
        period = {
            k: iso(v) for k, v in (("start", cond.chemotherapy_start), ("end", cond.chemotherapy_end)) if v
        }
        extensions.append(extension("chemotherapy-period", valuePeriod=period))
    if cond.diagnosis_date:
        extensions.append({"url": ASSERTED_DATE, "valueDateTime": iso(cond.diagnosis_date)})
    res["extension"] = extensions
    if cond.onset_date:
        res["onsetDateTime"] = iso(cond.onset_date)
    rated = [s for s in CONDITION_RATINGS if getattr(cond, s) is not None]
    if rated:
        res["evidence"] = [{"detail": [ref("Observation", f"cond-{cond.pk}-{s}") for s in rated]}]
    if cond.notes:
        res["note"] = [{"text": cond.notes}]
    return res
