"""The design's rules (data/trial_rules.yaml): admissible schedules, refusals by field, stability."""

import datetime as dt

import numpy as np
import pytest

from nervecare.core.errors import FieldErrors
from nervecare.trials.design import Schedule, draw, stability, validate_design
from nervecare.trials.rules import trial_rules


def test_a_sixteen_week_abab_design_has_165_schedules():
    schedules = validate_design(
        weeks_total=16, phases=4, min_phase_weeks=2, rating_every_days=1, randomise_first=False
    )
    assert len(schedules) == 165
    assert all(s.labels == ["A", "B", "A", "B"] for s in schedules)
    assert all(sum(s.weeks) == 16 and min(s.weeks) >= 2 for s in schedules)


def test_randomising_the_first_condition_doubles_the_set():
    schedules = validate_design(
        weeks_total=16, phases=4, min_phase_weeks=2, rating_every_days=1, randomise_first=True
    )
    assert len(schedules) == 330
    assert {s.first for s in schedules} == {"A", "B"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phases": 5}, "phases"),
        ({"weeks_total": 4}, "weeks_total"),
        ({"weeks_total": "12"}, "weeks_total"),
        ({"min_phase_weeks": 0}, "min_phase_weeks"),
        ({"rating_every_days": 3}, "rating_every_days"),
        # every other day for one week: 3 ratings, fewer than 5 a phase
        ({"min_phase_weeks": 1, "rating_every_days": 2}, "min_phase_weeks"),
        # 8 weeks, 4 phases of at least 2: one schedule only, fewer than 20
        ({"weeks_total": 8}, "weeks_total"),
        ({"weeks_total": 10, "phases": 6}, "weeks_total"),
    ],
)
def test_bad_designs_are_refused_naming_the_field(kwargs, field):
    args = {
        "weeks_total": 16,
        "phases": 4,
        "min_phase_weeks": 2,
        "rating_every_days": 1,
        "randomise_first": False,
    }
    with pytest.raises(FieldErrors) as err:
        validate_design(**{**args, **kwargs})
    assert field in err.value.errors


def test_the_p_value_can_reach_alpha_in_every_allowed_design():
    rules = trial_rules()["design"]
    assert rules["min_admissible"] >= 1 / rules["alpha"]


def test_draw_is_within_the_set():
    schedules = validate_design(
        weeks_total=16, phases=4, min_phase_weeks=2, rating_every_days=1, randomise_first=False
    )
    assert all(0 <= draw(schedules) < len(schedules) for _ in range(50))


def test_schedule_phases_and_days():
    s = Schedule(first="A", weeks=(2, 3, 4, 3))
    phases = s.phases(dt.date(2026, 1, 5))
    assert [p["condition"] for p in phases] == ["A", "B", "A", "B"]
    assert phases[0]["end"] == dt.date(2026, 1, 18)
    assert phases[1]["start"] == dt.date(2026, 1, 19)
    assert phases[-1]["end"] == dt.date(2026, 1, 5) + dt.timedelta(days=83)
    days = s.day_conditions()
    assert days.size == 84 and days[:14].sum() == 0 and days[14:35].all()
    assert Schedule.from_dict(s.as_dict()) == s


def test_a_flat_diary_is_stable():
    rng = np.random.default_rng(1)
    days = list(range(28))
    out = stability(list(np.clip(np.round(5 + rng.normal(0, 1, 28)), 0, 10)), days)
    assert out["stable"], out["reasons"]


@pytest.mark.parametrize(
    ("ratings", "reason"),
    [
        ([5, 6] * 4, "only 8 diary ratings"),
        ([1, 9] * 14, "vary too much"),
        ([round(2 + d * 0.15) for d in range(28)], "rising"),
        ([round(8 - d * 0.15) for d in range(28)], "falling"),
    ],
)
def test_an_unstable_or_short_diary_is_not(ratings, reason):
    out = stability(ratings, list(range(len(ratings))))
    assert not out["stable"]
    assert any(reason in r for r in out["reasons"])
