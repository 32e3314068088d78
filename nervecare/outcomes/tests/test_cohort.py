"""The clinic's cohort: both engines agree with the client page client by client; group statistics match
statsmodels/SciPy on the same numbers; the mixed-effects model matches a statsmodels fit made here."""

import datetime as dt
import random
import warnings

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.stats.proportion import proportion_confint

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.core.tests.factories import TherapistFactory, UserFactory
from nervecare.outcomes import cohort, cohort_sql, mixed, stats
from nervecare.outcomes.analysis import client_outcomes
from nervecare.outcomes.selectors import client_data
from nervecare.outcomes.tests.conftest import WEEK, now, plan_for, response, session
from nervecare.scheduling.tests.factories import ServiceFactory
from nervecare.visits.models import AdverseEvent, NoteAmendment

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(clinic, alice_therapist, junior_therapist_user, therapist_user):
    """20 clients with every kind of history: intake screenings or not, missing weeks, two sessions in a week,
    amendments, no-shows, a baseline of 0, clients who stopped, one with nothing at all."""
    rng = random.Random(5)
    bob = junior_therapist_user.therapist
    service = ServiceFactory(clinic=clinic)
    clients = []
    for i in range(20):
        client = ClientFactory(clinic=clinic, first_name=f"C{i}")
        clients.append(client)
        if i == 19:
            continue  # nothing recorded yet
        ntype, cause = rng.choice(
            [("peripheral", "diabetes_t2"), ("peripheral", "chemotherapy"), ("focal", "injury")]
        )
        base = {m: rng.choice([None, 0, 3, 5, 7]) for m in ("pain", "numbness", "tingling")}
        ConditionFactory(client=client, type=ntype, cause=cause, **base)
        therapist = alice_therapist if i % 2 else bob
        plan = plan_for(
            client,
            therapist,
            modality=rng.choice(["swedish", "mld"]),
            status=rng.choice(["active", "completed", "cancelled"]),
        )
        weeks = rng.randint(0, 10)
        start = now() - WEEK * (weeks + rng.choice([0, 6])) - dt.timedelta(days=1)
        if i % 3:
            response(client, "nrs_pain", rng.randint(0, 10), start - dt.timedelta(days=rng.randint(-3, 5)))
        if i % 4 == 0:
            response(client, "nrs_numbness", rng.randint(0, 10), start + WEEK * 2, context="reevaluation")
        improving = rng.random() < 0.6
        for w in range(weeks):
            if rng.random() < 0.2:
                continue  # missed week
            status = "no_show" if rng.random() < 0.1 else "completed"
            ratings = {}
            for m in ("pain", "numbness", "tingling"):
                if rng.random() < 0.9:
                    b = max(
                        0, min(10, (base[m] or 5) - (w // 2 if improving else 0) + rng.choice([-1, 0, 1]))
                    )
                    ratings[f"{m}_before"] = b
                    ratings[f"{m}_after"] = max(0, b - rng.choice([0, 1, 2]))
            at = start + WEEK * w + dt.timedelta(hours=rng.choice([0, 1, -1]))
            note = session(
                client, therapist.user.therapist, at, plan=plan, service=service, status=status, **ratings
            )
            if status == "completed" and rng.random() < 0.1:
                session(
                    client,
                    therapist.user.therapist,
                    at + dt.timedelta(days=2),
                    plan=plan,
                    service=service,
                    pain_before=rng.randint(0, 10),
                )
            if status == "completed" and rng.random() < 0.1:
                NoteAmendment.objects.create(
                    note=note,
                    reason="typo",
                    changes={"pain_before": [ratings.get("pain_before"), rng.randint(0, 10)]},
                )
            if status == "completed" and rng.random() < 0.1:
                AdverseEvent.objects.create(note=note, kind="bruising", severity="mild", description="x")
    return clients


@pytest.mark.parametrize("engine", cohort_sql.ENGINES)
def test_both_engines_agree_with_the_client_page_client_by_client(network, clinic, engine):
    summaries = cohort_sql.client_summaries(clinic.id, engine=engine)
    checked = 0
    for client in network:
        result = client_outcomes(client_data(client))
        for m, s in result["measures"].items():
            got = summaries.get((client.id, m))
            if s["baseline"] is None:
                assert got is None
                continue
            baseline, current, n_weeks, last_week = got
            assert baseline == pytest.approx(s["baseline"]["value"])
            assert n_weeks == s["n_weeks"]
            assert last_week == (s["weekly"][-1]["week"] if s["weekly"] else None)
            if s["current"]["value"] is None:
                assert current is None
            else:
                assert current == pytest.approx(s["current"]["value"])
            checked += 1
    assert checked > 30


def test_the_cohort_responder_status_is_the_client_pages(network, clinic):
    result = cohort.clinic_outcomes(clinic, cohort.CohortFilters(measure="pain"), with_model=False)
    by_id = {r.client_id: r for r in result["clients"]}
    for client in network:
        assert by_id[client.id].status == client_outcomes(client_data(client))["measures"]["pain"]["status"]


def test_group_statistics_match_statsmodels_and_scipy(network, clinic):
    result = cohort.clinic_outcomes(clinic, cohort.CohortFilters(measure="pain"), with_model=False)
    rows = result["clients"]
    evaluable = [r for r in rows if r.status in (stats.RESPONDER, stats.BELOW_THRESHOLD, stats.WORSE)]
    k = sum(1 for r in evaluable if r.status == stats.RESPONDER)
    overall = result["overall"]
    assert overall["clients"] == 20 and overall["evaluable"] == len(evaluable) and overall["responders"] == k
    low, high = proportion_confint(k, len(evaluable), alpha=0.05, method="wilson")
    assert (overall["responder_rate"].low, overall["responder_rate"].high) == pytest.approx((low, high))
    changes = [
        r.current - r.baseline for r in rows if r.status != stats.INSUFFICIENT and r.status != stats.NO_DATA
    ]
    ci = sps.ttest_1samp(changes, 0).confidence_interval(0.95)
    assert overall["mean_change"].value == pytest.approx(np.mean(changes))
    assert (overall["mean_change"].low, overall["mean_change"].high) == pytest.approx((ci.low, ci.high))
    # Every dimension splits the same clients.
    for dimension, groups in result["groups"].items():
        assert sum(g["clients"] for g in groups) == 20, dimension
        assert sum(g["responders"] for g in groups) == k, dimension


def test_attendance_dropout_and_adverse_events(network, clinic):
    result = cohort.clinic_outcomes(clinic, with_model=False)
    rows = result["clients"]
    completed = sum(r.completed for r in rows)
    no_show = sum(r.no_show for r in rows)
    overall = result["overall"]
    assert overall["attendance_rate"] == pytest.approx(completed / (completed + no_show))
    assert overall["no_show_rate"] == pytest.approx(no_show / (completed + no_show))
    noted = [r for r in rows if r.signed_notes]
    assert overall["adverse_events"] == AdverseEvent.objects.count()
    assert overall["clients_with_adverse_event"].n == len(noted)
    started = [r for r in rows if r.completed]
    assert overall["dropout"].n == len(started)
    for client in network:
        row = next(r for r in rows if r.client_id == client.id)
        page = client_outcomes(client_data(client))["attendance"]
        assert (row.completed, row.no_show, row.dropped_out) == (
            page["completed"],
            page["no_show"],
            page["stopped"],
        )


def test_filters_restrict_the_clients_and_say_how_many(network, clinic, alice_therapist):
    result = cohort.clinic_outcomes(
        clinic, cohort.CohortFilters(therapist_id=alice_therapist.id, type="peripheral"), with_model=False
    )
    assert all(r.therapist_id == alice_therapist.id and r.type == "peripheral" for r in result["clients"])
    assert result["rests_on"].startswith(f"{len(result['clients'])} clients in this selection")
    assert "without a control group" in result["caveat"]


def test_mixed_model_matches_statsmodels_on_the_same_data(network, clinic):
    result = cohort.clinic_outcomes(clinic, cohort.CohortFilters(measure="pain"))
    model = result["model"]
    eligible = [r.client_id for r in result["clients"] if r.baseline is not None and r.n_weeks >= 1]
    rows = np.array(cohort_sql.weekly_rows(clinic.id, "pain", client_ids=eligible), dtype=float)
    assert model["clients"] == len(eligible) and model["observations"] == len(rows)
    assert model["fitted"]
    exog = np.column_stack([np.ones(len(rows)), rows[:, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = MixedLM(rows[:, 2], exog, groups=rows[:, 0], exog_re=None if model["fallback"] else exog).fit(
            reml=True, method=["lbfgs"], maxiter=200
        )
    assert model["slope"].value == pytest.approx(fit.fe_params[1], rel=1e-4, abs=1e-6)
    assert model["intercept"].value == pytest.approx(fit.fe_params[0], rel=1e-4, abs=1e-6)
    low, high = fit.conf_int(alpha=0.05)[1]
    assert (model["slope"].low, model["slope"].high) == pytest.approx((low, high), rel=1e-4, abs=1e-6)


def test_mixed_model_recovers_a_known_slope_and_falls_back_when_slopes_do_not_vary():
    rng = np.random.default_rng(3)
    clients, weeks, values = [], [], []
    for c in range(60):
        intercept, slope = 6 + rng.normal(0, 1), -0.3 + rng.normal(0, 0.1)
        for w in range(8):
            clients.append(c)
            weeks.append(w)
            values.append(intercept + slope * w + rng.normal(0, 0.5))
    fit = mixed.mixed_model_fit(np.array(clients), np.array(weeks, dtype=float), np.array(values))
    assert fit["fitted"] and fit["converged"] and not fit["fallback"]
    assert fit["slope"].low < -0.3 < fit["slope"].high
    assert fit["random_slope_sd"] == pytest.approx(0.1, abs=0.06)
    # The same slope for everybody: the random-slope variance sits on the boundary, so the fit falls back.
    flat = [6 + (c % 5) * 0.5 - 0.3 * w + rng.normal(0, 0.3) for c, w in zip(clients, weeks, strict=True)]
    fit = mixed.mixed_model_fit(np.array(clients), np.array(weeks, dtype=float), np.array(flat))
    assert fit["fitted"]
    assert fit["fallback"] or fit["converged"]
    if fit["fallback"]:
        assert fit["model"].startswith("random intercept only") and fit["problems"]


def test_mixed_model_says_when_there_is_too_little_data():
    fit = mixed.mixed_model_fit(np.array([1, 1, 2]), np.array([0.0, 1.0, 0.0]), np.array([5.0, 4.0, 6.0]))
    assert not fit["fitted"] and "Too few" in fit["note"]


def test_the_model_samples_many_clients_reproducibly():
    ids = list(range(1000))
    assert mixed.sample_clients(ids, 50) == mixed.sample_clients(list(reversed(ids)), 50)
    assert len(mixed.sample_clients(ids, 50)) == 50


def test_an_empty_clinic(other_clinic):
    result = cohort.clinic_outcomes(other_clinic)
    assert result["overall"]["clients"] == 0
    assert result["overall"]["responder_rate"].value is None
    assert not result["model"]["fitted"]


def test_clients_of_other_clinics_are_never_counted(network, clinic, other_clinic):
    stranger = ClientFactory(clinic=other_clinic)
    ConditionFactory(client=stranger, pain=8)
    other = TherapistFactory(user=UserFactory(clinic=other_clinic))
    for w in range(4):
        session(stranger, other, now() - WEEK * (4 - w), pain_before=8)
    ids = {c for c, _m in cohort_sql.client_summaries(clinic.id)}
    assert stranger.id not in ids
    assert cohort.clinic_outcomes(clinic, with_model=False)["overall"]["clients"] == 20


def test_clinic_summaries_are_cached_until_the_data_change(network, clinic, alice_therapist, monkeypatch):
    calls = []
    compute = cohort_sql.client_summaries
    monkeypatch.setattr(cohort_sql, "client_summaries", lambda *a, **k: calls.append(1) or compute(*a, **k))
    first = cohort.clinic_outcomes(clinic, with_model=False)
    again = cohort.clinic_outcomes(
        clinic, cohort.CohortFilters(measure="numbness", type="focal"), with_model=False
    )
    assert len(calls) == 1  # another measure or filter: the summaries come from the cache
    assert again["overall"]["clients"] <= first["overall"]["clients"]
    session(network[0], alice_therapist, now() - dt.timedelta(hours=3), pain_before=10)
    cohort.clinic_outcomes(clinic, with_model=False)
    assert len(calls) == 2  # a new signed note: computed again
