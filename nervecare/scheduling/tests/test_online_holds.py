"""Online holds: a held time blocks the slot like a booking until it expires; an expired hold is free time for
every read and for the next booking, whether or not the periodic job has run; confirming books it; check-in
guards registered by higher apps refuse a check-in with their reason."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from nervecare.booking.tasks import expire_online_holds
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent, Therapist
from nervecare.scheduling import hooks, selectors
from nervecare.scheduling.models import Appointment, Closure
from nervecare.scheduling.services import (
    BookingConflictError,
    appointment_book,
    appointment_check_in,
    appointment_hold,
    appointment_hold_confirm,
)
from nervecare.scheduling.services.checks import HOLD_EXPIRED_REASON
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime.datetime(2030, 1, 7, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def world(clinic, therapist_user, front_desk_user):
    alice = Therapist.objects.get(user=therapist_user)
    for weekday in range(7):
        WorkingHoursFactory(therapist=alice, weekday=weekday, start=datetime.time(9), end=datetime.time(17))
    service = ServiceFactory(clinic=clinic, bookable_online=True)
    stranger = ClientFactory(clinic=clinic, first_name="Nell", last_name="Stranger")
    regular = ClientFactory(clinic=clinic, first_name="Rui", last_name="Regular")
    return alice, service, stranger, regular


def _hold(world, *, starts_at=MONDAY_10, minutes=15):
    alice, service, stranger, _ = world
    return appointment_hold(
        client=stranger,
        therapist=alice,
        service=service,
        starts_at=starts_at,
        expires_at=timezone.now() + datetime.timedelta(minutes=minutes),
    )


def test_a_held_time_is_not_offered_and_cannot_be_booked_over(world, front_desk_user):
    alice, service, _, regular = world
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False):
        held = _hold(world)
        assert held.status == Appointment.Status.HELD and held.created_by is None
        slots = selectors.free_slots(
            clinic=alice.clinic,
            service=service,
            start=MONDAY_10.date(),
            end=MONDAY_10.date(),
            therapists=[alice],
        )
        assert MONDAY_10 not in [s["starts_at"] for s in slots]
        with pytest.raises(BookingConflictError):
            appointment_book(
                actor=front_desk_user,
                client=regular,
                therapist_id=alice.id,
                service_id=service.id,
                starts_at=MONDAY_10 + datetime.timedelta(minutes=30),
            )
        assert AuditEvent.objects.filter(object_id=str(held.pk), summary__startswith="Held online").exists()


def test_an_expired_hold_is_free_time_before_the_job_runs(world, front_desk_user):
    alice, service, _, regular = world
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False) as traveller:
        held = _hold(world)
        traveller.shift(datetime.timedelta(minutes=16))
        # the job has not run: the row is still "held", yet every read and the next booking see free time
        assert Appointment.objects.get(pk=held.pk).status == Appointment.Status.HELD
        slots = selectors.free_slots(
            clinic=alice.clinic,
            service=service,
            start=MONDAY_10.date(),
            end=MONDAY_10.date(),
            therapists=[alice],
        )
        assert MONDAY_10 in [s["starts_at"] for s in slots]
        assert held.pk not in {
            a.pk
            for a in selectors.appointments_in_range(
                alice.clinic_id, MONDAY_10, MONDAY_10 + datetime.timedelta(hours=2)
            )
        }
        booking = appointment_book(
            actor=front_desk_user,
            client=regular,
            therapist_id=alice.id,
            service_id=service.id,
            starts_at=MONDAY_10,
        )
        assert booking.appointment.status == Appointment.Status.BOOKED
        held.refresh_from_db()
        assert held.status == Appointment.Status.CANCELLED and held.cancel_reason == HOLD_EXPIRED_REASON
        # and the taken time cannot be confirmed any more
        with pytest.raises(BookingConflictError):
            appointment_hold_confirm(appointment=held)


def test_the_job_releases_expired_holds_only(world):
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False) as traveller:
        old = _hold(world, minutes=5)
        fresh = _hold(world, starts_at=MONDAY_10 + datetime.timedelta(hours=3), minutes=60)
        traveller.shift(datetime.timedelta(minutes=10))
        assert expire_online_holds.call_local() == 1
        assert Appointment.objects.get(pk=old.pk).status == Appointment.Status.CANCELLED
        assert Appointment.objects.get(pk=fresh.pk).status == Appointment.Status.HELD
        assert AuditEvent.objects.filter(summary__startswith="Online hold expired").exists()


def test_confirming_books_the_time_and_twice_changes_nothing(world):
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False):
        held = _hold(world)
        booked = appointment_hold_confirm(appointment=held)
        assert booked.status == Appointment.Status.BOOKED and booked.hold_expires_at is None
        assert booked.reminders.filter(kind="reminder").exists()
        again = appointment_hold_confirm(appointment=held)
        assert again.status == Appointment.Status.BOOKED


def test_an_expired_hold_whose_time_is_still_free_is_booked_when_confirmed(world):
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False) as traveller:
        held = _hold(world, minutes=5)
        traveller.shift(datetime.timedelta(hours=3))
        expire_online_holds.call_local()
        assert appointment_hold_confirm(appointment=held).status == Appointment.Status.BOOKED


def test_a_hold_is_checked_like_a_booking(world, clinic):
    alice, service, stranger, _ = world
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False):
        with pytest.raises(FieldErrors) as hours:
            _hold(world, starts_at=MONDAY_10.replace(hour=20))
        assert "working hours" in hours.value.errors["starts_at"]
        Closure.objects.create(
            clinic=clinic, starts_on=MONDAY_10.date(), ends_on=MONDAY_10.date(), name="Flood"
        )
        with pytest.raises(FieldErrors) as closed:
            _hold(world)
        assert "closed" in closed.value.errors["starts_at"]
        oncology = ServiceFactory(clinic=clinic, required_certifications=["lymph_drainage_advanced"])
        with pytest.raises(FieldErrors) as trained:
            appointment_hold(
                client=stranger,
                therapist=alice,
                service=oncology,
                starts_at=MONDAY_10 + datetime.timedelta(days=1),
                expires_at=timezone.now() + datetime.timedelta(minutes=5),
            )
        assert "training" in trained.value.errors["therapist_id"]
    assert not Appointment.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's exclusion constraints")
def test_postgresql_counts_a_held_row_in_its_exclusion_constraint(world):
    from django.db import IntegrityError, transaction

    alice, service, _, regular = world
    with time_machine.travel(MONDAY_10 - datetime.timedelta(days=2), tick=False):
        held = _hold(world)
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.create(
                clinic=alice.clinic,
                client=regular,
                therapist=alice,
                service=service,
                starts_at=held.starts_at,
                ends_at=held.ends_at,
                blocked_until=held.blocked_until,
            )


def test_a_registered_check_in_guard_refuses_with_its_reason(world, front_desk_user, monkeypatch):
    alice, service, _, regular = world
    monkeypatch.setattr(hooks, "_check_in_guards", [])
    start = timezone.now().replace(second=0, microsecond=0)
    appointment = Appointment.objects.create(
        clinic=alice.clinic,
        client=regular,
        therapist=alice,
        service=service,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        blocked_until=start + datetime.timedelta(hours=1),
    )
    hooks.register_check_in_guard(
        lambda a: "the intake is not reviewed yet" if a.client_id == regular.id else None
    )
    with pytest.raises(FieldErrors) as refused:
        appointment_check_in(actor=front_desk_user, appointment=appointment)
    assert refused.value.errors == {"status": "the intake is not reviewed yet"}
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.BOOKED
    monkeypatch.setattr(hooks, "_check_in_guards", [])
    assert (
        appointment_check_in(actor=front_desk_user, appointment=appointment).appointment.status
        == "checked_in"
    )
