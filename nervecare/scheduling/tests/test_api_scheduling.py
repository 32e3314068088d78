"""The scheduling API: book, conflicts (409), bad input (422 naming the field), series, moves, roles."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client as HttpClient

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday


@pytest.fixture(autouse=True)
def travel():
    """Every test runs on Monday 1 March 2027 (set before anyone logs in, so sessions are fresh)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user, junior_therapist_user, front_desk_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic)
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    client = ClientFactory(clinic=clinic, first_name="Maria")
    ConditionFactory(client=client)
    return {"service": service, "client": client, "alice": therapist_user.therapist}


def body(world, **kw):
    data = {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "starts_at": "2027-03-02T10:00:00",
    }
    data.update(kw)
    return data


def fields(response):
    return {e["field"] for e in response.json()["errors"]}


@pytest.mark.django_db
def test_front_desk_books_and_sees_local_time(world, front_desk_user):
    http = login(front_desk_user)
    r = http.post("/api/v1/appointments", body(world), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["local_start"] == "2027-03-02T10:00:00+00:00" and r.json()["time_zone"] == "Europe/London"
    listed = http.get(
        "/api/v1/appointments", {"start": "2027-03-01T00:00:00Z", "end": "2027-03-08T00:00:00Z"}
    )
    assert [a["id"] for a in listed.json()] == [r.json()["id"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"starts_at": "2027-03-02T18:00:00"}, "starts_at"),  # outside working hours
        ({"therapist_id": 999999}, "therapist_id"),  # unknown therapist
        ({"service_id": 999999}, "service_id"),
        ({"starts_at": "not a time"}, "starts_at"),
        ({"client_id": "x"}, "client_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_booking_input_is_422_naming_the_field(world, api, override, field):
    r = api.post("/api/v1/appointments", body(world, **override), content_type="application/json")
    assert r.status_code == 422, r.content
    assert field in fields(r)
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_exception_with_end_before_start_is_422(world, api):
    r = api.post(
        f"/api/v1/therapists/{world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-03-02T12:00:00Z", "ends_at": "2027-03-02T11:00:00Z"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"]


@pytest.mark.django_db
def test_double_booking_is_409_and_changes_nothing(world, api):
    assert api.post("/api/v1/appointments", body(world), content_type="application/json").status_code == 201
    other = ClientFactory(clinic=world["client"].clinic)
    r = api.post(
        "/api/v1/appointments",
        body(world, client_id=other.id, starts_at="2027-03-02T10:30:00"),
        content_type="application/json",
    )
    assert r.status_code == 409
    assert "starts_at" in fields(r) and r.json()["conflicts"][0]["with"] == "therapist"
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_series_preview_conflict_then_skip(world, api):
    other = ClientFactory(clinic=world["client"].clinic)
    api.post(
        "/api/v1/appointments",
        body(world, client_id=other.id, starts_at="2027-03-15T10:00:00"),
        content_type="application/json",
    )
    series = {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-08",
        "local_time": "10:00",
        "count": 12,
    }
    preview = api.post("/api/v1/series/preview", series, content_type="application/json").json()
    assert preview["conflicts"] == 1 and preview["rows"][1]["alternatives"]
    refused = api.post("/api/v1/series", series, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["conflicts"][0]["index"] == 1
    assert Appointment.objects.filter(client=world["client"]).count() == 0
    booked = api.post("/api/v1/series", series | {"skip_conflicts": True}, content_type="application/json")
    assert (
        booked.status_code == 201
        and len(booked.json()["appointments"]) == 11
        and booked.json()["skipped"] == [1]
    )


@pytest.mark.django_db
def test_reschedule_cancel_and_roles(world, api, other_clinic_user, front_desk_user):
    a = api.post("/api/v1/appointments", body(world), content_type="application/json").json()
    moved = api.post(
        f"/api/v1/appointments/{a['id']}/reschedule",
        {"starts_at": "2027-03-03T14:00:00"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["local_start"].startswith("2027-03-03T14:00")
    assert login(other_clinic_user).get(f"/api/v1/appointments/{a['id']}").status_code == 404
    assert HttpClient().get(f"/api/v1/appointments/{a['id']}").status_code == 401
    no_reason = login(front_desk_user).post(
        f"/api/v1/appointments/{a['id']}/cancel", {"reason": ""}, content_type="application/json"
    )
    assert no_reason.status_code == 422 and "reason" in fields(no_reason)
    done = login(front_desk_user).post(
        f"/api/v1/appointments/{a['id']}/cancel", {"reason": "ill"}, content_type="application/json"
    )
    assert done.json()["status"] == "cancelled" and Appointment.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections to a real PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_exactly_one_wins(world, therapist_user):
    """Many clients race for overlapping times with the same therapist: one 201, every other a 409."""
    clients = [ClientFactory(clinic=world["client"].clinic) for _ in range(12)]
    barrier = threading.Barrier(len(clients))
    statuses: list = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            http = HttpClient()
            http.force_login(therapist_user)
            minute = (i % 4) * 10  # 10:00, 10:10, 10:20, 10:30: all overlap
            barrier.wait()
            r = http.post(
                "/api/v1/appointments",
                body(world, client_id=clients[i].id, starts_at=f"2027-03-02T10:{minute:02d}:00"),
                content_type="application/json",
            )
            outcome = r.status_code
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            statuses.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == len(clients) - 1, statuses
    assert Appointment.objects.filter(therapist=world["alice"]).count() == 1
