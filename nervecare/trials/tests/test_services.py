"""Propose, consent, decline, withdraw, end: who may, the safety rules, and refusals by field."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from nervecare.clients.tests.factories import ConditionFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.trials import services
from nervecare.trials.consent import consent_text
from nervecare.trials.models import Trial, TrialEvent

pytestmark = pytest.mark.django_db


def _propose(actor, client, **kw):
    args = {
        "comparison_code": "sessions_vs_pause",
        "measure": "pain",
        "phases": 4,
        "weeks_total": 16,
        "min_phase_weeks": 2,
        "rating_every_days": 1,
        "start_date": services.client_today(client) + dt.timedelta(days=3),
    }
    return services.trial_propose(actor=actor, client=client, **{**args, **kw})


def test_therapist_proposes_and_the_schedule_is_drawn_from_the_admissible_set(therapist_user, carla):
    _user, client = carla
    trial = _propose(therapist_user, client)
    assert trial.status == "proposed" and trial.n_schedules == 165
    assert 0 <= trial.schedule_index < 165 and sum(trial.schedule["weeks"]) == 16
    assert trial.stability["stable"] and trial.stability["n"] == 28
    assert trial.alternative == "less"
    assert TrialEvent.objects.filter(trial=trial, kind="proposed", by=therapist_user).exists()
    assert AuditEvent.objects.filter(object_id=str(trial.pk), action="create").exists()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"comparison_code": "reiki_vs_nothing"}, "comparison"),
        ({"measure": "mood"}, "measure"),
        ({"start_date": dt.date(2020, 1, 1)}, "start_date"),
        ({"weeks_total": 99}, "weeks_total"),
        ({"phases": 3}, "phases"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(therapist_user, carla, kw, field):
    _user, client = carla
    with pytest.raises(FieldErrors) as err:
        _propose(therapist_user, client, **kw)
    assert field in err.value.errors
    assert not Trial.objects.exists()


def test_an_unstable_diary_is_refused(therapist_user, dan):
    _user, client = dan  # no diary at all
    with pytest.raises(FieldErrors) as err:
        _propose(therapist_user, client)
    assert "not stable enough" in err.value.errors["measure"]


def test_an_acute_condition_is_refused(therapist_user, carla):
    _user, client = carla
    ConditionFactory(client=client, phase="acute")
    with pytest.raises(FieldErrors) as err:
        _propose(therapist_user, client)
    assert "onset phase" in err.value.errors["measure"]


def test_one_trial_at_a_time(therapist_user, carla):
    _user, client = carla
    _propose(therapist_user, client)
    with pytest.raises(FieldErrors) as err:
        _propose(therapist_user, client)
    assert "already has a trial" in err.value.errors["client"]


def test_front_desk_and_the_client_may_not_propose(front_desk_user, carla):
    user, client = carla
    for actor in (front_desk_user, user):
        with pytest.raises(PermissionDenied):
            _propose(actor, client)


def test_client_consents_with_the_text_version_and_the_words_kept(therapist_user, carla):
    user, client = carla
    trial = _propose(therapist_user, client)
    version = consent_text(trial)["version"]
    with pytest.raises(FieldErrors) as err:
        services.trial_consent(actor=user, trial=trial, text_version="0")
    assert "text_version" in err.value.errors
    consent = services.trial_consent(actor=user, trial=trial, text_version=version)
    trial.refresh_from_db()
    assert trial.status == "active"
    assert consent.method == "electronic" and consent.recorded_by == user
    assert "16 weeks" in consent.text and "stop the trial whenever you want" in consent.text
    with pytest.raises(FieldErrors):
        services.trial_consent(actor=user, trial=trial, text_version=version)


def test_another_client_may_not_consent_or_withdraw(therapist_user, carla, dan):
    _user, client = carla
    dan_user, _dan_client = dan
    trial = _propose(therapist_user, client)
    with pytest.raises(PermissionDenied):
        services.trial_consent(actor=dan_user, trial=trial, text_version="1")
    with pytest.raises(PermissionDenied):
        services.trial_withdraw(actor=dan_user, trial=trial)


def test_therapist_records_paper_consent_but_not_electronic(therapist_user, carla):
    _user, client = carla
    trial = _propose(therapist_user, client)
    with pytest.raises(FieldErrors) as err:
        services.trial_consent(actor=therapist_user, trial=trial, text_version="1", method="electronic")
    assert "method" in err.value.errors
    consent = services.trial_consent(actor=therapist_user, trial=trial, text_version="1", method="written")
    assert consent.method == "written"


def test_client_withdraws_at_any_time(therapist_user, carla):
    user, client = carla
    trial = _propose(therapist_user, client)
    services.trial_consent(actor=user, trial=trial, text_version="1")
    services.trial_withdraw(actor=user, trial=trial)
    trial.refresh_from_db()
    assert trial.status == "withdrawn" and trial.ended_by == user
    assert trial.consents.get().withdrawn_at is not None
    assert trial.events.filter(kind="withdrawn", by=user).exists()
    with pytest.raises(FieldErrors):
        services.trial_withdraw(actor=user, trial=trial)


def test_client_declines(therapist_user, carla):
    user, client = carla
    trial = _propose(therapist_user, client)
    services.trial_decline(actor=user, trial=trial, reason="not now")
    trial.refresh_from_db()
    assert trial.status == "declined"


def test_therapist_says_no_to_the_pause_with_a_reason(therapist_user, carla):
    user, client = carla
    trial = _propose(therapist_user, client)
    services.trial_consent(actor=user, trial=trial, text_version="1")
    with pytest.raises(FieldErrors) as err:
        services.trial_stop(actor=therapist_user, trial=trial, reason="  ", pause_refused=True)
    assert "reason" in err.value.errors
    services.trial_stop(actor=therapist_user, trial=trial, reason="pain flare last week", pause_refused=True)
    trial.refresh_from_db()
    assert trial.status == "stopped" and trial.ended_by == therapist_user
    event = trial.events.get(kind="pause_refused")
    assert event.by == therapist_user and "pain flare" in event.reason


def test_a_stop_flag_refuses_a_proposal_and_consent_and_ends_a_running_trial(therapist_user, carla):
    from nervecare.trials.tests.factories import stop_flag

    user, client = carla
    trial = _propose(therapist_user, client)
    flag = stop_flag(client)
    with pytest.raises(FieldErrors) as err:
        services.trial_consent(actor=user, trial=trial, text_version="1")
    assert "stop flag" in err.value.errors["trial"]
    ended = services.trial_safety_check(client=client)
    assert ended is not None and ended.status == "stopped"
    event = ended.events.get(kind="stopped")
    assert event.flag == flag and event.by is None and "Suspected DVT" in event.reason
    with pytest.raises(FieldErrors) as err:
        _propose(therapist_user, client)
    assert "stop flag" in err.value.errors["client"]


def test_a_record_change_that_raises_a_stop_flag_ends_the_trial(therapist_user, carla):
    """The real path: the therapist records a condition, the safety check raises a stop flag (acute
    Guillain-Barre, screening's rules), and the trial ends in the same transaction, the flag named."""
    from nervecare.clients.services import condition_add

    user, client = carla
    trial = _propose(therapist_user, client)
    services.trial_consent(actor=user, trial=trial, text_version="1")
    condition_add(
        actor=therapist_user,
        client=client,
        data={
            "type": "autoimmune",
            "cause": "autoimmune",
            "diagnosis_code": "guillain_barre",
            "phase": "acute",
        },
    )
    trial.refresh_from_db()
    assert trial.status == "stopped"
    event = trial.events.get(kind="stopped")
    assert event.flag is not None and event.flag.level == "stop" and event.by is None
