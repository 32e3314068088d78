"""Booking rules through the services: hours, buffers, conflicts, series across DST, moves, cancel, waitlist."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.errors import FieldErrors
from nervecare.scheduling import services
from nervecare.scheduling.models import Appointment, Series, WaitlistEntry
from nervecare.scheduling.tests.factories import RoomFactory, ServiceFactory, WorkingHoursFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # a Monday, four weeks before British Summer Time starts


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setup(clinic, therapist_user, junior_therapist_user, travel):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, minutes=60, buffer_minutes=15)
    for user in (therapist_user, junior_therapist_user):
        for weekday in range(5):
            WorkingHoursFactory(therapist=user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17))
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client)
    return {
        "service": service,
        "client": client,
        "alice": therapist_user.therapist,
        "bob": junior_therapist_user.therapist,
    }


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


TUESDAY = dt.date(2027, 3, 2)


def book(user, setup, starts_at, therapist=None, client=None, **kw):
    return services.appointment_book(
        actor=user,
        client=client or setup["client"],
        therapist_id=(therapist or setup["alice"]).id,
        service_id=setup["service"].id,
        starts_at=starts_at,
        **kw,
    )


@pytest.mark.django_db
def test_book_inside_hours_stores_utc_and_holds_the_buffer(therapist_user, setup):
    booking = book(therapist_user, setup, local(TUESDAY, 10))
    a = booking.appointment
    assert a.starts_at == dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)  # GMT in March, before the change
    assert a.ends_at - a.starts_at == dt.timedelta(minutes=60)
    assert a.blocked_until - a.ends_at == dt.timedelta(minutes=15)


@pytest.mark.django_db
@pytest.mark.parametrize("hour", [7, 16, 17])
def test_outside_working_hours_is_refused_naming_the_hours(therapist_user, setup, hour):
    with pytest.raises(FieldErrors) as exc:
        book(therapist_user, setup, local(TUESDAY, hour, 30 if hour == 16 else 0))
    assert "working hours" in exc.value.errors["starts_at"] and "09:00–17:00" in exc.value.errors["starts_at"]
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_overlap_with_buffer_is_a_conflict_and_back_to_back_after_buffer_is_fine(therapist_user, setup):
    book(therapist_user, setup, local(TUESDAY, 10))
    other = ClientFactory(clinic=setup["client"].clinic)
    with pytest.raises(services.BookingConflictError) as exc:
        book(therapist_user, setup, local(TUESDAY, 11), client=other)  # 11:00 is inside the 15-min buffer
    assert exc.value.conflicts[0]["with"] == "therapist"
    book(therapist_user, setup, local(TUESDAY, 11, 15), client=other)  # right after the buffer: allowed
    with pytest.raises(services.BookingConflictError):
        book(
            therapist_user, setup, local(TUESDAY, 9), client=ClientFactory(clinic=other.clinic)
        )  # its buffer hits 10:00
    assert Appointment.objects.count() == 2


@pytest.mark.django_db
def test_a_room_and_a_client_cannot_be_in_two_places(therapist_user, front_desk_user, setup):
    # Bob does not see Alice's client, so the front desk books him (a therapist books only colleagues who
    # see the client: issue 14).
    room = RoomFactory(clinic=setup["client"].clinic)
    book(therapist_user, setup, local(TUESDAY, 10), room_id=room.id)
    with pytest.raises(services.BookingConflictError) as exc:
        book(
            front_desk_user,
            setup,
            local(TUESDAY, 10),
            therapist=setup["bob"],
            client=ClientFactory(clinic=room.clinic),
            room_id=room.id,
        )
    assert {c["with"] for c in exc.value.conflicts} == {"room"}
    with pytest.raises(services.BookingConflictError) as exc:
        book(front_desk_user, setup, local(TUESDAY, 10, 30), therapist=setup["bob"])
    assert {c["with"] for c in exc.value.conflicts} == {"client"}


@pytest.mark.django_db
def test_bad_input_is_a_clear_error_and_books_nothing(therapist_user, setup, other_clinic_user):
    cases = [
        ({"therapist_id": 999999}, "therapist_id"),
        ({"therapist_id": other_clinic_user.therapist.id}, "therapist_id"),
        ({"service_id": 999999}, "service_id"),
        ({"starts_at": local(TUESDAY, 10) - dt.timedelta(days=30)}, "starts_at"),
    ]
    for override, field in cases:
        kwargs = {
            "therapist_id": setup["alice"].id,
            "service_id": setup["service"].id,
            "starts_at": local(TUESDAY, 10),
        }
        kwargs.update(override)
        with pytest.raises(FieldErrors) as exc:
            services.appointment_book(actor=therapist_user, client=setup["client"], **kwargs)
        assert field in exc.value.errors
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_stop_flag_blocks_booking_and_clearance_warns(therapist_user, setup):
    MedicalContextFactory(client=setup["client"], dvt_history=True)
    from nervecare.screening.services import safety_check_run

    safety_check_run(actor=therapist_user, client=setup["client"])
    booking = book(therapist_user, setup, local(TUESDAY, 10))
    assert booking.warnings and "Clearance" in booking.warnings[0]
    medical = setup["client"].medical
    medical.dvt_signs_now = True
    medical.save()
    safety_check_run(actor=therapist_user, client=setup["client"])
    with pytest.raises(services.SessionBlockedError):
        book(therapist_user, setup, local(TUESDAY, 14))
    with pytest.raises(services.SessionBlockedError):
        services.appointment_check_in(actor=therapist_user, appointment=booking.appointment)


@pytest.mark.django_db
def test_weekly_series_keeps_local_time_across_daylight_saving(therapist_user, setup):
    result = services.series_book(
        actor=therapist_user,
        client=setup["client"],
        therapist_id=setup["alice"].id,
        service_id=setup["service"].id,
        first_date=dt.date(2027, 3, 8),
        local_time=dt.time(10),
        count=12,
    )
    starts = [a.starts_at for a in result["appointments"]]
    assert len(starts) == 12
    assert {s.astimezone(LONDON).time() for s in starts} == {dt.time(10)}
    assert {s.astimezone(LONDON).weekday() for s in starts} == {0}
    assert (
        starts[2].hour == 10 and starts[3].hour == 9
    )  # 10:00 GMT, then 10:00 BST = 09:00 UTC after 28 March


@pytest.mark.django_db
def test_series_with_a_conflict_books_nothing_unless_told_to_skip_or_replace(therapist_user, setup):
    other = ClientFactory(clinic=setup["client"].clinic)
    book(therapist_user, setup, local(dt.date(2027, 3, 22), 10), client=other)  # the third Monday is taken
    kwargs = {
        "actor": therapist_user,
        "client": setup["client"],
        "therapist_id": setup["alice"].id,
        "service_id": setup["service"].id,
        "first_date": dt.date(2027, 3, 8),
        "local_time": dt.time(10),
        "count": 4,
    }
    preview = services.series_preview(**kwargs)
    assert [r["ok"] for r in preview["rows"]] == [True, True, False, True]
    assert preview["rows"][2]["alternatives"], "a conflicting date offers free times nearby"
    with pytest.raises(services.BookingConflictError) as exc:
        services.series_book(**kwargs)
    assert exc.value.conflicts[0]["index"] == 2
    assert Appointment.objects.filter(client=setup["client"]).count() == 0 and Series.objects.count() == 0
    skipped = services.series_book(**kwargs, skip_conflicts=True)
    assert len(skipped["appointments"]) == 3 and skipped["skipped"] == [2]
    Appointment.objects.filter(client=setup["client"]).delete()
    alternative = preview["rows"][2]["alternatives"][0]["starts_at"]
    replaced = services.series_book(**kwargs, replacements={2: alternative})
    assert len(replaced["appointments"]) == 4
    assert replaced["appointments"][2].starts_at == alternative


@pytest.mark.django_db
def test_reschedule_moves_the_same_row_and_rest_of_series_moves_together(therapist_user, setup):
    result = services.series_book(
        actor=therapist_user,
        client=setup["client"],
        therapist_id=setup["alice"].id,
        service_id=setup["service"].id,
        first_date=dt.date(2027, 3, 8),
        local_time=dt.time(10),
        count=4,
    )
    first, second = result["appointments"][:2]
    services.appointment_reschedule(
        actor=therapist_user, appointment=first, starts_at=local(dt.date(2027, 3, 8), 14)
    )
    first.refresh_from_db()
    assert first.starts_at.astimezone(LONDON).hour == 14
    moved = services.series_reschedule_rest(
        actor=therapist_user, appointment=second, local_time=dt.time(15), weekday=2
    )
    assert len(moved) == 3
    assert Appointment.objects.filter(client=setup["client"]).count() == 4  # no stray duplicates
    assert {
        (a.starts_at.astimezone(LONDON).weekday(), a.starts_at.astimezone(LONDON).hour) for a in moved
    } == {(2, 15)}


@pytest.mark.django_db
def test_cancel_needs_a_reason_and_offers_the_time_to_the_waitlist(therapist_user, front_desk_user, setup):
    booking = book(front_desk_user, setup, local(TUESDAY, 10))
    waiting = ClientFactory(clinic=setup["client"].clinic)
    entry = services.waitlist_add(
        actor=front_desk_user,
        client=waiting,
        service_id=setup["service"].id,
        earliest=local(TUESDAY, 8),
        latest=local(TUESDAY, 18),
    )
    with pytest.raises(FieldErrors):
        services.appointment_cancel(actor=front_desk_user, appointment=booking.appointment, reason=" ")
    services.appointment_cancel(
        actor=front_desk_user, appointment=booking.appointment, reason="client unwell"
    )
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    taken = services.waitlist_accept(actor=front_desk_user, entry=entry)
    assert (
        taken.appointment.client == waiting and taken.appointment.starts_at == booking.appointment.starts_at
    )


@pytest.mark.django_db
def test_no_show_only_after_the_start(therapist_user, setup):
    booking = book(therapist_user, setup, local(TUESDAY, 10))
    with pytest.raises(FieldErrors):
        services.appointment_no_show(actor=therapist_user, appointment=booking.appointment)
    with time_machine.travel(dt.datetime(2027, 3, 2, 11, tzinfo=dt.UTC), tick=False):
        services.appointment_no_show(actor=therapist_user, appointment=booking.appointment)
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == "no_show"


@pytest.mark.django_db
def test_free_slots_skip_booked_time_and_time_off(therapist_user, setup):
    from nervecare.scheduling.selectors import free_slots

    book(therapist_user, setup, local(TUESDAY, 9))
    services.exception_add(
        actor=therapist_user,
        therapist=setup["alice"],
        kind="time_off",
        starts_at=local(TUESDAY, 12),
        ends_at=local(TUESDAY, 17),
    )
    slots = free_slots(
        clinic=setup["client"].clinic,
        service=setup["service"],
        start=TUESDAY,
        end=TUESDAY,
        therapists=[setup["alice"]],
        limit=20,
    )
    hours = [s["starts_at"].astimezone(LONDON).strftime("%H:%M") for s in slots]
    assert hours[0] == "10:15"  # after 09:00-10:00 plus the 15-minute buffer
    assert hours[-1] == "11:00"  # the session must end by 12:00, when time off starts
