"""A course's dates: the default weekdays of N sessions a week, the weekly rule (dateutil.rrule) and its
RFC 5545 text, each date at the same wall-clock time, and how many sessions a series books."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from dateutil.rrule import WEEKLY, rrule

from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def course_weekdays(first_date: date, per_week: int) -> list[int]:
    """The default weekdays of N sessions a week: spread over the week from the first date's weekday
    (Monday and Thursday for two from a Monday; Monday, Wednesday, Friday for three)."""
    per_week = max(1, min(per_week, 7))
    return sorted({(first_date.weekday() + i * 7 // per_week) % 7 for i in range(per_week)})


def course_rule(first_date: date, local_time: time, weekdays: list[int], count: int) -> rrule:
    """The course's recurrence: every week on the weekdays, at the local time, from the first date (the
    first session is the first chosen weekday on or after it), `count` sessions."""
    return rrule(
        WEEKLY, dtstart=datetime.combine(first_date, local_time), byweekday=sorted(weekdays), count=count
    )


def course_rule_text(rule: rrule, tz: Any) -> str:
    """RFC 5545 text of the rule, its DTSTART in the clinic's zone (dateutil writes a floating time)."""
    return str(rule).replace("DTSTART:", f"DTSTART;TZID={tz.key}:", 1)


def _weekdays(
    weekdays: list[int] | None, *, first_date: date, plan: CarePlan | None, errors: dict[str, str]
) -> list[int]:
    """The weekdays asked for, or the default: the plan's sessions a week spread over the week (one, the
    first date's, without a plan). With a plan the count must be the plan's: a course is booked as written."""
    if weekdays is None or not weekdays:
        return course_weekdays(first_date, plan.sessions_per_week if plan else 1)
    if any(not 0 <= d <= 6 for d in weekdays) or len(set(weekdays)) != len(weekdays):
        errors["weekdays"] = "choose different weekdays, each 0 (Monday) to 6 (Sunday)"
        return []
    if plan is not None and len(weekdays) != plan.sessions_per_week:
        n = plan.sessions_per_week
        errors["weekdays"] = (
            f"the plan has {n} session{'s' if n != 1 else ''} a week: choose {n} "
            f"weekday{'s' if n != 1 else ''} ({len(weekdays)} chosen)"
        )
    return sorted(weekdays)


def _occurrences(rule: rrule, local_time: time, tz: Any) -> list[tuple[datetime, str]]:
    """Each date of the rule at the same wall-clock time: across a daylight-saving change the local time
    holds. Each as (start in UTC, problem): a date on which the time does not exist (the clocks go forward) is
    a problem to skip or replace, shown at the time it would move to; a repeated time is its first occurrence
    (core.localtime)."""
    out = []
    for occurrence in rule:
        day = occurrence.date()
        try:
            out.append((localtime.combine_to_utc(day, local_time, tz, field="local_time"), ""))
        except FieldErrors as exc:
            out.append((localtime.boundary_to_utc(day, local_time, tz), exc.errors["local_time"]))
    return out


def _due_measures(plan: CarePlan | None, index: int) -> list[str]:
    if plan is None:
        return []
    week = index // max(plan.sessions_per_week, 1) + 1
    if week in plan.reevaluation_weeks:
        return [m["instrument"] for m in plan.outcome_measures if m.get("when") == "reevaluation"]
    return []


def _series_count(plan: CarePlan | None, count: int | None, errors: dict[str, str]) -> tuple[int, int]:
    """How many sessions the series books, and how many of the plan's are already held or booked: a series
    continues the course, never repeats it. Problems go into `errors`."""
    already = 0
    if plan is not None:
        already = plan.appointments.exclude(status=Appointment.Status.CANCELLED).count()
        remaining = plan.course_weeks * plan.sessions_per_week - already
        if count is None:
            count = remaining
        if remaining <= 0:
            errors["plan_id"] = "every session of this plan's course is already done or booked"
        elif count > remaining:
            errors["count"] = f"the plan has {remaining} sessions left to book; {count} asked"
    if count is None:
        count = 0
    if not errors and not 1 <= count <= 104:
        errors["count"] = "a series has 1 to 104 sessions"
    return count, already
