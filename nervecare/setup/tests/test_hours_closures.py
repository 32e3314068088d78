"""Weekly hours (alternate weeks too), time off, clinic closures and public holidays, from the pages and API."""

import datetime as dt

import pytest
import time_machine

from nervecare.scheduling.models import AvailabilityException, Closure, WorkingHours
from nervecare.scheduling.selectors import clinic_tz, therapist_working_intervals

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday 1 March 2027


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def _hours_post(rows):
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"hours-{i}-{k}"] = v
    return data


def test_weekly_hours_with_alternate_weeks_from_the_page(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.post(
        f"/setup/therapists/{alice.id}/hours/",
        _hours_post(
            [
                {"weekday": "0", "start": "09:00", "end": "17:00", "every_weeks": "1"},
                {
                    "weekday": "4",
                    "start": "09:00",
                    "end": "13:00",
                    "every_weeks": "2",
                    "anchor_date": "2027-03-05",
                },
                {"weekday": "", "start": "", "end": "", "every_weeks": "1"},  # an empty row is ignored
            ]
        ),
    )
    assert r.status_code == 302, r.context["formset"].errors if r.context else r
    assert WorkingHours.objects.filter(therapist=alice).count() == 2
    tz = clinic_tz(alice.clinic)
    assert therapist_working_intervals(alice, dt.date(2027, 3, 5), tz)  # the anchor's week
    assert not therapist_working_intervals(alice, dt.date(2027, 3, 12), tz)  # the week after: off
    assert therapist_working_intervals(alice, dt.date(2027, 3, 19), tz)  # every second week
    assert therapist_working_intervals(alice, dt.date(2027, 2, 19), tz)  # and before the anchor


def test_hours_errors_are_shown_on_the_row_and_nothing_changes(owner_http, therapist_user):
    alice = therapist_user.therapist
    WorkingHours.objects.create(therapist=alice, weekday=0, start=dt.time(9), end=dt.time(12))
    r = owner_http.post(
        f"/setup/therapists/{alice.id}/hours/",
        _hours_post(
            [
                {"weekday": "1", "start": "17:00", "end": "09:00", "every_weeks": "1"},
                {"weekday": "2", "start": "09:00", "end": "12:00", "every_weeks": "2"},
                {"weekday": "3", "start": "25:00", "end": "12:00", "every_weeks": "1"},
            ]
        ),
    )
    assert r.status_code == 422
    forms = r.context["formset"].forms
    assert "start" in forms[2].errors  # 25:00 is no time
    assert list(WorkingHours.objects.filter(therapist=alice).values_list("weekday", flat=True)) == [0]
    r = owner_http.post(
        f"/setup/therapists/{alice.id}/hours/",
        _hours_post(
            [
                {"weekday": "1", "start": "17:00", "end": "09:00", "every_weeks": "1"},
                {"weekday": "2", "start": "09:00", "end": "12:00", "every_weeks": "2"},
            ]
        ),
    )
    assert r.status_code == 422
    forms = r.context["formset"].forms
    assert "end" in forms[0].errors and "anchor_date" in forms[1].errors


def test_api_hours_take_alternate_weeks(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.put(
        f"/api/v1/therapists/{alice.id}/hours",
        {
            "hours": [
                {
                    "weekday": 2,
                    "start": "10:00",
                    "end": "14:00",
                    "every_weeks": 2,
                    "anchor_date": "2027-03-03",
                }
            ]
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()[0]["every_weeks"] == 2 and r.json()[0]["anchor_date"] == "2027-03-03"


def test_time_off_added_in_local_time_and_removed(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.post(
        f"/setup/therapists/{alice.id}/time-off/",
        {
            "kind": "time_off",
            "starts_at": "2027-07-01T09:00",
            "ends_at": "2027-07-01T17:00",
            "note": "Course",
        },
    )
    assert r.status_code == 302
    e = AvailabilityException.objects.get(therapist=alice)
    assert e.starts_at == dt.datetime(2027, 7, 1, 8, 0, tzinfo=dt.UTC)  # 09:00 in London in summer
    bad = owner_http.post(
        f"/setup/therapists/{alice.id}/time-off/",
        {"kind": "time_off", "starts_at": "2027-07-02T17:00", "ends_at": "2027-07-02T09:00"},
    )
    assert bad.status_code == 422 and "ends_at" in bad.context["form"].errors
    listed = owner_http.get(f"/api/v1/setup/therapists/{alice.id}/time-off").json()
    assert [x["id"] for x in listed] == [e.id]
    assert owner_http.delete(f"/api/v1/setup/time-off/{e.id}").status_code == 204
    assert not AvailabilityException.objects.exists()


def test_closure_added_and_refused_by_field(owner_http, clinic):
    r = owner_http.post(
        "/setup/closures/", {"name": "Staff training", "starts_on": "2027-04-12", "ends_on": "2027-04-13"}
    )
    assert r.status_code == 302
    c = Closure.objects.get(clinic=clinic)
    assert (c.starts_on, c.ends_on, c.source) == (dt.date(2027, 4, 12), dt.date(2027, 4, 13), "manual")
    bad = owner_http.post(
        "/setup/closures/", {"name": "", "starts_on": "2027-04-20", "ends_on": "2027-04-19"}
    )
    assert bad.status_code == 422
    assert {"name"} <= set(bad.context["form"].errors)
    bad = owner_http.post(
        "/setup/closures/", {"name": "Oops", "starts_on": "2027-04-20", "ends_on": "2027-04-19"}
    )
    assert "ends_on" in bad.context["form"].errors
    api = owner_http.post(
        "/api/v1/setup/closures", {"name": "x", "starts_on": "9999-01-01"}, content_type="application/json"
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "starts_on"
    assert Closure.objects.filter(clinic=clinic).count() == 1


def test_public_holidays_import_is_idempotent(owner_http, clinic):
    r = owner_http.post("/setup/closures/holidays/", {"year": "2027"})
    assert r.status_code == 302
    days = dict(Closure.objects.filter(clinic=clinic).values_list("starts_on", "name"))
    assert days[dt.date(2027, 12, 25)] == "Christmas Day"
    assert days[dt.date(2027, 5, 31)] == "Spring Bank Holiday"  # England's
    assert all(c.source == "holiday" for c in Closure.objects.filter(clinic=clinic))
    count = len(days)
    again = owner_http.post("/api/v1/setup/holidays/import", {"year": 2027}, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["added"] == 0 and again.json()["already_listed"] == count
    assert Closure.objects.filter(clinic=clinic).count() == count


def test_holiday_import_needs_a_country_and_a_sane_year(owner_http, clinic):
    bad = owner_http.post("/api/v1/setup/holidays/import", {"year": 1066}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "year"
    clinic.country = ""
    clinic.save()
    r = owner_http.post("/api/v1/setup/holidays/import", {"year": 2027}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "country"
    assert not Closure.objects.exists()
