"""The claims' measures as data (issue 21 point 1): PHQ-2 and GAD-2 scored by the published rule, the
measure catalogue's sources, and who is asked what (the applies_when rules)."""

import itertools
from decimal import Decimal

import pytest

from nervecare.clients.models import BodyMap, BodyMapMark, Condition, MedicalContext
from nervecare.clients.tests.factories import ClientFactory
from nervecare.screening import instruments
from nervecare.screening.instruments import ScoringError
from nervecare.screening.measures import (
    applicable_diary_fields,
    applicable_instruments,
    applicable_movements,
    applies,
    catalogue,
    client_facts,
    measure,
)

# The published items (Kroenke 2003; Kroenke 2007) and their 0-3 frequency scale.
PHQ2_ITEMS = ["Little interest or pleasure in doing things", "Feeling down, depressed, or hopeless"]
GAD2_ITEMS = ["Feeling nervous, anxious or on edge", "Not being able to stop or control worrying"]
FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"]


@pytest.mark.parametrize(("code", "items"), [("phq2", PHQ2_ITEMS), ("gad2", GAD2_ITEMS)])
def test_items_and_scale_are_the_published_ones(code, items):
    d = instruments.get_definition(code)
    assert [i.text for i in d.items] == items
    for item in d.items:
        assert [o.label for o in item.options] == FREQUENCY
        assert [int(o.score) for o in item.options] == [0, 1, 2, 3]
    assert (d.scoring.min, d.scoring.max) == (0, 6)
    assert "no permission is required" in d.licence


@pytest.mark.parametrize("code", ["phq2", "gad2"])
@pytest.mark.parametrize(("a", "b"), list(itertools.product(range(4), repeat=2)))
def test_every_answer_pair_scores_by_the_published_rule(code, a, b):
    """Total = item 1 + item 2; 3 or more screens positive (the published cut-off)."""
    result = instruments.score(instruments.get_definition(code), {"1": a, "2": b})
    assert result["total"] == Decimal(a + b)
    assert result["interpretation"]["positive"] is (a + b >= 3)
    cutoff = result["interpretation"]["cutoffs"][0]
    assert cutoff["rule"] == ">= 3"
    assert "Kroenke" in cutoff["source"]


@pytest.mark.parametrize("bad", [{"1": 4, "2": 0}, {"1": -1, "2": 0}, {"1": 1}, {"1": True, "2": 0}])
def test_bad_answers_are_refused_by_item(bad):
    with pytest.raises(ScoringError) as exc:
        instruments.score(instruments.get_definition("phq2"), bad)
    assert all(k.startswith("answers.") for k in exc.value.errors)


def test_every_measure_has_a_source_or_says_none_is_published():
    cat = catalogue()
    for m in cat.measures.values():
        assert (
            m.important_change
            or "raw change" in m.important_change_note
            or "counted" in m.important_change_note
        )
    tug = measure("tug")
    assert tug.cutoff is not None and tug.cutoff.value == Decimal("13.5")
    assert "Shumway-Cook" in tug.cutoff.source
    rom = measure("rom")
    assert {k: (v.normal_min, v.normal_max) for k, v in rom.movements.items()} == {
        "ankle_dorsiflexion": (0, 20),
        "ankle_plantarflexion": (0, 50),
        "wrist_extension": (0, 70),
        "wrist_flexion": (0, 80),
    }
    assert "Orthopaedic" in rom.normal_ranges_source
    assert set(cat.not_measurable) == {"immunity", "circulation", "nerve_oxygen", "nerve_repair"}


def test_rules_match_the_facts():
    facts = {"comorbidity": {"migraine"}, "symptom": set(), "limb": set(), "goals": {""}}
    assert applies(measure("headache_days"), facts)
    assert not applies(measure("joint_pain"), facts)
    assert not applies(measure("cramps_per_week"), facts)
    assert applies(measure("cramps_per_week"), {**facts, "goals": {"ease the cramps at night"}})
    assert applies(measure("phq2"), {})


@pytest.mark.django_db
def test_a_client_is_asked_only_what_concerns_them(clinic):
    plain = ClientFactory(clinic=clinic, goals="Relaxation")
    assert applicable_diary_fields(plain) == ["sleep_quality"]
    assert applicable_instruments(plain) == ["phq2", "gad2", "nrs_sleep_quality"]
    assert applicable_movements(plain) == {}

    legs = ClientFactory(clinic=clinic, goals="Fewer cramps, better balance.")
    Condition.objects.create(client=legs, type="peripheral", cause="diabetes_t2", cramps=6, balance=4)
    MedicalContext.objects.create(client=legs, comorbidities=["arthritis"])
    body_map = BodyMap.objects.create(client=legs, recorded_at="2026-01-05T10:00:00Z")
    BodyMapMark.objects.create(
        body_map=body_map, region="sole", side="left", sensation="numbness", intensity=5
    )
    facts = client_facts(legs)
    assert facts["limb"] == {"leg"}
    assert applicable_diary_fields(legs) == ["cramp_count", "cramp_worst", "sleep_quality", "joint_pain"]
    assert "headache_days" not in applicable_instruments(legs)
    assert set(applicable_movements(legs)) == {"ankle_dorsiflexion", "ankle_plantarflexion"}
