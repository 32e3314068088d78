"""The reminder outbox, delivered to a real SMTP server on loopback (aiosmtpd)."""

import datetime
import io
import threading

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from huey import RedisHuey, SqliteHuey

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.tests.factories import ClinicFactory
from nervecare.scheduling import reminders
from nervecare.scheduling.models import Reminder
from nervecare.scheduling.reminders import (
    deliver_due,
    failed_reminders,
    on_booked,
    on_cancelled,
    on_moved,
    reminder_retry,
)
from nervecare.scheduling.tests.conftest import Inbox, free_port, smtp_settings
from nervecare.scheduling.tests.factories import AppointmentFactory

UTC = datetime.UTC
# New York moves its clocks forward on Sunday 8 March 2026: EST (UTC-5) before, EDT (UTC-4) after.
BEFORE_DST = datetime.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)  # Thursday, 07:00 EST
TUESDAY_10AM_EDT = datetime.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
THURSDAY_11AM_EDT = datetime.datetime(2026, 3, 12, 15, 0, tzinfo=UTC)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def traveller():
    with time_machine.travel(BEFORE_DST, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ny_clinic(db):
    return ClinicFactory(name="Hudson Valley Bodywork", slug="hudson", timezone="America/New_York")


@pytest.fixture
def jane(ny_clinic):
    return ClientFactory(clinic=ny_clinic, first_name="Jane", last_name="Doe", email="jane@example.org")


def book(client, starts_at: datetime.datetime, **kwargs):
    appointment = AppointmentFactory(
        client=client, starts_at=starts_at, therapist__display_name="Alice", **kwargs
    )
    on_booked(appointment)
    return appointment


def move(appointment, new_start: datetime.datetime) -> None:
    old_start = appointment.starts_at
    length = appointment.ends_at - appointment.starts_at
    buffer = appointment.blocked_until - appointment.ends_at
    appointment.starts_at = new_start
    appointment.ends_at = new_start + length
    appointment.blocked_until = appointment.ends_at + buffer
    appointment.save()
    on_moved(appointment, old_start)


def cancel(appointment) -> None:
    appointment.status = "cancelled"
    appointment.cancelled_at = datetime.datetime.now(UTC)
    appointment.save()
    on_cancelled(appointment)


# --- Planning (the hooks) ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_plans_one_reminder_a_day_before(traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    reminder = Reminder.objects.get(appointment=appointment)
    assert (reminder.kind, reminder.status) == ("reminder", "pending")
    assert reminder.due_at == TUESDAY_10AM_EDT - datetime.timedelta(hours=24)
    assert reminder.for_start == TUESDAY_10AM_EDT


@pytest.mark.django_db
@override_settings(NERVECARE_REMINDER_LEAD_HOURS=48)
def test_the_lead_time_is_a_setting(traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    assert appointment.reminders.get().due_at == TUESDAY_10AM_EDT - datetime.timedelta(hours=48)


@pytest.mark.django_db
def test_an_appointment_sooner_than_the_lead_time_is_reminded_now(traveller, jane):
    appointment = book(jane, BEFORE_DST + datetime.timedelta(hours=3))
    assert appointment.reminders.get().due_at == BEFORE_DST


@pytest.mark.django_db
def test_an_appointment_in_the_past_gets_no_reminder(traveller, jane):
    appointment = book(jane, BEFORE_DST - datetime.timedelta(hours=3))
    assert not appointment.reminders.exists()


@pytest.mark.django_db
def test_moving_skips_the_old_reminder_plans_a_new_one_and_a_notice(traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    move(appointment, THURSDAY_11AM_EDT)
    rows = {(r.kind, r.for_start): r for r in appointment.reminders.all()}
    old = rows[("reminder", TUESDAY_10AM_EDT)]
    assert old.status == "skipped" and "moved" in old.last_error
    new = rows[("reminder", THURSDAY_11AM_EDT)]
    assert (new.status, new.due_at) == ("pending", THURSDAY_11AM_EDT - datetime.timedelta(hours=24))
    notice = rows[("moved", THURSDAY_11AM_EDT)]
    assert (notice.status, notice.due_at) == ("pending", BEFORE_DST)


@pytest.mark.django_db
def test_moving_back_to_the_first_time_revives_its_reminder(traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    move(appointment, THURSDAY_11AM_EDT)
    move(appointment, TUESDAY_10AM_EDT)
    pending = appointment.reminders.filter(status="pending")
    assert sorted((r.kind, r.for_start) for r in pending) == [
        ("moved", TUESDAY_10AM_EDT),
        ("reminder", TUESDAY_10AM_EDT),
    ]


@pytest.mark.django_db
def test_cancelling_skips_the_reminder_and_plans_a_notice(traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    cancel(appointment)
    assert appointment.reminders.get(kind="reminder").status == "skipped"
    notice = appointment.reminders.get(kind="cancelled")
    assert (notice.status, notice.due_at) == ("pending", BEFORE_DST)


# --- Delivery --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminder_arrives_once_with_the_clinic_local_time_across_dst(smtp, traveller, jane):
    book(jane, TUESDAY_10AM_EDT)
    traveller.move_to(TUESDAY_10AM_EDT - datetime.timedelta(hours=24) - minutes(1))
    assert deliver_due()["sent"] == 0
    traveller.move_to(TUESDAY_10AM_EDT - datetime.timedelta(hours=24))

    assert deliver_due() == {"sent": 1, "skipped": 0, "retrying": 0, "failed": 0}
    assert deliver_due()["sent"] == 0  # a second run sends nothing more

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert smtp.recipients == [["jane@example.org"]]
    assert message["To"] == "jane@example.org"
    assert message["From"] == "Riverside <bookings@riverside.example>"
    # 14:00 UTC is 10:00 in New York after the clocks went forward (09:00 would be the pre-DST offset).
    when = "Tuesday 10 March 2026 at 10:00 (America/New_York)"
    assert when in message["Subject"]
    body = message.get_content()
    assert when in body
    assert "60-min Swedish massage" in body
    assert "Alice" in body
    assert "Hudson Valley Bodywork" in body
    assert "Hello Jane," in body
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.sent_at) == (
        "sent",
        1,
        TUESDAY_10AM_EDT - minutes(1440),
    )


@pytest.mark.django_db
def test_the_email_has_no_clinical_details(smtp, traveller, jane):
    book(
        jane,
        BEFORE_DST + datetime.timedelta(hours=2),
        due_measures=["pgic", "mnsi_history"],
        notes_for_client="Bring your glucose meter",
    )
    deliver_due()
    body = smtp.bodies()[0]
    for private in ("pgic", "mnsi", "glucose", "Doe", "1960"):
        assert private not in body


@pytest.mark.django_db
def test_moved_notice_then_the_new_reminder(smtp, traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    move(appointment, THURSDAY_11AM_EDT)

    assert deliver_due()["sent"] == 1
    moved = smtp.messages[0]
    assert "moved" in moved["Subject"]
    assert "Thursday 12 March 2026 at 11:00 (America/New_York)" in moved.get_content()

    traveller.move_to(TUESDAY_10AM_EDT)  # the old reminder's time passes: nothing about Tuesday goes out
    assert deliver_due()["sent"] == 0
    traveller.move_to(THURSDAY_11AM_EDT - datetime.timedelta(hours=24))
    assert deliver_due()["sent"] == 1
    assert "Thursday 12 March 2026 at 11:00" in smtp.messages[1]["Subject"]
    assert len(smtp.messages) == 2


@pytest.mark.django_db
def test_cancelled_notice_and_no_reminder(smtp, traveller, jane):
    appointment = book(jane, TUESDAY_10AM_EDT)
    cancel(appointment)
    assert deliver_due()["sent"] == 1
    notice = smtp.messages[0]
    assert notice["Subject"] == "Appointment cancelled: Tuesday 10 March 2026 at 10:00 (America/New_York)"
    assert "has been cancelled" in notice.get_content()
    traveller.move_to(TUESDAY_10AM_EDT - datetime.timedelta(hours=1))
    assert deliver_due()["sent"] == 0
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_reminder_for_an_appointment_changed_without_the_hooks_is_skipped(smtp, traveller, jane):
    cancelled = book(jane, BEFORE_DST + datetime.timedelta(hours=2))
    moved = book(jane, BEFORE_DST + datetime.timedelta(hours=5))
    cancelled.status = "cancelled"
    cancelled.save()
    moved.starts_at += datetime.timedelta(hours=1)
    moved.ends_at += datetime.timedelta(hours=1)
    moved.blocked_until += datetime.timedelta(hours=1)
    moved.save()

    assert deliver_due() == {"sent": 0, "skipped": 2, "retrying": 0, "failed": 0}
    assert smtp.messages == []
    assert cancelled.reminders.get().last_error == "The appointment is cancelled."
    assert moved.reminders.get().last_error == "The appointment moved."


@pytest.mark.django_db
def test_a_client_without_email_is_skipped_with_a_reason(smtp, traveller, ny_clinic):
    client = ClientFactory(clinic=ny_clinic, email="")
    appointment = book(client, BEFORE_DST + datetime.timedelta(hours=2))
    assert deliver_due()["skipped"] == 1
    reminder = appointment.reminders.get()
    assert (reminder.status, reminder.attempts) == ("skipped", 0)
    assert "no email address" in reminder.last_error
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_refusing_server_is_retried_with_backoff_then_failed_and_kept(dead_smtp, traveller, jane):
    appointment = book(jane, BEFORE_DST + datetime.timedelta(days=2))
    start = BEFORE_DST + datetime.timedelta(days=1)
    traveller.move_to(start)
    reminder = appointment.reminders.get()

    # Waits of 1, 5, 30 and 120 minutes between the five attempts.
    at = start
    for attempt, wait in enumerate([1, 5, 30, 120], start=1):
        assert deliver_due(now=at) == {"sent": 0, "skipped": 0, "retrying": 1, "failed": 0}
        reminder.refresh_from_db()
        assert (reminder.status, reminder.attempts) == ("pending", attempt)
        assert reminder.next_attempt_at == at + minutes(wait)
        assert "ConnectionRefusedError" in reminder.last_error
        assert deliver_due(now=at + minutes(wait) - datetime.timedelta(seconds=1))["retrying"] == 0
        at += minutes(wait)

    assert deliver_due(now=at)["failed"] == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.next_attempt_at) == ("failed", 5, None)
    assert "ConnectionRefusedError" in reminder.last_error
    assert deliver_due(now=at + datetime.timedelta(hours=6)) == {
        "sent": 0,
        "skipped": 0,
        "retrying": 0,
        "failed": 0,
    }
    assert list(failed_reminders(jane.clinic_id)) == [reminder]
    assert list(failed_reminders(ClinicFactory().pk)) == []


@pytest.mark.django_db
@override_settings(NERVECARE_REMINDER_MAX_ATTEMPTS=2)
def test_a_failed_reminder_can_be_retried_once_the_server_is_back(traveller, jane):
    appointment = book(jane, BEFORE_DST + datetime.timedelta(hours=6))
    with smtp_settings(free_port()):
        deliver_due()
        assert deliver_due(now=BEFORE_DST + minutes(1))["failed"] == 1
    reminder = appointment.reminders.get()
    assert (reminder.status, reminder.attempts) == ("failed", 2)

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(port):
            reminder_retry(reminder=reminder)
            assert deliver_due()["sent"] == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == ("sent", "")
    with pytest.raises(FieldErrors):
        reminder_retry(reminder=reminder)


@pytest.mark.django_db
def test_limit_caps_one_run(smtp, traveller, jane):
    for hour in range(2, 7):
        book(jane, BEFORE_DST + datetime.timedelta(hours=hour))
    assert deliver_due(limit=3)["sent"] == 3
    assert deliver_due(limit=3)["sent"] == 2
    assert len(smtp.messages) == 5


# --- Commands and the job queue --------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_reminders_command_prints_counts(smtp, traveller, jane):
    book(jane, BEFORE_DST + datetime.timedelta(hours=2))
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue().strip() == "sent 1, skipped 0, retrying 0, failed 0"
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_the_periodic_task_delivers_in_immediate_mode(smtp, traveller, jane):
    from nervecare.core.jobs import huey
    from nervecare.scheduling.tasks import deliver_reminders

    assert huey.immediate  # tests run jobs inline, in memory
    book(jane, BEFORE_DST + datetime.timedelta(hours=2))
    deliver_reminders()  # enqueued, and run at once (huey keeps no result for a periodic task)
    assert len(smtp.messages) == 1
    assert Reminder.objects.get().status == "sent"
    assert deliver_reminders.call_local() == {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}
    # Scheduled every minute.
    for minute in (17, 18):
        due = huey.read_periodic(datetime.datetime(2026, 3, 5, 12, minute))
        assert "deliver_reminders" in [task.name for task in due]


def test_run_jobs_refuses_when_jobs_run_inline():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="inline"):
        call_command("run_jobs")


def test_the_queue_is_sqlite_in_the_data_dir_by_default(tmp_path):
    from nervecare.core.jobs import make_huey

    with override_settings(DATA_DIR=tmp_path / "data", NERVECARE_JOBS_IMMEDIATE=False, REDIS_URL=""):
        queue = make_huey()
    assert isinstance(queue, SqliteHuey) and not queue.immediate
    assert (tmp_path / "data" / "jobs.sqlite3").exists()


def test_redis_url_chooses_redis(tmp_path):
    from nervecare.core.jobs import make_huey

    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0", NERVECARE_JOBS_IMMEDIATE=True):
        try:
            import redis  # noqa: F401
        except ImportError:
            with pytest.raises(ImproperlyConfigured, match="uv add"):
                make_huey()
        else:
            assert isinstance(make_huey(), RedisHuey)


# --- Concurrency (PostgreSQL: real row locks between connections) ----------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_email_once(smtp, ny_clinic):
    now = datetime.datetime.now(UTC).replace(second=0, microsecond=0)
    clients = [ClientFactory(clinic=ny_clinic, email=f"client{i}@example.org") for i in range(12)]
    for i, client in enumerate(clients):
        book(client, now + datetime.timedelta(hours=2, minutes=i))
    workers = 4
    barrier = threading.Barrier(workers)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(deliver_due(limit=5))
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["sent"] for r in results) == 12
    assert sorted(r[0] for r in smtp.recipients) == sorted(c.email for c in clients)
    assert Reminder.objects.filter(status="sent", attempts=1).count() == 12


def test_backoff_steps():
    assert [reminders.retry_delay(n) for n in range(1, 8)] == [
        minutes(m) for m in (1, 5, 30, 120, 360, 360, 360)
    ]
