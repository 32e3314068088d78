"""Property-based tests of the scheduler (Hypothesis): any sequence of bookings, moves and cancellations for
one therapist and one room leaves no two active appointments overlapping (for the therapist or the room,
buffer included), and the free slots the calendar offers are exactly the grid times booking accepts.

Each example runs in a transaction that is rolled back, so examples do not see each other's bookings.
Examples per test: HYPOTHESIS_PROFILE=ci (default, 30 sequences) or dev (300)."""

import contextlib
import datetime as dt
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.scheduling import selectors, services
from nervecare.scheduling.models import BLOCKING_STATUSES, Appointment
from nervecare.scheduling.tests.factories import RoomFactory, ServiceFactory, WorkingHoursFactory

settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DAYS = 2  # two working days next week
GRID = 12  # start times 09:00-12:00 in 15-minute steps: a crowded morning, so clashes are frequent
REFUSED = (FieldErrors, services.BookingConflictError)


@pytest.fixture
def practice(clinic, therapist_user):
    therapist = therapist_user.therapist
    for weekday in range(5):
        WorkingHoursFactory(therapist=therapist, weekday=weekday, start=dt.time(9), end=dt.time(17))
    today = dt.date.today()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return {
        "actor": therapist_user,
        "therapist": therapist,
        "room": RoomFactory(clinic=clinic),
        "service": ServiceFactory(clinic=clinic, minutes=60, buffer_minutes=15),
        "clients": [ClientFactory(clinic=clinic) for _ in range(3)],
        "days": [monday + dt.timedelta(days=i) for i in range(DAYS)],
        "tz": selectors.clinic_tz(clinic),
    }


def _start(p, day: int, step: int) -> dt.datetime:
    return localtime.boundary_to_utc(p["days"][day], dt.time(9), p["tz"]) + dt.timedelta(minutes=15 * step)


def _offered(p, day: int) -> set[dt.datetime]:
    slots = selectors.free_slots(
        clinic=p["therapist"].clinic,
        service=p["service"],
        start=p["days"][day],
        end=p["days"][day],
        therapists=[p["therapist"]],
        limit=1000,
    )
    return {s["starts_at"] for s in slots}


def _assert_no_overlap(p) -> None:
    active = list(
        Appointment.objects.filter(status__in=BLOCKING_STATUSES).values_list(
            "id", "therapist_id", "room_id", "starts_at", "blocked_until"
        )
    )
    for i, a in enumerate(active):
        for b in active[i + 1 :]:
            if a[3] < b[4] and b[3] < a[4]:
                assert a[1] != b[1], f"therapist double-booked: {a} and {b}"
                assert a[2] is None or a[2] != b[2], f"room double-booked: {a} and {b}"


operation = st.one_of(
    st.tuples(
        st.just("book"), st.integers(0, DAYS - 1), st.integers(0, GRID), st.integers(0, 2), st.booleans()
    ),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, DAYS - 1), st.integers(0, GRID)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_no_double_booking_and_offered_slots_are_the_bookable_ones(practice, ops):
    p = practice
    with transaction.atomic():
        booked: list[Appointment] = []
        for op in ops:
            if op[0] == "book":
                _kind, day, step, who, with_room = op
                starts_at = _start(p, day, step)
                offered = starts_at in _offered(p, day)
                try:
                    result = services.appointment_book(
                        actor=p["actor"],
                        client=p["clients"][who],
                        therapist_id=p["therapist"].id,
                        service_id=p["service"].id,
                        room_id=p["room"].id if with_room else None,
                        starts_at=starts_at,
                    )
                except REFUSED as exc:
                    assert not offered, f"{starts_at} was offered but booking refused it: {exc}"
                else:
                    assert offered, f"{starts_at} was booked but not offered"
                    booked.append(result.appointment)
            elif op[0] == "move" and booked:
                _kind, index, day, step = op
                appointment = booked[index % len(booked)]
                appointment.refresh_from_db()
                if appointment.status != "booked":
                    continue
                with contextlib.suppress(REFUSED):
                    services.appointment_reschedule(
                        actor=p["actor"], appointment=appointment, starts_at=_start(p, day, step)
                    )
            elif op[0] == "cancel" and booked:
                appointment = booked[op[1] % len(booked)]
                appointment.refresh_from_db()
                if appointment.status == "booked":
                    services.appointment_cancel(
                        actor=p["actor"], appointment=appointment, reason="property test"
                    )
            _assert_no_overlap(p)
        transaction.set_rollback(True)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.integers(0, GRID), min_size=1, max_size=6))
def test_every_offered_slot_can_be_booked_one_after_another(practice, steps):
    """Booking the n-th offered slot always succeeds, and the slot is no longer offered afterwards."""
    p = practice
    with transaction.atomic():
        for step in steps:
            offered = sorted(_offered(p, 0))
            if not offered:
                break
            starts_at = offered[step % len(offered)]
            services.appointment_book(
                actor=p["actor"],
                client=p["clients"][0],
                therapist_id=p["therapist"].id,
                service_id=p["service"].id,
                room_id=p["room"].id,
                starts_at=starts_at,
            )
            assert starts_at not in _offered(p, 0)
            _assert_no_overlap(p)
        transaction.set_rollback(True)
