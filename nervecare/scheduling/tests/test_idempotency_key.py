"""The Idempotency-Key header on the booking POST: a retry after a lost answer books once and gets the first
answer again; the same key for another request, or a malformed key, is refused naming the header."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client as HttpClient

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core.idempotency import purge_expired
from nervecare.core.models import IdempotencyRecord
from nervecare.core.services import api_token_create
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic)
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    client = ClientFactory(clinic=clinic, first_name="Maria")
    ConditionFactory(client=client)
    return {"service": service, "client": client, "alice": therapist_user.therapist}


def body(world, **kw):
    data = {
        "client_id": world["client"].id,
        "therapist_id": world["alice"].id,
        "service_id": world["service"].id,
        "starts_at": "2027-03-02T10:00:00",
    }
    data.update(kw)
    return data


def book(http, data, key=None):
    headers = {} if key is None else {"Idempotency-Key": key}
    return http.post("/api/v1/appointments", data, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_retry_with_the_same_key_books_once_and_replays_the_first_answer(world, api):
    first = book(api, body(world), key="booking-7f3a")
    assert first.status_code == 201, first.content
    assert not first.has_header("Idempotent-Replayed")
    again = book(api, body(world), key="booking-7f3a")
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_same_key_for_another_request_is_422_naming_the_header(world, api):
    assert book(api, body(world), key="k1").status_code == 201
    r = book(api, body(world, starts_at="2027-03-02T12:00:00"), key="k1")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "Idempotency-Key was used for a different request" in r.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_empty_or_too_long_key_is_422_naming_the_header(world, api, key):
    r = book(api, body(world), key=key)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Appointment.objects.count() == 0


@pytest.mark.django_db
def test_without_a_key_every_post_is_served(world, api):
    assert book(api, body(world)).status_code == 201
    assert book(api, body(world, starts_at="2027-03-02T12:00:00")).status_code == 201
    assert Appointment.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_another_users_same_key_is_independent(world, api, front_desk_user):
    assert book(api, body(world), key="shared").status_code == 201
    desk = login(front_desk_user)
    r = book(desk, body(world, starts_at="2027-03-02T12:00:00"), key="shared")
    assert r.status_code == 201 and not r.has_header("Idempotent-Replayed")
    assert Appointment.objects.count() == 2


@pytest.mark.django_db
def test_refusals_that_depend_on_the_moment_are_not_stored(world, api):
    """A 409 (the slot was taken) is answered afresh on retry, so a retry after the conflict is resolved
    books; only the stored answers are replayed."""
    other = ClientFactory(clinic=world["client"].clinic)
    taken = book(api, body(world, client_id=other.id))
    assert taken.status_code == 201
    assert book(api, body(world), key="k-409").status_code == 409
    assert not IdempotencyRecord.objects.filter(key="k-409").exists()
    Appointment.objects.filter(pk=taken.json()["id"]).delete()
    assert book(api, body(world), key="k-409").status_code == 201


@pytest.mark.django_db
def test_a_token_is_keyed_to_its_user_and_a_refusal_for_scope_is_not_stored(world, therapist_user):
    """An integration's token: a 403 (missing scope) is not stored, so the same key with a token that has
    the scope books; its retry replays."""
    _, read_only = api_token_create(user=therapist_user, name="ehr", scopes=["schedule:read"])
    _, writer = api_token_create(user=therapist_user, name="desk", scopes=["schedule:write"])
    refused = book(HttpClient(HTTP_AUTHORIZATION=f"Bearer {read_only}"), body(world), key="t1")
    assert refused.status_code == 403
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {writer}")
    first = book(http, body(world), key="t1")
    assert first.status_code == 201, first.content
    again = book(http, body(world), key="t1")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_request_ignores_the_key(world):
    r = book(HttpClient(), body(world), key="anon")
    assert r.status_code == 401
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_records_older_than_a_day_are_purged_and_the_key_can_be_used_again(world, api, therapist_user):
    assert book(api, body(world), key="old").status_code == 201
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        # an expired record counts as absent: the key books anew (a fresh sign-in: the old one idled out)
        r = book(login(therapist_user), body(world, starts_at="2027-03-03T10:00:00"), key="old")
        assert r.status_code == 201 and not r.has_header("Idempotent-Replayed")
        assert purge_expired() == 0  # the replaced record is today's
    with time_machine.travel(NOW + dt.timedelta(hours=50), tick=False):
        assert purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections to a real PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_the_same_key_book_once(world, therapist_user):
    """Six retries race with one key: one booking; the others get the first answer or 409 (in progress)."""
    n = 6
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            http = HttpClient()
            http.force_login(therapist_user)
            barrier.wait()
            r = book(http, body(world), key="race")
            outcome = (r.status_code, r.get("Idempotent-Replayed"))
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            outcome = (repr(exc), None)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Appointment.objects.count() == 1, results
    fresh = [r for r in results if r == (201, None)]
    assert len(fresh) == 1, results
    assert all(r in {(201, "true"), (409, None)} for r in results if r != (201, None)), results


@pytest.mark.django_db
def test_behind_a_transaction_pooler_no_session_lock_and_a_live_claim_is_busy_until_stale(
    world, api, therapist_user, settings
):
    """DATABASE_POOL_MODE=transaction (PgBouncer): the key takes no session-level advisory lock, which would
    stay on whichever server connection took it; an in-progress claim is then "busy" (409) until it is
    STALE_IN_PROGRESS old, and only then taken over. The same rule on SQLite and PostgreSQL."""
    from django.test import RequestFactory

    from nervecare.core.idempotency import STALE_IN_PROGRESS, fingerprint

    settings.DB_TRANSACTION_POOLING = True
    advisory = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    assert book(api, body(world), key="pooled").status_code == 201
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(advisory)
            assert cursor.fetchone()[0] == 0
    data = body(world, starts_at="2027-03-02T12:00:00")
    same = RequestFactory().post("/api/v1/appointments", data, content_type="application/json")
    IdempotencyRecord.objects.create(user=therapist_user, key="in-flight", fingerprint=fingerprint(same))
    assert book(api, data, key="in-flight").status_code == 409  # a live process may still answer it
    assert Appointment.objects.count() == 1
    with time_machine.travel(NOW + STALE_IN_PROGRESS + dt.timedelta(seconds=1), tick=False):
        assert book(api, data, key="in-flight").status_code == 201  # abandoned: taken over
    assert Appointment.objects.count() == 2


def test_database_pool_mode_transaction_turns_off_server_side_cursors():
    import os
    import subprocess
    import sys

    code = (
        "from django.conf import settings; "
        "print(settings.DB_TRANSACTION_POOLING, settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS'))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nervecare.settings", "DEBUG": "1"}
    for mode, expected in (("transaction", "True True"), ("", "False False")):
        out = subprocess.run(  # noqa: S603 - this interpreter, fixed code
            [sys.executable, "-c", "import django; django.setup(); " + code],
            env={**env, "DATABASE_POOL_MODE": mode},
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == expected
