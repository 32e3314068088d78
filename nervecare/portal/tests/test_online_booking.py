"""Booking from the portal: free times, the notice period, safety, races, reschedule, access it grants."""

import datetime

import pytest

from nervecare.conftest import login
from nervecare.core.models import AuditEvent, Therapist
from nervecare.plans.tests.factories import CarePlanFactory
from nervecare.portal import selectors
from nervecare.portal.tests.conftest import appointment_in
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.tests.factories import AppointmentFactory, ServiceFactory, WorkingHoursFactory
from nervecare.screening.models import SafetyFlag

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(therapist_user):
    therapist = Therapist.objects.get(user=therapist_user)
    for weekday in range(7):
        WorkingHoursFactory(
            therapist=therapist, weekday=weekday, start=datetime.time(8), end=datetime.time(18)
        )
    return therapist


@pytest.fixture
def plan(carla, alice, clinic):
    ServiceFactory(clinic=clinic, modality="swedish", minutes=60, buffer_minutes=15)
    return CarePlanFactory(client=carla[1], status="active", therapist=alice)


def first_slot(client):
    options = selectors.booking_options(client)
    assert options["blocked"] is None, options["blocked"]
    return options["days"][0]["slots"][0]


def test_free_slots_respect_the_notice_period_and_the_plans_therapist(carla, plan, junior_therapist_user):
    _user, client = carla
    options = selectors.booking_options(client)
    slots = [s for d in options["days"] for s in d["slots"]]
    assert slots, "Alice works every day: there must be free times"
    earliest = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=24)
    assert all(s["starts_at"] >= earliest for s in slots)
    assert {s["therapist"] for s in slots} == {"Alice"}
    page = login(carla[0]).get("/portal/book/")
    assert page.status_code == 200 and 'name="slot"' in page.content.decode()


def test_client_books_a_free_time_and_sees_it(carla, plan):
    user, client = carla
    slot = first_slot(client)
    http = login(user)
    confirm = http.get("/portal/book/confirm/", {"slot": slot["value"]})
    assert confirm.status_code == 200 and "Alice" in confirm.content.decode()
    done = http.post("/portal/book/confirm/", {"slot": slot["value"]})
    assert done.status_code == 302 and done["Location"] == "/portal/appointments/"
    appointment = Appointment.objects.get(client=client)
    assert appointment.starts_at == slot["starts_at"] and appointment.plan == plan
    assert appointment.created_by == user and appointment.therapist.display_name == "Alice"
    assert AuditEvent.objects.filter(actor=user, action="create", object_id=str(appointment.id)).exists()
    listing = http.get("/portal/appointments/").content.decode()
    assert "Alice" in listing and "Change the time" in listing


def test_a_time_taken_meanwhile_sends_the_client_back_with_a_clear_message(carla, dan, plan, alice):
    user, client = carla
    slot = first_slot(client)
    AppointmentFactory(client=dan[1], therapist=alice, starts_at=slot["starts_at"])  # someone was quicker
    http = login(user)
    response = http.post("/portal/book/confirm/", {"slot": slot["value"]})
    assert response.status_code == 302 and "error=taken" in response["Location"]
    page = http.get(response["Location"]).content.decode()
    assert "That time was just booked by someone else. Please pick another." in page
    assert not Appointment.objects.filter(client=client).exists()


def test_booking_a_time_the_client_already_has_elsewhere_says_so(carla, plan, junior_therapist_user):
    """Issue 14, finding 5: the client's own overlap is a conflict named as theirs, not "someone else's"."""
    user, client = carla
    slot = first_slot(client)
    bob = Therapist.objects.get(user=junior_therapist_user)
    AppointmentFactory(
        client=client, therapist=bob, starts_at=slot["starts_at"] + datetime.timedelta(minutes=30)
    )
    http = login(user)
    response = http.post("/portal/book/confirm/", {"slot": slot["value"]})
    assert response.status_code == 302 and "error=overlap" in response["Location"]
    assert "You already have an appointment at that time" in http.get(response["Location"]).content.decode()
    assert Appointment.objects.filter(client=client).count() == 1


def test_booking_inside_the_notice_period_is_refused(carla, plan, alice):
    user, client = carla
    soon = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0) + datetime.timedelta(hours=3)
    response = login(user).post("/portal/book/confirm/", {"slot": selectors.slot_value(alice.id, soon)})
    assert response.status_code == 422
    assert "at least 24 hours ahead" in response.content.decode()
    assert not Appointment.objects.filter(client=client).exists()


def test_an_open_stop_flag_or_no_plan_pauses_online_booking(carla, plan, alice):
    user, client = carla
    slot = first_slot(client)
    SafetyFlag.objects.create(
        client=client,
        rule_id="dvt_suspected",
        title="Suspected DVT",
        level="stop",
        area="leg",
        raised_at=datetime.datetime.now(datetime.UTC),
        last_checked_at=datetime.datetime.now(datetime.UTC),
    )
    http = login(user)
    page = http.get("/portal/book/").content.decode()
    assert "online booking is paused" in page and 'name="slot"' not in page
    response = http.post("/portal/book/confirm/", {"slot": slot["value"]})
    assert response.status_code == 422 and not Appointment.objects.filter(client=client).exists()
    plan.status = "completed"
    plan.save()
    assert "Please call the clinic to book" in http.get("/portal/book/").content.decode()


def test_reschedule_is_cancel_and_book_within_policy(carla, plan, alice):
    user, client = carla
    old = appointment_in(client, alice, 24 * 5, plan=plan)
    slot = first_slot(client)
    http = login(user)
    response = http.post("/portal/book/confirm/", {"slot": slot["value"], "replace": old.id})
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == "cancelled" and old.cancel_reason == "rescheduled by the client"
    assert Appointment.objects.get(client=client, status="booked").starts_at == slot["starts_at"]

    late = appointment_in(client, alice, 5, plan=plan)  # inside the 24-hour policy
    response = http.post("/portal/book/confirm/", {"slot": first_slot(client)["value"], "replace": late.id})
    assert response.status_code == 422 and "please call the clinic" in response.content.decode()
    late.refresh_from_db()
    assert late.status == "booked"
    assert Appointment.objects.filter(client=client, status="booked").count() == 2


def test_another_clients_appointment_cannot_be_rescheduled(carla, dan, plan, alice):
    theirs = appointment_in(dan[1], alice, 24 * 5)
    slot = first_slot(carla[1])
    response = login(carla[0]).post("/portal/book/confirm/", {"slot": slot["value"], "replace": theirs.id})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "booked"


def test_a_client_booking_online_grants_the_therapist_access_and_cancelling_ends_it(
    carla, plan, therapist_user
):
    """The client booking a therapist who does not see their record yet gives that therapist access (issue 14),
    audited; cancelling online (no other live appointment) ends it."""
    from nervecare.clients.models import ClientAccessGrant

    user, client = carla
    alice = login(therapist_user)
    assert alice.get(f"/api/v1/clients/{client.id}").status_code == 404
    slot = selectors.booking_options(client)["days"][2]["slots"][0]  # well outside the cancellation policy
    assert login(user).post("/portal/book/confirm/", {"slot": slot["value"]}).status_code == 302
    appointment = Appointment.objects.get(client=client)
    grant = ClientAccessGrant.objects.get(client=client, user=therapist_user, revoked_at__isnull=True)
    assert grant.granted_by == user and grant.source_id == appointment.id
    assert alice.get(f"/api/v1/clients/{client.id}").status_code == 200

    assert login(user).post(f"/portal/appointments/{appointment.id}/cancel/").status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert alice.get(f"/api/v1/clients/{client.id}").status_code == 404
    assert AuditEvent.objects.filter(
        object_type="clients.clientaccessgrant", object_id=str(grant.pk), action="update", actor=user
    ).exists()


@pytest.mark.parametrize("when", ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_slot_in_year_9999_or_1_is_not_a_free_time(carla, plan, alice, when):
    """Issue 14, finding 4: the slot a client posts is bounded like every other appointment date."""
    user, client = carla
    http = login(user)
    response = http.post("/portal/book/confirm/", {"slot": f"{alice.id}@{when}"})
    assert response.status_code == 302 and not Appointment.objects.filter(client=client).exists()
    assert http.get("/portal/book/").status_code == 200
