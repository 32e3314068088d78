"""What the scheduling routes take: request bodies and query strings (unknown fields are refused)."""

from datetime import time
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from nervecare.core.bounds import ScheduleDate, ScheduleDateTime, SearchDateTime


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class BookIn(Strict):
    client_id: int
    therapist_id: int
    service_id: int
    starts_at: ScheduleDateTime = Field(
        description="ISO 8601; without an offset it is read in the clinic's time zone"
    )
    room_id: int | None = None
    plan_id: int | None = None


class SeriesIn(Strict):
    client_id: int
    therapist_id: int
    service_id: int
    first_date: ScheduleDate = Field(
        description="the local date the course starts: its first session is the first of `weekdays` on or "
        "after it"
    )
    local_time: time
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        None,
        min_length=1,
        max_length=7,
        description="the weekdays of the sessions, 0 = Monday; with a plan, as many as its sessions a week. "
        "Default: the plan's sessions a week spread from first_date's weekday (first_date's weekday alone "
        "without a plan)",
    )
    count: int | None = Field(None, ge=1, le=104, description="defaults to the plan's course")
    plan_id: int | None = None
    room_id: int | None = None
    skip_conflicts: bool = False
    replacements: dict[int, ScheduleDateTime] = Field(
        default_factory=dict, description="index → another start"
    )


class RescheduleIn(Strict):
    starts_at: ScheduleDateTime
    therapist_id: int | None = None


class RescheduleRestIn(Strict):
    local_time: time
    weekday: int | None = Field(None, ge=0, le=6)


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=300)


class HoursRow(Strict):
    weekday: int = Field(ge=0, le=6)
    start: time
    end: time
    every_weeks: int = Field(1, ge=1, le=2, description="1: every week; 2: alternate weeks")
    anchor_date: ScheduleDate | None = Field(
        None, description="alternate weeks: a date in a week the hours apply (required with every_weeks 2)"
    )


class HoursIn(Strict):
    hours: list[HoursRow]


class ExceptionIn(Strict):
    kind: Literal["time_off", "extra"]
    starts_at: ScheduleDateTime
    ends_at: ScheduleDateTime
    note: str = Field("", max_length=200)


class WaitlistIn(Strict):
    client_id: int
    service_id: int
    earliest: ScheduleDateTime
    latest: ScheduleDateTime
    therapist_id: int | None = None
    note: str = Field("", max_length=300)


class SlotQuery(Schema):
    service_id: int
    therapist_id: int | None = None
    plan_id: int | None = None
    start: ScheduleDate | None = None
    end: ScheduleDate | None = None
    limit: int = Field(10, ge=1, le=100)


class RangeQuery(Schema):
    start: SearchDateTime
    end: SearchDateTime
    therapist_id: int | None = None
    room_id: int | None = None
    client_id: int | None = None
    include_cancelled: bool = False
