"""Client emails about appointments (reminders, moved, cancelled): an outbox the job queue delivers.

The booking services call the `on_*` hooks inside their transaction, so a reminder row exists exactly when the
appointment change is committed. `deliver_due` (run every minute by the job queue, or `nervecare
send_reminders`) sends what is due. A row is claimed in a short transaction before the email goes out, so two
workers never send the same row; a failed send is retried with backoff and, after the last attempt, stays
visible as "failed" (`failed_reminders`), never dropped silently.

Emails carry only what a client needs to turn up: the time in the clinic's time zone, the service, the
therapist's display name and the clinic. Nothing clinical.
"""

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from nervecare.core.audit import audited_update
from nervecare.core.errors import FieldErrors
from nervecare.scheduling.models import Appointment, Reminder

logger = logging.getLogger(__name__)

Kind = Reminder.Kind
Status = Reminder.Status

# Minutes to wait after the 1st, 2nd, 3rd… failed attempt (the last value repeats).
DEFAULT_BACKOFF_MINUTES = (1, 5, 30, 120, 360)
# A claimed row is hidden from other workers for this long. It must outlast one SMTP send; if the worker dies
# mid-send the row becomes due again after it (the claim has already counted the attempt).
CLAIM_LEASE = datetime.timedelta(minutes=10)
# Django's EMAIL_TIMEOUT defaults to None (wait forever); a stuck mail server must not hold a worker.
DEFAULT_SMTP_TIMEOUT = 30
ERROR_MAX_CHARS = 2000
LOCAL_TIME_FORMAT = r"l j F Y \a\t H:i"  # Django date format: "Tuesday 10 March 2026 at 10:00"


def reminder_lead() -> datetime.timedelta:
    """How long before the start the reminder goes out (`NERVECARE_REMINDER_LEAD_HOURS`, default 24)."""
    return datetime.timedelta(hours=float(getattr(settings, "NERVECARE_REMINDER_LEAD_HOURS", 24)))


def max_attempts() -> int:
    """Sends tried before a row becomes "failed" (`NERVECARE_REMINDER_MAX_ATTEMPTS`, default 5)."""
    return max(1, int(getattr(settings, "NERVECARE_REMINDER_MAX_ATTEMPTS", 5)))


def retry_delay(failed_attempts: int) -> datetime.timedelta:
    """The wait after the n-th failed attempt: 1, 5, 30, 120, 360 minutes, then 360 again."""
    steps = tuple(getattr(settings, "NERVECARE_REMINDER_BACKOFF_MINUTES", DEFAULT_BACKOFF_MINUTES))
    index = min(max(failed_attempts, 1), len(steps)) - 1
    return datetime.timedelta(minutes=steps[index])


# --- Hooks called by the booking services (inside their transaction) ------------------------------------


def on_booked(appointment: Appointment) -> None:
    """Plan the reminder for a new appointment (just inserted: it has no reminder rows yet)."""
    _plan_reminder(appointment, now=timezone.now(), new=True)


def on_moved(appointment: Appointment, old_start: datetime.datetime) -> None:
    """The appointment moved: drop the old reminder, plan a new one, and tell the client."""
    now = timezone.now()
    # Every pending reminder not for the new start (normally just the one for old_start), and any notice not
    # yet sent: the new "moved" notice supersedes them.
    audited_update(
        Reminder.objects.filter(appointment=appointment, status=Status.PENDING).filter(
            (Q(kind=Kind.REMINDER) & ~Q(for_start=appointment.starts_at))
            | Q(kind__in=[Kind.MOVED, Kind.BOOKED])
        ),
        actor=None,
        summary="Reminders superseded (appointment moved)",
        clinic_id=appointment.clinic_id,
        status=Status.SKIPPED,
        next_attempt_at=None,
        last_error="Superseded: the appointment moved.",
    )
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= now:
        return
    _plan_reminder(appointment, now=now)
    Reminder.objects.create(
        appointment=appointment, kind=Kind.MOVED, for_start=appointment.starts_at, due_at=now
    )
    logger.info("appointment %s moved from %s to %s", appointment.pk, old_start, appointment.starts_at)


def on_cancelled(appointment: Appointment) -> None:
    """The appointment was cancelled: drop its reminder and tell the client."""
    now = timezone.now()
    audited_update(
        Reminder.objects.filter(
            appointment=appointment,
            status=Status.PENDING,
            kind__in=[Kind.REMINDER, Kind.MOVED, Kind.BOOKED],
        ),
        actor=None,
        summary="Reminders superseded (appointment cancelled)",
        clinic_id=appointment.clinic_id,
        status=Status.SKIPPED,
        next_attempt_at=None,
        last_error="Superseded: the appointment was cancelled.",
    )
    if appointment.starts_at <= now:
        return  # a past appointment tidied up later: nothing to tell the client
    Reminder.objects.create(
        appointment=appointment, kind=Kind.CANCELLED, for_start=appointment.starts_at, due_at=now
    )


def _plan_reminder(appointment: Appointment, *, now: datetime.datetime, new: bool = False) -> Reminder | None:
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= now:
        return None
    due_at = max(appointment.starts_at - reminder_lead(), now)
    existing = (
        None
        if new
        else Reminder.objects.filter(
            appointment=appointment, kind=Kind.REMINDER, for_start=appointment.starts_at
        ).first()
    )
    if existing is None:
        return Reminder.objects.create(
            appointment=appointment, kind=Kind.REMINDER, for_start=appointment.starts_at, due_at=due_at
        )
    if existing.status == Status.SKIPPED:
        # Moved away and back again: one row per (appointment, start), so the skipped one comes back.
        existing.status = Status.PENDING
        existing.due_at = due_at
        existing.attempts = 0
        existing.next_attempt_at = None
        existing.last_error = ""
        existing.save(update_fields=["status", "due_at", "attempts", "next_attempt_at", "last_error"])
    return existing


# --- Delivery ---------------------------------------------------------------------------------------------


def deliver_due(now: datetime.datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Send every pending email that is due; return how many were sent, skipped, set to retry and failed."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}
    sendable, skipped = _claim(now=now, limit=limit)
    counts["skipped"] = skipped
    if not sendable:
        return counts
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT
    mail = get_connection(fail_silently=False, timeout=timeout)
    for reminder in sendable:
        counts[_send(reminder, mail=mail, now=now)] += 1
    return counts


def _claim(*, now: datetime.datetime, limit: int) -> tuple[list[Reminder], int]:
    """Take up to `limit` due rows for this worker: skip the ones no longer relevant, count an attempt on
    the rest and hide them from other workers for CLAIM_LEASE. The email is sent after this commits, so no
    database lock is held while talking to the mail server."""
    with transaction.atomic():
        due = (
            Reminder.objects.filter(status=Status.PENDING, due_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .select_related(
                "appointment__client", "appointment__clinic", "appointment__therapist", "appointment__service"
            )
            .order_by("due_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: rows another worker is claiming are passed over, not waited for. SQLite has no row
            # locks; its writers are serialised (BEGIN IMMEDIATE), which gives the same guarantee.
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due[:limit])
        sendable: list[Reminder] = []
        skipped = 0
        for reminder in rows:
            reason = _skip_reason(reminder, now=now)
            if reason:
                reminder.status = Status.SKIPPED
                reminder.next_attempt_at = None
                reminder.last_error = reason
                reminder.save(update_fields=["status", "next_attempt_at", "last_error"])
                skipped += 1
            else:
                sendable.append(reminder)
        if sendable:
            Reminder.objects.filter(pk__in=[r.pk for r in sendable]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
            )
            for reminder in sendable:
                reminder.attempts += 1
        return sendable, skipped


def _skip_reason(reminder: Reminder, *, now: datetime.datetime) -> str:
    """Why this email should not go out now ("" if it should)."""
    appointment = reminder.appointment
    if reminder.kind == Kind.CANCELLED:
        if appointment.status != Appointment.Status.CANCELLED:
            return "The appointment is no longer cancelled."
    elif appointment.status != Appointment.Status.BOOKED:
        return f"The appointment is {appointment.get_status_display().lower()}."
    elif reminder.for_start is not None and appointment.starts_at != reminder.for_start:
        return "The appointment moved."
    if appointment.starts_at <= now:
        return "The appointment has already started."
    if not appointment.client.email:
        return "The client has no email address."
    return ""


def _send(reminder: Reminder, *, mail: BaseEmailBackend, now: datetime.datetime) -> str:
    try:
        message = reminder_email(reminder)
        message.connection = mail
        if message.send() != 1:
            raise RuntimeError("The mail backend did not accept the message.")
    except Exception as exc:  # noqa: BLE001 - any failure is stored on the row and retried, never lost
        return _record_failure(reminder, error=f"{type(exc).__name__}: {exc}", now=now)
    # Recorded even if a hook skipped the row meanwhile: the email did go out.
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return "sent"


def _record_failure(reminder: Reminder, *, error: str, now: datetime.datetime) -> str:
    error = error[:ERROR_MAX_CHARS]
    pending = Reminder.objects.filter(pk=reminder.pk, status=Status.PENDING)
    if reminder.attempts >= max_attempts():
        pending.update(status=Status.FAILED, next_attempt_at=None, last_error=error)
        logger.error(
            "reminder %s (%s) failed after %s attempts: %s",
            reminder.pk,
            reminder.kind,
            reminder.attempts,
            error,
        )
        return "failed"
    pending.update(next_attempt_at=now + retry_delay(reminder.attempts), last_error=error)
    logger.warning(
        "reminder %s (%s) attempt %s failed: %s", reminder.pk, reminder.kind, reminder.attempts, error
    )
    return "retrying"


def local_time_text(moment: datetime.datetime, tz_name: str) -> str:
    """'Tuesday 10 March 2026 at 10:00 (America/New_York)': the wall-clock time at the clinic."""
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown clinic time zone %r: showing UTC", tz_name)
        tz, tz_name = zoneinfo.ZoneInfo("UTC"), "UTC"
    local = dateformat.format(moment.astimezone(tz), LOCAL_TIME_FORMAT)
    return f"{local} ({tz_name})"


def reminder_email(reminder: Reminder) -> EmailMessage:
    """The email for one outbox row (templates `scheduling/email/<kind>_subject.txt` and `_body.txt`)."""
    appointment = reminder.appointment
    context = {
        "first_name": appointment.client.first_name,
        "when": local_time_text(appointment.starts_at, appointment.clinic.timezone),
        "service": appointment.service.name,
        "therapist": appointment.therapist.display_name,
        "clinic": appointment.clinic.name,
    }
    subject = render_to_string(f"scheduling/email/{reminder.kind}_subject.txt", context)
    body = render_to_string(f"scheduling/email/{reminder.kind}_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        to=[appointment.client.email],
        headers={"Auto-Submitted": "auto-generated", "X-NerveCare-Reminder": str(reminder.pk)},
    )


# --- Reads and staff actions --------------------------------------------------------------------------------


def failed_reminders(clinic_id: int) -> QuerySet[Reminder]:
    """Emails the queue gave up on, newest first, for staff to see (and retry or phone the client)."""
    return (
        Reminder.objects.filter(status=Status.FAILED, appointment__clinic_id=clinic_id)
        .select_related("appointment__client", "appointment__therapist", "appointment__service")
        .order_by("-due_at", "-id")
    )


@transaction.atomic
def reminder_retry(*, reminder: Reminder) -> Reminder:
    """Put a failed email back in the queue (e.g. after the client's address was corrected)."""
    if reminder.status != Status.FAILED:
        raise FieldErrors({"status": "Only a failed reminder can be retried."})
    reminder.status = Status.PENDING
    reminder.attempts = 0
    reminder.next_attempt_at = None
    reminder.save(update_fields=["status", "attempts", "next_attempt_at"])
    return reminder
