"""Closures are never offered: a day the clinic is closed (a closure it entered, or a public holiday stored as
one) has no free time, and every way of booking refuses it naming the date and the closure."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.scheduling import services
from nervecare.scheduling.models import Appointment, Closure, WaitlistEntry
from nervecare.scheduling.selectors import closed_days, free_slots
from nervecare.scheduling.tests.factories import AppointmentFactory

NOW = dt.datetime(2026, 12, 21, 8, 0, tzinfo=dt.UTC)  # Monday 21 December 2026, London
CHRISTMAS = dt.date(2026, 12, 25)  # a Friday: Alice works Fridays


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def christmas(course_world):
    clinic = course_world["client"].clinic
    Closure.objects.create(
        clinic=clinic, starts_on=CHRISTMAS, ends_on=CHRISTMAS, name="Christmas Day", source="holiday"
    )
    return course_world


def _book(http, world, starts_at: str):
    return http.post(
        "/api/v1/appointments",
        {
            "client_id": world["client"].id,
            "therapist_id": world["alice"].id,
            "service_id": world["service"].id,
            "starts_at": starts_at,
        },
        content_type="application/json",
    )


@pytest.mark.django_db
def test_closed_days_names_every_closed_day_of_the_range_and_only_this_clinics(christmas, other_clinic):
    clinic = christmas["client"].clinic
    Closure.objects.create(
        clinic=clinic, starts_on=dt.date(2026, 12, 24), ends_on=dt.date(2026, 12, 28), name="Winter break"
    )
    Closure.objects.create(
        clinic=other_clinic, starts_on=dt.date(2026, 12, 30), ends_on=dt.date(2026, 12, 30), name="Elsewhere"
    )
    days = closed_days(clinic, dt.date(2026, 12, 26), dt.date(2026, 12, 31))
    # Clipped to the range asked; a run of days is every day of it; other clinics' closures are not ours.
    assert list(days) == [dt.date(2026, 12, 26), dt.date(2026, 12, 27), dt.date(2026, 12, 28)]
    assert set(days.values()) == {"Winter break"}
    both = closed_days(clinic.id, CHRISTMAS, CHRISTMAS)[CHRISTMAS]
    assert "Christmas Day" in both and "Winter break" in both


@pytest.mark.django_db
def test_christmas_day_is_never_offered(christmas, therapist_user):
    r = login(therapist_user).get(
        "/api/v1/slots",
        {"service_id": christmas["service"].id, "start": "2026-12-21", "end": "2026-12-31", "limit": 100},
    )
    assert r.status_code == 200
    days = {dt.datetime.fromisoformat(s["local_start"]).date() for s in r.json()}
    assert dt.date(2026, 12, 24) in days and CHRISTMAS not in days
    # Even when the whole week is asked for, one therapist or all.
    slots = free_slots(
        clinic=christmas["client"].clinic,
        service=christmas["service"],
        start=CHRISTMAS,
        end=CHRISTMAS,
        therapists=[christmas["alice"]],
        limit=100,
    )
    assert slots == []


@pytest.mark.django_db
def test_booking_on_a_closed_day_is_refused_naming_the_date_and_the_closure(christmas, therapist_user):
    r = _book(login(therapist_user), christmas, "2026-12-25T10:00:00")
    assert r.status_code == 422, r.content
    [error] = r.json()["errors"]
    assert error["field"] == "starts_at"
    assert "Friday 25 December 2026" in error["message"] and "Christmas Day" in error["message"]
    assert not Appointment.objects.exists()
    # The day before is an ordinary working day.
    assert _book(login(therapist_user), christmas, "2026-12-24T10:00:00").status_code == 201


@pytest.mark.django_db
def test_the_front_desk_page_refuses_a_closed_day(christmas, front_desk_user):
    r = login(front_desk_user).post(
        "/book/",
        {
            "client_id": christmas["client"].id,
            "service_id": christmas["service"].id,
            "therapist_id": christmas["alice"].id,
            "day": "2026-12-25",
            "at": "10:00",
        },
    )
    assert r.status_code == 422
    assert "Christmas Day" in r.content.decode() and not Appointment.objects.exists()


@pytest.mark.django_db
def test_moving_an_appointment_onto_a_closed_day_is_refused_and_it_stays(christmas, therapist_user):
    start = dt.datetime(2026, 12, 24, 10, 0, tzinfo=dt.UTC)
    appointment = AppointmentFactory(
        client=christmas["client"],
        therapist=christmas["alice"],
        service=christmas["service"],
        starts_at=start,
    )
    http = login(therapist_user)
    r = http.post(
        f"/api/v1/appointments/{appointment.id}/reschedule",
        {"starts_at": "2026-12-25T10:00:00"},
        content_type="application/json",
    )
    assert r.status_code == 422 and "Christmas Day" in r.json()["errors"][0]["message"]
    appointment.refresh_from_db()
    assert appointment.starts_at == start
    page = http.post(f"/appointments/{appointment.id}/", {"day": "2026-12-25", "at": "11:00"})
    assert page.status_code == 422 and "Christmas Day" in page.content.decode()


@pytest.mark.django_db
def test_a_weekly_series_over_a_closed_day_is_refused_whole_listing_it(christmas, therapist_user):
    r = login(therapist_user).post(
        "/api/v1/series",
        {
            "client_id": christmas["client"].id,
            "therapist_id": christmas["alice"].id,
            "service_id": christmas["service"].id,
            "first_date": "2026-12-25",
            "local_time": "10:00:00",
            "count": 3,
        },
        content_type="application/json",
    )
    assert r.status_code == 409, r.content
    assert "Christmas Day" in r.content.decode() and not Appointment.objects.exists()


@pytest.mark.django_db
def test_the_week_page_shows_the_closure(christmas, therapist_user):
    page = login(therapist_user).get(f"/calendar/?week=2026-12-21&therapist={christmas['alice'].id}")
    assert page.status_code == 200 and "Closed: Christmas Day" in page.content.decode()


@pytest.mark.django_db
def test_a_time_freed_on_a_day_closed_since_is_not_offered_to_the_waitlist(course_world, front_desk_user):
    booking = services.appointment_book(
        actor=front_desk_user,
        client=course_world["client"],
        therapist_id=course_world["alice"].id,
        service_id=course_world["service"].id,
        starts_at=dt.datetime(2026, 12, 25, 10, 0),
    )
    entry = services.waitlist_add(
        actor=front_desk_user,
        client=ClientFactory(clinic=course_world["client"].clinic),
        service_id=course_world["service"].id,
        earliest=dt.datetime(2026, 12, 25, 8, 0),
        latest=dt.datetime(2026, 12, 25, 18, 0),
    )
    # The clinic decides to close on Christmas Day after the booking was made; the desk cancels it.
    Closure.objects.create(
        clinic=course_world["client"].clinic, starts_on=CHRISTMAS, ends_on=CHRISTMAS, name="Christmas Day"
    )
    services.appointment_cancel(
        actor=front_desk_user, appointment=booking.appointment, reason="clinic closed"
    )
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING and entry.offered_appointment_start is None
