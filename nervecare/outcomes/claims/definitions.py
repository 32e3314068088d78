"""The claims and studies (outcomes/data/claims.yaml) with the ledger's measures: the claims' measures of
screening/data/measures.yaml plus the symptom ratings, whose clinically important change is Farrar's
(outcomes/data/outcome_rules.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml
from nervecare.outcomes.rules import outcome_rules
from nervecare.screening.measures import catalogue

CLAIMS_FILE = "outcomes/data/claims.yaml"
# Readings this many days after the baseline count for "over months" (12 weeks).
MONTHS_DAYS = 84


@dataclass(frozen=True)
class LedgerMeasure:
    code: str
    title: str
    plain: str
    unit: str
    better: str  # "lower" or "higher"
    kind: str  # "level" (baseline vs now), "paired" (before/after a session), "counts", "rom"
    important: dict[str, Any] | None  # {"points": 2, "percent": 30, "source": ...} or None
    important_note: str = ""
    cutoff: dict[str, Any] | None = None
    min_days: int = 1
    applies_to: str = "everyone"
    extra: dict[str, Any] = field(default_factory=dict)


def _symptom(code: str, title: str, plain: str, *, min_days: int = 1) -> LedgerMeasure:
    responder = outcome_rules().responder
    return LedgerMeasure(
        code=code,
        title=title,
        plain=plain,
        unit="points (0-10)",
        better="lower",
        kind="level",
        important={"points": responder.points, "percent": responder.percent, "source": responder.source},
        min_days=min_days,
    )


@cache
def ledger_measures() -> dict[str, LedgerMeasure]:
    cat = catalogue()
    out = {
        "pain": _symptom("pain", "Pain (0-10)", "your pain, from 0 to 10"),
        "numbness": _symptom("numbness", "Numbness (0-10)", "your numbness, from 0 to 10"),
        "tingling": _symptom("tingling", "Tingling, pins and needles (0-10)", "your tingling, from 0 to 10"),
        "numbness_months": _symptom(
            "numbness_months",
            "Numbness after 12 weeks or more (0-10)",
            "your numbness after three months or more",
            min_days=MONTHS_DAYS,
        ),
    }
    for code, m in cat.measures.items():
        kind = (
            "paired"
            if code == "stress"
            else "counts"
            if m.counts_only
            else "rom"
            if code == "rom"
            else "level"
        )
        rules = [next(iter(r)) for r in m.applies_when]
        applies_to = "everyone" if not rules or "always" in rules else "clients it concerns"
        out[code] = LedgerMeasure(
            code=code,
            title=m.title,
            plain=m.plain,
            unit=m.unit,
            better=m.better,
            kind=kind,
            important=m.important_change,
            important_note=m.important_change_note,
            cutoff=m.cutoff.model_dump(mode="json") if m.cutoff else None,
            applies_to=applies_to,
            extra={"movements": {k: v.model_dump() for k, v in m.movements.items()}} if m.movements else {},
        )
    return out


@cache
def claims_data() -> dict[str, Any]:
    data = load_yaml(CLAIMS_FILE)
    measures = ledger_measures()
    not_measurable = catalogue().not_measurable
    for claim in data["claims"]:
        for code in claim.get("measures", []):
            if code not in measures:
                raise ValueError(f"claim {claim['id']}: unknown measure {code!r}")
        for code in claim.get("not_measurable", []):
            if code not in not_measurable:
                raise ValueError(f"claim {claim['id']}: unknown not-measurable entry {code!r}")
        for study in claim.get("studies", []):
            if study not in data["studies"]:
                raise ValueError(f"claim {claim['id']}: unknown study {study!r}")
    return data
