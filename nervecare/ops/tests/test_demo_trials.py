"""The demo's completed single-client trial: seeded once, completed, with a result from the raw diary."""

import pytest

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.ops.demo.trials import seed_trials
from nervecare.portal.models import DiaryEntry
from nervecare.trials.selectors import trial_result

pytestmark = pytest.mark.django_db


def test_seed_trials_makes_one_completed_trial_with_its_result(clinic, therapist_user):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, phase="chronic")
    trial = seed_trials(clinic, therapist_user)
    assert trial is not None and trial.client == client
    assert seed_trials(clinic, therapist_user) is None  # idempotent
    result = trial_result(trial)
    assert result["state"] == "completed" and result["final"]
    assert [p["condition"] for p in result["phases"]] == ["A", "B", "A", "B"]
    # The result is computed from the raw diary rows: the B - A difference of the phase means matches.
    b_days = {
        d
        for p in result["phases"]
        if p["condition"] == "B"
        for d in DiaryEntry.objects.filter(client=client, day__gte=p["start"], day__lte=p["end"]).values_list(
            "day", flat=True
        )
    }
    rows = DiaryEntry.objects.filter(client=client, day__gte=trial.start_date, day__lte=trial.end_date)
    b = [r.pain for r in rows if r.day in b_days]
    a = [r.pain for r in rows if r.day not in b_days]
    assert result["test"]["statistic"] == pytest.approx(sum(b) / len(b) - sum(a) / len(a))
    assert result["test"]["significant"] and result["effect"]["high"] < 0
    assert trial.consents.get().text_version == "1"
