"""Pinned query counts of the booking endpoint (it runs ~100 times a second under load): a lookup that creeps
back (a second read of a row already in hand, a per-booking N+1) fails here. Upper bounds, so a cheaper audit
trail or sign-in never breaks them."""

import datetime as dt

import pytest
import time_machine
from django.db import connection

from nervecare.clients.tests.factories import ClientFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.scheduling.models import Appointment, Reminder
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory
from nervecare.screening.services import safety_check_run

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday

# POST /api/v1/appointments, signed in with a session (test transaction around it: its atomic blocks are
# savepoints here). PostgreSQL: session, user, two-step device; the client (may this user book them: one read);
# SAVEPOINT; the booking's context in ONE read (therapist, service, hours, exceptions, closures, held times,
# open stop/clearance flags, the outcome summary's state: scheduling/booking_context.py); INSERT appointment;
# INSERT reminder; audit INSERT; RELEASE. SQLite: + the audit chain's head read (sealed inline).
# 21 / 19 before issue 20 (each of those reads separately, a second visibility check, the summary's UPDATE).
BOOK_QUERIES = {"postgresql": 10, "sqlite": 11}


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user):
    service = ServiceFactory(clinic=clinic)
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    return {"service": service, "alice": therapist_user.therapist}


def _book(http, world, client, hour):
    return http.post(
        "/api/v1/appointments",
        {
            "client_id": client.id,
            "therapist_id": world["alice"].id,
            "service_id": world["service"].id,
            "starts_at": f"2027-03-02T{hour:02d}:00:00",
        },
        content_type="application/json",
    )


@pytest.mark.django_db
def test_booking_query_count(world, clinic, therapist_user, django_assert_max_num_queries):
    http = login(therapist_user)
    _book(http, world, ClientFactory(clinic=clinic), 9)  # warm: sign-in bookkeeping of the first request
    client = ClientFactory(clinic=clinic)
    with django_assert_max_num_queries(BOOK_QUERIES[connection.vendor]):
        r = _book(http, world, client, 11)
    assert r.status_code == 201, r.content
    appointment = Appointment.objects.get(pk=r.json()["id"])
    assert Reminder.objects.filter(appointment=appointment, kind="reminder").count() == 1
    assert r.json()["warnings"] == [] and r.json()["time_zone"] == clinic.timezone


@pytest.mark.django_db
def test_booking_with_a_pending_clearance_still_warns(
    world, clinic, therapist_user, front_desk_user, django_assert_max_num_queries
):
    """The record-visibility question is asked only when there is a clearance to warn about; then it is."""
    client = ClientFactory(clinic=clinic)
    MedicalContextFactory(client=client, dvt_history=True)
    safety_check_run(actor=None, client=client)
    http = login(therapist_user)
    _book(http, world, ClientFactory(clinic=clinic), 9)
    # + the flags (read only when the booking's one read says some stop/clearance flag is open) + may this
    # user see why
    with django_assert_max_num_queries(BOOK_QUERIES[connection.vendor] + 2):
        r = _book(http, world, client, 11)
    assert r.status_code == 201, r.content
    assert r.json()["warnings"][0].startswith("Clearance needed before the first session: ")
    r = _book(login(front_desk_user), world, client, 13)
    assert r.status_code == 201, r.content
    assert r.json()["warnings"] == [
        "A clinician's clearance is pending for this client: the therapist confirms it before the session."
    ]
