"""Scheduling pages: week calendar, moving an appointment, booking a plan's course with a conflict."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_book
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, modality="swedish")
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    client = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")
    ConditionFactory(client=client)
    plan, _ = plan_propose(actor=therapist_user, client=client)
    plan = plan_activate(actor=therapist_user, plan=plan)
    return {"service": service, "client": client, "plan": plan, "alice": therapist_user.therapist}


def book(user, world, when, client=None):
    return appointment_book(
        actor=user,
        client=client or world["client"],
        therapist_id=world["alice"].id,
        service_id=world["service"].id,
        starts_at=when,
    ).appointment


@pytest.mark.django_db
def test_week_calendar_shows_the_therapists_appointments(world, front_desk_user, therapist_user):
    book(therapist_user, world, dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC))
    page = (
        login(front_desk_user)
        .get(f"/calendar/?therapist={world['alice'].id}&week=2027-03-01")
        .content.decode()
    )
    assert "10:00 Maria L." in page and "Lopez" not in page  # first name and initial only
    assert "Europe/London" in page


@pytest.mark.django_db
def test_moving_onto_a_taken_time_is_refused_and_nothing_moves(world, therapist_user):
    mine = book(therapist_user, world, dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC))
    book(
        therapist_user,
        world,
        dt.datetime(2027, 3, 3, 10, tzinfo=dt.UTC),
        client=ClientFactory(clinic=world["client"].clinic),
    )
    http = login(therapist_user)
    r = http.post(f"/appointments/{mine.id}/", {"day": "2027-03-03", "at": "10:30"})
    assert r.status_code == 409 and "the time is taken" in r.content.decode()  # a conflict, as on the API
    mine.refresh_from_db()
    assert mine.starts_at == dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)
    r = http.post(f"/appointments/{mine.id}/", {"day": "2027-03-02", "at": "20:00"})
    assert r.status_code == 422 and "working hours" in r.content.decode()


@pytest.mark.django_db
def test_front_desk_books_a_12_week_course_from_the_plan_resolving_a_conflict(
    world, therapist_user, front_desk_user
):
    book(
        therapist_user,
        world,
        dt.datetime(2027, 3, 22, 10, tzinfo=dt.UTC),
        client=ClientFactory(clinic=world["client"].clinic),
    )
    http = login(front_desk_user)
    url = f"/clients/{world['client'].id}/plans/{world['plan'].id}/book/"
    form = {
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-08",
        "local_time": "10:00",
        "count": "12",
    }
    preview = http.post(url, form | {"action": "preview"}).content.decode()
    assert "11 of 12 dates are free" in preview and "Conflict" in preview
    r = http.post(url, form | {"action": "book", "replace_2": "2027-03-22T11:15:00+00:00"})
    assert r.status_code == 302
    booked = Appointment.objects.filter(client=world["client"]).order_by("starts_at")
    assert booked.count() == 12
    assert booked[2].starts_at == dt.datetime(2027, 3, 22, 11, 15, tzinfo=dt.UTC)
    assert booked[3].due_measures  # week 4: the plan's re-evaluation point


@pytest.mark.django_db
def test_other_clinic_cannot_see_an_appointment(world, therapist_user, other_clinic_user):
    mine = book(therapist_user, world, dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC))
    assert login(other_clinic_user).get(f"/appointments/{mine.id}/").status_code == 404
