"""Issue 14, finding 4: a date far outside what a clinic uses (year 1, year 9999) is refused with a 422 naming
the field or a form error, nothing is stored, and the clinic's pages keep working afterwards."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.scheduling.models import Appointment, AvailabilityException, Series, WaitlistEntry
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, modality="swedish", minutes=60)
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client)
    plan = plan_activate(actor=therapist_user, plan=plan_propose(actor=therapist_user, client=client)[0])
    return {"service": service, "client": client, "plan": plan, "alice": therapist_user.therapist}


def fields(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def book_body(world, starts_at: str) -> dict:
    return {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "starts_at": starts_at,
    }


def assert_clinic_still_works(http, world) -> None:
    """The pages the issue saw break: the waitlist, slots and a booking for the therapist."""
    assert http.get("/api/v1/waitlist").status_code == 200
    slots = http.get("/api/v1/slots", {"service_id": world["service"].id, "therapist_id": world["alice"].id})
    assert slots.status_code == 200 and slots.json()
    booked = http.post(
        "/api/v1/appointments", book_body(world, "2027-03-03T14:00:00Z"), content_type="application/json"
    )
    assert booked.status_code == 201, booked.content
    assert http.get("/calendar/").status_code == 200


@pytest.mark.django_db
def test_a_waitlist_entry_in_year_9999_is_refused_and_the_waitlist_still_opens(world, front_desk_user):
    http = login(front_desk_user)
    r = http.post(
        "/api/v1/waitlist",
        {
            "client_id": world["client"].id,
            "service_id": world["service"].id,
            "earliest": "2027-03-02T09:00:00Z",
            "latest": "9999-12-31T23:00:00-14:00",
        },
        content_type="application/json",
    )
    assert r.status_code == 422 and fields(r) == {"latest"}
    assert "must be between" in r.json()["errors"][0]["message"]
    assert not WaitlistEntry.objects.exists()
    assert_clinic_still_works(http, world)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("2027-03-01T09:00:00Z", "9999-12-31T23:59:59Z", "ends_at"),
        ("0001-01-01T00:00:00+14:00", "2027-03-01T09:00:00Z", "starts_at"),
    ],
)
def test_time_off_outside_the_range_is_refused_and_slots_and_bookings_still_work(
    world, therapist_user, starts_at, ends_at, field
):
    http = login(therapist_user)
    r = http.post(
        f"/api/v1/therapists/{world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": starts_at, "ends_at": ends_at},
        content_type="application/json",
    )
    assert r.status_code == 422 and field in fields(r)
    assert not AvailabilityException.objects.exists()
    assert_clinic_still_works(http, world)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "starts_at", ["9999-12-31T10:00:00", "9999-12-31T23:00:00-14:00", "0001-01-01T10:00:00+14:00"]
)
def test_a_booking_and_a_reschedule_in_year_9999_or_1_are_refused(world, front_desk_user, starts_at):
    http = login(front_desk_user)
    r = http.post("/api/v1/appointments", book_body(world, starts_at), content_type="application/json")
    assert r.status_code == 422 and fields(r) == {"starts_at"}
    assert not Appointment.objects.exists()
    booked = http.post(
        "/api/v1/appointments", book_body(world, "2027-03-02T10:00:00Z"), content_type="application/json"
    ).json()
    moved = http.post(
        f"/api/v1/appointments/{booked['id']}/reschedule",
        {"starts_at": starts_at},
        content_type="application/json",
    )
    assert moved.status_code == 422 and fields(moved) == {"starts_at"}
    assert Appointment.objects.get().starts_at == dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)
    assert_clinic_still_works(http, world)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["/api/v1/series/preview", "/api/v1/series"])
def test_a_series_in_year_9999_is_refused(world, front_desk_user, route):
    http = login(front_desk_user)
    body = {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "local_time": "10:00",
        "count": 2,
    }
    r = http.post(route, body | {"first_date": "9999-12-27"}, content_type="application/json")
    assert r.status_code == 422 and fields(r) == {"first_date"}
    r = http.post(
        route,
        body | {"first_date": "2027-03-08", "replacements": {"0": "9999-12-31T10:00:00Z"}},
        content_type="application/json",
    )
    assert r.status_code == 422 and fields(r) == {"replacements.0"}
    assert not Series.objects.exists() and not Appointment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "9999-12-30"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "9999-12-31"}, "end"),
    ],
)
def test_slots_outside_the_range_are_refused(world, front_desk_user, query, field):
    r = login(front_desk_user).get("/api/v1/slots", {"service_id": world["service"].id} | query)
    assert r.status_code == 422 and fields(r) == {field}
    message = r.json()["errors"][0]["message"]
    assert message.startswith("must be between"), message  # the user's words, not pydantic's "Value error, "


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00Z", "start"),
        ("9999-12-30T00:00:00Z", "9999-12-31T23:00:00-14:00", "start"),
    ],
)
def test_an_appointment_list_outside_the_range_is_refused(world, front_desk_user, start, end, field):
    r = login(front_desk_user).get("/api/v1/appointments", {"start": start, "end": end})
    assert r.status_code == 422 and field in fields(r)


@pytest.mark.django_db
def test_the_booking_pages_refuse_year_9999_with_a_form_error(world, front_desk_user):
    http = login(front_desk_user)
    r = http.post(
        "/book/",
        {
            "client_id": world["client"].id,
            "service_id": world["service"].id,
            "therapist_id": world["alice"].id,
            "day": "9999-12-31",
            "at": "10:00",
        },
    )
    assert r.status_code == 422 and "day" in r.context["form"].errors
    url = f"/clients/{world['client'].id}/plans/{world['plan'].id}/book/"
    r = http.post(
        url,
        {
            "therapist_id": world["alice"].id,
            "service_id": world["service"].id,
            "first_date": "2027-03-08",
            "local_time": "10:00",
            "count": 2,
            "action": "book",
            "replace_0": "9999-12-31T10:00:00+00:00",
        },
    )
    assert r.status_code == 422 and r.context["form"].non_field_errors()
    r = http.post(
        url,
        {
            "therapist_id": world["alice"].id,
            "service_id": world["service"].id,
            "first_date": "9999-12-27",
            "local_time": "10:00",
            "count": 2,
        },
    )
    assert "first_date" in r.context["form"].errors
    assert not Appointment.objects.exists()
    assert http.get("/calendar/", {"week": "9999-12-31"}).status_code == 200
    assert_clinic_still_works(http, world)
