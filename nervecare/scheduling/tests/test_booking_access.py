"""Booking is never a way into a clinical record (issue 14, finding 1).

Who may book client C: the front desk and admins of C's clinic; a therapist only clients whose record they see.
A booking by the desk, an admin or the client gives the booked therapist an explicit, audited access grant
while a live appointment remains; cancelling or a no-show ends it. People: Alice and Bob (therapists), Frank
(front desk), Oona (admin); Ada is Alice's client, Bea is Bob's, Cy is new (no therapist yet)."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps

from nervecare.clients.models import ClientAccessGrant
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.tests.factories import AppointmentFactory, ServiceFactory, WorkingHoursFactory

pytestmark = pytest.mark.django_db
JSON = "application/json"
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user, junior_therapist_user, front_desk_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    for therapist in (alice, bob):
        for weekday in range(5):
            WorkingHoursFactory(therapist=therapist, weekday=weekday, start=dt.time(9), end=dt.time(17))
    clients = {
        "ada": ClientFactory(clinic=clinic, first_name="Ada", last_name="Quill", primary_therapist=alice),
        "bea": ClientFactory(clinic=clinic, first_name="Bea", last_name="Marsh", primary_therapist=bob),
        "cy": ClientFactory(clinic=clinic, first_name="Cy", last_name="Newman", primary_therapist=None),
    }
    for client in clients.values():
        ConditionFactory(client=client)
    return {
        "service": ServiceFactory(clinic=clinic),
        "alice": alice,
        "bob": bob,
        "admin": UserFactory(username="oona", clinic=clinic, role="admin"),
        **clients,
    }


def booking(world, client, therapist, at="2027-03-02T10:00:00"):
    return {
        "client_id": world[client].id,
        "therapist_id": world[therapist].id,
        "service_id": world["service"].id,
        "starts_at": at,
    }


def record_urls(client_id: int) -> list[str]:
    """Every read of the clinical record the attack reached: record, screenings, flags, plans, outcomes,
    FHIR Patient."""
    return [
        f"/api/v1/clients/{client_id}",
        f"/api/v1/clients/{client_id}/responses",
        f"/api/v1/clients/{client_id}/flags",
        f"/api/v1/clients/{client_id}/plans",
        f"/api/v1/clients/{client_id}/outcomes",
        f"/fhir/R4/Patient/{client_id}",
    ]


def assert_no_record(http, client_id: int) -> None:
    for url in record_urls(client_id):
        assert http.get(url).status_code == 404, url


def test_a_therapist_cannot_book_a_client_they_cannot_see(world, therapist_user):
    alice = login(therapist_user)
    bea = world["bea"].id
    assert alice.get(f"/api/v1/clients/{bea}").status_code == 404
    for therapist in ("alice", "bob"):
        r = alice.post("/api/v1/appointments", booking(world, "bea", therapist), content_type=JSON)
        assert r.status_code == 404, r.content
        assert b"Bea" not in r.content and b"Marsh" not in r.content
    series = {
        **{k: v for k, v in booking(world, "bea", "alice").items() if k != "starts_at"},
        "first_date": "2027-03-02",
        "local_time": "10:00",
        "count": 2,
    }
    assert alice.post("/api/v1/series/preview", series, content_type=JSON).status_code == 404
    assert alice.post("/api/v1/series", series, content_type=JSON).status_code == 404
    waitlist = {
        "client_id": bea,
        "service_id": world["service"].id,
        "therapist_id": world["alice"].id,
        "earliest": "2027-03-02T09:00:00Z",
        "latest": "2027-03-09T09:00:00Z",
    }
    assert alice.post("/api/v1/waitlist", waitlist, content_type=JSON).status_code == 404
    assert not Appointment.objects.filter(client=world["bea"]).exists()
    assert not ClientAccessGrant.objects.exists()
    assert_no_record(alice, bea)


def test_a_therapist_cannot_move_someone_elses_appointment_to_themself(
    world, therapist_user, front_desk_user
):
    desk = login(front_desk_user)
    r = desk.post("/api/v1/appointments", booking(world, "bea", "bob"), content_type=JSON)
    assert r.status_code == 201, r.content
    alice = login(therapist_user)
    moved = alice.post(
        f"/api/v1/appointments/{r.json()['id']}/reschedule",
        {"starts_at": "2027-03-03T10:00:00", "therapist_id": world["alice"].id},
        content_type=JSON,
    )
    assert moved.status_code == 404
    assert Appointment.objects.get(pk=r.json()["id"]).therapist == world["bob"]
    assert_no_record(alice, world["bea"].id)


def test_a_therapist_books_only_colleagues_who_see_the_client(world, therapist_user):
    """Alice sees Ada; booking Bob (who does not) would hand him the record: that is the desk's or a share's
    call, so it is refused (422 naming the therapist), and Bob still gets 404."""
    r = login(therapist_user).post("/api/v1/appointments", booking(world, "ada", "bob"), content_type=JSON)
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["field"] == "therapist_id"
    assert login(world["bob"].user).get(f"/api/v1/clients/{world['ada'].id}").status_code == 404
    ok = login(therapist_user).post("/api/v1/appointments", booking(world, "ada", "alice"), content_type=JSON)
    assert ok.status_code == 201, ok.content
    assert not ClientAccessGrant.objects.exists()  # her own client: nothing to grant


def test_desk_booking_grants_access_audited_listed_and_cancelling_ends_it(
    world, therapist_user, front_desk_user
):
    desk, alice, admin = login(front_desk_user), login(therapist_user), login(world["admin"])
    cy = world["cy"].id
    assert_no_record(alice, cy)

    r = desk.post("/api/v1/appointments", booking(world, "cy", "alice"), content_type=JSON)
    assert r.status_code == 201, r.content

    for url in record_urls(cy):
        assert alice.get(url).status_code == 200, url
    grant = ClientAccessGrant.objects.get(client_id=cy, user=therapist_user)
    assert (grant.reason, grant.source_id, grant.granted_by) == ("booking", r.json()["id"], front_desk_user)
    assert AuditEvent.objects.filter(
        object_type="clients.clientaccessgrant",
        object_id=str(grant.pk),
        action="create",
        actor=front_desk_user,
    ).exists()
    listed = admin.get(f"/api/v1/clients/{cy}/access")
    assert listed.status_code == 200
    assert [(g["user"], g["reason"], g["live"], g["granted_by"]) for g in listed.json()] == [
        ("alice", "booking", True, "frank")
    ]
    assert alice.get(f"/api/v1/clients/{cy}/access").status_code == 403
    assert desk.get(f"/api/v1/clients/{cy}/access").status_code == 403
    page = admin.get(f"/clients/{cy}/").content.decode()
    assert "Access granted by plans and bookings" in page and "alice" in page
    assert "Access granted by plans and bookings" not in alice.get(f"/clients/{cy}/").content.decode()

    cancelled = desk.post(
        f"/api/v1/appointments/{r.json()['id']}/cancel", {"reason": "unwell"}, content_type=JSON
    )
    assert cancelled.status_code == 200, cancelled.content

    assert_no_record(alice, cy)
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == front_desk_user
    assert AuditEvent.objects.filter(
        object_type="clients.clientaccessgrant", object_id=str(grant.pk), action="update"
    ).exists()
    assert [g["live"] for g in admin.get(f"/api/v1/clients/{cy}/access").json()] == [False]


def test_access_lasts_while_any_live_appointment_remains_and_a_no_show_grants_nothing(
    world, therapist_user, front_desk_user
):
    desk, alice = login(front_desk_user), login(therapist_user)
    cy = world["cy"].id
    first = desk.post("/api/v1/appointments", booking(world, "cy", "alice"), content_type=JSON).json()["id"]
    second = desk.post(
        "/api/v1/appointments", booking(world, "cy", "alice", "2027-03-03T10:00:00"), content_type=JSON
    ).json()["id"]
    assert ClientAccessGrant.objects.filter(client_id=cy, revoked_at__isnull=True).count() == 1

    desk.post(f"/api/v1/appointments/{second}/cancel", {"reason": "clash"}, content_type=JSON)
    assert alice.get(f"/api/v1/clients/{cy}").status_code == 200  # the first one is still booked

    with time_machine.travel(NOW + dt.timedelta(days=1, hours=4), tick=False):
        r = login(front_desk_user).post(f"/api/v1/appointments/{first}/no-show")  # a new day, a new sign-in
        assert r.status_code == 200, r.content
        assert_no_record(login(therapist_user), cy)


def test_moving_an_appointment_to_another_therapist_moves_the_access(
    world, therapist_user, junior_therapist_user, front_desk_user
):
    desk = login(front_desk_user)
    cy = world["cy"].id
    booked = desk.post("/api/v1/appointments", booking(world, "cy", "bob"), content_type=JSON).json()["id"]
    assert login(junior_therapist_user).get(f"/api/v1/clients/{cy}").status_code == 200
    r = desk.post(
        f"/api/v1/appointments/{booked}/reschedule",
        {"starts_at": "2027-03-02T11:00:00", "therapist_id": world["alice"].id},
        content_type=JSON,
    )
    assert r.status_code == 200, r.content
    assert login(therapist_user).get(f"/api/v1/clients/{cy}").status_code == 200
    assert_no_record(login(junior_therapist_user), cy)


def test_the_booking_page_lists_and_books_only_bookable_clients(world, therapist_user, front_desk_user):
    alice, desk = login(therapist_user), login(front_desk_user)
    page = alice.get("/book/").content.decode()
    assert "Quill" in page and "Marsh" not in page and "Newman" not in page
    desk_page = desk.get("/book/").content.decode()
    assert all(name in desk_page for name in ("Quill", "Marsh", "Newman"))
    assert {c["first_name"] for c in alice.get("/api/v1/scheduling/clients").json()} == {"Ada"}

    r = alice.post(
        "/book/",
        {
            "client_id": world["bea"].id,
            "service_id": world["service"].id,
            "therapist_id": world["alice"].id,
            "day": "2027-03-02",
            "at": "10:00",
        },
    )
    assert r.status_code == 422
    assert "Marsh" not in r.content.decode()
    assert not Appointment.objects.filter(client=world["bea"]).exists()
    assert_no_record(alice, world["bea"].id)


def test_the_backfill_keeps_access_from_live_plans_and_live_appointments(world, therapist_user):
    """The data migration: plans proposed/active and appointments not cancelled/no-show become grants; the
    cancelled and the never-attended give nothing (they gave access before: that was the hole)."""
    alice, bob = world["alice"], world["bob"]
    plan_client = ClientFactory(clinic=world["cy"].clinic, first_name="Pia", primary_therapist=None)
    CarePlan.objects.create(
        client=plan_client,
        therapist=alice,
        modality="swedish",
        scope="hand_and_foot",
        pressure="light",
        session_minutes=30,
        sessions_per_week=1,
        course_weeks=6,
    )
    AppointmentFactory(client=world["cy"], therapist=alice, status="completed")
    AppointmentFactory(client=world["bea"], therapist=alice, status="cancelled")
    AppointmentFactory(client=world["ada"], therapist=bob, status="no_show")
    for module in (
        "nervecare.plans.migrations.0002_grant_plan_therapists_access",
        "nervecare.scheduling.migrations.0002_grant_booked_therapists_access",
    ):
        importlib.import_module(module).grant(apps, None)
    assert set(ClientAccessGrant.objects.values_list("client__first_name", "user__username", "reason")) == {
        ("Pia", "alice", "plan"),
        ("Cy", "alice", "booking"),
    }
