"""Scheduling benchmark: slot search latency and concurrent booking throughput (PostgreSQL).

Builds a clinic of 20 therapists with 12 weeks of bookings in a throw-away database, then
1. times 300 free-slot searches (one therapist or any of the 20, a one- or two-week window),
2. runs booking workers in parallel processes for a fixed time, every worker trying random 60-minute slots
   (many of them overlapping on purpose), and
3. counts double bookings afterwards with SQL (overlapping held time for one therapist): must be 0.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nervecare_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("NERVECARE_TESTING", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings")

THERAPISTS = 20
WEEKS = 12
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
BOOKING_SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
START = dt.date(2030, 1, 7)  # a Monday, far from "now" so nothing is in the past


def setup_django() -> None:
    import django

    django.setup()


def recreate_database() -> None:
    import psycopg

    base = BENCH_URL.rsplit("/", 1)
    name = base[1]
    with psycopg.connect(base[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed() -> dict:
    from zoneinfo import ZoneInfo

    from django.core.management import call_command

    from nervecare.clients.models import Client
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.scheduling import availability
    from nervecare.scheduling.models import Appointment, Service, WorkingHours

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench", timezone="Europe/London")
    tz = ZoneInfo(clinic.timezone)
    service = Service.objects.create(
        clinic=clinic,
        code="swedish-60",
        name="60-min Swedish",
        modality="swedish",
        minutes=60,
        buffer_minutes=15,
    )
    desk = User.objects.create(username="desk", clinic=clinic, role="front_desk")
    therapists = []
    for i in range(THERAPISTS):
        user = User.objects.create(username=f"t{i}", clinic=clinic, role="therapist")
        therapists.append(
            Therapist.objects.create(user=user, clinic=clinic, display_name=f"T{i}", years_experience=5)
        )
    WorkingHours.objects.bulk_create(
        WorkingHours(therapist=t, weekday=d, start=dt.time(9), end=dt.time(18))
        for t in therapists
        for d in range(5)
    )
    clients = Client.objects.bulk_create(
        Client(clinic=clinic, first_name=f"C{i}", last_name="Bench", date_of_birth=dt.date(1960, 1, 1))
        for i in range(600)
    )
    rng = random.Random(1)
    rows = []
    slot_times = [dt.time(9), dt.time(10, 15), dt.time(11, 30), dt.time(13), dt.time(14, 15), dt.time(15, 30)]
    for t in therapists:
        for week in range(WEEKS):
            for day in range(5):
                for at in rng.sample(slot_times, 4):  # about 4 of 6 slots booked: a busy clinic
                    start = availability.local_to_utc(START + dt.timedelta(weeks=week, days=day), at, tz)
                    end = start + dt.timedelta(minutes=60)
                    rows.append(
                        Appointment(
                            clinic=clinic,
                            client=rng.choice(clients),
                            therapist=t,
                            service=service,
                            starts_at=start,
                            ends_at=end,
                            blocked_until=end + dt.timedelta(minutes=15),
                        )
                    )
    Appointment.objects.bulk_create(rows, batch_size=2000)
    return {"clinic_id": clinic.id, "service_id": service.id, "desk_id": desk.id, "appointments": len(rows)}


def bench_slots(info: dict) -> list[float]:
    from nervecare.core.models import Clinic, Therapist
    from nervecare.scheduling.models import Service
    from nervecare.scheduling.selectors import free_slots

    clinic = Clinic.objects.get(pk=info["clinic_id"])
    service = Service.objects.get(pk=info["service_id"])
    therapists = list(Therapist.objects.filter(clinic=clinic))
    rng = random.Random(2)
    timings = []
    for i in range(300):
        day = START + dt.timedelta(days=rng.randrange(0, WEEKS * 7 - 14))
        chosen = therapists if i % 2 else [rng.choice(therapists)]
        t0 = time.perf_counter()
        free_slots(
            clinic=clinic,
            service=service,
            start=day,
            end=day + dt.timedelta(days=rng.choice((6, 13))),
            therapists=chosen,
            limit=10,
            now=dt.datetime(2029, 12, 1, tzinfo=dt.UTC),
        )
        timings.append((time.perf_counter() - t0) * 1000)
    return timings


def booking_worker(args: tuple[dict, int, float, mp.Queue]) -> None:
    info, seed_value, seconds, queue = args
    setup_django()
    from zoneinfo import ZoneInfo

    import time_machine

    from nervecare.clients.models import Client
    from nervecare.core.errors import FieldErrors
    from nervecare.core.models import Therapist, User
    from nervecare.scheduling import availability
    from nervecare.scheduling.services import BookingConflictError, appointment_book

    rng = random.Random(seed_value)
    tz = ZoneInfo("Europe/London")
    desk = User.objects.get(pk=info["desk_id"])
    therapists = list(Therapist.objects.filter(clinic_id=info["clinic_id"]).values_list("id", flat=True))
    clients = list(Client.objects.filter(clinic_id=info["clinic_id"]))
    ok = conflicts = other = 0
    # Book in the 26 weeks after the seeded ones, on a 15-minute grid: workers still collide (a 60-minute
    # session plus buffer overlaps 4 neighbouring starts), but the clinic does not simply fill up.
    # perf_counter is not moved by time_machine (time.time is).
    started = time.perf_counter()
    with time_machine.travel(dt.datetime(2029, 12, 1, tzinfo=dt.UTC), tick=True):
        while time.perf_counter() - started < seconds:
            day = START + dt.timedelta(weeks=WEEKS + rng.randrange(0, 26), days=rng.randrange(0, 5))
            minute = rng.randrange(0, 8 * 60 // 15 + 1) * 15  # 09:00 to 17:00 local: inside the 09-18 hours
            starts_at = availability.local_to_utc(day, dt.time(9), tz) + dt.timedelta(minutes=minute)
            try:
                appointment_book(
                    actor=desk,
                    client=rng.choice(clients),
                    therapist_id=rng.choice(therapists),
                    service_id=info["service_id"],
                    starts_at=starts_at,
                )
                ok += 1
            except BookingConflictError:
                conflicts += 1
            except FieldErrors:
                other += 1
    queue.put((ok, conflicts, other, time.perf_counter() - started))


def count_double_bookings() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
              ON a.therapist_id = b.therapist_id AND a.id < b.id
             AND a.status <> 'cancelled' AND b.status <> 'cancelled'
             AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until
            """
        )
        return cursor.fetchone()[0]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    recreate_database()
    setup_django()
    from django.db import connection

    t0 = time.perf_counter()
    info = seed()
    print(
        f"Seeded {THERAPISTS} therapists, {WEEKS} weeks, {info['appointments']} appointments "
        f"on {connection.vendor} in {time.perf_counter() - t0:.1f} s"
    )
    timings = bench_slots(info)
    print(
        f"Slot search (300 searches, 1 or 20 therapists, 1-2 week window, first 10 slots): "
        f"median {statistics.median(timings):.1f} ms, p95 {pct(timings, 95):.1f} ms, max {max(timings):.1f} ms"
    )
    connection.close()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=booking_worker, args=((info, i, BOOKING_SECONDS, queue),)) for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=BOOKING_SECONDS + 120) for _ in procs]
    for p in procs:
        p.join()
    ok = sum(r[0] for r in results)
    conflicts = sum(r[1] for r in results)
    other = sum(r[2] for r in results)
    attempts = ok + conflicts + other
    elapsed = max(r[3] for r in results)
    print(
        f"Booking with {WORKERS} concurrent processes for {elapsed:.1f} s: {attempts} attempts, "
        f"{ok} booked, {conflicts} refused as conflicts (409), {other} other refusals; "
        f"{attempts / elapsed:.0f} attempts/s, {ok / elapsed:.0f} bookings/s"
    )
    doubles = count_double_bookings()
    print(f"Double bookings found afterwards: {doubles}")
    if doubles:
        sys.exit(1)


if __name__ == "__main__":
    main()
