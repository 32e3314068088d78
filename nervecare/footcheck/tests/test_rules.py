"""The report -> flag rules, built from the published guidance (clinical-reference.md §2 and §6):

- IWGDF 2023: people at risk tell a health professional AT ONCE of any new blister, cut or sore; the NHS
  foot-health pathway makes a new foot wound a STOP for the area (foot team within 24 h): rule `new_wound`
  raises the existing `foot_ulcer_wound_infection` stop.
- NICE NG19: a red, warm, swollen foot may be acute Charcot (refer within 1 working day); the pathway stops
  treatment: rule `hot_swollen_foot` (warmth with swelling or redness) raises the existing `suspected_charcot`.
- Redness, swelling or a colour change alone: told to contact a health professional today (IWGDF), no stop.
"""

import itertools

import pytest

from nervecare.clients import bodymap
from nervecare.footcheck import rules
from nervecare.screening.safety import ruleset


def _raised(**found):
    return {r.raises for r in rules.fired(found)}


@pytest.mark.parametrize("finding", ["blister", "new_cut"])
def test_a_new_wound_raises_the_foot_wound_stop(finding):
    assert _raised(**{finding: True}) == {"foot_ulcer_wound_infection"}


@pytest.mark.parametrize("other", ["swelling", "redness"])
def test_a_warm_foot_with_swelling_or_redness_raises_suspected_charcot(other):
    assert _raised(warmth=True, **{other: True}) == {"suspected_charcot"}


@pytest.mark.parametrize("alone", ["warmth", "swelling", "redness", "colour_change"])
def test_one_sign_alone_raises_no_stop(alone):
    assert _raised(**{alone: True}) == set()


def test_nothing_found_raises_nothing():
    assert rules.fired({}) == []


def test_every_combination_follows_the_published_rule():
    codes = rules.finding_codes()
    for values in itertools.product([False, True], repeat=len(codes)):
        found = dict(zip(codes, values, strict=True))
        expected = set()
        if found["new_cut"] or found["blister"]:
            expected.add("foot_ulcer_wound_infection")
        if found["warmth"] and (found["swelling"] or found["redness"]):
            expected.add("suspected_charcot")
        assert _raised(**found) == expected, found


def test_each_rule_raises_an_existing_stop_flag_that_reads_its_fact_and_cites_its_source():
    safety = {r.id: r for r in ruleset().rules}
    for rule in rules.rules().rules:
        target = safety[rule.raises]
        assert target.level == "stop"
        assert rule.fact in target.when, (rule.id, target.when)
        assert rule.source.strip()
    assert "IWGDF" in rules.rule_by_id("new_wound").source
    assert "NICE NG19" in rules.rule_by_id("hot_swollen_foot").source


def test_eligibility_is_loss_of_protective_sensation_or_diabetes_from_the_safety_rules():
    safety = {r.id for r in ruleset().rules}
    assert rules.eligibility_flags() == ["lops", "diabetic_foot_care"]
    assert set(rules.eligibility_flags()) <= safety
    assert "IWGDF 2023" in rules.rules().eligibility.source


def test_the_places_are_the_body_maps_foot_regions():
    known = bodymap.regions()
    for code, label in rules.region_choices():
        assert known[code]["label"] == label
        assert known[code]["limb"] == "leg"


def test_the_missed_days_threshold_is_data_and_a_setting(settings):
    settings.NERVECARE_FOOTCHECK_MISSED_DAYS = 0
    assert rules.missed_days() == rules.rules().missed_days == 3
    settings.NERVECARE_FOOTCHECK_MISSED_DAYS = 5
    assert rules.missed_days() == 5
