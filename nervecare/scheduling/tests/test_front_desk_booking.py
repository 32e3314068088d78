"""The front desk books from its own page, and learns of a safety hold without its clinical reason."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.scheduling.models import Appointment
from nervecare.screening.services import safety_check_run

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday noon


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_the_front_desk_learns_of_a_hold_not_the_clinical_reason(
    course_world, front_desk_user, therapist_user
):
    MedicalContextFactory(client=course_world["client"], neutrophils_per_ul=400)
    safety_check_run(actor=therapist_user, client=course_world["client"])
    desk = login(front_desk_user)
    r = desk.post(
        "/api/v1/appointments",
        {
            "client_id": course_world["client"].id,
            "therapist_id": course_world["alice"].id,
            "service_id": course_world["service"].id,
            "starts_at": "2027-03-02T10:00:00",
        },
        content_type="application/json",
    )
    assert r.status_code == 409
    assert "safety hold" in r.json()["detail"] and "eutrophil" not in r.content.decode()
    clinical = login(therapist_user).post(
        "/api/v1/appointments",
        {
            "client_id": course_world["client"].id,
            "therapist_id": course_world["alice"].id,
            "service_id": course_world["service"].id,
            "starts_at": "2027-03-02T10:00:00",
        },
        content_type="application/json",
    )
    assert clinical.status_code == 409 and "eutrophil" in clinical.content.decode()


@pytest.mark.django_db
def test_front_desk_books_from_its_own_page(course_world, front_desk_user):
    desk = login(front_desk_user)
    page = desk.get("/book/").content.decode()
    assert "Book the course" in page and "12 to book" in page
    r = desk.post(
        "/book/",
        {
            "client_id": course_world["client"].id,
            "service_id": course_world["service"].id,
            "therapist_id": course_world["alice"].id,
            "day": "2027-03-02",
            "at": "10:00",
        },
    )
    assert r.status_code == 302 and Appointment.objects.count() == 1
    clash = desk.post(
        "/book/",
        {
            "client_id": ClientFactory(clinic=course_world["client"].clinic).id,
            "service_id": course_world["service"].id,
            "therapist_id": course_world["alice"].id,
            "day": "2027-03-02",
            "at": "10:30",
        },
    )
    assert clash.status_code == 409 and "the time is taken" in clash.content.decode()
    form = {
        "therapist_id": course_world["alice"].id,
        "service_id": course_world["service"].id,
        "first_date": "2027-03-08",
        "local_time": "11:00",
        "count": "3",
        "action": "book",
    }
    done = desk.post(f"/clients/{course_world['client'].id}/plans/{course_world['plan'].id}/book/", form)
    assert done.status_code == 302 and done["Location"].startswith("/calendar/")
