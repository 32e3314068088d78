"""What the scheduling API answers (the documented response bodies; the request bodies are in api.py)."""

from datetime import date, datetime, time
from typing import Annotated

from ninja import Schema
from pydantic import Field, WithJsonSchema

# A wall-clock time in the clinic's zone, written "09:00:00": no UTC offset, so not JSON Schema's "time" format.
LocalTime = Annotated[time, WithJsonSchema({"type": "string", "pattern": r"^\d\d:\d\d(:\d\d(\.\d+)?)?$"})]


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    modality: str
    minutes: int
    buffer_minutes: int
    required_certifications: list[str]


class ActivePlanOut(Schema):
    plan_id: int
    session_minutes: int
    therapist_id: int | None
    total: int
    done: int
    booked: int
    remaining: int


class BookingClientOut(Schema):
    """What the front desk needs to book: names, contact and each active plan's sessions (no clinical data)."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    active_plans: list[ActivePlanOut]


class RoomOut(Schema):
    id: int
    name: str


class HoursOut(Schema):
    weekday: int = Field(description="0 = Monday")
    start: LocalTime
    end: LocalTime
    every_weeks: int = Field(
        1, description="1: every week; 2: alternate weeks (the anchor's week, then every second)"
    )
    anchor_date: date | None = Field(None, description="alternate weeks: a date in a week the hours apply")


class ExceptionOut(Schema):
    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    note: str


class SlotOut(Schema):
    starts_at: datetime
    therapist_id: int
    therapist: str
    ends_at: datetime
    local_start: str = Field(description="The start in the clinic's time zone (ISO 8601 with its offset).")


class AppointmentOut(Schema):
    id: int
    client_id: int
    client: str
    therapist_id: int
    therapist: str
    service_id: int
    service: str
    room_id: int | None
    plan_id: int | None
    series_id: int | None
    series_index: int | None
    starts_at: datetime
    ends_at: datetime
    held_until: datetime | None = Field(description="The end of the appointment and its buffer.")
    local_start: str
    local_end: str
    time_zone: str
    status: str
    due_measures: list[str] = Field(description="Outcome measures due at this session.")
    cancel_reason: str


class BookedOut(AppointmentOut):
    warnings: list[str] = Field(description="Booked, but something to know (e.g. a clearance is pending).")


class AlternativeOut(Schema):
    starts_at: datetime
    local_start: str
    therapist_id: int


class PreviewRowOut(Schema):
    index: int
    starts_at: datetime
    local_start: str
    ok: bool
    problem: str
    closed: str = Field(description="The closure's name when the clinic is closed that day, else empty.")
    alternatives: list[AlternativeOut]
    due_measures: list[str]


class SeriesPreviewOut(Schema):
    count: int
    weekdays: list[int] = Field(description="The weekdays of the sessions, 0 = Monday.")
    rule: str = Field(
        description="The dates' recurrence rule (RFC 5545: DTSTART in the clinic's zone, RRULE)."
    )
    bookable: int
    conflicts: int
    rows: list[PreviewRowOut]
    blocked_by_stop_flags: list[str]
    warnings: list[str]


class SeriesBookedOut(Schema):
    series_id: int
    weekdays: list[int] = Field(description="The weekdays of the sessions, 0 = Monday.")
    rule: str = Field(
        description="The dates' recurrence rule (RFC 5545: DTSTART in the clinic's zone, RRULE)."
    )
    appointments: list[AppointmentOut]
    skipped: list[int] = Field(description="The indexes left out (skip_conflicts).")
    warnings: list[str]


class NextReevaluationOut(Schema):
    appointment_id: int
    starts_at: datetime
    measures: list[str]


class PlanProgressOut(Schema):
    total: int
    done: int
    booked: int
    no_show: int
    remaining: int
    next_reevaluation: NextReevaluationOut | None


class WaitlistEntryOut(Schema):
    id: int
    client_id: int
    service_id: int
    therapist_id: int | None
    earliest: datetime
    latest: datetime
    status: str
    offered_start: datetime | None
    offered_therapist_id: int | None
