"""Billing rules kept as data with their source: 15-minute units of timed CPT codes (the 8-minute rule,
data/cpt_units.yaml) and the diagnosis codes (ICD-10-CM) of a client's conditions (clients/data/conditions.yaml)."""

from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml

UNITS_FILE = "billing/data/cpt_units.yaml"
CONDITIONS_FILE = "clients/data/conditions.yaml"


@cache
def _units_data() -> dict[str, Any]:
    return load_yaml(UNITS_FILE)


def units_for_minutes(minutes: int) -> int:
    """Billable 15-minute units for `minutes` of one timed service (CMS's 8-minute rule): fewer than 8
    minutes bill nothing; the published table up to 127 minutes; beyond, a unit per further 15 minutes."""
    if minutes < 8:
        return 0
    data = _units_data()
    for row in data["table"]:
        if row["from"] <= minutes <= row["through"]:
            return int(row["units"])
    size = int(data["unit_minutes"])
    return (minutes - 8) // size + 1


def units_source() -> str:
    return str(_units_data()["source"])


@cache
def _diagnoses() -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in load_yaml(CONDITIONS_FILE)["diagnoses"]}


def icd10cm_for(diagnosis_code: str) -> tuple[str, str] | None:
    """(ICD-10-CM code, label) of a coded diagnosis from the conditions vocabulary; None if it has none."""
    entry = _diagnoses().get(diagnosis_code)
    if not entry or not entry.get("icd10cm"):
        return None
    return str(entry["icd10cm"]), str(entry["label"])
