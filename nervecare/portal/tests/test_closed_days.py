"""The portal never offers a day the clinic is closed, and a client moving a booking onto one (closed since
the page was shown) is told why, keeping the old appointment."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from nervecare.conftest import login
from nervecare.core.models import Therapist
from nervecare.plans.tests.factories import CarePlanFactory
from nervecare.portal import selectors
from nervecare.portal.tests.conftest import appointment_in
from nervecare.scheduling.models import Appointment, Closure
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(carla, therapist_user, clinic):
    alice = Therapist.objects.get(user=therapist_user)
    for weekday in range(7):
        WorkingHoursFactory(therapist=alice, weekday=weekday, start=datetime.time(8), end=datetime.time(18))
    ServiceFactory(clinic=clinic, modality="swedish", minutes=60, buffer_minutes=15)
    plan = CarePlanFactory(client=carla[1], status="active", therapist=alice)
    return {"alice": alice, "plan": plan, "clinic": clinic}


def slots(client):
    return [s for d in selectors.booking_options(client)["days"] for s in d["slots"]]


def test_a_closed_day_is_not_offered_and_a_move_onto_it_is_refused(carla, world):
    user, client = carla
    tz = ZoneInfo(world["clinic"].timezone)
    old = appointment_in(client, world["alice"], 24 * 5, plan=world["plan"])
    slot = slots(client)[0]
    day = slot["starts_at"].astimezone(tz).date()
    Closure.objects.create(clinic=world["clinic"], starts_on=day, ends_on=day, name="Christmas Day")
    assert day not in {s["starts_at"].astimezone(tz).date() for s in slots(client)}

    response = login(user).post("/portal/book/confirm/", {"slot": slot["value"], "replace": old.id})
    assert response.status_code == 422 and "Christmas Day" in response.content.decode()
    old.refresh_from_db()
    assert old.status == "booked" and Appointment.objects.filter(client=client).count() == 1
