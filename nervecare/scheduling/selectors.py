"""Reads for scheduling: who works when, what is booked, free slots, plan progress."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_booking, clients_bookable_by
from nervecare.core import localtime
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.plans.models import CarePlan
from nervecare.scheduling import availability
from nervecare.scheduling.models import (
    BLOCKING_STATUSES,
    Appointment,
    AvailabilityException,
    Closure,
    Room,
    Service,
    WorkingHours,
    expired_hold_q,
)


def clinic_tz(clinic: Clinic) -> ZoneInfo:
    return ZoneInfo(clinic.timezone)


def closed_days(clinic: Clinic | int, start: date, end: date) -> dict[date, str]:
    """Every local date from `start` to `end` (both included) on which the clinic is closed, with the name of
    the closure (a closure the clinic entered, or a public holiday stored as one; two on one day are joined).
    Nothing is offered or booked on these days: availability leaves them out and every booking path refuses
    them (closed_message)."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    out: dict[date, list[str]] = {}
    for starts_on, ends_on, name in (
        Closure.objects.filter(clinic_id=clinic_id, starts_on__lte=end, ends_on__gte=start)
        .order_by("starts_on", "name")
        .values_list("starts_on", "ends_on", "name")
    ):
        day = max(starts_on, start)
        while day <= min(ends_on, end):
            out.setdefault(day, []).append(name)
            day += timedelta(days=1)
    return {day: " / ".join(names) for day, names in sorted(out.items())}


def closed_message(day: date, name: str) -> str:
    """What a refused booking on a closed day says: the date and the closure's name."""
    return f"the clinic is closed on {day:%A %d %B %Y} ({name}): choose another day"


def client_get_for_scheduling(user: User, client_id: int) -> Client:
    """A client the user may book (front desk and admins: any of their clinic, contact and bookings only; a
    therapist: only clients whose record they see); 404 otherwise, as for a record they cannot see."""
    return client_get_for_booking(user, client_id)


def appointment_get_for_user(user: User, appointment_id: int) -> Appointment:
    require_scheduling(user)
    appointment = (
        Appointment.objects.select_related(
            "client", "therapist", "service", "room", "clinic", "plan", "series"
        )
        .filter(pk=appointment_id, clinic_id=clinic_id_of(user))
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def appointments_in_range(
    clinic_id: int,
    start: datetime,
    end: datetime,
    *,
    therapist_id: int | None = None,
    room_id: int | None = None,
    client_id: int | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(
        clinic_id=clinic_id, starts_at__lt=end, blocked_until__gt=start, client__deleted_at__isnull=True
    ).select_related("client", "therapist", "service", "room")
    if therapist_id:
        qs = qs.filter(therapist_id=therapist_id)
    if room_id:
        qs = qs.filter(room_id=room_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    if not include_cancelled:
        qs = qs.filter(status__in=BLOCKING_STATUSES).exclude(expired_hold_q(timezone.now()))
    return qs.order_by("starts_at", "id")


def busy_intervals(
    *,
    therapist_id: int | None = None,
    room_id: int | None = None,
    client_id: int | None = None,
    start: datetime,
    end: datetime,
    exclude_id: int | None = None,
) -> list[tuple[datetime, datetime, datetime, int, int, int | None, int]]:
    """Held time of every non-cancelled appointment of the therapist, room or client that could touch
    [start, end), as (start, end, held_until, id, therapist_id, room_id, client_id): the therapist and room
    are held until held_until (the buffer), the client until the end of the session. An online hold past its
    expiry is free time (busy_and_expired_holds gives its id too)."""
    busy, _expired = busy_and_expired_holds(
        therapist_id=therapist_id,
        room_id=room_id,
        client_id=client_id,
        start=start,
        end=end,
        exclude_id=exclude_id,
    )
    return busy


def busy_and_expired_holds(
    *,
    therapist_id: int | None = None,
    room_id: int | None = None,
    client_id: int | None = None,
    start: datetime,
    end: datetime,
    exclude_id: int | None = None,
    now: datetime | None = None,
) -> tuple[list[tuple[datetime, datetime, datetime, int, int, int | None, int]], list[int]]:
    """busy_intervals, and the ids of the expired online holds in the same span (in one query): a booking
    releases those before it inserts, as PostgreSQL's exclusion constraints still count them until then."""
    now = now or timezone.now()
    cond = Q()
    if therapist_id is not None:
        cond |= Q(therapist_id=therapist_id)
    if room_id is not None:
        cond |= Q(room_id=room_id)
    if client_id is not None:
        cond |= Q(client_id=client_id)
    qs = Appointment.objects.filter(
        cond, status__in=BLOCKING_STATUSES, starts_at__lt=end, blocked_until__gt=start
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    busy: list[tuple[datetime, datetime, datetime, int, int, int | None, int]] = []
    expired: list[int] = []
    for s, e, held_until, pk, t_id, r_id, c_id, status, hold_expires_at in qs.values_list(
        "starts_at",
        "ends_at",
        "blocked_until",
        "id",
        "therapist_id",
        "room_id",
        "client_id",
        "status",
        "hold_expires_at",
    ):
        if status == Appointment.Status.HELD and hold_expires_at is not None and hold_expires_at <= now:
            expired.append(pk)
        else:
            busy.append((s, e, held_until, pk, t_id, r_id, c_id))
    return busy, expired


def therapist_working_intervals(
    therapist: Therapist, day: date, tz: ZoneInfo, *, closed: Mapping[date, str] | None = None
) -> list[tuple[datetime, datetime]]:
    """When the therapist works on one local day: none on a day the clinic is closed (`closed`, from
    closed_days, when the caller already has it), else the hours of that weekday (of this week, for
    alternate-week hours) plus extra hours minus time off."""
    if closed is None:
        closed = closed_days(therapist.clinic_id, day, day)
    if day in closed:
        return []
    # One therapist: the model's order (therapist's name, weekday, start) is weekday and start, without the
    # join to the therapist the name would need.
    rows = list(
        WorkingHours.objects.filter(therapist=therapist, weekday=day.weekday())
        .order_by("weekday", "start")
        .values_list("weekday", "start", "end", "every_weeks", "anchor_date")
    )
    day_start = localtime.boundary_to_utc(day, datetime.min.time(), tz)
    day_end = day_start + timedelta(days=1, hours=2)
    exceptions = list(
        AvailabilityException.objects.filter(
            therapist=therapist, starts_at__lt=day_end, ends_at__gt=day_start - timedelta(hours=2)
        ).values_list("kind", "starts_at", "ends_at")
    )
    return availability.working_intervals(
        day=day,
        tz=tz,
        hours=availability.hours_on(day, rows),
        extra=[(s, e) for kind, s, e in exceptions if kind == AvailabilityException.Kind.EXTRA],
        time_off=[(s, e) for kind, s, e in exceptions if kind == AvailabilityException.Kind.TIME_OFF],
    )


def qualified_therapists(
    clinic_id: int, service: Service, plan: CarePlan | None = None, *, on: date | None = None
) -> list[Therapist]:
    """Active therapists with the service's training and, for a plan, its training and years, valid on `on`
    (the session's local date; today when not given). A certification counts only until its expiry: a
    therapist whose training ends before the session's date is not offered for it (free_slots also leaves
    out the days after it expires)."""
    needed = set(service.required_certifications)
    min_years = 0
    if plan is not None:
        needed |= set(plan.required_certifications)
        min_years = plan.required_min_years
    day = on or timezone.localdate()
    return [
        t
        for t in Therapist.objects.filter(clinic_id=clinic_id, active=True).prefetch_related("working_hours")
        if needed <= set(t.certifications_on(day)) and t.years_experience >= min_years
    ]


def free_slots(
    *,
    clinic: Clinic,
    service: Service,
    start: date,
    end: date,
    therapists: list[Therapist],
    limit: int = 10,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The next `limit` free starts for the service, across the given therapists, between two local dates.
    Never on a day the clinic is closed (closed_days); alternate-week hours only in their weeks."""
    tz = clinic_tz(clinic)
    now = now or timezone.now()
    range_start = localtime.boundary_to_utc(start, datetime.min.time(), tz)
    range_end = localtime.boundary_to_utc(end + timedelta(days=1), datetime.min.time(), tz)
    ids = [t.id for t in therapists]
    busy_by_therapist: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    for therapist_id, s, e in (
        Appointment.objects.filter(
            therapist_id__in=ids,
            status__in=BLOCKING_STATUSES,
            starts_at__lt=range_end,
            blocked_until__gt=range_start,
        )
        .exclude(expired_hold_q(now))
        .values_list("therapist_id", "starts_at", "blocked_until")
    ):
        busy_by_therapist[therapist_id].append((s, e))
    exceptions: dict[int, list[AvailabilityException]] = {i: [] for i in ids}
    for exc in AvailabilityException.objects.filter(
        therapist_id__in=ids, starts_at__lt=range_end, ends_at__gt=range_start
    ):
        exceptions[exc.therapist_id].append(exc)
    hours: dict[int, list[tuple[Any, ...]]] = {i: [] for i in ids}
    for h in WorkingHours.objects.filter(therapist_id__in=ids):
        hours[h.therapist_id].append((h.weekday, h.start, h.end, h.every_weeks, h.anchor_date))
    closed = closed_days(clinic, start, end)
    needed = set(service.required_certifications)
    slots: list[dict[str, Any]] = []
    day = start
    while day <= end and len(slots) < limit:
        if day in closed:
            day += timedelta(days=1)
            continue
        day_slots = []
        for therapist in therapists:
            if not needed <= set(therapist.certifications_on(day)):
                continue  # the training the service needs has expired by this day
            working = availability.working_intervals(
                day=day,
                tz=tz,
                hours=availability.hours_on(day, hours[therapist.id]),
                extra=[(e.starts_at, e.ends_at) for e in exceptions[therapist.id] if e.kind == "extra"],
                time_off=[(e.starts_at, e.ends_at) for e in exceptions[therapist.id] if e.kind == "time_off"],
            )
            for t in availability.free_starts(
                working=working,
                busy=busy_by_therapist[therapist.id],
                minutes=service.minutes,
                buffer_minutes=service.buffer_minutes,
                not_before=now,
            ):
                day_slots.append(
                    {"starts_at": t, "therapist_id": therapist.id, "therapist": therapist.display_name}
                )
                if len(day_slots) >= limit:
                    break
        day_slots.sort(key=lambda s: (s["starts_at"], s["therapist"]))
        slots.extend(day_slots[: limit - len(slots)])
        day += timedelta(days=1)
    for slot in slots:
        slot["ends_at"] = slot["starts_at"] + timedelta(minutes=service.minutes)
        slot["local_start"] = slot["starts_at"].astimezone(tz).isoformat()
    return slots


def plan_progress(plan: CarePlan) -> dict[str, Any]:
    """Sessions done, booked and remaining for a plan, and the next re-evaluation visit."""
    total = plan.course_weeks * plan.sessions_per_week
    appointments = list(plan.appointments.exclude(status="cancelled").order_by("starts_at"))
    done = sum(1 for a in appointments if a.status == "completed")
    booked = sum(1 for a in appointments if a.status in ("booked", "checked_in"))
    no_show = sum(1 for a in appointments if a.status == "no_show")
    next_reeval = next(
        (a for a in appointments if a.due_measures and a.status in ("booked", "checked_in")), None
    )
    return {
        "total": total,
        "done": done,
        "booked": booked,
        "no_show": no_show,
        "remaining": max(total - done - booked, 0),
        "next_reevaluation": (
            {
                "appointment_id": next_reeval.id,
                "starts_at": next_reeval.starts_at,
                "measures": next_reeval.due_measures,
            }
            if next_reeval
            else None
        ),
    }


def services_for_clinic(clinic_id: int) -> QuerySet[Service]:
    return Service.objects.filter(clinic_id=clinic_id, active=True)


def rooms_for_clinic(clinic_id: int) -> QuerySet[Room]:
    return Room.objects.filter(clinic_id=clinic_id, active=True)


def clients_for_booking(user: User, search: str = "") -> list[dict[str, Any]]:
    """What the front desk needs to book: names, contact, and each active plan's sessions left (no clinical
    detail), for the clients the user may book (clients_bookable_by) only."""
    require_scheduling(user)
    qs = clients_bookable_by(user).order_by("last_name", "first_name")
    if search:
        qs = qs.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(email__icontains=search)
        )
    rows = []
    for client in qs.prefetch_related("plans")[:200]:
        plans = [p for p in client.plans.all() if p.status == CarePlan.Status.ACTIVE]
        rows.append(
            {
                "id": client.id,
                "first_name": client.first_name,
                "last_name": client.last_name,
                "email": client.email,
                "phone": client.phone,
                "active_plans": [
                    {
                        "plan_id": p.id,
                        "session_minutes": p.session_minutes,
                        "therapist_id": p.therapist_id,
                        **{
                            k: v
                            for k, v in plan_progress(p).items()
                            if k in ("total", "done", "booked", "remaining")
                        },
                    }
                    for p in plans
                ],
            }
        )
    return rows


def client_contacts(user: User, search: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The front desk's client search: every word of `search` must match a first or last name, the email or
    the phone. Contact details and the next session only, never clinical content; only clients the user may
    book (clients_bookable_by)."""
    require_scheduling(user)
    qs = clients_bookable_by(user)
    for word in search.split()[:5]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in qs.order_by("last_name", "first_name", "id").values(
            "id", "first_name", "last_name", "date_of_birth", "email", "phone"
        )[:limit]
    ]
    upcoming: dict[int, datetime] = {}
    for client_id, starts_at in (
        Appointment.objects.filter(
            client_id__in=[r["id"] for r in rows],
            starts_at__gte=timezone.now(),
            status__in=("booked", "checked_in"),
        )
        .order_by("starts_at")
        .values_list("client_id", "starts_at")
    ):
        upcoming.setdefault(client_id, starts_at)
    for row in rows:
        row["next_appointment"] = upcoming.get(row["id"])
    return rows


def record_card_upcoming(user: User, client: Client) -> dict[str, Any]:
    """The record page's sessions card: the next five sessions booked (not cancelled)."""
    return {
        "upcoming": list(
            client.appointments.filter(starts_at__gte=timezone.now())
            .exclude(status="cancelled")
            .exclude(expired_hold_q(timezone.now()))
            .select_related("therapist")
            .order_by("starts_at")[:5]
        )
    }


def plan_page_progress(plan: CarePlan) -> dict[str, Any]:
    """What the plan page shows of the course's progress (plans/hooks.py)."""
    return {"progress": plan_progress(plan)}
