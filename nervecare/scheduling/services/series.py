"""Courses and weekly series: a plan's N sessions a week on the chosen weekdays (dateutil.rrule makes the
dates), previewed date by date with alternatives for the ones that cannot be booked (a closure, a taken time,
outside hours), booked whole or not at all, and the rest of a series moved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import WEEKLY, rrule
from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_scheduling
from nervecare.core.services import audit_record
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment, Room, Series, Service
from nervecare.scheduling.selectors import clinic_tz, closed_days, free_slots
from nervecare.scheduling.services.access import _booking_access_grant
from nervecare.scheduling.services.booking import _insert, _move, _require_movable
from nervecare.scheduling.services.checks import (
    BookingConflictError,
    SessionBlockedError,
    _check_time,
    _clearance_warnings,
    _conflict_message,
    _qualification_errors,
    _Request,
    _request,
    _resolve,
    _sees_record,
    _stop_flags,
    _therapist_access_errors,
    check_may_book,
)
from nervecare.screening.selectors import open_flags

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


def _alternatives(
    *,
    client: Client,
    service: Service,
    therapist: Therapist,
    starts_at: datetime,
    tz: Any,
    course_days: set[date],
) -> list[dict[str, Any]]:
    """What could take the place of a date that cannot be booked: up to three free times of the same
    therapist, one a day, from that day to a week later, on days the course has no other session (the next
    free day that week first), each at the course's time or the nearest free one to it."""
    local = starts_at.astimezone(tz)
    day = local.date()
    wanted = local.hour * 60 + local.minute
    by_day: dict[date, list[dict[str, Any]]] = {}
    for slot in free_slots(
        clinic=client.clinic,
        service=service,
        start=day,
        end=day + timedelta(days=6),
        therapists=[therapist],
        limit=7 * 96,
    ):
        slot_day = slot["starts_at"].astimezone(tz).date()
        if slot_day == day or slot_day not in course_days:
            by_day.setdefault(slot_day, []).append(slot)
    out = []
    for slot_day in sorted(by_day)[:3]:

        def distance(slot: dict[str, Any]) -> int:
            t = slot["starts_at"].astimezone(tz)
            return abs(t.hour * 60 + t.minute - wanted)

        best = min(by_day[slot_day], key=distance)
        out.append(
            {
                "starts_at": best["starts_at"],
                "local_start": best["local_start"],
                "therapist_id": best["therapist_id"],
            }
        )
    return out


def _preview_row(
    req: _Request,
    *,
    index: int,
    missing: str,
    due_measures: list[str],
    tz: Any,
    closed: Mapping[date, str],
    course_days: set[date],
) -> dict[str, Any]:
    """One date of the series: can it be booked, and if not, why and what could take its place."""
    time_errors, conflicts = _check_time(req, closed=closed)
    # A certification that expires during the course: the dates after it are not bookable with this therapist.
    unqualified = _qualification_errors(
        req.therapist, req.service, req.plan, on=req.starts_at.astimezone(tz).date()
    ).get("therapist_id", "")
    problem = (
        missing
        or time_errors.get("starts_at")
        or unqualified
        or (_conflict_message(conflicts) if conflicts else "")
    )
    if req.starts_at < timezone.now():
        problem = "this date and time has already passed"
    alternatives = (
        _alternatives(
            client=req.client,
            service=req.service,
            therapist=req.therapist,
            starts_at=req.starts_at,
            tz=tz,
            course_days=course_days,
        )
        if problem
        else []
    )
    return {
        "index": index,
        "starts_at": req.starts_at,
        "local_start": req.starts_at.astimezone(tz).isoformat(),
        "ok": not problem,
        "problem": problem,
        "closed": closed.get(req.starts_at.astimezone(tz).date(), ""),
        "alternatives": alternatives,
        "due_measures": due_measures,
    }


def series_preview(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    first_date: date,
    local_time: time,
    count: int | None = None,
    plan_id: int | None = None,
    room_id: int | None = None,
    weekdays: list[int] | None = None,
) -> dict[str, Any]:
    """Every date of a course (the plan's sessions a week on `weekdays`; one a week on the first date's
    weekday without a plan) with whether it can be booked and, if not, why (a closure, a taken time, outside
    hours, a time the clocks skip) and which free times nearby could take its place."""
    require_scheduling(actor)
    check_may_book(actor, client)
    errors: dict[str, str] = {}
    therapist, service, room, plan = _resolve(
        actor=actor,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        room_id=room_id,
        plan_id=plan_id,
        errors=errors,
    )
    count, already = _series_count(plan, count, errors)
    days = _weekdays(weekdays, first_date=first_date, plan=plan, errors=errors)
    if errors or therapist is None or service is None:  # neither is None without an error
        raise FieldErrors(errors)
    errors.update(_qualification_errors(therapist, service, plan, on=first_date))
    errors.update(_therapist_access_errors(actor, client, therapist))
    if errors:
        raise FieldErrors(errors)
    tz = clinic_tz(client.clinic)
    if first_date < timezone.localdate(timezone=tz):
        raise FieldErrors({"first_date": "cannot be in the past"})
    rule = course_rule(first_date, local_time, days, count)
    occurrences = _occurrences(rule, local_time, tz)
    local_days = [s.astimezone(tz).date() for s, _ in occurrences]
    # The closures of the whole course in one read (a late session may end past midnight: one more day).
    closed = closed_days(client.clinic, local_days[0], local_days[-1] + timedelta(days=1))
    course_days = set(local_days)
    rows = [
        _preview_row(
            _request(
                client=client, therapist=therapist, service=service, room=room, plan=plan, starts_at=starts_at
            ),
            index=index,
            missing=missing,
            due_measures=_due_measures(plan, already + index),
            tz=tz,
            closed=closed,
            course_days=course_days,
        )
        for index, (starts_at, missing) in enumerate(occurrences)
    ]
    flags = open_flags(client)
    stops = _stop_flags(client, service.modality, flags)
    return {
        "count": count,
        "weekdays": days,
        "rule": course_rule_text(rule, tz),
        "bookable": sum(1 for r in rows if r["ok"]),
        "conflicts": sum(1 for r in rows if not r["ok"]),
        "rows": rows,
        "blocked_by_stop_flags": [f.title for f in stops]
        if _sees_record(actor, client.pk)
        else (["a safety hold"] if stops else []),
        "warnings": _clearance_warnings(client, flags, actor),
    }


def _check_replacements(preview: dict[str, Any], replacements: dict[int, datetime], *, skip: bool) -> None:
    """A replacement for a session the series does not have is a 422; a conflicting date neither replaced
    nor skipped makes the whole series a 409 listing each one with its alternatives."""
    unknown = sorted(set(replacements) - {r["index"] for r in preview["rows"]})
    if unknown:
        raise FieldErrors(
            {
                f"replacements.{i}": f"the series has no session {i} (0 to {preview['count'] - 1})"
                for i in unknown
            }
        )
    unresolved = [r for r in preview["rows"] if not r["ok"] and r["index"] not in replacements]
    if unresolved and not skip:
        raise BookingConflictError(
            {"series": f"{len(unresolved)} of {preview['count']} dates conflict; nothing was booked"},
            [
                {
                    "index": r["index"],
                    "starts_at": r["starts_at"],
                    "local_start": r["local_start"],
                    "problem": r["problem"],
                    "closed": r["closed"],
                    "alternatives": r["alternatives"],
                }
                for r in unresolved
            ],
        )


def _book_rows(
    *,
    actor: User,
    series: Series,
    rows: list[dict[str, Any]],
    replacements: dict[int, datetime],
    room: Room | None,
    plan: CarePlan | None,
    tz: Any,
) -> tuple[list[Appointment], list[int]]:
    """Insert the series' appointments (a replacement's time instead of its date's), checked again now: each
    one books or the whole series rolls back. Returns the booked appointments and the skipped indexes."""
    booked, skipped = [], []
    wanted: list[tuple[dict[str, Any], datetime]] = []
    for row in rows:
        starts_at = row["starts_at"]
        key = f"replacements.{row['index']}"
        if row["index"] in replacements:
            starts_at = localtime.to_utc(replacements[row["index"]], tz, field=key)
        elif not row["ok"]:
            skipped.append(row["index"])
            continue
        wanted.append((row, starts_at))
    local_days = sorted(s.astimezone(tz).date() for _, s in wanted)
    closed = (
        closed_days(series.client.clinic_id, local_days[0], local_days[-1] + timedelta(days=1))
        if wanted
        else {}
    )
    for row, starts_at in wanted:
        key = f"replacements.{row['index']}"
        req = _request(
            client=series.client,
            therapist=series.therapist,
            service=series.service,
            room=room,
            plan=plan,
            starts_at=starts_at,
        )
        errors, conflicts = _check_time(req, closed=closed)
        if starts_at < timezone.now():
            raise FieldErrors({key: "cannot be in the past"})
        if errors:
            raise FieldErrors({key: errors["starts_at"]})
        if conflicts:
            raise BookingConflictError({key: _conflict_message(conflicts)}, conflicts)
        booked.append(
            _insert(req, actor=actor, series=series, index=row["index"], due_measures=row["due_measures"])
        )
    return booked, skipped


@transaction.atomic
def series_book(
    *,
    actor: User,
    client: Client,
    therapist_id: int | None,
    service_id: int | None,
    first_date: date,
    local_time: time,
    count: int | None = None,
    plan_id: int | None = None,
    room_id: int | None = None,
    skip_conflicts: bool = False,
    replacements: dict[int, datetime] | None = None,
    weekdays: list[int] | None = None,
) -> dict[str, Any]:
    """Book a course (series_preview's dates) whole, or not at all: a date that cannot be booked makes it a
    409 listing each such date with its alternatives, unless it is replaced (`replacements` maps its index to
    another start, e.g. one of the offered alternatives) or, with skip_conflicts, left out (and listed in
    `skipped`). The series keeps its rule (weekdays and RFC 5545 text)."""
    preview = series_preview(
        actor=actor,
        client=client,
        therapist_id=therapist_id,
        service_id=service_id,
        first_date=first_date,
        local_time=local_time,
        count=count,
        plan_id=plan_id,
        room_id=room_id,
        weekdays=weekdays,
    )
    if therapist_id is None or service_id is None:  # never: the preview refuses a missing one (422)
        raise FieldErrors({"therapist_id" if therapist_id is None else "service_id": "choose one"})
    if preview["blocked_by_stop_flags"]:
        raise SessionBlockedError(_stop_flags(client, Service.objects.get(pk=service_id).modality))
    replacements = replacements or {}
    _check_replacements(preview, replacements, skip=skip_conflicts)
    room = Room.objects.get(pk=room_id) if room_id else None
    plan = CarePlan.objects.get(pk=plan_id) if plan_id else None
    series = Series.objects.create(
        plan=plan,
        client=client,
        therapist=Therapist.objects.get(pk=therapist_id),
        service=Service.objects.get(pk=service_id),
        weekday=preview["weekdays"][0],
        weekdays=preview["weekdays"],
        rule=preview["rule"],
        local_time=local_time,
        first_date=first_date,
        count=preview["count"],
        created_by=actor,
    )
    booked, skipped = _book_rows(
        actor=actor,
        series=series,
        rows=preview["rows"],
        replacements=replacements,
        room=room,
        plan=plan,
        tz=clinic_tz(client.clinic),
    )
    audit_record(
        actor=actor,
        action="create",
        obj=series,
        summary=f"Series booked: {len(booked)} sessions, {len(skipped)} skipped",
        changes={"rule": [None, series.rule], "skipped": [None, skipped]},
    )
    if booked:
        _booking_access_grant(actor=actor, appointment=booked[0])
    tz = clinic_tz(client.clinic)
    by_index = {r["index"]: r for r in preview["rows"]}
    skipped_dates = [
        f"{by_index[i]['starts_at'].astimezone(tz):%a %d %b %Y %H:%M} ({by_index[i]['problem']})"
        for i in skipped
    ]
    return {
        "series": series,
        "appointments": booked,
        "skipped": skipped,
        "skipped_dates": skipped_dates,
        "warnings": preview["warnings"],
    }


@transaction.atomic
def series_reschedule_rest(
    *,
    actor: User,
    appointment: Appointment,
    local_time: time,
    weekday: int | None = None,
) -> list[Appointment]:
    """Move this appointment and every later booked one of its series to a new local time (and weekday).
    All of them move, or none."""
    require_scheduling(actor)
    if appointment.series is None:
        raise FieldErrors({"appointment": "this appointment is not part of a series"})
    _require_movable(appointment)
    if weekday is not None and not 0 <= weekday <= 6:
        raise FieldErrors({"weekday": "must be 0 (Monday) to 6 (Sunday)"})
    if weekday is not None and len(appointment.series.weekdays) > 1:
        names = " and ".join(WEEKDAY_NAMES[d] for d in appointment.series.weekdays)
        raise FieldErrors(
            {
                "weekday": f"this course has sessions on {names}: one weekday cannot take them all; "
                "move the time only, or move sessions one by one"
            }
        )
    tz = clinic_tz(appointment.clinic)
    rest = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(
            series=appointment.series,
            status=Appointment.Status.BOOKED,
            starts_at__gte=appointment.starts_at,
        )
        .select_related("client__clinic", "service", "plan", "therapist")
        .order_by("starts_at")
    )
    moved = []
    for item in rest:
        local_day = item.starts_at.astimezone(tz).date()
        if weekday is not None:
            local_day += timedelta(days=weekday - local_day.weekday())
        new_start = localtime.combine_to_utc(local_day, local_time, tz, field="local_time")
        if new_start < timezone.now():
            raise FieldErrors({"local_time": f"the session of {local_day} would move into the past"})
        try:
            _move(item, actor=actor, starts_at=new_start)
        except FieldErrors as exc:
            raise FieldErrors(
                {f"appointments.{item.id}": f"{local_day}: {m}" for m in exc.errors.values()}
            ) from None
        except BookingConflictError as exc:
            raise BookingConflictError(
                {f"appointments.{item.id}": f"{local_day}: {m}" for m in exc.errors.values()}, exc.conflicts
            ) from None
        moved.append(item)
    series = appointment.series
    series.local_time = local_time
    if weekday is not None:
        series.weekday = weekday
        series.weekdays = [weekday]
    if series.rule:  # the rule the dates now follow (the same dates' count, the new time and weekday)
        series.rule = course_rule_text(
            course_rule(series.first_date, local_time, series.weekdays or [series.weekday], series.count), tz
        )
    series.save(update_fields=["local_time", "weekday", "weekdays", "rule", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=series,
        summary=f"Rest of series moved ({len(moved)})",
    )
    return moved
