"""Rooms, services, therapists' hours, appointments and weekly series, the waitlist and calendar tokens.

Times are stored in UTC; working hours are wall-clock times in the clinic's time zone.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Clinic, Therapist, TimeStampedModel
from nervecare.plans.models import CarePlan


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


class Room(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique")]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """What can be booked: e.g. 60-min Swedish, with the buffer kept free after it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="services")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    modality = models.CharField(max_length=20, choices=CarePlan.Modality.choices)
    minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(10), MaxValueValidator(240)])
    buffer_minutes = models.PositiveSmallIntegerField(default=15, validators=[MaxValueValidator(120)])
    required_certifications = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True, max_length=2000)
    # Offered on the clinic's public booking page to new clients (no sign-in).
    bookable_online = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="service_code_unique")]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """A therapist's regular hours on one weekday (0 = Monday), clinic local time. `every_weeks` = 2 makes
    them alternate weeks: they apply in the week of `anchor_date` and every second week from it."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()
    every_weeks = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    anchor_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["therapist", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                name="workinghours_start_before_end", condition=models.Q(start__lt=models.F("end"))
            ),
            models.CheckConstraint(name="workinghours_weekday_0_6", condition=models.Q(weekday__lte=6)),
            models.CheckConstraint(
                name="workinghours_every_1_or_2_weeks_with_anchor",
                condition=models.Q(every_weeks=1) | models.Q(every_weeks=2, anchor_date__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapist} weekday {self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"


class AvailabilityException(models.Model):
    """Time off (not available) or extra hours (available outside the regular hours)."""

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        EXTRA = "extra", "Extra hours"

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                name="availabilityexception_start_before_end",
                condition=models.Q(starts_at__lt=models.F("ends_at")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Closure(models.Model):
    """A day or run of days the whole clinic is closed (inclusive dates, clinic local time): a closure the
    owner enters, or a public holiday imported from the `holidays` library for the clinic's country and
    subdivision. Nothing is offered or booked on a closed day."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by the clinic"
        HOLIDAY = "holiday", "Public holiday"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                name="closure_starts_on_or_before_ends",
                condition=models.Q(starts_on__lte=models.F("ends_on")),
            ),
            models.UniqueConstraint(
                fields=["clinic", "starts_on", "name"], name="closure_unique_per_day_name"
            ),
        ]

    def __str__(self) -> str:
        if self.starts_on == self.ends_on:
            return f"{self.name} ({self.starts_on:%d %b %Y})"
        return f"{self.name} ({self.starts_on:%d %b %Y} – {self.ends_on:%d %b %Y})"


class Series(TimeStampedModel):
    """A course booked from a plan (or a weekly series): the same local time on the chosen weekdays, as many
    sessions a week as the plan says. It remembers the rule its dates were made from: `weekdays` (0 = Monday)
    and `rule`, the RFC 5545 recurrence (DTSTART in the clinic's zone, RRULE) that dateutil.rrule read."""

    plan = models.ForeignKey(
        CarePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="series"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="series")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="series")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="series")
    # The first of `weekdays` (kept for the single-weekday series booked before courses had several).
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    weekdays = models.JSONField(default=list, blank=True)
    rule = models.TextField(blank=True)
    local_time = models.TimeField()
    first_date = models.DateField()
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(104)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        per_week = len(self.weekdays) or 1
        return f"{self.count} sessions, {per_week} a week from {self.first_date} at {self.local_time:%H:%M}"


# Every status that holds time. "held" is a new client's online booking awaiting its e-mail confirmation: it
# blocks the slot like a booking until `hold_expires_at`; after that it is released (cancelled) by the first
# booking that needs the time, by the periodic job, and every read treats it as free (`expired_hold_q`).
BLOCKING_STATUSES = ("booked", "checked_in", "completed", "no_show", "held")


def expired_hold_q(now: datetime) -> models.Q:
    """An online hold past its expiry: free time for every read, whether or not the job has released it."""
    return models.Q(status="held", hold_expires_at__lte=now)


class Appointment(TimeStampedModel):
    """One session. Every status but cancelled holds the therapist's and the room's time (buffer included) and
    the client's (the session itself)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"
        CANCELLED = "cancelled", "Cancelled"
        HELD = "held", "Held online (awaiting e-mail confirmation)"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    plan = models.ForeignKey(
        CarePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    # ends_at plus the service's buffer: the time the therapist and room are held until.
    blocked_until = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    # Instruments due at this visit (a plan's re-evaluation point), e.g. ["pgic", "mnsi_history"].
    due_measures = models.JSONField(default=list, blank=True)
    notes_for_client = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # A held (online, unconfirmed) appointment blocks its time until then; None for every other status.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # When the client left (the front desk's check-out, which completes the visit); undone within the day.
    checked_out_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="appointment_start_before_end", condition=models.Q(starts_at__lt=models.F("ends_at"))
            ),
            models.CheckConstraint(
                name="appointment_buffer_not_negative",
                condition=models.Q(blocked_until__gte=models.F("ends_at")),
            ),
            # PostgreSQL only (migration 0005: SQLite cannot add it without remaking the table).
            models.CheckConstraint(
                name="appointment_held_has_expiry",
                condition=~models.Q(status="held") | models.Q(hold_expires_at__isnull=False),
            ),
            # PostgreSQL only (the migration skips them elsewhere; SQLite serialises writers instead):
            # half-open [start, blocked_until) ranges, so back-to-back sessions are allowed.
            ExclusionConstraint(
                name="appointment_no_therapist_overlap",
                expressions=[
                    ("therapist", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "blocked_until", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=models.Q(status__in=BLOCKING_STATUSES),
                violation_error_message="The therapist already has an appointment at that time.",
            ),
            ExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "blocked_until", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=models.Q(status__in=BLOCKING_STATUSES, room__isnull=False),
                violation_error_message="The room is already booked at that time.",
            ),
            # A client is in one session at a time. Their range is the session, [start, end): the buffer is
            # the therapist's and the room's time to reset, so a client may go straight from one session to
            # another therapist's (the therapist and room ranges above still keep each of those free).
            ExclusionConstraint(
                name="appointment_no_client_overlap",
                expressions=[
                    ("client", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=models.Q(status__in=BLOCKING_STATUSES),
                violation_error_message="The client already has an appointment at that time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} with {self.therapist} at {self.starts_at:%Y-%m-%d %H:%M} UTC ({self.status})"


class WaitlistEntry(TimeStampedModel):
    class Status(models.TextChoices):
        WAITING = "waiting"
        OFFERED = "offered"
        BOOKED = "booked"
        WITHDRAWN = "withdrawn"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="waitlist")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="waitlist")
    therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    earliest = models.DateTimeField()
    latest = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    offered_appointment_start = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offered_therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.client} waiting for {self.service} ({self.status})"


class CalendarToken(models.Model):
    """A private, revocable URL token for a therapist's iCalendar feed."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="calendar_tokens")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed for {self.therapist}"


class Reminder(models.Model):
    """An email owed to a client about an appointment: sent by the job queue, retried, never lost silently."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        MOVED = "moved", "Appointment moved"
        CANCELLED = "cancelled", "Appointment cancelled"
        BOOKED = "booked", "Appointment booked"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # gave up after the last retry: shown to staff
        SKIPPED = "skipped"  # no longer relevant (appointment moved or cancelled) or no email address

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # For a reminder: the start it was made for (a moved appointment gets a new reminder).
    for_start = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "for_start"],
                condition=models.Q(kind="reminder"),
                name="reminder_once_per_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for appointment {self.appointment_id} ({self.status})"
