"""Booking a plan's course as a series: never in the past, never beyond the course, bad replacements named."""

import datetime as dt

import pytest
import time_machine

from nervecare.core.errors import FieldErrors
from nervecare.scheduling import services
from nervecare.scheduling.models import Appointment

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday noon


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def series(course_world, actor, **kw):
    args = {
        "actor": actor,
        "client": course_world["client"],
        "therapist_id": course_world["alice"].id,
        "service_id": course_world["service"].id,
        "first_date": dt.date(2027, 3, 8),
        "local_time": dt.time(10),
    }
    return services.series_book(**(args | kw))


@pytest.mark.django_db
def test_a_series_never_books_the_past(course_world, front_desk_user):
    with pytest.raises(FieldErrors) as exc:
        series(
            course_world,
            front_desk_user,
            count=2,
            replacements={0: dt.datetime(2027, 2, 22, 10, tzinfo=dt.UTC)},
        )
    assert "replacements.0" in exc.value.errors
    preview = services.series_preview(
        actor=front_desk_user,
        client=course_world["client"],
        therapist_id=course_world["alice"].id,
        service_id=course_world["service"].id,
        first_date=dt.date(2027, 3, 1),
        local_time=dt.time(10),
        count=2,
    )
    assert (
        preview["rows"][0]["ok"] is False and "passed" in preview["rows"][0]["problem"]
    )  # 10:00 today is gone
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_a_plan_course_is_never_booked_twice(course_world, front_desk_user):
    plan_id = course_world["plan"].id
    first = series(course_world, front_desk_user, plan_id=plan_id, count=4)
    assert len(first["appointments"]) == 4
    preview = services.series_preview(
        actor=front_desk_user,
        client=course_world["client"],
        therapist_id=course_world["alice"].id,
        service_id=course_world["service"].id,
        first_date=dt.date(2027, 4, 5),
        local_time=dt.time(10),
        plan_id=plan_id,
    )
    assert preview["count"] == 8  # the 12-week course minus the 4 booked
    assert [r["index"] for r in preview["rows"] if r["due_measures"]] == [
        3,
        7,
    ]  # weeks 8 and 12 of the course
    with pytest.raises(FieldErrors) as exc:
        series(course_world, front_desk_user, plan_id=plan_id, first_date=dt.date(2027, 4, 5), count=9)
    assert "8 sessions left" in exc.value.errors["count"]


@pytest.mark.django_db
def test_bad_replacements_are_422_naming_the_index(course_world, therapist_user):
    with pytest.raises(FieldErrors) as exc:
        series(
            course_world,
            therapist_user,
            count=2,
            replacements={7: dt.datetime(2027, 3, 9, 10, tzinfo=dt.UTC)},
        )
    assert "replacements.7" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        series(
            course_world,
            therapist_user,
            count=2,
            replacements={1: dt.datetime(2027, 3, 15, 20, tzinfo=dt.UTC)},
        )
    assert "working hours" in exc.value.errors["replacements.1"]
