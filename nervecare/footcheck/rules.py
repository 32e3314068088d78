"""The daily foot check's clinical content, read from data/foot_check_rules.yaml (its sources are there):
who does the check, what the form asks, and which report raises which existing safety flag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

import rule_engine
from django.conf import settings
from pydantic import BaseModel

from nervecare.clients import bodymap
from nervecare.core.rule_context import rule_context
from nervecare.core.vocab import PACKAGE_DIR, load_yaml

RULES_FILE = "footcheck/data/foot_check_rules.yaml"


class Finding(BaseModel):
    code: str
    label: str
    hint: str = ""


class Foot(BaseModel):
    code: str
    label: str


class ReportRule(BaseModel):
    id: str
    title: str
    when: str
    fact: str
    raises: str
    source: str


class Eligibility(BaseModel):
    flags: list[str]
    source: str


class Advice(BaseModel):
    urgent: str
    urgent_session: str
    clear: str


class FootCheckRules(BaseModel):
    version: str
    source: str
    eligibility: Eligibility
    findings: list[Finding]
    regions: list[str]
    feet: list[Foot]
    rules: list[ReportRule]
    advice: Advice
    missed_days: int


@dataclass(frozen=True)
class Loaded:
    data: FootCheckRules
    sha256: str
    compiled: dict[str, rule_engine.Rule]


@cache
def _loaded() -> Loaded:
    data = FootCheckRules.model_validate(load_yaml(RULES_FILE))
    codes = {f.code for f in data.findings}
    context = rule_context()
    compiled = {}
    for rule in data.rules:
        compiled[rule.id] = rule_engine.Rule(rule.when, context=context)
    known_regions = bodymap.regions()
    unknown = [r for r in data.regions if r not in known_regions]
    if unknown:
        raise ValueError(f"{RULES_FILE}: regions not in the body-map vocabulary: {unknown}")
    if len(codes) != len(data.findings):
        raise ValueError(f"{RULES_FILE}: duplicate finding codes")
    sha = hashlib.sha256((PACKAGE_DIR / RULES_FILE).read_bytes()).hexdigest()
    return Loaded(data=data, sha256=sha, compiled=compiled)


def rules() -> FootCheckRules:
    return _loaded().data


def finding_codes() -> list[str]:
    return [f.code for f in rules().findings]


def finding_labels() -> dict[str, str]:
    return {f.code: f.label for f in rules().findings}


def foot_labels() -> dict[str, str]:
    return {f.code: f.label for f in rules().feet}


def region_choices() -> list[tuple[str, str]]:
    """(code, label) of the foot's regions, in the body map's words."""
    known = bodymap.regions()
    return [(code, str(known[code]["label"])) for code in rules().regions]


def region_labels() -> dict[str, str]:
    return dict(region_choices())


def eligibility_flags() -> list[str]:
    return list(rules().eligibility.flags)


def missed_days() -> int:
    """After how many days without a check a client is listed as having stopped (a setting overrides the
    data's default)."""
    value = getattr(settings, "NERVECARE_FOOTCHECK_MISSED_DAYS", None)
    return int(value) if value else rules().missed_days


def fired(findings: dict[str, bool]) -> list[ReportRule]:
    """The report rules that hold for these findings (each a yes/no by finding code)."""
    loaded = _loaded()
    facts: dict[str, Any] = {code: bool(findings.get(code)) for code in finding_codes()}
    return [r for r in loaded.data.rules if loaded.compiled[r.id].matches(facts)]


def rule_by_id(rule_id: str) -> ReportRule | None:
    return next((r for r in rules().rules if r.id == rule_id), None)
