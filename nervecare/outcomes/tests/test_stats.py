"""The statistics, checked against SciPy/statsmodels computed here on the same data, and against published
summaries (clinical-reference.md section 3)."""

import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from nervecare.outcomes import stats
from nervecare.outcomes.rules import immpact_label, outcome_rules, suggest

RULES = {"points": 2, "percent": 30, "worse_points": 2, "min_weeks": 3}


def simulate_paired(n: int, mean: float, sd: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Before/after ratings whose differences have exactly the given mean and SD."""
    rng = np.random.default_rng(seed)
    diff = rng.normal(size=n)
    diff = (diff - diff.mean()) / diff.std(ddof=1) * sd + mean
    before = rng.normal(5.5, 1.5, size=n)
    return before, before + diff


# --- Against SciPy / statsmodels -----------------------------------------------------------------------------


def test_mean_ci_matches_scipy_one_sample_t():
    values = np.array([3.0, 4.5, 2.0, 5.0, 4.0, 3.5, 6.0])
    est = stats.mean_ci(values)
    ci = sps.ttest_1samp(values, 0).confidence_interval(0.95)
    assert est.value == pytest.approx(values.mean())
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))
    assert est.n == 7


def test_change_from_baseline_is_a_one_sample_t_against_the_baseline():
    weekly = [5.0, 4.0, 4.5, 3.0]
    est = stats.change_from_baseline(6.0, weekly)
    ci = sps.ttest_1samp(np.array(weekly) - 6.0, 0).confidence_interval(0.95)
    assert est.value == pytest.approx(-1.875)
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))


def test_paired_change_matches_scipy_paired_t():
    before = [6, 5, 7, 4, 6, 5]
    after = [4, 4, 5, 4, 3, 4]
    est = stats.paired_change(before, after)
    ci = sps.ttest_rel(after, before).confidence_interval(0.95)
    assert est.value == pytest.approx(np.mean(np.subtract(after, before)))
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))


def test_paired_change_skips_sessions_missing_a_rating():
    est = stats.paired_change([6, None, 5, 4], [4, 3, None, 3])
    assert est.n == 2
    assert est.value == pytest.approx(-1.5)


def test_ols_trend_matches_statsmodels_ols():
    weeks = np.array([0, 1, 2, 3, 5, 6, 8])
    values = np.array([6.0, 5.5, 5.0, 5.0, 4.0, 4.5, 3.0])
    trend = stats.ols_trend(weeks, values)
    fit = sm.OLS(values, sm.add_constant(weeks)).fit()
    low, high = fit.conf_int(alpha=0.05)[1]
    assert trend.slope.value == pytest.approx(fit.params[1])
    assert (trend.slope.low, trend.slope.high) == pytest.approx((low, high))
    assert trend.intercept == pytest.approx(fit.params[0])
    assert trend.p_value == pytest.approx(fit.pvalues[1])


@pytest.mark.parametrize(("k", "n"), [(4, 22), (11, 24), (0, 10), (10, 10), (37, 120)])
def test_wilson_matches_statsmodels(k, n):
    # 4 of 22 and 11 of 24: DN4-positive at week 6 in Izgu et al. 2019 (clinical-reference.md section 3).
    est = stats.wilson(k, n)
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert est.value == pytest.approx(k / n)
    assert (est.low, est.high) == pytest.approx((low, high))


def test_summary_ci_matches_scipy_from_raw_values():
    values = np.array([-2.0, -1.0, -1.5, 0.0, -3.0])
    est = stats.summary_ci(len(values), values.mean(), values.std(ddof=1))
    ci = sps.ttest_1samp(values, 0).confidence_interval(0.95)
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))


# --- Against the published summaries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "mean", "low", "high"),
    [("pain", -1.6, -1.9, -1.2), ("neuropathy", -1.2, -1.4, -0.9)],
)
def test_mskcc_single_session_change_and_ci_are_reproduced(measure, mean, low, high):
    """MSKCC 2025 cohort, one massage session, n = 23: simulate before/after ratings whose differences have the
    published mean and the SD the published 95% CI implies, and get the published numbers back."""
    n = 23
    half_width = (high - low) / 2
    sd = half_width / sps.t.ppf(0.975, n - 1) * math.sqrt(n)
    before, after = simulate_paired(n, mean, sd, seed=23)
    est = stats.paired_change(before, after)
    assert est.n == 23
    assert est.value == pytest.approx(mean, abs=1e-9)
    # The published interval is rounded to one decimal (and slightly asymmetric because of it).
    assert est.low == pytest.approx(low, abs=0.06)
    assert est.high == pytest.approx(high, abs=0.06)
    assert est.high < 0  # the interval excludes no change, as published


def test_lopez_sessions_completed_mean_and_ci_from_the_published_sd():
    """Lopez et al. 2022: sessions completed of 12 at 3x/week, 8.9 (SD 4.2); its CI follows from n and SD."""
    rng = np.random.default_rng(71)
    n = 24  # about a third of 71 were randomised 2:2:1:1 to each frequency
    x = rng.normal(size=n)
    x = (x - x.mean()) / x.std(ddof=1) * 4.2 + 8.9
    est = stats.mean_ci(x)
    half = sps.t.ppf(0.975, n - 1) * 4.2 / math.sqrt(n)
    assert est.value == pytest.approx(8.9)
    assert (est.low, est.high) == pytest.approx((8.9 - half, 8.9 + half))


# --- Edge cases: say why, never invent an interval or divide by zero --------------------------------------------


def test_one_value_has_no_interval_and_says_so():
    est = stats.mean_ci([4.0])
    assert est.value == 4.0 and not est.has_ci
    assert "one value" in est.note


def test_identical_values_have_no_interval_and_say_why():
    est = stats.change_from_baseline(5.0, [4.0, 4.0, 4.0])
    assert est.value == -1.0 and not est.has_ci
    assert "no variation" in est.note


def test_flat_ratings_have_a_zero_trend_without_interval():
    trend = stats.ols_trend([0, 1, 2, 3], [5, 5, 5, 5])
    assert trend.slope.value == 0.0 and not trend.slope.has_ci
    assert "did not change" in trend.slope.note


def test_trend_with_one_point_or_one_week_has_no_slope():
    assert stats.ols_trend([0], [5]).slope.value is None
    assert "same week" in stats.ols_trend([2, 2], [5, 3]).slope.note
    two = stats.ols_trend([0, 1], [6, 4])
    assert two.slope.value == pytest.approx(-2) and not two.slope.has_ci


def test_paired_change_with_no_pairs_or_the_same_change_each_time():
    assert stats.paired_change([], []).value is None
    same = stats.paired_change([6, 5, 4], [4, 3, 2])
    assert same.value == -2 and not same.has_ci and "same in every session" in same.note


def test_wilson_with_nobody_to_count():
    est = stats.wilson(0, 0)
    assert est.value is None and est.note


def test_percent_change_is_undefined_for_a_baseline_of_zero():
    assert stats.percent_change(0, 3) is None
    assert stats.percent_change(None, 3) is None
    assert stats.percent_change(5, 4) == pytest.approx(-20)


# --- Responder classification -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "weeks", "expected"),
    [
        (None, None, 0, stats.NO_DATA),
        (6, 3, 2, stats.INSUFFICIENT),  # a big change, but only 2 weeks: no verdict yet
        (6, None, 0, stats.INSUFFICIENT),
        (6, 4, 3, stats.RESPONDER),  # 2 points
        (10, 7, 3, stats.RESPONDER),  # 3 points and exactly 30%
        (3, 2, 4, stats.RESPONDER),  # 1 point but 33%: either threshold counts (Farrar 2001)
        (6, 4.5, 3, stats.BELOW_THRESHOLD),  # 1.5 points, 25%
        (6, 6, 5, stats.BELOW_THRESHOLD),
        (4, 6, 3, stats.WORSE),
        (0, 0, 3, stats.NOT_APPLICABLE),  # nothing to reduce; percent undefined
        (0, 1, 3, stats.NOT_APPLICABLE),
        (0, 2, 3, stats.WORSE),
    ],
)
def test_classify(baseline, current, weeks, expected):
    assert stats.classify(baseline, current, weeks, **RULES) == expected


@given(
    baseline=st.one_of(st.none(), st.integers(0, 10)),
    current=st.one_of(st.none(), st.floats(0, 10, allow_nan=False)),
    weeks=st.integers(0, 8),
)
def test_classify_arrays_agrees_with_classify(baseline, current, weeks):
    expected = stats.classify(baseline, current, weeks, **RULES)
    got = stats.classify_arrays(
        np.array([np.nan if baseline is None else baseline]),
        np.array([np.nan if current is None else current]),
        np.array([weeks]),
        **RULES,
    )[0]
    assert got == expected


def test_thresholds_come_from_the_rules_file_with_their_source():
    rules = outcome_rules()
    assert (rules.responder.points, rules.responder.percent) == (2, 30)
    assert "Farrar" in rules.responder.source
    assert rules.pgic.responder_max == 2
    assert "NerveCare default" in rules.data.source
    assert immpact_label(55).startswith("substantial")
    assert immpact_label(5) == ""


def test_every_suggestion_rule_cites_a_basis_and_the_most_serious_action_wins():
    for rule in outcome_rules().suggestions.rules:
        assert rule.basis.strip()
        assert "cure" not in rule.reason.lower()
    facts = {
        "week": 8,
        "weeks_of_data": 8,
        "enough_data": True,
        "any_responder": True,
        "rating_responder": True,
        "pgic": 2,
        "pgic_responder": True,
        "pgic_much_worse": False,
        "any_worse": True,  # a responder on one rating, worse on another
        "severe_adverse_event": False,
        "unresolved_adverse_event": False,
        "soreness_high": False,
        "attendance": 1.0,
        "stopped": False,
        "open_stop_flags": 0,
        "final": False,
    }
    result = suggest(facts)
    assert result["action"] == "refer"
    assert [r["id"] for r in result["reasons"]] == ["worse_rating", "responder"]


# --- The fast paths give SciPy's very floats (not just close ones): the outcome JSON must not change ----------


def _ratings(draw_from: np.random.Generator, n: int) -> np.ndarray:
    kind = draw_from.integers(3)
    if kind == 0:
        return draw_from.integers(0, 11, size=n).astype(float)  # 0-10 ratings, as recorded
    if kind == 1:
        return draw_from.integers(0, 21, size=n) / 2  # weekly means of two sessions
    return draw_from.normal(0, draw_from.uniform(0.01, 50), size=n) + draw_from.uniform(-1e3, 1e3)


def test_t_interval_and_quantile_are_scipys_floats_exactly():
    rng = np.random.default_rng(20261125)
    for _ in range(3000):
        df = int(rng.integers(1, 400))
        loc = float(rng.choice([rng.normal(0, 5), rng.integers(-10, 11), rng.uniform(-1e6, 1e6)]))
        scale = float(rng.choice([rng.uniform(1e-9, 1e-3), rng.uniform(0.01, 10), rng.uniform(10, 1e6)]))
        confidence = float(rng.choice([0.95, 0.9, 0.99, rng.uniform(0.01, 0.999)]))
        low, high = sps.t.interval(confidence, df, loc=loc, scale=scale)
        assert stats.t_interval(confidence, df, loc, scale) == (float(low), float(high))
        q = float(rng.choice([0.5 + 0.95 / 2, rng.uniform(0.001, 0.999)]))
        assert stats.t_quantile(q, df) == float(sps.t.ppf(q, df))


def test_paired_interval_is_scipys_ttest_rel_exactly():
    rng = np.random.default_rng(7)
    for _ in range(3000):
        n = int(rng.integers(2, 60))
        before, after = _ratings(rng, n), _ratings(rng, n)
        diff = after - before
        if float(diff.std(ddof=1)) == 0.0:
            continue
        ci = sps.ttest_rel(after, before).confidence_interval(0.95)
        assert stats.paired_t_interval(diff) == (float(ci.low), float(ci.high))
        est = stats.paired_change(before.tolist(), after.tolist())
        assert (est.low, est.high) == (float(ci.low), float(ci.high))


def test_mean_and_trend_intervals_are_scipys_exactly():
    rng = np.random.default_rng(11)
    for _ in range(1500):
        n = int(rng.integers(3, 40))
        values = _ratings(rng, n)
        est = stats.mean_ci(values)
        if est.has_ci:
            sem = float(values.std(ddof=1)) / math.sqrt(n)
            low, high = sps.t.interval(0.95, n - 1, loc=float(values.mean()), scale=sem)
            assert (est.low, est.high) == (float(low), float(high))
        weeks = np.sort(rng.integers(0, 30, size=n)).astype(float)
        trend = stats.ols_trend(weeks.tolist(), values.tolist())
        if trend.slope.has_ci:
            fit = sps.linregress(weeks, values)
            half = float(sps.t.ppf(0.5 + 0.95 / 2, n - 2)) * float(fit.stderr)
            assert (trend.slope.low, trend.slope.high) == (float(fit.slope) - half, float(fit.slope) + half)


def test_linear_fit_is_scipys_linregress_exactly():
    rng = np.random.default_rng(3)
    for _ in range(3000):
        n = int(rng.integers(2, 40))
        x = np.sort(rng.integers(0, 30, size=n)).astype(float)
        if rng.integers(4) == 0:
            x = rng.normal(0, 10, size=n)
        y = _ratings(rng, n)
        if float(np.ptp(x)) == 0.0:
            continue
        fit = sps.linregress(x, y)
        slope, intercept, p_value, stderr = stats.linear_fit(x, y)
        expected = [float(fit.slope), float(fit.intercept), float(fit.stderr)] + (
            [float(fit.pvalue)] if n > 2 else []
        )
        got = [slope, intercept, stderr] + ([p_value] if n > 2 else [])
        assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(got, expected, strict=True))
