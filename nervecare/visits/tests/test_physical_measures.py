"""Goniometer readings, the Timed Up and Go, and the note's stress and falls fields (issue 21 point 1)."""

import json

import pytest

from nervecare.conftest import login
from nervecare.visits.models import PhysicalMeasure
from nervecare.visits.tests.conftest import GOOD_NOTE

pytestmark = pytest.mark.django_db


def _post(http, client_id, body):
    return http.post(
        f"/api/v1/clients/{client_id}/physical-measures", json.dumps(body), content_type="application/json"
    )


def test_record_and_list_with_the_published_ranges(therapist_user, maria):
    http = login(therapist_user)
    r = _post(
        http,
        maria.id,
        {
            "measurement": "ankle_dorsiflexion",
            "context": "baseline",
            "reading": 10,
            "side": "left",
            "mode": "active",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["normal_range"] == [0, 20] and body["percent_of_normal"] == 50.0
    assert body["full_normal_range"] is False
    r = _post(http, maria.id, {"measurement": "tug", "context": "reevaluation", "reading": 14.2})
    assert r.json()["at_or_above_cutoff"] is True and "Shumway-Cook" in r.json()["cutoff_source"]
    rows = http.get(f"/api/v1/clients/{maria.id}/physical-measures").json()
    assert [row["measurement"] for row in rows] == ["ankle_dorsiflexion", "tug"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"measurement": "knee_flexion", "context": "baseline", "reading": 10}, "measurement"),
        ({"measurement": "tug", "context": "weekly", "reading": 10}, "context"),
        ({"measurement": "tug", "context": "baseline", "reading": 0.5}, "reading"),
        (
            {
                "measurement": "wrist_flexion",
                "context": "baseline",
                "reading": 200,
                "side": "left",
                "mode": "active",
            },
            "reading",
        ),
        ({"measurement": "wrist_flexion", "context": "baseline", "reading": 60, "mode": "active"}, "side"),
        ({"measurement": "wrist_flexion", "context": "baseline", "reading": 60, "side": "left"}, "mode"),
        (
            {"measurement": "tug", "context": "baseline", "reading": 10, "appointment_id": 999999},
            "appointment_id",
        ),
    ],
)
def test_bad_input_is_refused_by_field(therapist_user, maria, body, field):
    r = _post(login(therapist_user), maria.id, body)
    assert r.status_code == 422, r.content
    assert field in json.dumps(r.json()["errors"])
    assert not PhysicalMeasure.objects.exists()


def test_note_keeps_stress_and_falls(therapist_user, appointment):
    http = login(therapist_user)
    note = {**GOOD_NOTE, "stress_before": 7, "stress_after": 3, "falls_since_last_visit": 1}
    r = http.put(
        f"/api/v1/appointments/{appointment.id}/note", json.dumps(note), content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert (r.json()["stress_before"], r.json()["stress_after"], r.json()["falls_since_last_visit"]) == (
        7,
        3,
        1,
    )
    bad = http.put(
        f"/api/v1/appointments/{appointment.id}/note",
        json.dumps({**note, "stress_after": 11}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "stress_after" in json.dumps(bad.json()["errors"])


def test_page_records_and_refuses_by_field(therapist_user, maria, clinic):
    from nervecare.core.tests.factories import UserFactory

    http = login(therapist_user)
    url = f"/clients/{maria.id}/physical-measures/"
    assert http.get(url).status_code == 200
    ok = http.post(url, {"measurement": "tug", "context": "baseline", "reading": "12.5"})
    assert ok.status_code == 302 and PhysicalMeasure.objects.get().value == 12.5
    bad = http.post(url, {"measurement": "tug", "context": "baseline", "reading": "0.2"})
    assert bad.status_code == 422 and "seconds must be from" in bad.content.decode()
    assert PhysicalMeasure.objects.count() == 1
    desk = UserFactory(username="desk", clinic=clinic, role="front_desk")
    assert login(desk).get(url).status_code == 403
