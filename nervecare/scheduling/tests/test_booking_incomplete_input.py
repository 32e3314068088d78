"""Bookings with a choice missing, or a waitlist offer without its time: a 422 naming the field, never a 500."""

import datetime as dt

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.core.errors import FieldErrors
from nervecare.scheduling import services
from nervecare.scheduling.models import WaitlistEntry
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def setup(clinic, therapist_user):
    with time_machine.travel(NOW, tick=False):
        service = ServiceFactory(clinic=clinic, minutes=60, buffer_minutes=15)
        for weekday in range(5):
            WorkingHoursFactory(
                therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
            )
        client = ClientFactory(clinic=clinic)
        ConditionFactory(client=client)
        yield {"service": service, "client": client, "alice": therapist_user.therapist}


def test_a_series_without_a_therapist_names_the_field(therapist_user, setup):
    with pytest.raises(FieldErrors) as exc:
        services.series_book(
            actor=therapist_user,
            client=setup["client"],
            therapist_id=None,
            service_id=setup["service"].id,
            first_date=dt.date(2027, 3, 8),
            local_time=dt.time(10),
            count=2,
        )
    assert "therapist_id" in exc.value.errors


def test_a_series_without_a_service_names_the_field(therapist_user, setup):
    with pytest.raises(FieldErrors) as exc:
        services.series_book(
            actor=therapist_user,
            client=setup["client"],
            therapist_id=setup["alice"].id,
            service_id=None,
            first_date=dt.date(2027, 3, 8),
            local_time=dt.time(10),
            count=2,
        )
    assert "service_id" in exc.value.errors


def test_an_offer_without_its_time_cannot_be_accepted(front_desk_user, setup):
    """An entry marked offered whose time was never stored (say, edited by hand) is refused, not a crash."""
    entry = WaitlistEntry.objects.create(
        client=setup["client"],
        service=setup["service"],
        earliest=NOW,
        latest=NOW + dt.timedelta(days=7),
        status=WaitlistEntry.Status.OFFERED,
        offered_therapist=setup["alice"],
    )
    with time_machine.travel(NOW, tick=False), pytest.raises(FieldErrors) as exc:
        services.waitlist_accept(actor=front_desk_user, entry=entry)
    assert "status" in exc.value.errors


def test_moving_the_rest_of_a_series_needs_a_series(therapist_user, setup):
    with time_machine.travel(NOW, tick=False):
        booking = services.appointment_book(
            actor=therapist_user,
            client=setup["client"],
            therapist_id=setup["alice"].id,
            service_id=setup["service"].id,
            starts_at=dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC),
        )
        with pytest.raises(FieldErrors) as exc:
            services.series_reschedule_rest(
                actor=therapist_user, appointment=booking.appointment, local_time=dt.time(11)
            )
    assert "appointment" in exc.value.errors
