"""Every fact a safety rule or a foot-check rule names exists (review, issue 20's rule resolver).

An absent fact reads as null (core/rule_context.py), so a misspelled name in a rule file (`foot_wound_or_ulcr`)
would never fire and nothing would say so. These tests collect the names each rule expression reads (rule_engine
asks a type resolver for every symbol while it parses) and check them against the facts the code produces: the
record's facts (screening.safety.gather_facts, which sets every one of them even for a blank record), the facts a
foot-check report adds (its rule's `fact`, with `_side`, `_area` and `_because`), and for the foot-check rules the
findings a report ticks."""

import datetime

import pytest
import rule_engine

from nervecare.footcheck import rules as footcheck_rules
from nervecare.screening import safety
from nervecare.screening.models import SafetyThresholds


def _names_read(expressions: list[str]) -> set[str]:
    seen: set[str] = set()

    def resolver(name: str) -> rule_engine.DataType:
        seen.add(name)
        return rule_engine.DataType.UNDEFINED

    context = rule_engine.Context(type_resolver=resolver, default_value=None)
    for text in expressions:
        rule_engine.Rule(text, context=context)
    return seen


def _record_facts() -> set[str]:
    return set(
        safety.gather_facts(
            thresholds=SafetyThresholds(),
            conditions=[],
            medical=None,
            latest_answers={},
            today=datetime.date(2026, 12, 8),
        )
    )


def _reported_facts() -> set[str]:
    return {
        rule.fact + suffix
        for rule in footcheck_rules.rules().rules
        for suffix in ("", "_side", "_area", "_because")
    }


def test_the_names_are_collected_so_a_misspelling_would_be_caught():
    assert _names_read(["foot_wound_or_ulcr == true and platelets < 50000"]) == {
        "foot_wound_or_ulcr",
        "platelets",
    }
    assert "foot_wound_or_ulcr" not in _record_facts() | _reported_facts()


def test_every_safety_rule_reads_facts_that_exist():
    known = _record_facts() | _reported_facts()
    unknown = {
        rule.id: sorted(_names_read([rule.when]) - known)
        for rule in safety.ruleset().rules
        if _names_read([rule.when]) - known
    }
    assert unknown == {}, f"rules naming facts nothing produces (a misspelling never fires): {unknown}"


@pytest.mark.parametrize("rule", footcheck_rules.rules().rules, ids=lambda r: r.id)
def test_every_foot_check_rule_reads_findings_a_report_ticks(rule):
    assert _names_read([rule.when]) <= set(footcheck_rules.finding_codes())
    # and the fact it raises is one a safety rule reads (else the report would open no flag)
    safety_reads = _names_read([r.when for r in safety.ruleset().rules])
    assert rule.fact in safety_reads
