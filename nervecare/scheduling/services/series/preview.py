"""A series previewed date by date: whether each can be booked and, if not, why and which free times nearby
could take its place; and the check that every conflicting date is replaced or skipped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_scheduling
from nervecare.scheduling.models import Service
from nervecare.scheduling.selectors import clinic_tz, closed_days, free_slots
from nervecare.scheduling.services.checks import (
    BookingConflictError,
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
from nervecare.scheduling.services.series.dates import (
    _due_measures,
    _occurrences,
    _series_count,
    _weekdays,
    course_rule,
    course_rule_text,
)
from nervecare.screening.selectors import open_flags


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
