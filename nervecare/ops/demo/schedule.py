"""Demo schedule: services, rooms, working hours, and weekly series for every active plan.

Past weeks are history (completed sessions, written directly as records of what happened); the coming weeks
are booked through the booking service like any front desk would.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import holidays
from django.db import transaction
from django.utils import timezone

from nervecare.core import localtime
from nervecare.core.models import Clinic, Therapist, User
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment, Closure, Room, Service, WorkingHours
from nervecare.scheduling.selectors import clinic_tz
from nervecare.scheduling.services import series_book

SERVICES = [
    # code, name, modality, minutes, buffer, certifications
    ("swedish-60", "60-min Swedish massage", "swedish", 60, 15, []),
    ("mld-60", "60-min manual lymphatic drainage", "mld", 60, 15, ["mld"]),
    ("hand-foot-30", "30-min hand-and-foot massage", "swedish", 30, 10, []),
]
SLOTS = [dt.time(9, 0), dt.time(10, 15), dt.time(11, 30), dt.time(13, 30), dt.time(14, 45), dt.time(16, 0)]
PAST_WEEKS = 8  # two re-evaluation points (weeks 4 and 8) already passed: outcomes have data


def seed_schedule(clinic: Clinic, actor: User, rng: random.Random) -> int:
    """Returns the number of appointments created (0 when the demo schedule already exists)."""
    _seed_catalogue(clinic)
    tz = clinic_tz(clinic)
    today = timezone.localdate(timezone=tz)
    _seed_closures(clinic, actor, today)
    if Appointment.objects.filter(clinic=clinic).exists():
        return 0
    taken: set[tuple[int, int, int]] = set()
    created = 0
    plans = (
        CarePlan.objects.filter(client__clinic=clinic, status=CarePlan.Status.ACTIVE)
        .select_related("therapist", "client")
        .order_by("id")
    )
    for plan in plans:
        service = Service.objects.get(
            clinic=clinic, code="mld-60" if plan.modality == "mld" else "swedish-60"
        )
        therapist = plan.therapist
        workdays = sorted(therapist.working_hours.values_list("weekday", flat=True).distinct())
        choice = next(
            (
                (d, s)
                for d in rng.sample(workdays, len(workdays))
                for s in rng.sample(range(len(SLOTS)), len(SLOTS))
                if (therapist.id, d, s) not in taken
            ),
            None,
        )
        if choice is None:
            continue
        weekday, slot = choice
        taken.add((therapist.id, weekday, slot))
        local_time = SLOTS[slot]
        next_day = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
        if localtime.boundary_to_utc(next_day, local_time, tz) <= timezone.now():
            next_day += dt.timedelta(weeks=1)
        created += _book_plan(clinic, plan, actor, service, next_day, local_time, tz)
    return created


TRAINING_DAY = "Staff training day"


def _seed_closures(clinic: Clinic, actor: User, today: dt.date) -> None:
    """A closure the clinic entered (a staff training day on the first weekday at least ten days ahead) and
    the next three public holidays of England (the `holidays` library), so that closed days show in the
    calendar and in the courses booked around them. Once: a second run adds nothing."""
    if not Closure.objects.filter(clinic=clinic, name=TRAINING_DAY).exists():
        day = today + dt.timedelta(days=10)
        while day.weekday() > 4:
            day += dt.timedelta(days=1)
        Closure.objects.create(clinic=clinic, starts_on=day, ends_on=day, name=TRAINING_DAY, created_by=actor)
    if Closure.objects.filter(clinic=clinic, source=Closure.Source.HOLIDAY).exists():
        return
    calendar = holidays.country_holidays(
        clinic.country or "GB", subdiv=clinic.subdivision or "ENG", years=[today.year, today.year + 1]
    )
    upcoming = sorted((day, name) for day, name in calendar.items() if day > today)[:3]
    for day, name in upcoming:
        Closure.objects.get_or_create(
            clinic=clinic,
            starts_on=day,
            name=name,
            defaults={"ends_on": day, "source": Closure.Source.HOLIDAY, "created_by": actor},
        )


def _seed_catalogue(clinic: Clinic) -> None:
    """The demo services and rooms, and working hours for each therapist who has none."""
    for code, name, modality, minutes, buffer, certs in SERVICES:
        Service.objects.get_or_create(
            clinic=clinic,
            code=code,
            defaults={
                "name": name,
                "modality": modality,
                "minutes": minutes,
                "buffer_minutes": buffer,
                "required_certifications": certs,
                # Services any trained therapist gives are offered on the public booking page.
                "bookable_online": not certs,
            },
        )
    if not clinic.online_booking_enabled:  # the demo shows the public booking page (/book/<slug>/)
        clinic.online_booking_enabled = True
        clinic.save(update_fields=["online_booking_enabled"])
    for name in ("Room 1 (treatment)", "Room 2 (lymphatic drainage)"):
        Room.objects.get_or_create(clinic=clinic, name=name)
    for therapist in Therapist.objects.filter(clinic=clinic):
        if not therapist.working_hours.exists():
            days = range(1, 6) if therapist.display_name.startswith("Tom") else range(5)
            WorkingHours.objects.bulk_create(
                WorkingHours(therapist=therapist, weekday=d, start=dt.time(9), end=dt.time(17, 30))
                for d in days
            )


def _book_plan(
    clinic: Clinic,
    plan: CarePlan,
    actor: User,
    service: Service,
    next_day: dt.date,
    local_time: dt.time,
    tz: ZoneInfo,
) -> int:
    """A plan's past sessions (completed) and the rest of its course (a series); returns how many."""
    therapist = plan.therapist
    total = plan.course_weeks * plan.sessions_per_week
    created = 0
    with transaction.atomic():
        plan.start_date = next_day - dt.timedelta(weeks=PAST_WEEKS)
        plan.save(update_fields=["start_date", "updated_at"])
        for week in range(PAST_WEEKS, 0, -1):  # history: the sessions already done
            day = next_day - dt.timedelta(weeks=week)
            starts_at = localtime.boundary_to_utc(day, local_time, tz)
            ends_at = starts_at + dt.timedelta(minutes=service.minutes)
            Appointment.objects.create(
                clinic=clinic,
                client=plan.client,
                therapist=therapist,
                service=service,
                plan=plan,
                starts_at=starts_at,
                ends_at=ends_at,
                blocked_until=ends_at + dt.timedelta(minutes=service.buffer_minutes),
                status="completed",
                created_by=actor,
            )
            created += 1
        result = series_book(
            actor=actor,
            client=plan.client,
            therapist_id=therapist.id,
            service_id=service.id,
            first_date=next_day,
            local_time=local_time,
            count=total - PAST_WEEKS,
            plan_id=plan.id,
            skip_conflicts=True,
        )
        created += len(result["appointments"])
    return created
