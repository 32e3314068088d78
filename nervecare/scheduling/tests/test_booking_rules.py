"""The clinic's booking rules (Clinic.min_notice_hours, booking_horizon_days, cancellation_notice_hours) on
every path a client books or changes a booking by themself, with the true reason when they cannot."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.tests.factories import UserFactory
from nervecare.portal.models import ClientAccount
from nervecare.scheduling import rules, services
from nervecare.scheduling.tests.factories import AppointmentFactory, ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)  # Monday


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.min_notice_hours = 24
    clinic.booking_horizon_days = 14
    clinic.cancellation_notice_hours = 48
    clinic.phone = "020 7946 0000"
    clinic.save()
    service = ServiceFactory(clinic=clinic, minutes=60)
    for weekday in range(7):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(8), end=dt.time(18)
        )
    client = ClientFactory(clinic=clinic)
    user = UserFactory(username="carla", clinic=clinic, role="client")
    ClientAccount.objects.create(user=user, client=client)
    return {
        "clinic": clinic,
        "service": service,
        "client": client,
        "user": user,
        "alice": therapist_user.therapist,
    }


def book_as(actor, world, starts_at):
    return services.appointment_book(
        actor=actor,
        client=world["client"],
        therapist_id=world["alice"].id,
        service_id=world["service"].id,
        starts_at=starts_at,
    )


@pytest.mark.django_db
def test_a_client_cannot_book_sooner_than_the_minimum_notice(world):
    with pytest.raises(FieldErrors) as exc:
        book_as(world["user"], world, NOW + dt.timedelta(hours=5))
    assert exc.value.errors["starts_at"] == (
        "sessions can be booked online at least 24 hours ahead; for a sooner time please call the clinic on "
        "020 7946 0000"
    )
    book_as(world["user"], world, NOW + dt.timedelta(hours=25))


@pytest.mark.django_db
def test_a_client_cannot_book_beyond_the_horizon(world):
    with pytest.raises(FieldErrors) as exc:
        book_as(world["user"], world, dt.datetime(2027, 3, 16, 10, tzinfo=dt.UTC))
    assert "up to 14 days ahead (until 15 March 2027)" in exc.value.errors["starts_at"]
    book_as(world["user"], world, dt.datetime(2027, 3, 15, 10, tzinfo=dt.UTC))


@pytest.mark.django_db
def test_the_staff_book_inside_the_notice_and_beyond_the_horizon(world, front_desk_user):
    book_as(front_desk_user, world, NOW + dt.timedelta(hours=2))  # the phone call for this morning
    book_as(front_desk_user, world, dt.datetime(2027, 5, 3, 10, tzinfo=dt.UTC))  # a course's later dates


@pytest.mark.django_db
def test_the_true_reason_a_client_cannot_change_a_booking(world):
    def appt(hours, status="booked"):
        return AppointmentFactory(
            client=world["client"],
            therapist=world["alice"],
            service=world["service"],
            starts_at=NOW + dt.timedelta(hours=hours),
            status=status,
        )

    assert rules.client_change_error(appt(72)) is None
    assert rules.client_change_error(appt(30)) == (
        "it starts in less than 48 hours, the clinic's cancellation notice; to change or cancel it please call "
        "the clinic on 020 7946 0000"
    )
    assert rules.client_change_error(appt(1, "checked_in")) == "you are checked in for this appointment"
    page = login(world["user"]).get("/portal/appointments/").content.decode()
    assert "This appointment cannot be changed online: it starts in less than 48 hours" in page
    assert "Change the time" in page  # the one 72 hours ahead can still be changed


@pytest.mark.django_db
def test_portal_cancel_inside_the_notice_gives_the_reason(world):
    a = AppointmentFactory(
        client=world["client"],
        therapist=world["alice"],
        service=world["service"],
        starts_at=NOW + dt.timedelta(hours=30),
    )
    r = login(world["user"]).post(f"/portal/appointments/{a.id}/cancel/", follow=True)
    assert "cancellation notice" in r.content.decode()
    a.refresh_from_db()
    assert a.status == "booked"


@pytest.mark.django_db
def test_the_change_time_page_lists_no_times_for_a_booking_that_cannot_be_changed(world):
    """The portal's change-time page gives the reason instead of times the confirm step would refuse."""
    soon = AppointmentFactory(
        client=world["client"],
        therapist=world["alice"],
        service=world["service"],
        starts_at=NOW + dt.timedelta(hours=30),
    )
    later = AppointmentFactory(
        client=world["client"],
        therapist=world["alice"],
        service=world["service"],
        starts_at=NOW + dt.timedelta(hours=72),
    )
    http = login(world["user"])
    page = http.get(f"/portal/book/?replace={soon.id}").content.decode()
    assert "This appointment cannot be changed online: it starts in less than 48 hours" in page
    assert 'name="slot"' not in page and "You are moving your appointment" not in page
    page = http.get(f"/portal/book/?replace={later.id}").content.decode()
    # This one may be changed: the page goes on to the booking rules (here: no care plan to book from yet).
    assert "cannot be changed online" not in page and "sets up your care plan" in page
