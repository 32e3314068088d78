"""Alternate-week hours (WorkingHours.every_weeks = 2 from the week of anchor_date): offered and bookable in
their weeks only."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.scheduling.availability import week_applies
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.selectors import free_slots
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday 1 March 2027


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def test_alternate_weeks_count_from_the_anchors_week_both_ways():
    anchor = dt.date(2027, 3, 5)  # a Friday: its week is Monday 1 to Sunday 7 March
    assert week_applies(dt.date(2027, 3, 3), 2, anchor)  # the Wednesday before it, same week
    assert not week_applies(dt.date(2027, 3, 10), 2, anchor)
    assert week_applies(dt.date(2027, 3, 17), 2, anchor)
    assert not week_applies(dt.date(2027, 2, 24), 2, anchor)  # the week before the anchor's
    assert week_applies(dt.date(2027, 2, 17), 2, anchor)
    assert week_applies(dt.date(2027, 3, 10), 1, anchor)  # weekly hours: every week


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    alice = therapist_user.therapist
    WorkingHoursFactory(therapist=alice, weekday=0, start=dt.time(9), end=dt.time(17))
    WorkingHoursFactory(
        therapist=alice,
        weekday=2,
        start=dt.time(9),
        end=dt.time(13),
        every_weeks=2,
        anchor_date=dt.date(2027, 3, 5),
    )
    return {"clinic": clinic, "alice": alice, "service": ServiceFactory(clinic=clinic, minutes=60)}


@pytest.mark.django_db
def test_alternate_week_hours_are_offered_in_their_weeks_only(world):
    slots = free_slots(
        clinic=world["clinic"],
        service=world["service"],
        start=dt.date(2027, 3, 2),
        end=dt.date(2027, 3, 20),
        therapists=[world["alice"]],
        limit=500,
    )
    wednesdays = {
        d for d in (dt.datetime.fromisoformat(s["local_start"]).date() for s in slots) if d.weekday() == 2
    }
    assert wednesdays == {dt.date(2027, 3, 3), dt.date(2027, 3, 17)}


@pytest.mark.django_db
def test_booking_in_the_off_week_is_outside_the_hours(world, therapist_user):
    http = login(therapist_user)

    def book(day: str):
        return http.post(
            "/api/v1/appointments",
            {
                "client_id": ClientFactory(clinic=world["clinic"]).id,
                "therapist_id": world["alice"].id,
                "service_id": world["service"].id,
                "starts_at": f"{day}T10:00:00",
            },
            content_type="application/json",
        )

    off = book("2027-03-10")
    assert off.status_code == 422 and "outside Alice's working hours" in off.json()["errors"][0]["message"]
    assert book("2027-03-17").status_code == 201
    assert Appointment.objects.count() == 1
