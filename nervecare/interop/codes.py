"""The code systems and codes of the FHIR mapping, read from interop/data/fhir_codes.yaml and the
diagnosis list in clients/data/conditions.yaml (the data files hold the codes and their sources)."""

from __future__ import annotations

from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml

CODES_FILE = "interop/data/fhir_codes.yaml"
CONDITIONS_FILE = "clients/data/conditions.yaml"


def _data() -> dict[str, Any]:
    return load_yaml(CODES_FILE)


BASE: str = _data()["canonical_base"]
SNOMED: str = _data()["systems"]["snomed"]
ICD10CM: str = _data()["systems"]["icd10cm"]
LOINC: str = _data()["systems"]["loinc"]
CPT: str = _data()["systems"]["cpt"]
UCUM: str = _data()["systems"]["ucum"]

# NerveCare's own code systems, extensions and identifier systems.
CS_DIAGNOSIS = f"{BASE}/CodeSystem/diagnosis"
CS_NEUROPATHY_TYPE = f"{BASE}/CodeSystem/neuropathy-type"
CS_NEUROPATHY_CAUSE = f"{BASE}/CodeSystem/neuropathy-cause"
CS_OBSERVATION = f"{BASE}/CodeSystem/observation"
CS_MODALITY = f"{BASE}/CodeSystem/modality"
CS_SERVICE = f"{BASE}/CodeSystem/service"
CS_QUALIFICATION = f"{BASE}/CodeSystem/qualification"
CS_SAFETY_RULE = f"{BASE}/CodeSystem/safety-rule"
CS_SAFETY_LEVEL = f"{BASE}/CodeSystem/safety-level"
CS_DOCUMENT_TYPE = f"{BASE}/CodeSystem/document-type"
EXT = f"{BASE}/StructureDefinition"
SID_CLIENT = f"{BASE}/sid/client-id"
SID_CLINIC = f"{BASE}/sid/clinic"


def questionnaire_url(code: str) -> str:
    return f"{BASE}/Questionnaire/{code}"


def answer_system(code: str) -> str:
    return f"{BASE}/CodeSystem/answers-{code}"


@cache
def diagnoses() -> dict[str, dict[str, Any]]:
    """The diagnosis vocabulary (conditions.yaml), keyed by NerveCare's diagnosis code."""
    return {d["code"]: d for d in load_yaml(CONDITIONS_FILE)["diagnoses"]}


def default_diagnosis(neuropathy_type: str, cause: str) -> str:
    """The diagnosis code used to code a condition that names none (first matching rule of the data)."""
    for rule in _data()["condition_defaults"]["rules"]:
        if rule["type"] in ("*", neuropathy_type) and rule["cause"] in ("*", cause):
            return rule["diagnosis"]
    return "neuropathy"


def diagnosis_type_cause(diagnosis: str) -> tuple[str, str]:
    entry = _data()["diagnosis_type_cause"][diagnosis]
    return entry["type"], entry["cause"]


@cache
def _reverse() -> dict[tuple[str, str], str]:
    """(system, code) -> diagnosis. The first diagnosis listed wins where two share a code (G62.9)."""
    out: dict[tuple[str, str], str] = {}
    for code in diagnoses():
        out.setdefault((CS_DIAGNOSIS, code), code)
    for code, entry in diagnoses().items():
        if entry.get("snomed"):
            out.setdefault((SNOMED, str(entry["snomed"])), code)
    for code, entry in diagnoses().items():
        if entry.get("icd10cm"):
            out.setdefault((ICD10CM, str(entry["icd10cm"])), code)
    for snomed, code in _data()["import_aliases"]["snomed"].items():
        out.setdefault((SNOMED, str(snomed)), code)
    return out


def diagnosis_for_coding(system: str | None, code: str | None) -> str | None:
    """NerveCare's diagnosis for one incoming coding, or None if the code is not one we know."""
    if not system or not code:
        return None
    code = code.strip()
    found = _reverse().get((system, code))
    if found is None and system == ICD10CM:
        for prefix, diagnosis in _data()["import_aliases"]["icd10cm_prefixes"].items():
            if code.upper().startswith(prefix):
                return diagnosis
    return found


@cache
def ratings() -> dict[str, dict[str, Any]]:
    """0-10 rating codes by symptom (pain, numbness, ...)."""
    return {k: v for k, v in _data()["ratings"].items() if k != "source"}


def rating_for_code(system: str | None, code: str | None) -> str | None:
    """The symptom whose rating an incoming Observation code names (LOINC 72514-3 -> "pain")."""
    for symptom, entry in ratings().items():
        if (system == CS_OBSERVATION and code == entry["code"]) or (
            system == LOINC and entry.get("loinc") and code == entry["loinc"]
        ):
            return symptom
    return None


def procedure(modality: str) -> dict[str, str]:
    return _data()["procedures"][modality]
