"""The pages' and the public booking page's forms carry a hidden one-time key ({% idempotency_field %}): the same
form sent twice (a double-click, a retry after a lost answer) is answered once, with the first answer; CSRF is
still checked first; the same key with other values is a new request (issue 22)."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client as HttpClient

from nervecare.booking.tests.conftest import form as online_form
from nervecare.booking.tests.conftest import online, slot_value, traveller  # noqa: F401,F811 - fixtures
from nervecare.conftest import login
from nervecare.core.idempotency import FORM_FIELD, REPLAYED_HEADER
from nervecare.core.models import IdempotencyRecord
from nervecare.scheduling.models import Appointment

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)  # Monday noon


def _desk_form(world, key, **kw):
    data = {
        "client_id": world["client"].id,
        "service_id": world["service"].id,
        "therapist_id": world["alice"].id,
        "day": "2027-03-02",
        "at": "10:00",
        FORM_FIELD: key,
    }
    return data | kw


def _keys(html: str) -> list[str]:
    return re.findall(rf'name="{FORM_FIELD}" value="([0-9a-f]{{32}})"', html)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_the_booking_page_renders_a_fresh_key_per_form(travel, course_world, front_desk_user):
    desk = login(front_desk_user)
    first, second = _keys(desk.get("/book/").content.decode()), _keys(desk.get("/book/").content.decode())
    assert len(first) == 1 and len(second) == 1 and first != second


@pytest.mark.django_db
def test_a_double_submitted_booking_books_once_and_gets_the_first_redirect(
    travel, course_world, front_desk_user
):
    desk = login(front_desk_user)
    key = _keys(desk.get("/book/").content.decode())[0]

    first = desk.post("/book/", _desk_form(course_world, key))
    again = desk.post("/book/", _desk_form(course_world, key))

    assert first.status_code == 302 and Appointment.objects.count() == 1
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert again[REPLAYED_HEADER] == "true"
    record = IdempotencyRecord.objects.get()
    assert record.user == front_desk_user and record.key == key and record.status == 302


@pytest.mark.django_db
def test_without_the_key_the_second_submission_is_refused_as_a_clash(travel, course_world, front_desk_user):
    """What the key prevents: without it the second click is answered "the time is taken"."""
    desk = login(front_desk_user)
    form = _desk_form(course_world, "")
    assert desk.post("/book/", form).status_code == 302
    assert desk.post("/book/", form).status_code == 409
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_the_same_key_with_other_values_is_a_new_request(travel, course_world, front_desk_user):
    desk = login(front_desk_user)
    assert desk.post("/book/", _desk_form(course_world, "k1")).status_code == 302
    other = desk.post("/book/", _desk_form(course_world, "k1", at="13:00"))
    assert other.status_code == 302 and not other.has_header(REPLAYED_HEADER)
    assert Appointment.objects.count() == 2


@pytest.mark.django_db
def test_another_users_key_is_another_record(travel, course_world, front_desk_user, therapist_user):
    assert login(front_desk_user).post("/book/", _desk_form(course_world, "k1")).status_code == 302
    clash = login(therapist_user).post("/book/", _desk_form(course_world, "k1"))
    assert clash.status_code == 409  # answered afresh (the time is taken), not the desk's replayed answer


@pytest.mark.django_db
def test_csrf_is_checked_before_a_replay(travel, course_world, front_desk_user):
    desk = login(front_desk_user)
    assert desk.post("/book/", _desk_form(course_world, "k1")).status_code == 302
    strict = HttpClient(enforce_csrf_checks=True)
    strict.cookies = desk.cookies
    refused = strict.post("/book/", _desk_form(course_world, "k1"))
    assert refused.status_code == 403 and not refused.has_header(REPLAYED_HEADER)


@pytest.mark.django_db
def test_a_failed_answer_is_not_kept(travel, course_world, front_desk_user):
    desk = login(front_desk_user)
    bad = desk.post("/book/", _desk_form(course_world, "k1", at="25:99"))
    assert bad.status_code in (200, 422)
    kept = IdempotencyRecord.objects.get()
    assert kept.status == bad.status_code  # a form re-shown with its errors is the answer; re-sent alike
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_the_public_booking_form_is_answered_once(online, django_capture_on_commit_callbacks):  # noqa: F811
    url = f"/book/{online.clinic.slug}/{online.service.pk}/"
    tuesday = dt.datetime(2031, 1, 7, 10, 0, tzinfo=dt.UTC)
    page = HttpClient().get(url, {"therapist": "any"}).content.decode()
    key = _keys(page)[0]
    data = online_form(online, slot=slot_value(online.alice, tuesday)) | {FORM_FIELD: key}

    with django_capture_on_commit_callbacks(execute=True):
        first = HttpClient().post(url, data)
        again = HttpClient().post(url, data)  # another connection, no session: keyed by the key alone

    assert first.status_code == 302 and again.status_code == 302
    assert again["Location"] == first["Location"] and again[REPLAYED_HEADER] == "true"
    assert Appointment.objects.filter(starts_at=tuesday).count() == 1
    assert IdempotencyRecord.objects.get().user is None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections to a real PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_book_once_and_both_get_the_redirect(course_world, front_desk_user):
    """The second click arrives while the first is being answered: it waits for that answer (the first
    holds the key's advisory lock) and gets the same redirect."""
    desk = login(front_desk_user)
    day = dt.date.today() + dt.timedelta(days=1)
    while day.weekday() != 1:  # next Tuesday: Alice works weekdays
        day += dt.timedelta(days=1)
    form = _desk_form(course_world, "k-concurrent", day=day.isoformat())
    barrier = threading.Barrier(2)
    answers: list = []

    def click():
        barrier.wait()
        try:
            answers.append(desk.post("/book/", form))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [302, 302], [a.content[:300] for a in answers]
    assert Appointment.objects.count() == 1
