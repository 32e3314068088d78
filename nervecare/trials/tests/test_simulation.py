"""Simulated trials with a known effect (small and seeded; bench/trial_power.py runs many more): a designed
effect is found at about the rate the bench reports, and a null effect is not found more often than alpha."""

import math

from nervecare.trials.simulation import Scenario, run

# A-B-A-B over 16 weeks, phases of at least 2 weeks, daily ratings with 10% missing, AR(1) 0.3, SD 1.5.
DESIGN = {"weeks_total": 16, "phases": 4, "min_phase_weeks": 2}
# bench/trial_power.py (4000 simulated trials): power 0.93 for a 2-point effect in this design.
EXPECTED_POWER = 0.93


def test_a_null_effect_is_not_found_more_often_than_alpha():
    n = 400
    runs = run(Scenario(**DESIGN, effect=0.0), n, seed=20261207)
    rate = runs.rejection_rate(0.05)
    # One-sided 99% Monte Carlo margin above the stated alpha.
    assert rate <= 0.05 + 2.33 * math.sqrt(0.05 * 0.95 / n)


def test_a_two_point_effect_is_found_at_the_expected_rate():
    n = 300
    runs = run(Scenario(**DESIGN, effect=-2.0), n, seed=20261208)
    rate = runs.rejection_rate(0.05)
    margin = 2.58 * math.sqrt(EXPECTED_POWER * (1 - EXPECTED_POWER) / n)
    assert abs(rate - EXPECTED_POWER) <= margin


def test_an_effect_the_other_way_is_not_found_by_the_one_sided_test():
    runs = run(Scenario(**DESIGN, effect=+2.0), 200, seed=3)
    assert runs.rejection_rate(0.05) == 0.0


def test_the_interval_covers_the_true_effect_about_95_percent_of_the_time():
    runs = run(Scenario(**DESIGN, effect=-1.0), 60, seed=4, with_regression=True)
    covered = runs.covered[~(runs.covered != runs.covered)]  # drop NaN (no fit)
    assert covered.size >= 55
    assert covered.mean() >= 0.85
