"""A therapist's weekly working hours and their exceptions (time off, extra hours)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_scheduling
from nervecare.core.services import audit_record
from nervecare.scheduling import availability
from nervecare.scheduling.models import AvailabilityException, WorkingHours
from nervecare.scheduling.selectors import clinic_tz


@transaction.atomic
def working_hours_set(
    *, actor: User, therapist: Therapist, hours: list[dict[str, Any]]
) -> list[WorkingHours]:
    """Replace a therapist's weekly hours: [{"weekday": 0-6, "start": time, "end": time}, ...]. A row with
    "every_weeks": 2 and an "anchor_date" applies in alternate weeks: the anchor's week and every second week."""
    require_scheduling(actor)
    if actor.role not in (User.Role.ADMIN,) and getattr(actor, "therapist", None) != therapist:
        raise FieldErrors({"therapist_id": "only an admin or the therapist may change these hours"})
    errors: dict[str, str] = {}
    rows = []
    for i, h in enumerate(hours):
        if not 0 <= h["weekday"] <= 6:
            errors[f"hours[{i}].weekday"] = "must be 0 (Monday) to 6 (Sunday)"
        if h["start"] >= h["end"]:
            errors[f"hours[{i}].end"] = "the end must be after the start"
        every = h.get("every_weeks") or 1
        anchor = h.get("anchor_date")
        if every not in (1, 2):
            errors[f"hours[{i}].every_weeks"] = "must be 1 (every week) or 2 (alternate weeks)"
        elif every == 2 and anchor is None:
            errors[f"hours[{i}].anchor_date"] = "give a date in a week these alternate-week hours apply"
        rows.append(
            WorkingHours(
                therapist=therapist,
                weekday=h["weekday"],
                start=h["start"],
                end=h["end"],
                every_weeks=every,
                anchor_date=anchor if every == 2 else None,
            )
        )
    for i, a in enumerate(rows):
        for j, b in enumerate(rows[:i]):
            if a.weekday == b.weekday and a.start < b.end and b.start < a.end and _same_weeks(a, b):
                errors[f"hours[{i}]"] = f"overlaps hours[{j}]"
    if errors:
        raise FieldErrors(errors)
    WorkingHours.objects.filter(therapist=therapist).delete()
    WorkingHours.objects.bulk_create(rows)
    audit_record(actor=actor, action="update", obj=therapist, summary="Working hours changed")
    return rows


def _same_weeks(a: WorkingHours, b: WorkingHours) -> bool:
    """Whether two rows can apply in the same week (alternate weeks of opposite parity never do)."""
    if a.every_weeks == 1 or b.every_weeks == 1 or a.anchor_date is None or b.anchor_date is None:
        return True
    return availability.week_applies(a.anchor_date, 2, b.anchor_date)


@transaction.atomic
def exception_add(
    *, actor: User, therapist: Therapist, kind: str, starts_at: datetime, ends_at: datetime, note: str = ""
) -> AvailabilityException:
    require_scheduling(actor)
    tz = clinic_tz(therapist.clinic)
    # No offset: the clinic's local time.
    starts_at = localtime.to_utc(starts_at, tz, field="starts_at")
    ends_at = localtime.to_utc(ends_at, tz, field="ends_at")
    errors: dict[str, str] = {}
    if kind not in AvailabilityException.Kind.values:
        errors["kind"] = "must be time_off or extra"
    if starts_at >= ends_at:
        errors["ends_at"] = "the end must be after the start"
    if errors:
        raise FieldErrors(errors)
    exception = AvailabilityException.objects.create(
        therapist=therapist, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note[:200]
    )
    audit_record(actor=actor, action="create", obj=exception, summary=f"{kind} added")
    return exception


@transaction.atomic
def exception_remove(*, actor: User, exception: AvailabilityException) -> None:
    """Remove time off or extra hours (the caller fetched it within the actor's clinic)."""
    require_scheduling(actor)
    if actor.role != User.Role.ADMIN and getattr(actor, "therapist", None) != exception.therapist:
        raise FieldErrors({"therapist_id": "only an admin or the therapist may change these hours"})
    audit_record(
        actor=actor,
        action="delete",
        obj=exception,
        summary=f"{exception.kind} removed",
        changes={"starts_at": exception.starts_at.isoformat(), "ends_at": exception.ends_at.isoformat()},
    )
    exception.delete()
