"""The front desk's day through the API: the same operations as the pages, with errors by field."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from nervecare.clients.models import Client
from nervecare.conftest import login
from nervecare.portal.models import ClientIntake
from nervecare.portal.services import client_intake_review
from nervecare.scheduling.models import WaitlistEntry
from nervecare.scheduling.tests.test_front_desk_day import NOW, appointment, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def post(http, url, body=None):
    return http.post(url, body or {}, content_type="application/json")


def test_register_search_and_book_a_day_through_the_api(
    desk_world, front_desk_user, django_capture_on_commit_callbacks
):
    desk = login(front_desk_user)
    with django_capture_on_commit_callbacks(execute=True):
        r = post(
            desk,
            "/api/v1/desk/clients",
            {
                "first_name": "Nora",
                "last_name": "Halvorsen",
                "date_of_birth": "1961-07-09",
                "email": "nora@example.org",
            },
        )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["client"]["last_name"] == "Halvorsen" and "sent to nora@example.org" in body["notes"][0]
    assert len(mail.outbox) == 1
    found = desk.get("/api/v1/desk/clients?search=halv").json()
    assert [c["id"] for c in found] == [body["client"]["id"]] and set(found[0]) == {
        "id",
        "first_name",
        "last_name",
        "date_of_birth",
        "email",
        "phone",
        "next_appointment",
    }
    r = post(
        desk,
        "/api/v1/appointments",
        {
            "client_id": body["client"]["id"],
            "therapist_id": desk_world["ben"].id,
            "service_id": desk_world["service"].id,
            "starts_at": "2027-03-01T11:00:00",
        },
    )
    assert r.status_code == 201, r.content
    appointment_id = r.json()["id"]
    day = desk.get("/api/v1/day?date=2027-03-01").json()
    ben = next(c for c in day["columns"] if c["name"] == "Ben")
    assert [a["id"] for a in ben["appointments"]] == [appointment_id]
    assert [(f["local_start"][11:16], f["local_end"][11:16]) for f in ben["free"]] == [
        ("09:00", "11:00"),
        ("12:15", "17:00"),
    ]
    # Registered with contact details only: the first session waits for the reviewed intake, and says so.
    refused = post(desk, f"/api/v1/appointments/{appointment_id}/check-in")
    assert refused.status_code == 422 and "has not completed their intake yet" in refused.content.decode()
    nora = Client.objects.get(pk=body["client"]["id"])
    client_intake_review(
        actor=desk_world["alice"].user,
        intake=ClientIntake.objects.create(client=nora, reported={"goals": "walk"}),
    )
    assert post(desk, f"/api/v1/appointments/{appointment_id}/check-in").json()["status"] == "checked_in"
    assert post(desk, f"/api/v1/appointments/{appointment_id}/undo-check-in").json()["status"] == "booked"
    post(desk, f"/api/v1/appointments/{appointment_id}/check-in")
    assert post(desk, f"/api/v1/appointments/{appointment_id}/check-out").json()["status"] == "completed"
    assert (
        post(desk, f"/api/v1/appointments/{appointment_id}/undo-check-out").json()["status"] == "checked_in"
    )
    rows = desk.get(f"/api/v1/therapists/{desk_world['ben'].id}/day-list?date=2027-03-01").json()
    assert [r["client"] for r in rows] == ["Nora Halvorsen"]
    with django_capture_on_commit_callbacks(execute=True):
        r = post(desk, f"/api/v1/therapists/{desk_world['ben'].id}/day-list/email", {"date": "2027-03-01"})
    assert r.status_code == 202 and r.json() == {"sent_to": "ben@riverside.example"}
    assert mail.outbox[-1].to == ["ben@riverside.example"]


def test_api_errors_name_the_field(desk_world, front_desk_user):
    desk = login(front_desk_user)
    r = post(
        desk, "/api/v1/desk/clients", {"first_name": "Nora", "last_name": "H", "date_of_birth": "1961-07-09"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    r = post(
        desk,
        "/api/v1/desk/clients",
        {"first_name": "Nora", "last_name": "H", "date_of_birth": "3000-01-01", "phone": "1"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date_of_birth"
    r = post(
        desk,
        "/api/v1/desk/clients",
        {"first_name": "Nora", "last_name": "H", "date_of_birth": "x", "diagnosis": "y"},
    )
    assert r.status_code == 422
    assert not Client.objects.filter(first_name="Nora").exists()
    tomorrow = appointment(desk_world, 10, day=dt.date(2027, 3, 2))
    r = post(desk, f"/api/v1/appointments/{tomorrow.id}/check-in")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    assert desk.get("/api/v1/day?date=garbage").status_code == 422
    assert desk.get("/api/v1/day?by=kitchen").status_code == 422
    r = post(desk, f"/api/v1/therapists/{desk_world['ben'].id}/day-list/email", {"date": "99999-01-01"})
    assert r.status_code == 422


def test_waitlist_matches_offer_withdraw(desk_world, front_desk_user):
    desk = login(front_desk_user)
    entry = WaitlistEntry.objects.create(
        client=desk_world["client"],
        service=desk_world["service"],
        therapist=desk_world["ben"],
        earliest=at(9, day=dt.date(2027, 3, 2)),
        latest=at(17, day=dt.date(2027, 3, 2)),
    )
    matches = desk.get(f"/api/v1/waitlist/{entry.id}/matches").json()
    assert matches[0]["local_start"].startswith("2027-03-02T09:00") and matches[0]["therapist"] == "Ben"
    r = post(
        desk,
        f"/api/v1/waitlist/{entry.id}/offer",
        {"therapist_id": desk_world["ben"].id, "starts_at": matches[0]["starts_at"]},
    )
    assert r.status_code == 200 and r.json()["status"] == "offered"
    r = post(desk, f"/api/v1/waitlist/{entry.id}/accept")
    assert r.status_code == 200, r.content
    r = post(desk, f"/api/v1/waitlist/{entry.id}/withdraw")
    assert r.status_code == 422 and "already booked" in r.json()["errors"][0]["message"]
