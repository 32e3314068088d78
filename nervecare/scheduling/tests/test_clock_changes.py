"""Clock changes (issue 14, finding 7), in Europe/London in 2027.

Clocks go forward on Sunday 28 March at 01:00 (to 02:00): 01:30 that night does not exist.
Clocks go back on Sunday 31 October at 02:00 (to 01:00): 01:30 that night happens twice, first in summer
time (00:30 UTC), then in winter time (01:30 UTC).

A local time that does not exist is a 422 naming the field; a repeated one is its first occurrence unless an
offset says otherwise, and a 30-minute session lasts 30 minutes. Every path that turns a wall-clock time
into an instant: booking, rescheduling (one, and the rest of a series), a weekly series, time off, the
waitlist, slots, and the booking, appointment and series pages.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.scheduling import services
from nervecare.scheduling.models import Appointment, AvailabilityException, WaitlistEntry
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # a Monday, four weeks before the clocks go forward
SPRING = dt.date(2027, 3, 28)  # 01:00-02:00 does not exist
AUTUMN = dt.date(2027, 10, 31)  # 01:00-02:00 happens twice
THIRTY = dt.timedelta(minutes=30)


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, minutes=30, buffer_minutes=15, modality="swedish")
    # Night hours on Sundays (an on-call clinic), so that the changed hour is inside the working hours.
    WorkingHoursFactory(therapist=therapist_user.therapist, weekday=6, start=dt.time(0), end=dt.time(4))
    client = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")
    ConditionFactory(client=client)
    return {"service": service, "client": client, "alice": therapist_user.therapist}


def body(world, starts_at, **kw):
    return {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "starts_at": starts_at,
    } | kw


def errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


# --- The helper: the rule in one place ---------------------------------------------------------------------


def test_the_helper_refuses_a_missing_time_and_takes_the_first_of_a_repeated_one():
    with pytest.raises(FieldErrors) as exc:
        localtime.combine_to_utc(SPRING, dt.time(1, 30), LONDON, field="at")
    assert "does not exist" in exc.value.errors["at"] and "Europe/London" in exc.value.errors["at"]
    assert localtime.combine_to_utc(AUTUMN, dt.time(1, 30), LONDON, field="at") == utc(2027, 10, 31, 0, 30)
    # An explicit offset chooses the occurrence; a zone-aware value keeps its fold.
    second = dt.datetime(2027, 10, 31, 1, 30, tzinfo=dt.timezone(dt.timedelta(0)))
    assert localtime.to_utc(second, LONDON, field="at") == utc(2027, 10, 31, 1, 30)
    folded = dt.datetime(2027, 10, 31, 1, 30, tzinfo=LONDON, fold=1)
    assert localtime.to_utc(folded, LONDON, field="at") == utc(2027, 10, 31, 1, 30)
    with pytest.raises(FieldErrors):
        localtime.to_utc(dt.datetime(2027, 3, 28, 1, 30, tzinfo=LONDON), LONDON, field="at")
    # The edge of working hours moves forward by the gap instead (nobody chose it).
    assert localtime.boundary_to_utc(SPRING, dt.time(1, 30), LONDON) == utc(2027, 3, 28, 1, 30)
    assert localtime.is_ambiguous(dt.datetime(2027, 10, 31, 1, 30), LONDON)
    assert not localtime.exists(dt.datetime(2027, 3, 28, 1, 30), LONDON)


# --- The API -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_a_time_that_does_not_exist_is_a_422_saying_so(world, api):
    r = api.post("/api/v1/appointments", body(world, "2027-03-28T01:30:00"), content_type="application/json")
    assert r.status_code == 422, r.content
    assert "does not exist" in errors(r)["starts_at"]
    assert Appointment.objects.count() == 0
    # Either side of the gap books, and lasts what the service lasts.
    for local, start in (("2027-03-28T00:30:00", utc(2027, 3, 28, 0, 30)), ("2027-03-28T02:30:00", None)):
        r = api.post("/api/v1/appointments", body(world, local), content_type="application/json")
        assert r.status_code == 201, r.content
        a = Appointment.objects.get(pk=r.json()["id"])
        assert a.ends_at - a.starts_at == THIRTY and (start is None or a.starts_at == start)
    assert r.json()["local_start"] == "2027-03-28T02:30:00+01:00"


@pytest.mark.django_db
def test_a_repeated_time_is_its_first_occurrence_and_keeps_its_length(world, api):
    r = api.post("/api/v1/appointments", body(world, "2027-10-31T01:30:00"), content_type="application/json")
    assert r.status_code == 201, r.content
    a = Appointment.objects.get(pk=r.json()["id"])
    assert (a.starts_at, a.ends_at) == (utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1, 0))  # 30, not 90
    assert a.blocked_until == utc(2027, 10, 31, 1, 15)
    assert r.json()["local_start"] == "2027-10-31T01:30:00+01:00"
    assert r.json()["local_end"] == "2027-10-31T01:00:00+00:00"
    # The second 01:30, asked for with its offset, is another, later time: free.
    other = ClientFactory(clinic=world["client"].clinic)
    r = api.post(
        "/api/v1/appointments",
        body(world, "2027-10-31T01:30:00+00:00", client_id=other.id),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    b = Appointment.objects.get(pk=r.json()["id"])
    assert (b.starts_at, b.ends_at - b.starts_at) == (utc(2027, 10, 31, 1, 30), THIRTY)


@pytest.mark.django_db
def test_rescheduling_across_both_changes(world, api):
    r = api.post("/api/v1/appointments", body(world, "2027-03-21T01:30:00"), content_type="application/json")
    url = f"/api/v1/appointments/{r.json()['id']}/reschedule"
    missing = api.post(url, {"starts_at": "2027-03-28T01:30:00"}, content_type="application/json")
    assert missing.status_code == 422 and "does not exist" in errors(missing)["starts_at"]
    moved = api.post(url, {"starts_at": "2027-10-31T01:30:00"}, content_type="application/json")
    assert moved.status_code == 200, moved.content
    a = Appointment.objects.get()
    assert (a.starts_at, a.ends_at - a.starts_at) == (utc(2027, 10, 31, 0, 30), THIRTY)


@pytest.mark.django_db
def test_a_weekly_series_across_both_changes(world, api):
    """33 Sundays at 01:30 from 21 March: the 28 March one does not exist (skipped, or replaced), the 31
    October one is the first 01:30; every session lasts 30 minutes at 01:30 local time."""
    series = {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-21",
        "local_time": "01:30",
        "count": 33,
    }
    preview = api.post("/api/v1/series/preview", series, content_type="application/json").json()
    problems = {row["index"]: row["problem"] for row in preview["rows"] if not row["ok"]}
    assert list(problems) == [1] and "does not exist" in problems[1], problems
    whole = api.post("/api/v1/series", series, content_type="application/json")
    assert whole.status_code == 409 and Appointment.objects.count() == 0
    bad = api.post(
        "/api/v1/series",
        series | {"replacements": {"1": "2027-03-28T01:45:00"}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "does not exist" in errors(bad)["replacements.1"]
    r = api.post(
        "/api/v1/series",
        series | {"replacements": {"1": "2027-03-28T02:30:00"}},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    booked = list(Appointment.objects.order_by("starts_at"))
    assert len(booked) == 33
    assert all(a.ends_at - a.starts_at == THIRTY for a in booked)
    assert [a.starts_at.astimezone(LONDON).time() for a in booked].count(dt.time(1, 30)) == 32
    assert booked[1].starts_at == utc(2027, 3, 28, 1, 30)  # 02:30 summer time
    assert booked[-1].starts_at == utc(2027, 10, 31, 0, 30)  # the first 01:30
    # Moving the rest of the series onto a time that does not exist on one of its dates is refused whole.
    rest = api.post(
        f"/api/v1/appointments/{booked[0].id}/reschedule-rest",
        {"local_time": "01:15"},
        content_type="application/json",
    )
    assert rest.status_code == 422 and "does not exist" in errors(rest)["local_time"]
    assert Appointment.objects.get(pk=booked[0].id).starts_at == booked[0].starts_at


@pytest.mark.django_db
def test_a_series_skipping_the_missing_date(world, api):
    series = {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-21",
        "local_time": "01:30",
        "count": 3,
        "skip_conflicts": True,
    }
    r = api.post("/api/v1/series", series, content_type="application/json")
    assert r.status_code == 201 and r.json()["skipped"] == [1]
    assert [a["local_start"] for a in r.json()["appointments"]] == [
        "2027-03-21T01:30:00+00:00",
        "2027-04-04T01:30:00+01:00",
    ]


@pytest.mark.django_db
def test_time_off_and_the_waitlist_refuse_a_time_that_does_not_exist(world, api):
    off = api.post(
        f"/api/v1/therapists/{world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-03-28T01:30:00", "ends_at": "2027-03-28T03:00:00"},
        content_type="application/json",
    )
    assert off.status_code == 422 and "does not exist" in errors(off)["starts_at"]
    assert not AvailabilityException.objects.exists()
    ok = api.post(
        f"/api/v1/therapists/{world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-10-31T01:00:00", "ends_at": "2027-10-31T01:30:00"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    e = AvailabilityException.objects.get()
    assert (e.starts_at, e.ends_at) == (utc(2027, 10, 31, 0, 0), utc(2027, 10, 31, 0, 30))
    wait = api.post(
        "/api/v1/waitlist",
        {
            "client_id": world["client"].id,
            "service_id": world["service"].id,
            "earliest": "2027-03-27T09:00:00",
            "latest": "2027-03-28T01:30:00",
        },
        content_type="application/json",
    )
    assert wait.status_code == 422 and "does not exist" in errors(wait)["latest"]
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db
def test_slots_on_both_nights_are_real_times_of_the_right_length(world, api):
    def slots(day):
        r = api.get(
            "/api/v1/slots",
            {"service_id": world["service"].id, "start": day, "end": day, "limit": 100},
        )
        assert r.status_code == 200, r.content
        return r.json()

    spring = slots("2027-03-28")
    assert not [s for s in spring if "T01:" in s["local_start"]]  # 01:00-02:00 does not exist
    assert spring[0]["local_start"] == "2027-03-28T00:00:00+00:00"
    assert spring[-1]["local_start"] == "2027-03-28T03:30:00+01:00"  # hours end at 04:00 summer time
    autumn = slots("2027-10-31")
    local = [s["local_start"] for s in autumn]
    assert "2027-10-31T01:30:00+01:00" in local and "2027-10-31T01:30:00+00:00" in local  # both 01:30s
    for s in autumn:
        start, end = (dt.datetime.fromisoformat(s[k]) for k in ("starts_at", "ends_at"))
        assert end - start == THIRTY


# --- The pages -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_desk_page_says_the_time_does_not_exist(world, front_desk_user):
    http = login(front_desk_user)
    form = {
        "client_id": world["client"].id,
        "service_id": world["service"].id,
        "therapist_id": world["alice"].id,
        "day": "2027-03-28",
        "at": "01:30",
    }
    r = http.post("/book/", form)
    assert r.status_code == 422
    assert "does not exist" in " ".join(r.context["form"].errors["at"])
    assert Appointment.objects.count() == 0  # not moved silently to 02:30
    r = http.post("/book/", form | {"day": "2027-10-31"})
    assert r.status_code == 302
    a = Appointment.objects.get()
    assert (a.starts_at, a.ends_at - a.starts_at) == (utc(2027, 10, 31, 0, 30), THIRTY)


@pytest.mark.django_db
def test_appointment_page_reschedule_across_both_changes(world, therapist_user):
    a = services.appointment_book(
        actor=therapist_user,
        client=world["client"],
        therapist_id=world["alice"].id,
        service_id=world["service"].id,
        starts_at=dt.datetime(2027, 3, 21, 1, 30),
    ).appointment
    http = login(therapist_user)
    r = http.post(f"/appointments/{a.id}/", {"day": "2027-03-28", "at": "01:30"})
    assert r.status_code == 422 and "does not exist" in " ".join(r.context["form"].errors["at"])
    a.refresh_from_db()
    assert a.starts_at == utc(2027, 3, 21, 1, 30)
    r = http.post(f"/appointments/{a.id}/", {"day": "2027-10-31", "at": "01:30"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.starts_at, a.ends_at - a.starts_at) == (utc(2027, 10, 31, 0, 30), THIRTY)


@pytest.mark.django_db
def test_series_page_shows_the_missing_date_and_books_the_rest(world, therapist_user, front_desk_user):
    plan, _ = plan_propose(actor=therapist_user, client=world["client"])
    plan = plan_activate(actor=therapist_user, plan=plan)
    world["service"].minutes = plan.session_minutes
    world["service"].save()
    http = login(front_desk_user)
    url = f"/clients/{world['client'].id}/plans/{plan.id}/book/"
    form = {
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-21",
        "local_time": "01:30",
        "count": "3",
    }
    preview = http.post(url, form | {"action": "preview"})
    assert preview.status_code == 200
    assert "does not exist" in preview.content.decode()
    tampered = http.post(url, form | {"action": "book", "replace_1": "28 March, 01:30"})
    assert tampered.status_code == 422 and not Appointment.objects.exists()
    r = http.post(url, form | {"action": "book"})
    assert r.status_code == 302
    booked = list(Appointment.objects.order_by("starts_at"))
    assert [a.starts_at for a in booked] == [utc(2027, 3, 21, 1, 30), utc(2027, 4, 4, 0, 30)]
    minutes = dt.timedelta(minutes=plan.session_minutes)
    assert all(a.ends_at - a.starts_at == minutes for a in booked)
