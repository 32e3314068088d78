"""The safety-check engine: facts from the intake and latest screenings, rules from data.

Facts available to rule expressions (`when:`), all derived here and nowhere else:
  has_diabetes, has_chemotherapy            bool, from the client's conditions' causes
  gbs_acute, gbs_recovery                   Guillain–Barré diagnosis in its acute or recovery phase
  trigeminal_neuralgia                      a trigeminal-neuralgia diagnosis
  every MedicalContext field by name        e.g. dvt_history, on_anticoagulants, devices (list), radiation
  platelets, neutrophils, temperature       lab values (per µL) and temperature (°C), or null
  dvt_months_ago                            whole months since dvt_date, or null
  answers["<instrument>.<item id>"]         latest answer to every item of every instrument, or null
  foot_ulcer_on_exam                        MNSI exam ulceration "present" on either foot (latest exam)
  settings.*                                the clinic's SafetyThresholds (platelets_min, neutrophils_min,
                                            fever_min, dvt_history_months, platelets_policy)
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, Literal

import rule_engine
from pydantic import BaseModel, Field

from nervecare.clients.models import MedicalContext
from nervecare.core.vocab import PACKAGE_DIR, load_yaml
from nervecare.screening.instruments import all_definitions
from nervecare.screening.models import SafetyThresholds

RULES_FILE = "screening/data/safety_rules.yaml"
Level = Literal["stop", "clearance", "modify", "caution"]
LEVEL_ORDER = {"stop": 0, "clearance": 1, "modify": 2, "caution": 3}


class SafetyRule(BaseModel):
    id: str
    title: str
    level: Level
    level_setting: str | None = None
    applies_to: list[str] = Field(default_factory=list)
    area: str
    when: str
    reason: str
    actions: list[str]
    effects: dict[str, Any] = Field(default_factory=dict)
    source: str
    # Facts that identify the situation a clearance was given for: while they are unchanged the clearance
    # holds; when they change (a new DVT date, say) the flag opens again and needs a new clearance.
    basis: list[str] = Field(default_factory=list)


@dataclass
class RuleSet:
    version: str
    sha256: str
    rules: list[SafetyRule]
    compiled: dict[str, rule_engine.Rule] = field(default_factory=dict)
    # The answers the rules read, when every mention of `answers` in a rule is a literal `answers["key"]`
    # (None: a rule reads answers otherwise, so the engine gets them all). See evaluate.
    answer_keys: frozenset[str] | None = None


_ANSWERS = re.compile(r"\banswers\b")
_ANSWER_LOOKUP = re.compile(r"""\banswers\s*\[\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\]""")


def _answer_keys(expressions: list[str]) -> frozenset[str] | None:
    keys: set[str] = set()
    for text in expressions:
        lookups = _ANSWER_LOOKUP.findall(text)
        if len(lookups) != len(_ANSWERS.findall(text)):
            return None
        keys.update(double or single for double, single in lookups)
    return frozenset(keys)


@cache
def ruleset() -> RuleSet:
    raw = load_yaml(RULES_FILE)
    rules = [SafetyRule.model_validate(r) for r in raw["rules"]]
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("safety_rules.yaml: duplicate rule ids")
    context = rule_engine.Context(default_value=None)
    compiled = {r.id: rule_engine.Rule(r.when, context=context) for r in rules}
    sha = hashlib.sha256((PACKAGE_DIR / RULES_FILE).read_bytes()).hexdigest()
    return RuleSet(
        version=str(raw["version"]),
        sha256=sha,
        rules=rules,
        compiled=compiled,
        answer_keys=_answer_keys([r.when for r in rules]),
    )


@dataclass(frozen=True)
class FiredRule:
    rule: SafetyRule
    level: Level
    area: str
    reason: str
    basis: dict[str, Any] = field(default_factory=dict)


# Named diagnoses recognised in free text when no code was chosen (lower-case fragments).
_DIAGNOSIS_WORDS = {
    "guillain_barre": ("guillain", "gbs"),
    "trigeminal_neuralgia": ("trigeminal neuralgia", "tic douloureux"),
}


def _diagnosis_of(condition: Any) -> str:
    if condition.diagnosis_code:
        return condition.diagnosis_code
    text = (condition.diagnosis or "").lower()
    for code, words in _DIAGNOSIS_WORDS.items():
        if any(word in text for word in words):
            return code
    return ""


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def _site(*parts: str, default: str) -> str:
    text = ", ".join(p for p in parts if p)
    return text or default


def gather_facts(
    *,
    thresholds: SafetyThresholds,
    conditions: list[Any],
    medical: Any | None,
    latest_answers: dict[str, dict[str, Any]],
    today: date,
) -> dict[str, Any]:
    """Turn the record into the flat facts the rules read. `latest_answers` maps instrument code → answers."""
    facts: dict[str, Any] = {}
    causes = {c.cause for c in conditions}
    diagnoses = {(_diagnosis_of(c), c.phase) for c in conditions}
    # Diabetes matters for foot care and glucose whatever caused the neuropathy: from the cause, or from
    # the comorbidities the client listed.
    comorbidities = [str(c).lower() for c in (getattr(medical, "comorbidities", None) or [])]
    facts["has_diabetes"] = bool(causes & {"diabetes_t1", "diabetes_t2"}) or any(
        "diabet" in c for c in comorbidities
    )
    facts["has_chemotherapy"] = "chemotherapy" in causes
    # Guillain–Barré: the onset phase stops massage; any other or unstated phase needs clearance.
    facts["gbs_acute"] = ("guillain_barre", "acute") in diagnoses
    facts["gbs_recovery"] = any(code == "guillain_barre" and phase != "acute" for code, phase in diagnoses)
    facts["trigeminal_neuralgia"] = any(code == "trigeminal_neuralgia" for code, _ in diagnoses) or bool(
        getattr(medical, "trigeminal_trigger_zones", "")
    )

    if medical is not None:
        for f in medical._meta.concrete_fields:
            if f.name not in {"id", "client", "created_at", "updated_at", "notes"}:
                facts[f.name] = getattr(medical, f.name)
    else:
        blank = MedicalContext()
        for f in blank._meta.concrete_fields:
            if f.name not in {"id", "client", "created_at", "updated_at", "notes"}:
                facts[f.name] = getattr(blank, f.name)
    facts["devices"] = list(facts.get("devices") or [])
    facts["platelets"] = facts.pop("platelets_per_ul", None)
    facts["neutrophils"] = facts.pop("neutrophils_per_ul", None)
    temp = facts.pop("temperature_celsius", None)
    facts["temperature"] = Decimal(temp) if temp is not None else None
    dvt_date = facts.get("dvt_date")
    facts["dvt_months_ago"] = _months_between(dvt_date, today) if dvt_date else None

    answers: dict[str, Any] = {}
    for code, definition in all_definitions().items():
        given = latest_answers.get(code, {})
        for item in definition.items:
            answers[f"{code}.{item.id}"] = given.get(item.id)
    facts["answers"] = answers
    facts["foot_ulcer_on_exam"] = any(
        answers.get(f"{code}.{side}.ulceration") == "present"
        for code in ("mnsi_exam", "mnsi_exam_monofilament")
        for side in ("right", "left")
    )
    facts["foot_wound_area"] = _site(facts.get("foot_wound_site", ""), default="foot")
    facts["dvt_area"] = _site(facts.get("dvt_site", ""), default="affected limb")
    facts["devices_area"] = _site(facts.get("devices_site", ""), default="site of the port or line")
    facts["fragile_area"] = _site(
        facts.get("radiation_site", ""),
        facts.get("recent_surgery_site", ""),
        facts.get("tumour_site", ""),
        default="affected area",
    )
    facts["lymph_area"] = _site(
        facts.get("lymphedema_site", ""), facts.get("lymph_nodes_site", ""), default="at-risk limb"
    )
    facts["trigger_area"] = _site(facts.get("trigeminal_trigger_zones", ""), default="face (trigger zones)")
    facts["settings"] = {
        "platelets_min": thresholds.platelets_min_per_ul,
        "platelets_policy": thresholds.platelets_policy,
        "neutrophils_min": thresholds.neutrophils_min_per_ul,
        "fever_min": Decimal(thresholds.fever_min_celsius),
        "dvt_history_months": thresholds.dvt_history_months,
    }
    return facts


class _Formatter(string.Formatter):
    """Fills {fact} and {settings.x} placeholders from the facts; unknown names stay visible."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        value: Any = kwargs
        for part in field_name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return ("" if value is None else value), field_name


def _fill(template: str, facts: dict[str, Any]) -> str:
    return " ".join(_Formatter().format(template, **facts).split())


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str) or value is None else str(value)


def evaluate(facts: dict[str, Any]) -> list[FiredRule]:
    """Every rule whose condition holds, most severe first."""
    rs = ruleset()
    # The engine converts a mapping it reads whole on every lookup (`answers[...]`: every item of every
    # instrument); it gets only the answers the rules name, which are all a literal lookup can reach.
    engine_facts = facts
    if rs.answer_keys is not None and isinstance(facts.get("answers"), dict):
        answers = facts["answers"]
        engine_facts = facts | {"answers": {k: answers[k] for k in rs.answer_keys if k in answers}}
    fired = []
    for rule in rs.rules:
        if rs.compiled[rule.id].matches(engine_facts):
            level = facts["settings"][rule.level_setting] if rule.level_setting else rule.level
            area, reason = _fill(rule.area, facts), _fill(rule.reason, facts)
            # A rule may name the facts that identify its situation; otherwise the filled-in area and reason do.
            if rule.basis:
                basis = {"area": area} | {name: _plain(facts.get(name)) for name in rule.basis}
            else:
                basis = {"area": area, "reason": reason}
            fired.append(FiredRule(rule=rule, level=level, area=area, reason=reason, basis=basis))
    fired.sort(key=lambda f: (LEVEL_ORDER[f.level], f.rule.id))
    return fired
