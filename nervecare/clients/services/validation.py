"""The intake's checks, shared by the record's writes: each adds what is wrong to `errors`, keyed by the field
as the request names it."""

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from nervecare.clients import bodymap, lymph, medicines
from nervecare.clients.models import (
    Condition,
    MedicalContext,
)
from nervecare.core.errors import full_clean_or_collect
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
