"""The clinic's immediate effect (the MSKCC design): the within-session change pooled across clients, one
value per client, with a 95% t interval — checked against SciPy on the same numbers and against the published
single-session cohort (MSKCC 2025: pain −1.6, 95% CI −1.9 to −1.2, 23 clients; clinical-reference.md §3)."""

import datetime as dt

import numpy as np
import pytest
from scipy import stats as sps

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.outcomes.cohort import CohortFilters, clinic_outcomes
from nervecare.outcomes.immediate import cohort_immediate_effect, per_client_changes, pooled_immediate_effect
from nervecare.outcomes.tests.conftest import WEEK, now, session
from nervecare.visits.models import NoteAmendment

pytestmark = pytest.mark.django_db


def scipy_ci(values):
    res = sps.ttest_1samp(values, 0.0)
    ci = res.confidence_interval(0.95)
    return float(np.mean(values)), float(ci.low), float(ci.high)


def test_the_published_single_session_cohort_is_reproduced_from_its_summary():
    # 23 clients, one session each, mean change −1.56 with an SD that gives the published interval.
    rng = np.random.default_rng(23)
    z = rng.standard_normal(23)
    z = (z - z.mean()) / z.std(ddof=1)
    sd = 0.34 * np.sqrt(23) / sps.t.ppf(0.975, 22)
    changes = -1.56 + sd * z
    result = pooled_immediate_effect([(float(c), 1, float(c)) for c in changes])
    est = result["first_session"]
    assert (round(est.value, 1), round(est.low, 1), round(est.high, 1)) == (-1.6, -1.9, -1.2)
    assert result["per_client"].value == pytest.approx(est.value)
    assert result["clients"] == 23 and result["sessions"] == 23


@pytest.fixture
def clinic_sessions(clinic, alice_therapist):
    """Four clients: several sessions each (one amended), an unsigned note, a session without an after."""
    start = now() - WEEK * 3
    clients = [ClientFactory(clinic=clinic, first_name=f"C{i}") for i in range(4)]
    for c in clients:
        ConditionFactory(client=c, type="peripheral", cause="chemotherapy")
    plan = {
        0: [(6, 4), (5, 4), (5, 2)],
        1: [(7, 7)],
        2: [(3, 1), (4, 3)],
        3: [(8, 5), (6, 6)],
    }
    notes = {}
    for i, pairs in plan.items():
        for w, (b, a) in enumerate(pairs):
            notes[(i, w)] = session(
                clients[i],
                alice_therapist,
                start + WEEK * w + dt.timedelta(hours=i),
                pain_before=b,
                pain_after=a,
            )
    # Not counted: a draft note, and a signed note without an after rating.
    session(clients[1], alice_therapist, start + WEEK * 2, signed=False, pain_before=9, pain_after=1)
    session(clients[2], alice_therapist, start + WEEK * 2 + dt.timedelta(hours=5), pain_before=9)
    # An amendment corrects client 3's first session: after 5 → 3.
    NoteAmendment.objects.create(note=notes[(3, 0)], reason="typo", changes={"pain_after": [5, 3]})
    return clients


EXPECTED = {  # per client: the mean of their own changes; first session's change
    0: ((-2 - 1 - 3) / 3, -2),
    1: (0.0, 0.0),
    2: ((-2 - 1) / 2, -2),
    3: ((-5 + 0) / 2, -5),
}


def test_one_value_per_client_matches_scipy(clinic, clinic_sessions):
    rows = per_client_changes(clinic, "pain")
    assert sorted((round(m, 6), n, f) for m, n, f in rows) == sorted(
        (round(m, 6), n, f) for (m, f), n in zip(EXPECTED.values(), (3, 1, 2, 2), strict=True)
    )
    result = cohort_immediate_effect(clinic, "pain")
    mean, low, high = scipy_ci([m for m, _f in EXPECTED.values()])
    assert result["per_client"].value == pytest.approx(mean)
    assert (result["per_client"].low, result["per_client"].high) == (pytest.approx(low), pytest.approx(high))
    mean, low, high = scipy_ci([f for _m, f in EXPECTED.values()])
    assert result["first_session"].value == pytest.approx(mean)
    assert (result["first_session"].low, result["first_session"].high) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert result["clients"] == 4
    assert result["sessions"] == 8
    assert "one value per client" in result["method"].lower()
    assert "no comparison group" in result["caveat"]


def test_the_clinic_page_data_carry_it_beside_the_lasting_effect_and_follow_the_filters(
    clinic, clinic_sessions
):
    result = clinic_outcomes(clinic, CohortFilters(measure="pain"), with_model=False)
    assert result["immediate"]["clients"] == 4
    # Clients need no weeks of ratings after baseline to count here.
    assert result["immediate"]["clients"] > result["overall"]["evaluable"]
    none = clinic_outcomes(clinic, CohortFilters(measure="pain", cause="diabetes_t2"), with_model=False)
    assert none["immediate"]["clients"] == 0
    assert none["immediate"]["per_client"].value is None


def test_the_api_and_the_page_show_it(clinic, clinic_sessions, therapist_user):
    from django.test import Client as HttpClient
    from django.urls import reverse

    from nervecare.core.tests.factories import UserFactory

    admin = UserFactory(username="ada2", clinic=clinic, role="admin")
    http = HttpClient()
    http.force_login(admin)
    body = http.get("/api/v1/outcomes/clinic?measure=pain&model=false").json()
    assert body["immediate"]["clients"] == 4
    assert body["immediate"]["per_client"]["low"] < body["immediate"]["per_client"]["value"]
    page = http.get(reverse("outcomes:clinic") + "?measure=pain")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Immediate effect: change within a session" in html
    assert "First session of each client" in html
