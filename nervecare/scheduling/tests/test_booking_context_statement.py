"""The booking's one read is a written-out statement on SQLite and PostgreSQL (issue 20: compiling the ORM's form
cost the booking most of its time). It must give what the ORM's form gives (booking_context_orm), row for row,
in every case the booking checks: hours (alternate weeks too), time off and extra hours, closures, the
therapist's, the room's and the client's held times, expired and live online holds, stop and clearance flags,
the outcome summary's state, and an unknown or inactive therapist, service or room. Runs on both databases."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.models import Therapist
from nervecare.core.tests.factories import TherapistFactory
from nervecare.outcomes.models import ClientOutcomeSummary
from nervecare.scheduling.booking_context import booking_context, booking_context_orm
from nervecare.scheduling.models import AvailabilityException, Closure
from nervecare.scheduling.tests.factories import (
    AppointmentFactory,
    RoomFactory,
    ServiceFactory,
    WorkingHoursFactory,
)
from nervecare.screening.models import SafetyFlag

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/Berlin")
DAY = dt.date(2027, 3, 3)  # a Wednesday
START = dt.datetime.combine(DAY, dt.time(9), tzinfo=TZ).astimezone(dt.UTC)
NOW = dt.datetime(2027, 3, 3, 7, 30, tzinfo=dt.UTC)


def _at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _values(obj) -> list | None:
    return None if obj is None else [getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields]


def _flat(ctx) -> tuple | None:
    if ctx is None:
        return None
    return (
        _values(ctx.therapist),
        _values(ctx.therapist.user),
        _values(ctx.service),
        _values(ctx.room),
        ctx.hours,
        sorted(ctx.exceptions),
        ctx.closed,
        ctx.busy,
        sorted(ctx.expired_holds),
        ctx.has_booking_flags,
        ctx.summary_state,
    )


@pytest.fixture
def world(clinic, other_clinic, therapist_user, junior_therapist_user):
    clinic.timezone = "Europe/Berlin"
    clinic.save()
    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    carol = TherapistFactory(user__clinic=clinic, clinic=clinic, display_name="Carol")
    service = ServiceFactory(clinic=clinic, minutes=60, buffer_minutes=15, required_certifications=["mld"])
    room, other_room = RoomFactory(clinic=clinic), RoomFactory(clinic=clinic)
    client = ClientFactory(clinic=clinic, primary_therapist=alice)
    other_client = ClientFactory(clinic=clinic, primary_therapist=alice)
    WorkingHoursFactory(therapist=alice, weekday=2, start=dt.time(8), end=dt.time(12))
    WorkingHoursFactory(
        therapist=alice,
        weekday=2,
        start=dt.time(13),
        end=dt.time(18),
        every_weeks=2,
        anchor_date=dt.date(2027, 1, 6),
    )
    WorkingHoursFactory(therapist=alice, weekday=3, start=dt.time(8), end=dt.time(18))  # another weekday
    for kind, s, e in (
        ("time_off", _at(10), _at(11)),
        ("extra", _at(19), _at(21)),
        ("time_off", _at(1, day=DAY + dt.timedelta(days=1)), _at(3, day=DAY + dt.timedelta(days=1))),
        ("time_off", _at(9, day=DAY + dt.timedelta(days=3)), _at(10, day=DAY + dt.timedelta(days=3))),  # far
    ):
        AvailabilityException.objects.create(therapist=alice, kind=kind, starts_at=s, ends_at=e)
    Closure.objects.create(
        clinic=clinic,
        starts_on=DAY + dt.timedelta(days=1),
        ends_on=DAY + dt.timedelta(days=2),
        name="Carnival",
    )
    Closure.objects.create(
        clinic=clinic, starts_on=DAY - dt.timedelta(days=9), ends_on=DAY - dt.timedelta(days=8), name="Past"
    )
    Closure.objects.create(clinic=other_clinic, starts_on=DAY, ends_on=DAY, name="Not ours")

    def appt(therapist, who, s, e, **kw):
        return AppointmentFactory(
            client=who,
            therapist=therapist,
            service=service,
            starts_at=s,
            ends_at=e,
            blocked_until=e + dt.timedelta(minutes=15),
            **kw,
        )

    appt(alice, other_client, _at(7, 50), _at(8, 50))  # held until 09:05: the therapist's time
    appt(bob, other_client, _at(9, 30), _at(10, 30), room=room)  # the room's
    appt(carol, client, _at(11), _at(12))  # the client's
    appt(  # an online hold in the room, expired
        bob,
        other_client,
        _at(12),
        _at(13),
        room=room,
        status="held",
        hold_expires_at=NOW - dt.timedelta(minutes=5),
    )
    appt(
        carol,
        other_client,
        _at(13, 30),
        _at(14, 30),
        room=room,
        status="held",
        hold_expires_at=NOW + dt.timedelta(minutes=5),
    )
    appt(alice, client, _at(9, 15), _at(10), status="cancelled")  # not blocking
    appt(bob, other_client, _at(14, 30), _at(14, 50), room=other_room)  # nobody's clash
    appt(alice, other_client, _at(16), _at(17))  # beyond the six hours read
    SafetyFlag.objects.create(
        client=client,
        rule_id="r1",
        rules_version="t",
        title="Clear",
        level="clearance",
        reason="t",
        raised_at=NOW,
        last_checked_at=NOW,
    )
    SafetyFlag.objects.create(
        client=other_client,
        rule_id="r2",
        rules_version="t",
        title="Mod",
        level="modify",
        reason="t",
        raised_at=NOW,
        last_checked_at=NOW,
    )
    return {
        "clinic": clinic,
        "alice": alice,
        "bob": bob,
        "service": service,
        "room": room,
        "client": client,
        "other_client": other_client,
    }


def _both(world, *, client=None, therapist=None, service=None, room=None, clinic=None, starts_at=START):
    kwargs = {
        "clinic_id": (clinic or world["clinic"]).pk,
        "client": client or world["client"],
        "therapist_id": therapist if therapist is not None else world["alice"].pk,
        "service_id": service if service is not None else world["service"].pk,
        "room_id": room,
        "starts_at": starts_at,
        "tz": TZ,
        "now": NOW,
    }
    return booking_context(**kwargs), booking_context_orm(**kwargs)


def test_the_statement_reads_what_the_orm_reads(world):
    got, expected = _both(world, room=world["room"].pk)
    assert _flat(got) == _flat(expected)
    # Not a vacuous comparison: every kind of row is there.
    assert (
        len(got.hours) == 2 and len(got.exceptions) == 3 and set(got.closed) == {DAY + dt.timedelta(days=1)}
    )
    assert len(got.busy) == 4 and len(got.expired_holds) == 1
    assert got.has_booking_flags is True and got.summary_state is None
    assert got.room.pk == world["room"].pk and got.service.required_certifications == ["mld"]
    assert Therapist.user.is_cached(got.therapist) and got.therapist.user.therapist is got.therapist
    assert got.therapist.certifications == ["oncology_massage", "mld", "diabetic_foot"]


def test_without_a_room_and_for_another_client(world):
    for client in (world["client"], world["other_client"]):
        got, expected = _both(world, client=client)
        assert got is not None and got.room is None
        assert _flat(got) == _flat(expected)
    assert _both(world, client=world["other_client"])[0].has_booking_flags is False  # a modify flag only


def test_the_outcome_summary_state(world):
    summary = ClientOutcomeSummary.objects.create(
        client=world["client"], clinic=world["clinic"], stale=False, refreshed_at=timezone.now()
    )
    got, expected = _both(world)
    assert got.summary_state is False and _flat(got) == _flat(expected)
    summary.stale = True
    summary.save()
    got, expected = _both(world)
    assert got.summary_state is True and _flat(got) == _flat(expected)


def test_other_days_and_times(world):
    for starts_at in (_at(23, 30), _at(0, 15), _at(9, day=DAY + dt.timedelta(days=1))):
        got, expected = _both(world, starts_at=starts_at.astimezone(dt.UTC))
        assert _flat(got) == _flat(expected), starts_at


def test_unknown_or_inactive_rows_give_none(world, other_clinic, other_clinic_user):
    inactive_room = RoomFactory(clinic=world["clinic"], active=False)
    inactive_service = ServiceFactory(clinic=world["clinic"], active=False)
    foreign_service = ServiceFactory(clinic=other_clinic)
    resting = TherapistFactory(user__clinic=world["clinic"], clinic=world["clinic"], active=False)
    for case in (
        {"room": inactive_room.pk},
        {"room": 987654},
        {"service": inactive_service.pk},
        {"service": foreign_service.pk},
        {"therapist": resting.pk},
        {"therapist": other_clinic_user.therapist.pk},
        {"clinic": other_clinic},
    ):
        got, expected = _both(world, **case)
        assert got is None and expected is None, case
