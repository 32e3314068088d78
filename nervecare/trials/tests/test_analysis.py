"""A trial's result from the diary: the phases, the test and the effect once completed, words for the client."""

import datetime as dt

import pytest

from nervecare.trials.selectors import today_prompt, trial_result, trial_state
from nervecare.trials.tests.factories import b_days_of, diary, make_trial

pytestmark = pytest.mark.django_db


def test_a_completed_trial_with_a_real_effect(carla):
    _user, client = carla
    today = dt.date(2026, 12, 7)
    trial = make_trial(client, start=today - dt.timedelta(days=7 * 16 + 3), index=77)
    client.diary_entries.all().delete()
    diary(
        client,
        trial.start_date,
        trial.end_date,
        level=6,
        sd=0.8,
        effect=-2.5,
        b_days=b_days_of(trial),
        seed=3,
    )
    result = trial_result(trial, today=today)
    assert result["state"] == "completed" and result["final"]
    assert result["test"]["n_schedules"] == 165
    assert result["test"]["p_value"] <= 0.05 and result["test"]["significant"]
    assert result["test"]["statistic"] == pytest.approx(
        result["by_condition"]["B"]["mean"] - result["by_condition"]["A"]["mean"]
    )
    effect = result["effect"]
    assert effect["low"] < -2.5 < effect["high"]
    assert "lower in the weeks with sessions than in the pause weeks" in result["plain"]
    assert "unlikely to be chance alone" in result["plain"]
    assert "randomisation test p =" in result["summary"]
    assert [p["condition"] for p in result["phases"]] == ["A", "B", "A", "B"]


def test_no_effect_says_it_could_be_chance_not_that_there_is_none(carla):
    _user, client = carla
    today = dt.date(2026, 12, 7)
    trial = make_trial(client, start=today - dt.timedelta(days=7 * 16 + 1), index=10)
    client.diary_entries.all().delete()
    diary(client, trial.start_date, trial.end_date, level=5, sd=1.0, seed=4)
    result = trial_result(trial, today=today)
    if not result["test"]["significant"]:
        assert "could easily be chance" in result["plain"] and "not proof" in result["plain"]


def test_a_running_trial_has_no_test_yet_and_a_prompt_for_today(carla):
    _user, client = carla
    today = dt.date(2026, 12, 7)
    trial = make_trial(client, start=today - dt.timedelta(days=10))
    result = trial_result(trial, today=today)
    assert result["state"] == "running" and not result["final"] and result["test"] is None
    prompt = today_prompt(trial, today)
    assert prompt["day"] == 11 and prompt["rating_day"]
    assert prompt["is_pause"] == (prompt["phase"]["condition"] == "A")


def test_states(carla):
    _user, client = carla
    trial = make_trial(client, start=dt.date(2026, 12, 10), status="proposed")
    assert trial_state(trial, dt.date(2026, 12, 7)) == "proposed"
    trial.status = "active"
    assert trial_state(trial, dt.date(2026, 12, 7)) == "scheduled"
    assert trial_state(trial, trial.end_date + dt.timedelta(days=1)) == "completed"


def test_too_few_ratings_in_a_phase_give_no_result(carla):
    _user, client = carla
    today = dt.date(2026, 12, 7)
    trial = make_trial(client, start=today - dt.timedelta(days=7 * 16 + 1))
    client.diary_entries.all().delete()
    diary(client, trial.start_date, trial.start_date + dt.timedelta(days=20))
    result = trial_result(trial, today=today)
    assert result["final"] and result["test"] is None and "too few" in result["plain"]
