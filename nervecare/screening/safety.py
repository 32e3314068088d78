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
  foot_check_wound, foot_check_wound_area,  reported between sessions (screening/hooks.py; the daily foot
  foot_check_wound_because,                 check, nervecare.footcheck): an open report of a new cut, blister
  foot_check_hot_swollen,                   or sore, or of a warm foot with swelling or redness, with the
  foot_check_hot_swollen_side,              foot (left/right/both), the areas and the report's date in words;
  foot_check_hot_swollen_because            absent (null) when no report is open
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

from nervecare.clients import lymph, medicines
from nervecare.clients.models import MedicalContext
from nervecare.core.rule_context import rule_context
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
    # What would close the flag, in words (appended to the flag's reason).
    resolve: str = ""


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
    context = rule_context()
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
    actions: list[str] = field(
        default_factory=list
    )  # the rule's actions with their {fact} placeholders filled


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


CHARCOT_AREAS = {"left": "left foot", "right": "right foot", "both": "both feet"}


def _feet(sides: list[str]) -> str:
    if len(sides) == 2:
        return "both feet"
    return f"{sides[0]} foot" if sides else ""


# How long after onset an unstated Guillain–Barré phase counts as the onset phase. The reference (§2, Werner)
# names the onset phase but no length: NerveCare's default is 8 weeks — twice the usual 4 weeks to the worst
# point — the safer side; NOT CONFIRMED by a source (safety_rules.yaml says so beside the rule).
GBS_ONSET_PHASE_DAYS = 56


def _gbs_facts(conditions: list[Any], today: date) -> dict[str, Any]:
    """Guillain–Barré (issue 19 point 3): the stated phase decides; without one, the onset (or diagnosis) date
    does; without a date either, the safer level (the onset phase), and the flag says what to record."""
    acute, recovery, notes = False, False, []
    for c in conditions:
        if _diagnosis_of(c) != "guillain_barre":
            continue
        if c.phase == "acute":
            acute = True
            continue
        if c.phase in {"recovery", "chronic"}:
            recovery = True
            continue
        dated = c.onset_date or c.diagnosis_date
        if dated is None:
            acute = True
            notes.append(
                "The phase and the onset date are not recorded, so the onset phase is assumed: record the phase "
                "(or the onset date) to change this."
            )
            continue
        days = (today - dated).days
        what = "onset" if c.onset_date else "diagnosis"
        if days <= GBS_ONSET_PHASE_DAYS:
            acute = True
            notes.append(
                f"The phase is not recorded and the {what} was {days} day(s) ago (within "
                f"{GBS_ONSET_PHASE_DAYS // 7} weeks), so the onset phase is assumed: record the phase to change this."
            )
        else:
            recovery = True
            notes.append(
                f"The phase is not recorded; the {what} was {days // 7} weeks ago: record the phase to confirm."
            )
    return {"gbs_acute": acute, "gbs_recovery": recovery and not acute, "gbs_note": " ".join(notes)}


def _lymph_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The at-risk limb (issue 19 point 1): axillary nodes → the arm on that side, inguinal or pelvic → the leg
    on that side (clients/data/lymph_nodes.yaml, from clinical-reference.md §2). Nodes removed without a
    recorded site restrict every limb that could be at risk, and the flag says what to record."""
    parts, notes = [], []
    if facts.get("lymph_nodes_removed"):
        limbs = lymph.at_risk_area(list(facts.get("lymph_node_sites") or []))
        if limbs:
            parts.append(limbs)
        else:
            parts.append(f"{lymph.unknown_area()} (which nodes not recorded)")
            notes.append(
                "Record which lymph nodes were removed and on which side to narrow this to one limb."
            )
    if facts.get("lymphedema"):
        where = (facts.get("lymphedema_site") or "").strip()
        if where:
            parts.append(where)
        elif not facts.get("lymph_nodes_removed"):
            parts.append(f"{lymph.unknown_area()} (where the lymphedema is not recorded)")
            notes.append("Record where the lymphedema is to narrow this.")
    area = " and ".join(dict.fromkeys(p for p in parts if p))
    return {"lymph_area": area or "at-risk limb", "lymph_note": " ".join(notes)}


def _charcot_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Which foot may be a Charcot foot: the intake's side (issue 19 point 6) and the side a daily foot check
    reported warm and swollen or red (issue 18 point 4). The intake flagging it without a side: both feet."""
    charcot_side = facts.get("foot_red_warm_swollen_side") or ""
    reported_side = facts.get("foot_check_hot_swollen_side") or ""
    because = ""
    if facts.get("foot_check_hot_swollen") and reported_side in CHARCOT_AREAS:
        because = f" {facts.get('foot_check_hot_swollen_because') or ''}".rstrip()
        if not facts.get("foot_red_warm_swollen"):
            charcot_side = reported_side
        elif charcot_side in CHARCOT_AREAS and charcot_side != reported_side:
            charcot_side = "both"
    return {
        "charcot_area": CHARCOT_AREAS.get(charcot_side, "both feet (which foot not recorded)"),
        "charcot_record": (
            ""
            if charcot_side in CHARCOT_AREAS
            else " Record which foot on the intake to narrow this to one foot."
        ),
        "charcot_because": because,
    }


def gather_facts(
    *,
    thresholds: SafetyThresholds,
    conditions: list[Any],
    medical: Any | None,
    latest_answers: dict[str, dict[str, Any]],
    today: date,
    reported: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Turn the record into the flat facts the rules read. `latest_answers` maps instrument code → answers;
    `reported`: facts reported between sessions (screening/hooks.py reported_facts)."""
    facts: dict[str, Any] = dict(reported or {})
    causes = {c.cause for c in conditions}
    diagnoses = {(_diagnosis_of(c), c.phase) for c in conditions}
    # Diabetes matters for foot care and glucose whatever caused the neuropathy: from the cause, or from
    # the comorbidities the client listed.
    comorbidities = [str(c).lower() for c in (getattr(medical, "comorbidities", None) or [])]
    facts["has_diabetes"] = bool(causes & {"diabetes_t1", "diabetes_t2"}) or any(
        "diabet" in c for c in comorbidities
    )
    facts["has_chemotherapy"] = "chemotherapy" in causes
    facts.update(_gbs_facts(conditions, today))
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
    # Medicines (issue 19 point 2): the list drives the facts it implies, whatever the boxes say.
    from_list = medicines.implied_facts(facts.get("medications"))
    for name in medicines.fact_names():
        sources = list(from_list.get(name, []))
        if facts.get(name) and not sources:
            sources.append("the box on the intake is ticked, no medicine of this kind is listed")
        facts[name] = bool(sources)
        facts[f"{name}_because"] = "; ".join(sources)
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
    ulcer_sides = [
        side
        for side in ("right", "left")
        if any(
            answers.get(f"{code}.{side}.ulceration") == "present"
            for code in ("mnsi_exam", "mnsi_exam_monofilament")
        )
    ]
    facts["foot_ulcer_on_exam_sides"] = ulcer_sides
    facts["foot_wound_area"] = _site(
        facts.get("foot_wound_site", "") if facts.get("foot_wound_or_ulcer") else "",
        _feet(ulcer_sides),
        (facts.get("foot_check_wound_area") or "") if facts.get("foot_check_wound") else "",
        default="foot",
    )
    facts["foot_ulcer_because"] = "; ".join(
        (
            [f"intake: foot wound or ulcer ({facts.get('foot_wound_site') or 'site not recorded'})"]
            if facts.get("foot_wound_or_ulcer")
            else []
        )
        + [f"MNSI exam: ulceration present, {side} foot" for side in ulcer_sides]
        + ([str(facts.get("foot_check_wound_because") or "")] if facts.get("foot_check_wound") else [])
    )
    facts.update(_charcot_facts(facts))
    facts["dvt_area"] = _site(facts.get("dvt_site", ""), default="affected limb")
    facts["devices_area"] = _site(facts.get("devices_site", ""), default="site of the port or line")
    facts["fragile_area"] = _site(
        facts.get("radiation_site", ""),
        facts.get("recent_surgery_site", ""),
        facts.get("tumour_site", ""),
        default="affected area",
    )
    facts.update(_lymph_facts(facts))
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
            # The basis compares the situation, not the advice: the reason as the rule states it.
            basis_reason = reason
            if rule.resolve:
                reason = f"{reason} {_fill(rule.resolve, facts)}"
            actions = [_fill(a, facts) for a in rule.actions]
            # A rule may name the facts that identify its situation; otherwise the filled-in area and reason do.
            if rule.basis:
                basis = {"area": area} | {name: _plain(facts.get(name)) for name in rule.basis}
            else:
                basis = {"area": area, "reason": basis_reason}
            fired.append(
                FiredRule(rule=rule, level=level, area=area, reason=reason, basis=basis, actions=actions)
            )
    fired.sort(key=lambda f: (LEVEL_ORDER[f.level], f.rule.id))
    return fired
