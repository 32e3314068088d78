"""The claims ledger's estimates checked against SciPy and statsmodels on the same numbers, and its rules
(Farrar's clinically important change, "no data yet", "not measurable here") on hand-made readings."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from nervecare.outcomes.claims.definitions import ledger_measures
from nervecare.outcomes.claims.ledger import client_ledger, client_measure, clinic_ledger, clinic_measure
from nervecare.outcomes.claims.rows import Reading

T0 = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)


def series(values: list[float], *, days: int = 3, key: str = "") -> list[Reading]:
    return [Reading(T0 + dt.timedelta(days=i * days), float(v), i + 1, key) for i, v in enumerate(values)]


def test_client_change_is_scipys_one_sample_t_against_the_baseline():
    readings = series([7, 6, 6, 5, 4, 5, 4])  # baseline 7; window: the last 28 days of follow-up
    out = client_measure(ledger_measures()["pain"], readings, asked=True)
    window = np.array([6, 6, 5, 4, 5, 4], dtype=float)  # 3-day spacing: all within 28 days of the last
    ci = sps.ttest_1samp(window - 7, 0).confidence_interval(0.95)
    assert out["change"]["value"] == pytest.approx(float(np.mean(window - 7)))
    assert (out["change"]["low"], out["change"]["high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert out["important_count"] == 1  # 7 -> 5.0: a fall of 2 points (Farrar)
    assert out["n_readings"] == 7 and out["n_visits"] == 7


def test_stress_within_a_session_is_scipys_paired_t():
    before, after = [7, 6, 8, 5, 7], [4, 4, 5, 4, 3]
    readings = [*series(before, key="before"), *series(after, key="after")]
    out = client_measure(ledger_measures()["stress"], sorted(readings, key=lambda r: r.at), asked=True)
    ci = sps.ttest_rel(after, before).confidence_interval(0.95)
    assert out["change"]["value"] == pytest.approx(np.mean(np.subtract(after, before)))
    assert (out["change"]["low"], out["change"]["high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.lists(st.integers(0, 10), min_size=1, max_size=6)),
        min_size=2,
        max_size=25,
    )
)
def test_clinic_change_and_share_match_scipy_and_statsmodels(clients):
    per_client = {i: series([b, *rest]) for i, (b, rest) in enumerate(clients)}
    out = clinic_measure(ledger_measures()["pain"], per_client)
    changes = [float(np.mean(rest)) - b for b, rest in clients]
    important = [
        (b - np.mean(rest) >= 2) or (b > 0 and (b - np.mean(rest)) / b * 100 >= 30) for b, rest in clients
    ]
    assert out["n_clients"] == len(clients)
    assert out["change"]["value"] == pytest.approx(np.mean(changes))
    if np.std(changes, ddof=1) > 0:
        ci = sps.ttest_1samp(changes, 0).confidence_interval(0.95)
        assert (out["change"]["low"], out["change"]["high"]) == pytest.approx((ci.low, ci.high), abs=1e-9)
    else:
        assert out["change"]["low"] is None and "no interval" in out["change"]["note"]
    low, high = proportion_confint(sum(important), len(important), alpha=0.05, method="wilson")
    assert out["important_count"] == sum(important)
    assert (out["important_share"]["low"], out["important_share"]["high"]) == pytest.approx((low, high))


def test_measures_without_a_published_threshold_show_raw_change_only():
    per_client = {1: series([5, 3]), 2: series([6, 5])}
    out = clinic_measure(ledger_measures()["sleep_quality"], per_client)
    assert out["important"]["published"] is False and "No published" in out["important"]["note"]
    assert out["important_share"] is None and out["change"]["value"] == pytest.approx(-1.5)


def test_no_data_is_not_no_effect_and_the_unmeasurable_are_listed():
    ledger = clinic_ledger({1: {}, 2: {}}, clinic={"id": 1, "name": "X"})
    claims = {c["id"]: c for c in ledger["claims"]}
    assert claims["nerve_pain"]["status"] == "no_data"
    assert claims["nerve_pain"]["measures"][0]["text"] == "No data yet."
    assert claims["immunity"]["status"] == "not_measurable"
    assert claims["immunity"]["not_measurable"][0]["title"] == "Immunity"
    assert {n["code"] for n in claims["circulation"]["not_measurable"]} == {"circulation", "nerve_oxygen"}
    assert "nerve_repair" in {n["code"] for n in claims["nerve_improvement"]["not_measurable"]}
    assert "no control group" in ledger["caveat"] and "regression to the mean" in ledger["caveat"]
    assert "no effect" not in str(ledger["claims"]).replace("not evidence of no effect", "")


def test_published_evidence_is_the_clinical_references_numbers():
    ledger = client_ledger({}, asked=set(), client={"id": 1, "name": "X"})
    pain = next(c for c in ledger["claims"] if c["id"] == "nerve_pain")
    results = {s["id"]: s["result"] for s in pain["studies"]}
    assert "−1.6 (95% CI −1.9 to −1.2)" in results["mskcc2025"]
    assert "−1.11 (95% CI −1.97 to −0.24)" in results["meta_manual"]
    assert "−2.3 vs −0.6" in results["lopez2022"]
    mood = next(c for c in ledger["claims"] if c["id"] == "mood")
    assert mood["studies"] == [] and "No study" in mood["no_study"]
    headache = next(c for c in ledger["claims"] if c["id"] == "migraine")["measures"][0]
    assert headache["text"].startswith("Not asked")


def test_months_claim_counts_only_readings_after_twelve_weeks():
    readings = series([6, 5, 5], days=30)  # day 0, 30, 60: none at 84 days or more
    m = ledger_measures()["numbness_months"]
    assert client_measure(m, readings, asked=True)["status"] == "no_data"
    later = series([6, 5, 5, 4], days=30)  # day 90
    assert client_measure(m, later, asked=True)["change"]["value"] == pytest.approx(-2.0)


def test_range_of_motion_changes_per_joint_and_side():
    readings = [
        Reading(T0, 10, 1, "ankle_dorsiflexion:left"),
        Reading(T0, 12, 1, "ankle_dorsiflexion:right"),
        Reading(T0 + dt.timedelta(weeks=6), 16, 2, "ankle_dorsiflexion:left"),
        Reading(T0 + dt.timedelta(weeks=6), 20, 2, "ankle_dorsiflexion:right"),
    ]
    out = client_measure(ledger_measures()["rom"], readings, asked=True)
    assert [j["change"] for j in out["joints"]] == [6, 8]
    assert [j["full_normal_range"] for j in out["joints"]] == [False, True]  # AAOS: 0-20°
    assert out["change"]["value"] == pytest.approx(7)
