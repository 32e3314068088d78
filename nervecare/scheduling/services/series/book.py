"""Booking a series whole (or not at all) and moving the rest of a series to a new time or weekday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

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
from nervecare.scheduling.selectors import clinic_tz, closed_days
from nervecare.scheduling.services.access import _booking_access_grant
from nervecare.scheduling.services.booking import _insert, _move, _require_movable
from nervecare.scheduling.services.checks import (
    BookingConflictError,
    SessionBlockedError,
    _check_time,
    _conflict_message,
    _request,
    _stop_flags,
)
from nervecare.scheduling.services.series.dates import WEEKDAY_NAMES, course_rule, course_rule_text
from nervecare.scheduling.services.series.preview import _check_replacements, series_preview


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
