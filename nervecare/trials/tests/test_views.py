"""The therapist's trial pages and the client's portal page: propose, consent, withdraw, the result shown."""

import datetime as dt

import pytest

from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.trials.models import Trial
from nervecare.trials.services import client_today
from nervecare.trials.tests.factories import b_days_of, diary, make_trial

pytestmark = pytest.mark.django_db


def test_therapist_proposes_on_the_page(api, carla):
    _user, client = carla
    page = api.get(f"/clients/{client.id}/trials/")
    assert page.status_code == 200 and "Is the baseline stable?" in page.content.decode()
    start = client_today(client) + dt.timedelta(days=2)
    response = api.post(
        f"/clients/{client.id}/trials/",
        {
            "comparison": "sessions_vs_pause",
            "measure": "pain",
            "phases": 4,
            "weeks_total": 16,
            "min_phase_weeks": 2,
            "rating_every_days": 1,
            "start_date": start.isoformat(),
        },
    )
    trial = Trial.objects.get(client=client)
    assert response.status_code == 302 and response["Location"].endswith(f"/trials/{trial.id}/")
    detail = api.get(response["Location"]).content.decode()
    assert "Waiting for the client to agree" in detail


def test_bad_input_on_the_page_names_the_field(api, carla):
    _user, client = carla
    response = api.post(
        f"/clients/{client.id}/trials/",
        {
            "comparison": "sessions_vs_pause",
            "measure": "pain",
            "phases": 4,
            "weeks_total": 8,
            "min_phase_weeks": 2,
            "rating_every_days": 1,
            "start_date": (client_today(client) + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "possible schedules" in response.content.decode()
    assert not Trial.objects.exists()


def test_client_agrees_in_the_portal_then_withdraws(carla):
    user, client = carla
    trial = make_trial(client, start=client_today(client) + dt.timedelta(days=3), status="proposed")
    http = login(user)
    home = http.get("/portal/").content.decode()
    assert f"/portal/trials/{trial.id}/" in home
    page = http.get(f"/portal/trials/{trial.id}/").content.decode()
    assert "I agree to the trial" in page and "stop the trial whenever you want" in page
    assert http.post(f"/portal/trials/{trial.id}/consent/", {"text_version": "0"}).status_code == 422
    response = http.post(f"/portal/trials/{trial.id}/consent/", {"text_version": "1"})
    assert response.status_code == 302
    trial.refresh_from_db()
    assert trial.status == "active" and trial.consents.get().text_version == "1"
    assert http.post(f"/portal/trials/{trial.id}/withdraw/", {}).status_code == 302
    trial.refresh_from_db()
    assert trial.status == "withdrawn"


def test_portal_shows_todays_phase_and_rating_prompt(carla):
    user, client = carla
    today = client_today(client)
    trial = make_trial(client, start=today - dt.timedelta(days=4))
    client.diary_entries.filter(day=today).delete()
    page = login(user).get(f"/portal/trials/{trial.id}/").content.decode()
    assert "Day 5 of 112" in page and "Rate today in your diary" in page


def test_completed_trial_shows_chart_and_result_to_both(api, carla):
    user, client = carla
    today = client_today(client)
    trial = make_trial(client, start=today - dt.timedelta(days=7 * 16 + 2), index=60)
    client.diary_entries.all().delete()
    diary(client, trial.start_date, trial.end_date, level=6, effect=-2.5, b_days=b_days_of(trial), seed=2)
    staff = api.get(f"/clients/{client.id}/trials/{trial.id}/").content.decode()
    assert "<svg" in staff and "Randomisation test p-value" in staff and "AR(1)" in staff
    assert AuditEvent.objects.filter(action="view", summary="Single-client trial viewed").exists()
    portal = login(user).get(f"/portal/trials/{trial.id}/").content.decode()
    assert "What your trial showed" in portal and "<svg" in portal
    assert "p-value" not in portal and "You knew which weeks were which" in portal


def test_other_client_cannot_open_the_portal_trial(carla, dan):
    _user, client = carla
    dan_user, _ = dan
    trial = make_trial(client, start=dt.date(2030, 1, 7), status="proposed")
    http = login(dan_user)
    assert http.get(f"/portal/trials/{trial.id}/").status_code == 404
    assert http.post(f"/portal/trials/{trial.id}/consent/", {"text_version": "1"}).status_code == 404


def test_the_client_report_pdf_has_the_trial_section(api, carla):
    from nervecare.outcomes.analysis import client_outcomes
    from nervecare.outcomes.selectors import client_data
    from nervecare.trials.reports import trial_report_section

    _user, client = carla
    today = client_today(client)
    trial = make_trial(client, start=today - dt.timedelta(days=7 * 16 + 2), index=60)
    client.diary_entries.all().delete()
    diary(client, trial.start_date, trial.end_date, level=6, effect=-2.5, b_days=b_days_of(trial), seed=2)
    result = client_outcomes(client_data(client))
    plain = trial_report_section(result, plain=True)
    assert any("Does it help me?" in getattr(f, "text", "") for f in _flat(plain))
    response = api.get(f"/clients/{client.id}/outcomes/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def _flat(story):
    for f in story:
        yield from _flat(getattr(f, "_content", [])) if hasattr(f, "_content") else [f]
