"""One client's outcomes: baseline, weeks, immediate vs lasting effect, responder status, suggestions, and
every edge case (one data point, missing weeks, a client who stopped, flat ratings, a baseline of 0)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy import stats as sps

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.outcomes import stats
from nervecare.outcomes.analysis import client_outcomes
from nervecare.outcomes.selectors import client_data
from nervecare.outcomes.series import course_week
from nervecare.outcomes.tests.conftest import WEEK, course, now, plan_for, response, session
from nervecare.visits.models import AdverseEvent, NoteAmendment

pytestmark = pytest.mark.django_db


def outcomes(client, **kwargs):
    return client_outcomes(client_data(client, **kwargs))


def new_client(clinic, **condition):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, **condition)
    return client


# --- The happy path -----------------------------------------------------------------------------------------


def test_an_improving_client_is_a_responder_with_numbers_matching_scipy(rosa):
    r = outcomes(rosa)
    pain = r["measures"]["pain"]
    assert pain["baseline"]["value"] == 6 and pain["baseline"]["source"] == "intake screening"
    assert [w["week"] for w in pain["weekly"]] == [1, 2, 3, 4, 5, 6]
    assert pain["current"]["value"] == pytest.approx((4 + 3 + 3) / 3)
    assert pain["change"]["points"] == pytest.approx(10 / 3 - 6)
    assert pain["change"]["percent"] == pytest.approx((10 / 3 - 6) / 6 * 100)
    ci = sps.ttest_1samp(np.array([4, 3, 3]) - 6.0, 0).confidence_interval(0.95)
    assert (pain["change"]["ci"].low, pain["change"]["ci"].high) == pytest.approx((ci.low, ci.high))
    assert pain["status"] == stats.RESPONDER
    assert "clinically important improvement" in pain["verdict"]
    # Trend: baseline at week 0 and the weekly values, by OLS.
    fit = sps.linregress([0, 1, 2, 3, 4, 5, 6], [6, 6, 5, 5, 4, 3, 3])
    assert pain["trend"].slope.value == pytest.approx(fit.slope)
    assert pain["trend"].slope.high < 0


def test_immediate_and_lasting_effects_are_kept_apart(rosa):
    pain = outcomes(rosa)["measures"]["pain"]
    before, after = [6, 5, 5, 4, 3, 3], [4, 4, 3, 3, 2, 2]
    imm = pain["immediate"]["mean"]
    ci = sps.ttest_rel(after, before).confidence_interval(0.95)
    assert imm.value == pytest.approx(np.mean(np.subtract(after, before)))
    assert (imm.low, imm.high) == pytest.approx((ci.low, ci.high))
    assert [s["change"] for s in pain["immediate"]["sessions"]] == [-2, -1, -2, -1, -1, -1]
    # The lasting series uses only the ratings before each session, never the ones after.
    assert [w["value"] for w in pain["weekly"]] == before


def test_the_summary_is_plain_and_never_claims_a_cure(rosa):
    r = outcomes(rosa)
    text = " ".join(r["summary"]) + r["caveat"]
    assert not re.search(r"\bcur(e|ed|es|ing)\b", text, re.I)
    assert "control" in r["caveat"] and "not whether massage caused" in r["caveat"]
    assert any("short-term effect" in line for line in r["summary"])


def test_screenings_pgic_and_soreness_trajectories(rosa, alice_therapist):
    t0 = rosa.session_notes.order_by("appointment__starts_at").first().appointment.starts_at
    response(rosa, "dn4", 5, t0 - dt.timedelta(days=2), summary="Neuropathic pain likely", max_total=10)
    response(
        rosa,
        "dn4",
        3,
        now() - dt.timedelta(days=1),
        context="reevaluation",
        summary="Not likely",
        max_total=10,
    )
    response(rosa, "pgic", 2, now() - dt.timedelta(days=1), context="reevaluation", max_total=7)
    r = outcomes(rosa)
    dn4 = r["instruments"][0]
    assert dn4["code"] == "dn4" and [p["total"] for p in dn4["points"]] == [5, 3] and dn4["change"] == -2
    assert r["pgic"]["latest"]["value"] == 2 and r["pgic"]["responder"] is True
    assert "Much improved" in r["pgic"]["text"]
    assert [p["value"] for p in r["soreness"]["points"]] == [3, 2, 2, 1, 1, 1]


# --- Baseline and weeks ------------------------------------------------------------------------------------------


def test_baseline_prefers_intake_screening_then_the_intake_record_then_the_first_session(
    clinic, alice_therapist
):
    a = new_client(clinic, pain=7)
    response(a, "nrs_pain", 5, now() - WEEK * 5)
    course(a, alice_therapist, [6, 6, 6])
    assert outcomes(a)["measures"]["pain"]["baseline"]["value"] == 5

    b = new_client(clinic, pain=7)
    course(b, alice_therapist, [6, 6, 6])
    assert outcomes(b)["measures"]["pain"]["baseline"]["source"] == "intake record"
    assert outcomes(b)["measures"]["pain"]["baseline"]["value"] == 7

    c = new_client(clinic)
    course(c, alice_therapist, [6, 5, 4, 4])
    pain = outcomes(c)["measures"]["pain"]
    assert pain["baseline"]["value"] == 6 and pain["baseline"]["source"] == "before session"
    assert [w["week"] for w in pain["weekly"]] == [2, 3, 4]  # the first session is the baseline itself


def test_an_intake_recorded_after_the_first_session_is_still_the_baseline(clinic, alice_therapist):
    client = new_client(clinic)
    course(client, alice_therapist, [5, 5, 5, 5])
    response(client, "nrs_pain", 8, now())  # entered late, as in the demo
    pain = outcomes(client)["measures"]["pain"]
    assert pain["baseline"]["value"] == 8
    assert [w["week"] for w in pain["weekly"]] == [1, 2, 3, 4]


def test_missing_weeks_are_gaps_not_zeros(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    course(client, alice_therapist, [6, None, None, 4, None, 3])
    pain = outcomes(client)["measures"]["pain"]
    assert [(w["week"], w["value"]) for w in pain["weekly"]] == [(1, 6), (4, 4), (6, 3)]
    assert pain["current"]["value"] == pytest.approx(13 / 3)
    fit = sps.linregress([0, 1, 4, 6], [6, 6, 4, 3])
    assert pain["trend"].slope.value == pytest.approx(fit.slope)


def test_two_sessions_in_one_week_count_once(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    start = now() - WEEK * 3
    session(client, alice_therapist, start, pain_before=6)
    session(client, alice_therapist, start + dt.timedelta(days=2), pain_before=4)
    session(client, alice_therapist, start + WEEK, pain_before=5)
    pain = outcomes(client)["measures"]["pain"]
    assert [(w["week"], w["value"], w["n"]) for w in pain["weekly"]] == [(1, 5, 2), (2, 5, 1)]


def test_a_daylight_saving_change_does_not_move_a_weekly_session_into_another_week():
    london = ZoneInfo("Europe/London")
    t0 = dt.datetime(2026, 3, 23, 10, 0, tzinfo=london)  # the clocks go forward on 29 March
    weeks = [course_week(dt.datetime(2026, 3, 23 + 7 * i, 10, 0, tzinfo=london), t0) for i in range(2)]
    later = course_week(dt.datetime(2026, 4, 6, 10, 0, tzinfo=london), t0)
    assert weeks == [1, 2] and later == 3


# --- Edge cases ----------------------------------------------------------------------------------------------------


def test_one_data_point_says_not_enough_data_yet(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    course(client, alice_therapist, [5])
    pain = outcomes(client)["measures"]["pain"]
    assert pain["status"] == stats.INSUFFICIENT
    assert "Not enough data yet" in pain["verdict"]
    assert not pain["change"]["ci"].has_ci and "one value" in pain["change"]["ci"].note


def test_a_client_with_no_ratings_at_all(clinic):
    client = ClientFactory(clinic=clinic)
    r = outcomes(client)
    assert all(m["status"] == stats.NO_DATA for m in r["measures"].values())
    assert r["course_start"] is None and r["reevaluations"] == []
    assert "No sessions yet" in r["attendance"]["text"]


def test_flat_ratings_have_no_interval_and_say_why(clinic, alice_therapist):
    client = new_client(clinic, pain=5)
    course(client, alice_therapist, [5, 5, 5, 5, 5], pain_after=[5, 5, 5, 5, 5])
    pain = outcomes(client)["measures"]["pain"]
    assert pain["status"] == stats.BELOW_THRESHOLD and "unchanged" in pain["verdict"]
    assert pain["change"]["points"] == 0 and not pain["change"]["ci"].has_ci
    assert "no variation" in pain["change"]["ci"].note
    assert pain["trend"].slope.value == 0 and "did not change" in pain["trend"].slope.note
    assert "same in every session" in pain["immediate"]["mean"].note


def test_a_baseline_of_zero_never_divides_by_zero(clinic, alice_therapist):
    client = new_client(clinic, pain=0)
    course(client, alice_therapist, [0, 1, 0, 1])
    pain = outcomes(client)["measures"]["pain"]
    assert pain["status"] == stats.NOT_APPLICABLE
    assert pain["change"]["percent"] is None and pain["change"]["percent_ci"] is None
    assert "undefined" in pain["change"]["percent_note"] and "undefined" in pain["verdict"]


def test_a_client_who_stopped_is_flagged_and_the_suggestion_says_so(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    plan = plan_for(client, alice_therapist)
    start = now() - WEEK * 10
    course(client, alice_therapist, [6, 6, 5], start=start, plan=plan)
    r = outcomes(client)
    assert r["attendance"]["stopped"] is True
    assert "stopped" in r["attendance"]["text"]
    point8 = next(p for p in r["reevaluations"] if p["week"] == 8)
    assert point8["reached"] and point8["suggestion"]["action"] == "adjust"
    assert "stopped" in [x["id"] for x in point8["suggestion"]["reasons"]]


def test_a_worse_client_gets_a_referral_suggestion(clinic, alice_therapist):
    client = new_client(clinic, pain=4)
    plan = plan_for(client, alice_therapist)
    course(client, alice_therapist, [4, 5, 6, 7, 7], plan=plan)
    r = outcomes(client)
    assert r["measures"]["pain"]["status"] == stats.WORSE
    point4 = r["reevaluations"][0]
    assert point4["reached"] and point4["suggestion"]["action"] == "refer"
    assert point4["suggestion"]["reasons"][0]["id"] == "worse_rating"


def test_no_response_by_week_eight_suggests_adjusting(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    plan = plan_for(client, alice_therapist)
    course(client, alice_therapist, [6, 6, 5, 6, 6, 5, 6, 6, 6], plan=plan)
    r = outcomes(client)
    actions = {p["week"]: p["suggestion"] and p["suggestion"]["action"] for p in r["reevaluations"]}
    assert actions[4] == "continue"  # too early to judge
    assert actions[8] == "adjust"
    reasons8 = [x["id"] for x in r["reevaluations"][1]["suggestion"]["reasons"]]
    assert reasons8 == ["no_response"]


def test_pgic_much_improved_counts_as_a_response_and_much_worse_refers(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    plan = plan_for(client, alice_therapist)
    notes = course(client, alice_therapist, [6, 6, 6, 6, 6], plan=plan)
    response(client, "pgic", 2, notes[3].appointment.starts_at, context="reevaluation", max_total=7)
    r = outcomes(client)
    assert r["reevaluations"][0]["suggestion"]["action"] == "continue"
    assert "responder" in [x["id"] for x in r["reevaluations"][0]["suggestion"]["reasons"]]
    response(
        client, "pgic", 7, notes[3].appointment.starts_at + dt.timedelta(minutes=5), context="reevaluation"
    )
    r = outcomes(client)
    assert r["reevaluations"][0]["suggestion"]["action"] == "refer"


def test_severe_adverse_event_and_amended_ratings(clinic, alice_therapist, therapist_user):
    client = new_client(clinic, pain=6)
    plan = plan_for(client, alice_therapist)
    notes = course(client, alice_therapist, [6, 5, 4, 4], plan=plan)
    AdverseEvent.objects.create(note=notes[1], kind="fall", severity="severe", description="Slipped.")
    # A correction to a signed note replaces the signed value in every analysis.
    NoteAmendment.objects.create(
        note=notes[3], author=therapist_user, reason="Typo", changes={"pain_before": [4, 2]}
    )
    r = outcomes(client)
    assert [w["value"] for w in r["measures"]["pain"]["weekly"]] == [6, 5, 4, 2]
    assert r["adverse_events"][0]["severity"] == "severe"
    assert r["reevaluations"][0]["suggestion"]["action"] == "refer"


def test_no_plan_means_no_reevaluation_points(clinic, alice_therapist):
    client = new_client(clinic, pain=6)
    course(client, alice_therapist, [6, 5, 4])
    r = outcomes(client)
    assert r["plan"] is None and r["reevaluations"] == [] and r["next_reevaluation"] is None


def test_a_future_point_is_not_judged_and_the_next_one_is_a_preview(rosa):
    r = outcomes(rosa)
    by_week = {p["week"]: p for p in r["reevaluations"]}
    assert by_week[4]["reached"] and by_week[4]["as_of_week"] == 4
    assert not by_week[8]["reached"] and by_week[8]["as_of_week"] == r["current_week"]
    assert by_week[12]["suggestion"] is None
    assert r["next_reevaluation"]["week"] == 8


def test_query_count_is_fixed(rosa, django_assert_max_num_queries):
    # + the home programme's items and check-offs (adherence per week on the outcomes page, issue 18)
    with django_assert_max_num_queries(11):
        outcomes(rosa)


def test_the_next_reevaluation_date_is_the_plan_pages(clinic, alice_therapist):
    """Issue 19 point 9: the outcomes page and the plan page show the same next re-evaluation date — the
    booked re-evaluation visit (scheduling.selectors.plan_progress)."""
    from nervecare.scheduling.selectors import plan_progress
    from nervecare.scheduling.tests.factories import AppointmentFactory

    client = new_client(clinic, pain=6)
    plan = plan_for(client, alice_therapist)
    course(client, alice_therapist, [6, 6], plan=plan)
    visit = AppointmentFactory(
        client=client,
        therapist=alice_therapist,
        plan=plan,
        status="booked",
        starts_at=now() + dt.timedelta(days=9, hours=3),
        due_measures=["nrs_pain", "pgic"],
    )
    expected = plan_progress(plan)["next_reevaluation"]["starts_at"]
    assert expected == visit.starts_at
    r = outcomes(client)
    assert r["next_reevaluation"]["date"] == expected
    assert r["next_reevaluation"]["appointment_id"] == visit.id
