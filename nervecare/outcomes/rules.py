"""The outcome rules as data: responder thresholds, data minimums and re-evaluation suggestions.

Loaded from data/outcome_rules.yaml (validated here, cached). Nothing clinical is written into the code:
the thresholds and the suggestion rules live in that file with their sources.
"""

import hashlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import rule_engine
from pydantic import BaseModel, Field

from nervecare.core.rule_context import rule_context
from nervecare.core.vocab import PACKAGE_DIR, load_yaml

RULES_FILE = "outcomes/data/outcome_rules.yaml"
Action = Literal["continue", "adjust", "refer"]
ACTION_ORDER: dict[str, int] = {"refer": 0, "adjust": 1, "continue": 2}


class ImmpactBand(BaseModel):
    min: float
    label: str


class Responder(BaseModel):
    points: float = Field(gt=0)
    percent: float = Field(gt=0, lt=100)
    rule: Literal["either", "both"] = "either"
    source: str
    immpact_bands: list[ImmpactBand]
    immpact_source: str


class Worsening(BaseModel):
    points: float = Field(gt=0)
    source: str


class Pgic(BaseModel):
    responder_max: int = Field(ge=1, le=7)
    much_worse_min: int = Field(ge=1, le=7)
    source: str


class DataRules(BaseModel):
    min_weeks_for_verdict: int = Field(ge=1)
    current_window_weeks: int = Field(ge=1)
    dropout_weeks: int = Field(ge=1)
    confidence: float = Field(gt=0, lt=1)
    source: str


class SessionBand(BaseModel):
    min: int
    max: int
    label: str


class MixedModel(BaseModel):
    max_clients: int = Field(ge=10)
    max_iterations: int = Field(ge=10)


class SuggestionRule(BaseModel):
    id: str
    action: Action
    when: str
    reason: str
    basis: str


class Suggestions(BaseModel):
    adjust_after_week: int = Field(ge=1)
    low_attendance: float = Field(ge=0, le=1)
    rules: list[SuggestionRule]


class OutcomeRules(BaseModel):
    version: str
    responder: Responder
    worsening: Worsening
    pgic: Pgic
    data: DataRules
    session_bands: list[SessionBand]
    mixed_model: MixedModel
    suggestions: Suggestions


@dataclass
class RuleBook:
    rules: OutcomeRules
    sha256: str
    compiled: dict[str, rule_engine.Rule] = field(default_factory=dict)


@cache
def rulebook() -> RuleBook:
    """The validated rules with their suggestion expressions compiled (read once per process)."""
    raw = load_yaml(RULES_FILE)
    rules = OutcomeRules.model_validate(raw)
    ids = [r.id for r in rules.suggestions.rules]
    if len(ids) != len(set(ids)):
        raise ValueError("outcome_rules.yaml: duplicate suggestion rule ids")
    context = rule_context()
    compiled = {r.id: rule_engine.Rule(r.when, context=context) for r in rules.suggestions.rules}
    sha = hashlib.sha256((PACKAGE_DIR / RULES_FILE).read_bytes()).hexdigest()
    return RuleBook(rules=rules, sha256=sha, compiled=compiled)


def outcome_rules() -> OutcomeRules:
    return rulebook().rules


def session_band(count: int) -> str:
    for band in outcome_rules().session_bands:
        if band.min <= count <= band.max:
            return band.label
    return str(count)


def immpact_label(percent_reduction: float | None) -> str:
    """The IMMPACT word for a percentage reduction ("" below the smallest band or when undefined)."""
    if percent_reduction is None:
        return ""
    for band in sorted(outcome_rules().responder.immpact_bands, key=lambda b: -b.min):
        if percent_reduction >= band.min:
            return band.label
    return ""


def suggest(facts: dict[str, Any]) -> dict[str, Any]:
    """The suggestion (continue / adjust / refer) for a re-evaluation point, with every reason that fired."""
    book = rulebook()
    facts = {
        "adjust_after_week": book.rules.suggestions.adjust_after_week,
        "low_attendance": book.rules.suggestions.low_attendance,
        **facts,
    }
    fired = [r for r in book.rules.suggestions.rules if book.compiled[r.id].matches(facts)]
    if not fired:
        action: str = "continue"
    else:
        action = min((r.action for r in fired), key=lambda a: ACTION_ORDER[a])
    return {
        "action": action,
        "reasons": [
            {"id": r.id, "action": r.action, "reason": r.reason, "basis": r.basis}
            for r in sorted(fired, key=lambda r: ACTION_ORDER[r.action])
        ],
        "rules_version": book.rules.version,
    }
