"""Regressions from the new-user review of scheduling: the past, the front desk's view, the plan's course."""

import datetime as dt

import pytest
import time_machine

from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.scheduling import services
from nervecare.scheduling.models import Appointment, AvailabilityException
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory
from nervecare.screening.services import safety_check_run

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday noon


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, modality="swedish", minutes=60)
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client)
    plan = plan_activate(actor=therapist_user, plan=plan_propose(actor=therapist_user, client=client)[0])
    return {"service": service, "client": client, "plan": plan, "alice": therapist_user.therapist}


def series(world, actor, **kw):
    args = {
        "actor": actor,
        "client": world["client"],
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": dt.date(2027, 3, 8),
        "local_time": dt.time(10),
    }
    return services.series_book(**(args | kw))


@pytest.mark.django_db
def test_a_series_never_books_the_past(world, front_desk_user):
    with pytest.raises(FieldErrors) as exc:
        series(world, front_desk_user, count=2, replacements={0: dt.datetime(2027, 2, 22, 10, tzinfo=dt.UTC)})
    assert "replacements.0" in exc.value.errors
    preview = services.series_preview(
        actor=front_desk_user,
        client=world["client"],
        therapist_id=world["alice"].id,
        service_id=world["service"].id,
        first_date=dt.date(2027, 3, 1),
        local_time=dt.time(10),
        count=2,
    )
    assert (
        preview["rows"][0]["ok"] is False and "passed" in preview["rows"][0]["problem"]
    )  # 10:00 today is gone
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_a_plan_course_is_never_booked_twice(world, front_desk_user):
    plan_id = world["plan"].id
    first = series(world, front_desk_user, plan_id=plan_id, count=4)
    assert len(first["appointments"]) == 4
    preview = services.series_preview(
        actor=front_desk_user,
        client=world["client"],
        therapist_id=world["alice"].id,
        service_id=world["service"].id,
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
        series(world, front_desk_user, plan_id=plan_id, first_date=dt.date(2027, 4, 5), count=9)
    assert "8 sessions left" in exc.value.errors["count"]


@pytest.mark.django_db
def test_bad_replacements_are_422_naming_the_index(world, therapist_user):
    with pytest.raises(FieldErrors) as exc:
        series(world, therapist_user, count=2, replacements={7: dt.datetime(2027, 3, 9, 10, tzinfo=dt.UTC)})
    assert "replacements.7" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        series(world, therapist_user, count=2, replacements={1: dt.datetime(2027, 3, 15, 20, tzinfo=dt.UTC)})
    assert "working hours" in exc.value.errors["replacements.1"]


@pytest.mark.django_db
def test_times_without_an_offset_are_clinic_local_and_never_a_500(world, api, therapist_user):
    r = api.post(
        f"/api/v1/therapists/{world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-06-08T09:00:00", "ends_at": "2027-06-08T12:00:00Z"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    off = AvailabilityException.objects.get()
    assert off.starts_at == dt.datetime(2027, 6, 8, 8, tzinfo=dt.UTC)  # 09:00 BST
    bad = api.post(
        f"/api/v1/therapists/{world['alice'].id}/exceptions",
        {"kind": "time_off", "starts_at": "2027-06-08T12:00:00", "ends_at": "2027-06-08T09:00:00"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "ends_at" in {e["field"] for e in bad.json()["errors"]}
    late = api.post(
        "/api/v1/waitlist",
        {
            "client_id": world["client"].id,
            "service_id": world["service"].id,
            "earliest": "2020-01-01T09:00:00",
            "latest": "2020-01-01T17:00:00Z",
        },
        content_type="application/json",
    )
    assert late.status_code == 422 and "latest" in {e["field"] for e in late.json()["errors"]}


@pytest.mark.django_db
def test_the_front_desk_learns_of_a_hold_not_the_clinical_reason(world, front_desk_user, therapist_user):
    MedicalContextFactory(client=world["client"], neutrophils_per_ul=400)
    safety_check_run(actor=therapist_user, client=world["client"])
    desk = login(front_desk_user)
    r = desk.post(
        "/api/v1/appointments",
        {
            "client_id": world["client"].id,
            "therapist_id": world["alice"].id,
            "service_id": world["service"].id,
            "starts_at": "2027-03-02T10:00:00",
        },
        content_type="application/json",
    )
    assert r.status_code == 409
    assert "safety hold" in r.json()["detail"] and "eutrophil" not in r.content.decode()
    clinical = login(therapist_user).post(
        "/api/v1/appointments",
        {
            "client_id": world["client"].id,
            "therapist_id": world["alice"].id,
            "service_id": world["service"].id,
            "starts_at": "2027-03-02T10:00:00",
        },
        content_type="application/json",
    )
    assert clinical.status_code == 409 and "eutrophil" in clinical.content.decode()


@pytest.mark.django_db
def test_front_desk_books_from_its_own_page(world, front_desk_user):
    desk = login(front_desk_user)
    page = desk.get("/book/").content.decode()
    assert "Book the course" in page and "12 to book" in page
    r = desk.post(
        "/book/",
        {
            "client_id": world["client"].id,
            "service_id": world["service"].id,
            "therapist_id": world["alice"].id,
            "day": "2027-03-02",
            "at": "10:00",
        },
    )
    assert r.status_code == 302 and Appointment.objects.count() == 1
    clash = desk.post(
        "/book/",
        {
            "client_id": ClientFactory(clinic=world["client"].clinic).id,
            "service_id": world["service"].id,
            "therapist_id": world["alice"].id,
            "day": "2027-03-02",
            "at": "10:30",
        },
    )
    assert clash.status_code == 409 and "the time is taken" in clash.content.decode()
    form = {
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-08",
        "local_time": "11:00",
        "count": "3",
        "action": "book",
    }
    done = desk.post(f"/clients/{world['client'].id}/plans/{world['plan'].id}/book/", form)
    assert done.status_code == 302 and done["Location"].startswith("/calendar/")
