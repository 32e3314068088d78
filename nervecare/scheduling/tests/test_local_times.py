"""Times sent without a UTC offset are read in the clinic's zone, and a bad range is a 422, never a 500."""

import datetime as dt

import pytest
import time_machine

from nervecare.scheduling.models import AvailabilityException

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday noon


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_times_without_an_offset_are_clinic_local_and_never_a_500(course_world, api, therapist_user):
    r = api.post(
        f"/api/v1/therapists/{course_world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-06-08T09:00:00", "ends_at": "2027-06-08T12:00:00Z"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    off = AvailabilityException.objects.get()
    assert off.starts_at == dt.datetime(2027, 6, 8, 8, tzinfo=dt.UTC)  # 09:00 BST
    bad = api.post(
        f"/api/v1/therapists/{course_world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-06-08T12:00:00", "ends_at": "2027-06-08T09:00:00"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "ends_at" in {e["field"] for e in bad.json()["errors"]}
    late = api.post(
        "/api/v1/waitlist",
        {
            "client_id": course_world["client"].id,
            "service_id": course_world["service"].id,
            "earliest": "2020-01-01T09:00:00",
            "latest": "2020-01-01T17:00:00Z",
        },
        content_type="application/json",
    )
    assert late.status_code == 422 and "latest" in {e["field"] for e in late.json()["errors"]}
