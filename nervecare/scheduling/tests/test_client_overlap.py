"""A client is in one session at a time (issue 14, finding 5).

The client's time is the session itself, [start, end): the buffer after it is the therapist's and the room's
time to reset, so a client may go straight from one therapist to another. PostgreSQL enforces it with an
exclusion constraint (as for the therapist and the room); SQLite serialises writers and relies on the check.
Every booking path answers a 409 naming the client: book, reschedule, series, waitlist, portal.
"""

import datetime as dt
import importlib
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client as HttpClient

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core.tests.factories import TherapistFactory
from nervecare.scheduling import services
from nervecare.scheduling.models import Appointment, WaitlistEntry
from nervecare.scheduling.tests.factories import AppointmentFactory, ServiceFactory, WorkingHoursFactory

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # Monday, GMT
TUESDAY = dt.date(2027, 3, 2)
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL's exclusion constraints and connections"
)


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(clinic, therapist_user, junior_therapist_user):
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, minutes=60, buffer_minutes=15)
    therapists = [therapist_user.therapist, junior_therapist_user.therapist]
    therapists.append(TherapistFactory(user__clinic=clinic, display_name="Carol"))
    for therapist in therapists:
        for weekday in range(5):
            WorkingHoursFactory(therapist=therapist, weekday=weekday, start=dt.time(9), end=dt.time(17))
    client = ClientFactory(clinic=clinic, first_name="Maria")
    ConditionFactory(client=client)
    return {"service": service, "client": client, "therapists": therapists}


def at(hour: int, minute: int = 0, day: dt.date = TUESDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def book(actor, world, starts_at, therapist=0, client=None):
    return services.appointment_book(
        actor=actor,
        client=client or world["client"],
        therapist_id=world["therapists"][therapist].id,
        service_id=world["service"].id,
        starts_at=starts_at,
    ).appointment


def client_conflict(response) -> bool:
    body = response.json()
    return response.status_code == 409 and any(
        "client has another appointment" in e["message"] for e in body["errors"]
    )


@pytest.mark.django_db
def test_the_client_is_held_for_the_session_not_the_therapists_buffer(world, front_desk_user):
    book(front_desk_user, world, at(10))  # 10:00-11:00 with Alice, who is held until 11:15
    with pytest.raises(services.BookingConflictError) as exc:
        book(front_desk_user, world, at(10, 45), therapist=1)
    assert {c["with"] for c in exc.value.conflicts} == {"client"}
    assert "the client has another appointment" in exc.value.errors["starts_at"]
    nxt = book(front_desk_user, world, at(11), therapist=1)  # straight on to Bob: allowed
    assert nxt.starts_at == dt.datetime(2027, 3, 2, 11, tzinfo=dt.UTC)
    with pytest.raises(services.BookingConflictError) as exc:  # Alice's buffer still holds Alice
        book(front_desk_user, world, at(11), client=ClientFactory(clinic=world["client"].clinic))
    assert {c["with"] for c in exc.value.conflicts} == {"therapist"}


@pytest.mark.django_db
def test_every_booking_path_answers_409_naming_the_client(world, front_desk_user):
    http = login(front_desk_user)
    mine = book(front_desk_user, world, at(10))
    other = book(front_desk_user, world, at(14), therapist=1)
    # Book.
    r = http.post(
        "/api/v1/appointments",
        {
            "client_id": world["client"].id,
            "therapist_id": world["therapists"][2].id,
            "service_id": world["service"].id,
            "starts_at": "2027-03-02T10:30:00",
        },
        content_type="application/json",
    )
    assert client_conflict(r), r.content
    assert [c["with"] for c in r.json()["conflicts"]] == ["client"]
    # Reschedule (Bob's session onto Alice's time).
    r = http.post(
        f"/api/v1/appointments/{other.id}/reschedule",
        {"starts_at": "2027-03-02T10:15:00"},
        content_type="application/json",
    )
    assert client_conflict(r), r.content
    # Series: the first Tuesday clashes with the client's own session.
    series = {
        "client_id": world["client"].id,
        "therapist_id": world["therapists"][2].id,
        "service_id": world["service"].id,
        "first_date": "2027-03-02",
        "local_time": "10:00",
        "count": 2,
    }
    preview = http.post("/api/v1/series/preview", series, content_type="application/json").json()
    assert "the client has another appointment" in preview["rows"][0]["problem"]
    r = http.post("/api/v1/series", series, content_type="application/json")
    assert r.status_code == 409 and not Appointment.objects.filter(series__isnull=False).exists()
    # Waitlist: the offered time is one the client has since booked elsewhere.
    entry = WaitlistEntry.objects.create(
        client=world["client"],
        service=world["service"],
        earliest=at(9),
        latest=at(17),
        status=WaitlistEntry.Status.OFFERED,
        offered_appointment_start=at(10, 30),
        offered_therapist=world["therapists"][2],
    )
    r = http.post(f"/api/v1/waitlist/{entry.id}/accept", content_type="application/json")
    assert client_conflict(r), r.content
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert Appointment.objects.filter(client=world["client"]).count() == 2
    assert {a.pk for a in Appointment.objects.all()} == {mine.pk, other.pk}


@on_postgres
@pytest.mark.django_db
def test_the_database_refuses_an_overlapping_client_row(world):
    alice, bob, carol = world["therapists"]
    start = dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)
    AppointmentFactory(client=world["client"], therapist=alice, service=world["service"], starts_at=start)
    # Right after the session, in Alice's buffer, with Bob: allowed.
    AppointmentFactory(
        client=world["client"],
        therapist=bob,
        service=world["service"],
        starts_at=start + dt.timedelta(hours=1),
    )
    with pytest.raises(IntegrityError, match="appointment_no_client_overlap"), transaction.atomic():
        AppointmentFactory(
            client=world["client"],
            therapist=carol,
            service=world["service"],
            starts_at=start + dt.timedelta(minutes=30),
        )
    # A cancelled appointment holds nothing.
    AppointmentFactory(
        client=world["client"],
        therapist=bob,
        service=world["service"],
        starts_at=start - dt.timedelta(minutes=30),
        status="cancelled",
    )


@on_postgres
@pytest.mark.django_db
def test_the_migration_stops_on_existing_overlaps_and_names_them(world):
    migration = importlib.import_module("nervecare.scheduling.migrations.0003_appointment_no_client_overlap")
    alice, bob, _ = world["therapists"]
    start = dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)
    with connection.cursor() as cursor:  # as before the migration (rolled back with the test)
        cursor.execute("ALTER TABLE scheduling_appointment DROP CONSTRAINT appointment_no_client_overlap")
    first = AppointmentFactory(
        client=world["client"], therapist=alice, service=world["service"], starts_at=start
    )
    with connection.schema_editor(atomic=False) as editor:
        migration.refuse_existing_overlaps(apps, editor)  # no overlap: nothing to say
    second = AppointmentFactory(
        client=world["client"],
        therapist=bob,
        service=world["service"],
        starts_at=start + dt.timedelta(minutes=30),
    )
    with (
        pytest.raises(migration.ClientOverlapsExist) as exc,
        connection.schema_editor(atomic=False) as editor,
    ):
        migration.refuse_existing_overlaps(apps, editor)
    message = str(exc.value)
    assert "1 pair(s)" in message and f"appointment {first.id} " in message
    assert f"appointment {second.id} " in message and "nothing was changed" in message
    assert Appointment.objects.count() == 2


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_client_with_different_therapists_one_wins(world, front_desk_user):
    """Each client is booked at the same time with three therapists at once: one 201, two 409s naming the
    client, and no client is ever in two sessions at once. Before the constraint, the Python check alone let
    several through."""
    clinic = world["client"].clinic
    clients = [ClientFactory(clinic=clinic) for _ in range(8)]
    starts = [at(9 + (i % 4) * 2, 0, TUESDAY + dt.timedelta(days=i // 4)) for i in range(len(clients))]
    jobs = [(c, s, t) for c, s in zip(clients, starts, strict=True) for t in world["therapists"]]
    barrier = threading.Barrier(len(jobs))
    outcomes: list = []
    lock = threading.Lock()

    def attempt(client, starts_at, therapist) -> None:
        try:
            http = HttpClient()
            http.force_login(front_desk_user)
            barrier.wait()
            r = http.post(
                "/api/v1/appointments",
                {
                    "client_id": client.id,
                    "therapist_id": therapist.id,
                    "service_id": world["service"].id,
                    "starts_at": starts_at.isoformat(),
                },
                content_type="application/json",
            )
            outcome = (client.id, r.status_code, r.status_code == 201 or client_conflict(r))
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            outcome = (client.id, repr(exc), False)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == len(jobs), outcomes
    assert all(named for _c, _s, named in outcomes), outcomes
    for client in clients:
        statuses = sorted(s for c, s, _n in outcomes if c == client.id)
        assert statuses == [201, 409, 409], (client.id, statuses)
    for client in clients:
        held = list(
            Appointment.objects.filter(client=client)
            .exclude(status="cancelled")
            .values_list("starts_at", "ends_at")
        )
        assert len(held) == 1, held
