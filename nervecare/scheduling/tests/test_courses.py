"""A plan's frequency books as written (issue 16): N sessions a week on the chosen weekdays for the plan's
length, dates from an RFC 5545 rule (dateutil.rrule) the series remembers; a closed day is never booked, its
alternatives are offered, and the course books whole or not at all, its conflicts listed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.rrule import rrulestr

from nervecare.conftest import login
from nervecare.scheduling.models import Appointment, Closure, Series
from nervecare.scheduling.services import course_weekdays

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)  # Monday 4 January 2027
TRAINING = dt.date(2027, 1, 21)  # a Thursday
TUE, THU = 1, 3


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def twice_weekly(course_world):
    """The course world's plan, written as two 60-minute sessions a week for 12 weeks."""
    plan = course_world["plan"]
    plan.sessions_per_week, plan.course_weeks = 2, 12
    plan.save()
    return course_world


def body(world, **extra):
    return {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "plan_id": world["plan"].id,
        "first_date": "2027-01-04",
        "local_time": "10:00:00",
        **extra,
    }


def local_days(rows) -> list[dt.date]:
    return [dt.datetime.fromisoformat(r["local_start"]).date() for r in rows]


def test_default_weekdays_spread_the_plans_sessions_over_the_week():
    monday = dt.date(2027, 1, 4)
    assert course_weekdays(monday, 1) == [0]
    assert course_weekdays(monday, 2) == [0, 3]  # Monday and Thursday
    assert course_weekdays(monday, 3) == [0, 2, 4]
    assert course_weekdays(dt.date(2027, 1, 8), 2) == [0, 4]  # from a Friday: Friday and Monday


@pytest.mark.django_db
def test_twice_weekly_for_twelve_weeks_is_24_dates_on_the_chosen_weekdays(twice_weekly, therapist_user):
    http = login(therapist_user)
    preview = http.post(
        "/api/v1/series/preview", body(twice_weekly, weekdays=[THU, TUE]), content_type="application/json"
    )
    assert preview.status_code == 200, preview.content
    data = preview.json()
    days = local_days(data["rows"])
    assert data["count"] == 24 and len(days) == 24 and data["bookable"] == 24
    assert data["weekdays"] == [TUE, THU]
    assert {d.weekday() for d in days} == {TUE, THU}
    assert days[0] == dt.date(2027, 1, 5) and days[-1] == dt.date(
        2027, 3, 25
    )  # Tuesday of week 1, Thursday of 12
    weeks = [d.isocalendar()[:2] for d in days]
    assert len(set(weeks)) == 12 and all(weeks.count(w) == 2 for w in weeks)
    assert (
        "RRULE:FREQ=WEEKLY" in data["rule"] and "BYDAY=TU,TH" in data["rule"] and "COUNT=24" in data["rule"]
    )

    booked = http.post(
        "/api/v1/series", body(twice_weekly, weekdays=[TUE, THU]), content_type="application/json"
    )
    assert booked.status_code == 201, booked.content
    assert Appointment.objects.filter(plan=twice_weekly["plan"]).count() == 24
    # The series remembers its rule, and the rule gives back exactly the booked dates.
    series = Series.objects.get()
    assert series.weekdays == [TUE, THU] and series.count == 24
    assert series.rule.startswith("DTSTART;TZID=Europe/London:20270104T100000")
    again = [o.date() for o in rrulestr(series.rule)]
    assert again == [a.starts_at.astimezone(LONDON).date() for a in Appointment.objects.order_by("starts_at")]
    assert booked.json()["rule"] == series.rule and booked.json()["weekdays"] == [TUE, THU]


@pytest.mark.django_db
def test_without_weekdays_the_plans_frequency_still_holds(twice_weekly, therapist_user):
    r = login(therapist_user).post(
        "/api/v1/series/preview", body(twice_weekly), content_type="application/json"
    )
    days = local_days(r.json()["rows"])
    assert len(days) == 24 and {d.weekday() for d in days} == {0, 3}  # Monday and Thursday from a Monday


@pytest.mark.django_db
def test_weekdays_that_do_not_match_the_plan_are_a_422_naming_the_field(twice_weekly, therapist_user):
    http = login(therapist_user)
    one = http.post(
        "/api/v1/series/preview", body(twice_weekly, weekdays=[TUE]), content_type="application/json"
    )
    assert one.status_code == 422
    [error] = one.json()["errors"]
    assert error["field"] == "weekdays" and "2 sessions a week" in error["message"]
    bad = http.post(
        "/api/v1/series/preview", body(twice_weekly, weekdays=[TUE, 9]), content_type="application/json"
    )
    assert bad.status_code == 422 and "weekdays" in bad.json()["errors"][0]["field"]
    twice = http.post(
        "/api/v1/series/preview", body(twice_weekly, weekdays=[TUE, TUE]), content_type="application/json"
    )
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "weekdays"
    assert not Appointment.objects.exists()


@pytest.fixture
def training_day(twice_weekly):
    Closure.objects.create(
        clinic=twice_weekly["client"].clinic, starts_on=TRAINING, ends_on=TRAINING, name="Staff training day"
    )
    return twice_weekly


@pytest.mark.django_db
def test_a_closed_day_is_listed_with_the_next_free_days_and_the_course_books_whole_or_not_at_all(
    training_day, therapist_user
):
    http = login(therapist_user)
    asked = body(training_day, weekdays=[TUE, THU])
    preview = http.post("/api/v1/series/preview", asked, content_type="application/json").json()
    [closed] = [r for r in preview["rows"] if not r["ok"]]
    assert local_days([closed]) == [TRAINING] and closed["closed"] == "Staff training day"
    assert "Thursday 21 January 2027" in closed["problem"] and "Staff training day" in closed["problem"]
    # The next free day of that week first, at the course's time; never the closed day, never another
    # date of the course (Tuesday 26th).
    alternatives = [dt.datetime.fromisoformat(a["local_start"]) for a in closed["alternatives"]]
    assert alternatives[0] == dt.datetime(2027, 1, 22, 10, 0, tzinfo=LONDON)
    assert TRAINING not in {a.date() for a in alternatives}
    assert dt.date(2027, 1, 26) not in {a.date() for a in alternatives}

    whole = http.post("/api/v1/series", asked, content_type="application/json")
    assert whole.status_code == 409 and not Appointment.objects.exists()
    assert "Staff training day" in whole.content.decode()

    onto_closed = http.post(
        "/api/v1/series",
        asked | {"replacements": {str(closed["index"]): "2027-01-21T14:00:00"}},
        content_type="application/json",
    )
    assert onto_closed.status_code == 422 and not Appointment.objects.exists()
    assert "Staff training day" in onto_closed.json()["errors"][0]["message"]

    replaced = http.post(
        "/api/v1/series",
        asked | {"replacements": {str(closed["index"]): closed["alternatives"][0]["starts_at"]}},
        content_type="application/json",
    )
    assert replaced.status_code == 201, replaced.content
    booked = [a.starts_at.astimezone(LONDON) for a in Appointment.objects.order_by("starts_at")]
    assert len(booked) == 24 and TRAINING not in {b.date() for b in booked}
    assert dt.datetime(2027, 1, 22, 10, 0, tzinfo=LONDON) in booked


@pytest.mark.django_db
def test_skipping_the_closed_day_lists_it(training_day, therapist_user):
    r = login(therapist_user).post(
        "/api/v1/series",
        body(training_day, weekdays=[TUE, THU], skip_conflicts=True),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["skipped"] == [5]  # the sixth date: Thursday of week 3
    assert len(r.json()["appointments"]) == 23


@pytest.mark.django_db
def test_a_course_across_the_clocks_change_keeps_its_local_time_and_length(twice_weekly, therapist_user):
    """Tuesdays and Thursdays at 10:00 across 28 March 2027 (London goes to summer time): 10:00 local every
    time, an hour earlier in UTC after the change, each 60 minutes."""
    r = login(therapist_user).post(
        "/api/v1/series",
        body(twice_weekly, first_date="2027-03-22", weekdays=[TUE, THU], count=4),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    booked = list(Appointment.objects.order_by("starts_at"))
    assert [a.starts_at.astimezone(LONDON).time() for a in booked] == [dt.time(10)] * 4
    assert [a.starts_at.hour for a in booked] == [10, 10, 9, 9]
    assert all(a.ends_at - a.starts_at == dt.timedelta(minutes=60) for a in booked)


@pytest.mark.django_db
def test_a_time_the_clocks_skip_is_a_problem_date_in_a_course(twice_weekly, therapist_user):
    r = login(therapist_user).post(
        "/api/v1/series/preview",
        body(twice_weekly, first_date="2027-03-22", local_time="01:30:00", weekdays=[2, 6], count=4),
        content_type="application/json",
    )
    rows = dict(zip(local_days(r.json()["rows"]), r.json()["rows"], strict=True))
    assert "does not exist" in rows[dt.date(2027, 3, 28)]["problem"]


@pytest.mark.django_db
def test_one_weekday_cannot_take_the_rest_of_a_twice_weekly_course(twice_weekly, therapist_user):
    http = login(therapist_user)
    http.post(
        "/api/v1/series", body(twice_weekly, weekdays=[TUE, THU], count=4), content_type="application/json"
    )
    first = Appointment.objects.order_by("starts_at").first()
    r = http.post(
        f"/api/v1/appointments/{first.id}/reschedule-rest",
        {"local_time": "11:00:00", "weekday": 2},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "weekday"
    moved = http.post(
        f"/api/v1/appointments/{first.id}/reschedule-rest",
        {"local_time": "11:00:00"},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    series = Series.objects.get()
    assert "T110000" in series.rule and series.weekdays == [TUE, THU]


@pytest.mark.django_db
def test_the_course_page_books_twice_weekly_around_the_closure(training_day, front_desk_user):
    desk = login(front_desk_user)
    url = f"/clients/{training_day['client'].id}/plans/{training_day['plan'].id}/book/"
    page = desk.get(url).content.decode()
    assert "2 a week for 12 weeks" in page and "Choose 2 days" in page
    form = {
        "therapist_id": training_day["alice"].id,
        "service_id": training_day["service"].id,
        "first_date": "2027-01-04",
        "local_time": "10:00",
        "count": 24,
        "weekdays": [TUE, THU],
    }
    preview = desk.post(url, form | {"action": "preview"})
    text = preview.content.decode()
    assert preview.status_code == 200 and "23 of 24 dates are free" in text
    assert "Closed: Staff training day" in text
    one = desk.post(url, form | {"weekdays": [TUE], "action": "preview"})
    assert one.status_code == 422 and "choose 2 weekdays" in one.content.decode()
    booked = desk.post(url, form | {"action": "book", "replace_5": "2027-01-22T10:00:00+00:00"})
    assert booked.status_code == 302
    days = {a.starts_at.astimezone(LONDON).date() for a in Appointment.objects.all()}
    assert len(days) == 24 and TRAINING not in days and dt.date(2027, 1, 22) in days
