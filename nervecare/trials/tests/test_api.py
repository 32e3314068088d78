"""The trials API: create, read with the result, consent, withdraw, end; refusals by field; who may."""

import datetime as dt
import json

import pytest

from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.trials.models import Trial
from nervecare.trials.services import client_today
from nervecare.trials.tests.factories import b_days_of, diary, make_trial

pytestmark = pytest.mark.django_db


def _post(http, url, body):
    return http.post(url, json.dumps(body), content_type="application/json")


def _body(client, **kw):
    return {
        "comparison": "sessions_vs_pause",
        "measure": "pain",
        "start_date": (client_today(client) + dt.timedelta(days=2)).isoformat(),
        **kw,
    }


def test_create_read_consent_end(api, carla):
    _user, client = carla
    response = _post(api, f"/api/v1/clients/{client.id}/trials", _body(client))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "proposed" and data["n_schedules"] == 165 and data["state"] == "proposed"
    tid = data["id"]
    text = api.get(f"/api/v1/clients/{client.id}/trials/{tid}/consent-text").json()
    response = _post(
        api,
        f"/api/v1/clients/{client.id}/trials/{tid}/consent",
        {"text_version": text["version"], "method": "verbal"},
    )
    assert response.status_code == 201 and response.json()["consent"]["method"] == "verbal"
    got = api.get(f"/api/v1/clients/{client.id}/trials/{tid}").json()
    assert got["state"] == "scheduled" and got["result"]["test"] is None
    assert AuditEvent.objects.filter(action="view", summary__contains="trial viewed (API)").exists()
    response = _post(api, f"/api/v1/clients/{client.id}/trials/{tid}/end", {"reason": ""})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    response = _post(
        api, f"/api/v1/clients/{client.id}/trials/{tid}/end", {"reason": "flare", "pause_refused": True}
    )
    assert response.status_code == 200 and response.json()["status"] == "stopped"
    assert response.json()["events"][-1]["kind"] == "pause_refused"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"weeks_total": 8}, "weeks_total"),
        ({"measure": "mood"}, "measure"),
        ({"start_date": "2020-01-01"}, "start_date"),
        ({"phases": 5}, "phases"),
        ({"start_date": "not a date"}, "start_date"),
        ({"rating_every_days": 2, "min_phase_weeks": 1}, "min_phase_weeks"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, carla, kw, field):
    _user, client = carla
    response = _post(api, f"/api/v1/clients/{client.id}/trials", _body(client, **kw))
    assert response.status_code == 422, response.content
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields
    assert all(e.get("label") for e in response.json()["errors"])
    assert not Trial.objects.exists()


def test_completed_trial_result_in_the_api(api, carla):
    _user, client = carla
    today = client_today(client)
    trial = make_trial(client, start=today - dt.timedelta(days=7 * 16 + 2), index=40)
    client.diary_entries.all().delete()
    diary(client, trial.start_date, trial.end_date, level=6, effect=-2, b_days=b_days_of(trial), seed=8)
    data = api.get(f"/api/v1/clients/{client.id}/trials/{trial.id}").json()
    r = data["result"]
    assert data["state"] == "completed" and r["final"]
    assert 0 < r["test"]["p_value"] <= 1 and "Edgington" in r["test"]["method"]
    assert (
        r["effect"]["low"] < r["effect"]["estimate"] < r["effect"]["high"]
        and "AR(1)" in r["effect"]["method"]
    )
    assert r["plain"] and r["caveats"]


def test_same_visibility_as_the_outcomes(carla, junior_therapist_user, front_desk_user, other_clinic_user):
    _user, client = carla
    trial = make_trial(client, start=dt.date(2030, 1, 7), status="proposed")
    for user, status in ((junior_therapist_user, 404), (other_clinic_user, 404), (front_desk_user, 403)):
        http = login(user)
        assert http.get(f"/api/v1/clients/{client.id}/trials/{trial.id}").status_code == status
        assert http.get(f"/api/v1/clients/{client.id}/outcomes").status_code == status
        response = _post(http, f"/api/v1/clients/{client.id}/trials/{trial.id}/withdraw", {})
        assert response.status_code == status
    trial.refresh_from_db()
    assert trial.status == "proposed"


def test_another_clients_trial_id_is_404(api, carla, dan):
    _user, client = carla
    _dan_user, dan_client = dan
    trial = make_trial(dan_client, start=dt.date(2030, 1, 7), status="proposed")
    assert api.get(f"/api/v1/clients/{client.id}/trials/{trial.id}").status_code == 404
