"""Outcomes benchmark: a synthetic clinic network on SQLite and on PostgreSQL.

Builds N clients (default 10,000; the issue's full size is 100,000: `--clients 100000`) with 24 weekly
sessions each (before/after ratings for pain, numbness and tingling, soreness, a few no-shows, drop-outs and
adverse events), intake screenings and PGIC, then prints the conditions (CPUs, load average, versions) and:
1. one client's dashboard: the outcome numbers, and the whole page with its 7 SVG charts through Django's
   test client, first view (median, p95);
2. the per-client summary table built from scratch (`nervecare outcomes rebuild`), and the cost of keeping
   it fresh after changes;
3. the clinic's cohort aggregates over all clients (responders and mean changes by type, cause, modality,
   therapist and sessions attended) grouped over the summary table in the database ("sql") and in DuckDB;
4. the mixed-effects model (random intercept and slope per client) for `--mixed-clients` clients, in a
   separate process with a time limit, with its convergence flag;
5. the PDF progress report for one client;
6. peak memory (resource.getrusage) of this process and of the model's process.

    uv run python bench/outcomes_bench.py                       # both databases, 10,000 clients
    uv run python bench/outcomes_bench.py --db sqlite --clients 2000
    uv run python bench/outcomes_bench.py --clients 100000 --seed-block 10000 --keep /tmp/ob   # full size

Seeding: `--seed-block B` generates B clients through the ORM and copies them under new ids (INSERT …
SELECT in the database: new clients and new therapists with the same synthetic courses) up to `--clients`;
`--keep DIR` keeps the seeded databases and reuses them on the next run (`--seed-only` to seed and stop).
PostgreSQL: database `nc_outcomes_bench` (BENCH_DATABASE_URL), dropped afterwards unless --keep;
SQLite: a temporary file unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nc_outcomes_bench")
WEEK = dt.timedelta(weeks=1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default=os.environ.get("BENCH_DB", "both"))
    p.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", "10000")))
    p.add_argument("--sessions", type=int, default=int(os.environ.get("BENCH_SESSIONS", "24")))
    p.add_argument("--mixed-clients", type=int, default=int(os.environ.get("BENCH_MIXED_CLIENTS", "10000")))
    p.add_argument(
        "--mixed-time-limit", type=float, default=float(os.environ.get("BENCH_MIXED_LIMIT", "120"))
    )
    p.add_argument("--dashboards", type=int, default=200, help="clients whose dashboard is timed")
    p.add_argument("--repeat", type=int, default=3, help="runs of each cohort engine (median reported)")
    p.add_argument(
        "--keep",
        metavar="DIR",
        default=os.environ.get("BENCH_KEEP"),
        help="keep the seeded databases (SQLite file in DIR; PostgreSQL database not dropped) and reuse them",
    )
    p.add_argument("--seed-only", action="store_true", help="seed (with --keep) and stop")
    p.add_argument(
        "--seed-block",
        type=int,
        default=int(os.environ.get("BENCH_SEED_BLOCK", "0")),
        help="generate this many clients, then copy them under new ids up to --clients (much faster)",
    )
    p.add_argument(
        "--grow",
        action="store_true",
        help="the kept database holds an interrupted seed: use its clients as the block and copy up to --clients",
    )
    return p.parse_args(argv)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def conditions() -> str:
    """What the figures were measured under: the machine is shared, so the load matters."""
    import platform

    from django.db import connection

    one, five, fifteen = os.getloadavg()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs, load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min), "
        f"Python {platform.python_version()}, {connection.vendor} {version}"
    )


# --- Databases -------------------------------------------------------------------------------------------------


def recreate_postgres() -> None:
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres() -> None:
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The synthetic network ------------------------------------------------------------------------------------


def seed(n_clients: int, n_sessions: int) -> dict:
    """One clinic, a therapist per 50 clients, each client a weekly course of n_sessions (in the past)."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from nervecare.clients.models import Client, Condition
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment, Service
    from nervecare.screening.models import InstrumentResponse
    from nervecare.visits.models import AdverseEvent, SessionNote

    call_command("migrate", verbosity=0)
    rng = random.Random(20261126)
    now = timezone.now()
    monday = (now - WEEK * (n_sessions + 2)).replace(hour=7, minute=0, second=0, microsecond=0)
    monday -= dt.timedelta(days=monday.weekday())
    with transaction.atomic():
        clinic = Clinic.objects.create(name="Bench network", slug="bench-network", timezone="UTC")
        service = Service.objects.create(
            clinic=clinic,
            code="swedish-60",
            name="60-min Swedish",
            modality="swedish",
            minutes=60,
            buffer_minutes=15,
        )
        users = User.objects.bulk_create(
            User(username=f"t{i}", clinic=clinic, role="therapist") for i in range(max(1, n_clients // 50))
        )
        therapists = Therapist.objects.bulk_create(
            Therapist(user=u, clinic=clinic, display_name=f"Therapist {i}", years_experience=5)
            for i, u in enumerate(users)
        )
        admin = User.objects.create(username="owner", clinic=clinic, role="admin")
    types = [
        ("peripheral", "diabetes_t2"),
        ("peripheral", "diabetes_t1"),
        ("peripheral", "chemotherapy"),
        ("focal", "injury"),
        ("cranial", "unknown"),
        ("autoimmune", "autoimmune"),
    ]
    batch = 2000
    counts = {"appointments": 0, "notes": 0, "responses": 0}
    for first in range(0, n_clients, batch):
        size = min(batch, n_clients - first)
        with transaction.atomic():
            clients = Client.objects.bulk_create(
                Client(
                    clinic=clinic,
                    first_name=f"Client{first + i}",
                    last_name="Bench",
                    date_of_birth=dt.date(1955 + i % 30, 1 + i % 12, 1 + i % 28),
                )
                for i in range(size)
            )
            conditions, plans, responses = [], [], []
            profile = {}
            for i, c in enumerate(clients):
                idx = first + i
                ntype, cause = types[idx % len(types)]
                base = {m: rng.randint(3, 9) for m in ("pain", "numbness", "tingling")}
                profile[c.id] = (idx, base, rng.random() < 2 / 3, rng.random() < 0.08)  # improving, drops out
                conditions.append(Condition(client=c, type=ntype, cause=cause, **base))
                therapist = therapists[idx // 50 % len(therapists)]
                plans.append(
                    CarePlan(
                        client=c,
                        status="active",
                        modality="mld" if idx % 7 == 0 else "swedish",
                        scope="hand_and_foot",
                        pressure="moderate",
                        session_minutes=60,
                        sessions_per_week=1,
                        course_weeks=n_sessions,
                        reevaluation_weeks=[4, 8, 12, 24],
                        therapist=therapist,
                    )
                )
                for m in ("pain", "numbness", "tingling"):
                    responses.append(
                        InstrumentResponse(
                            client=c,
                            instrument=f"nrs_{m}",
                            definition_version="1.0",
                            definition_sha256="0" * 64,
                            answers={m: base[m]},
                            item_scores={},
                            total=base[m],
                            max_total=10,
                            interpretation={},
                            administered_at=monday - dt.timedelta(days=3),
                            context="intake",
                        )
                    )
            Condition.objects.bulk_create(conditions, batch_size=batch)
            plans = CarePlan.objects.bulk_create(plans, batch_size=batch)
            appointments, notes_data = [], []
            for plan in plans:
                idx, base, improving, drops = profile[plan.client_id]
                slot = idx % 50  # 50 clients per therapist: 8 slots a day, 7 days
                start = monday + dt.timedelta(days=slot // 8, minutes=80 * (slot % 8))
                last = rng.randint(4, n_sessions - 2) if drops else n_sessions
                for w in range(last):
                    status = "no_show" if rng.random() < 0.05 else "completed"
                    at = start + WEEK * w
                    appointments.append(
                        Appointment(
                            clinic=clinic,
                            client_id=plan.client_id,
                            therapist_id=plan.therapist_id,
                            service=service,
                            plan=plan,
                            starts_at=at,
                            ends_at=at + dt.timedelta(minutes=60),
                            blocked_until=at + dt.timedelta(minutes=75),
                            status=status,
                            due_measures=["pgic"] if w + 1 in (12, 24) else [],
                        )
                    )
                    if status == "completed":
                        drift = w / 6 if improving else 0
                        ratings = {}
                        for m in ("pain", "numbness", "tingling"):
                            b = max(0, min(10, round(base[m] - drift + rng.choice((-1, 0, 0, 1)))))
                            ratings[f"{m}_before"] = b
                            ratings[f"{m}_after"] = max(0, b - rng.choice((0, 1, 1, 2)))
                        ratings["soreness_after"] = max(0, 3 - w // 3 + rng.choice((0, 1)))
                        notes_data.append((len(appointments) - 1, plan.client_id, at, ratings))
                        if w + 1 in (12, 24):
                            responses.append(
                                InstrumentResponse(
                                    client_id=plan.client_id,
                                    instrument="pgic",
                                    definition_version="1.0",
                                    definition_sha256="0" * 64,
                                    answers={},
                                    item_scores={},
                                    total=2 if improving else 4,
                                    max_total=7,
                                    interpretation={},
                                    administered_at=at,
                                    context="reevaluation",
                                )
                            )
            appointments = Appointment.objects.bulk_create(appointments, batch_size=batch)
            notes = SessionNote.objects.bulk_create(
                (
                    SessionNote(
                        appointment=appointments[i],
                        client_id=client_id,
                        modality="swedish",
                        pressure="moderate",
                        minutes=60,
                        signed_at=at + dt.timedelta(hours=1),
                        signed_by=admin,
                        **ratings,
                    )
                    for i, client_id, at, ratings in notes_data
                ),
                batch_size=batch,
            )
            AdverseEvent.objects.bulk_create(
                (
                    AdverseEvent(note=n, kind="bruising", severity="mild", description="bench", resolved=True)
                    for n in notes
                    if rng.random() < 0.01
                ),
                batch_size=batch,
            )
            InstrumentResponse.objects.bulk_create(responses, batch_size=batch)
            counts["appointments"] += len(appointments)
            counts["notes"] += len(notes)
            counts["responses"] += len(responses)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would gather in production
        cursor.execute("ANALYZE")
    return {"clinic_id": clinic.id, "admin_id": admin.id, **counts}


def replicate(info: dict, target: int) -> dict:
    """Grow a seeded network to `target` clients by copying its block of clients (with their therapists,
    conditions, plans, appointments, notes, adverse events and screenings) under new ids, in the database
    (INSERT … SELECT): the copies are the same synthetic courses for new clients and new therapists, seeded in a
    fraction of the time that generating them row by row through the ORM takes."""
    from django.db import connection, transaction

    from nervecare.clients.models import Client, Condition
    from nervecare.core.models import Therapist, User
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment
    from nervecare.screening.models import InstrumentResponse
    from nervecare.visits.models import AdverseEvent, SessionNote

    order = [
        User,
        Therapist,
        Client,
        Condition,
        CarePlan,
        Appointment,
        SessionNote,
        AdverseEvent,
        InstrumentResponse,
    ]
    with connection.cursor() as cursor:

        def one(sql: str) -> tuple:
            cursor.execute(sql)
            return cursor.fetchone()

        spans = {}
        for model in order:
            lo, hi = one(f"SELECT MIN(id), MAX(id) FROM {model._meta.db_table}")  # noqa: S608 - model tables
            spans[model] = (lo, hi - lo + 1)
        c_lo, _ = spans[Client]
        block = one(f"SELECT COUNT(*) FROM {Client._meta.db_table}")[0]  # noqa: S608 - a model table
        copies = -(-target // block)
        # Which rows belong to the first `size` clients of the block, per table.
        by_client = {
            Client: "t.id",
            Condition: "t.client_id",
            CarePlan: "t.client_id",
            Appointment: "t.client_id",
            SessionNote: "t.client_id",
            InstrumentResponse: "t.client_id",
        }
        for k in range(1, copies):
            size = min(block, target - k * block)
            with transaction.atomic():
                for model in order:
                    table = model._meta.db_table
                    exprs = []
                    for f in model._meta.concrete_fields:
                        col = f.column
                        if f.primary_key:
                            exprs.append(f"t.{col} + {k * spans[model][1]}")
                        elif (
                            f.is_relation
                            and f.related_model in spans
                            and (f.related_model is not User or model is Therapist)
                        ):
                            exprs.append(f"t.{col} + {k * spans[f.related_model][1]}")
                        elif model is User and col == "username":
                            exprs.append(f"t.{col} || '-{k}'")
                        else:
                            exprs.append(f"t.{col}")
                    if model is User:
                        where = "t.role = 'therapist'"
                    elif model is Therapist:
                        where = "1 = 1"
                    elif model is AdverseEvent:
                        where = (
                            f"t.note_id IN (SELECT id FROM {SessionNote._meta.db_table} "  # noqa: S608 - model tables
                            f"WHERE client_id < {c_lo + size})"
                        )
                    else:
                        where = f"{by_client[model]} < {c_lo + size} AND {by_client[model]} >= {c_lo}"
                    columns = ", ".join(f.column for f in model._meta.concrete_fields)
                    cursor.execute(
                        f"INSERT INTO {table} ({columns}) SELECT {', '.join(exprs)} FROM {table} t "  # noqa: S608 - model tables and ints
                        f"WHERE t.id >= {spans[model][0]} AND t.id < {spans[model][0] + spans[model][1]} AND {where}"
                    )
            print(f"  copy {k} of {copies - 1}: {size:,} clients", flush=True)
        if connection.vendor == "postgresql":
            for model in order:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608 - model tables
                )
        cursor.execute("ANALYZE")
    return info | {
        "appointments": Appointment.objects.count(),
        "notes": SessionNote.objects.count(),
        "responses": InstrumentResponse.objects.count(),
        "replicated_from": block,
    }


# --- Measurements ---------------------------------------------------------------------------------------------


def bench_dashboards(info: dict, samples: int) -> tuple[list[float], list[float]]:
    """One client's dashboard: the outcome numbers alone, and the whole page (GET through Django's test
    client as the clinic's admin: access check, audit record, numbers, the 7 SVG charts, the template), each
    for `samples` clients never shown before (nothing cached)."""
    from django.test import Client as WebClient

    from nervecare.clients.models import Client
    from nervecare.core.models import User
    from nervecare.outcomes.analysis import client_outcomes
    from nervecare.outcomes.selectors import client_data

    ids = list(Client.objects.filter(clinic_id=info["clinic_id"]).values_list("id", flat=True))
    rng = random.Random(3)
    chosen = rng.sample(ids, min(2 * samples, len(ids)))
    client_outcomes(client_data(Client.objects.get(pk=chosen[0])))  # warm up imports
    numbers, pages = [], []
    for cid in chosen[:samples]:
        t0 = time.perf_counter()
        client = Client.objects.select_related("clinic").get(pk=cid)
        client_outcomes(client_data(client))
        numbers.append((time.perf_counter() - t0) * 1000)
    web = WebClient(SERVER_NAME="localhost")
    web.force_login(User.objects.get(pk=info["admin_id"]))
    web.get(f"/clients/{chosen[0]}/outcomes/")  # warm up templates
    for cid in chosen[samples:]:
        t0 = time.perf_counter()
        response = web.get(f"/clients/{cid}/outcomes/")
        pages.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200 and response.content.count(b"<svg") >= 3, response.status_code
    return numbers, pages


def bench_rebuild(info: dict) -> dict:
    """The per-client summary table from scratch (what `nervecare outcomes rebuild` does), then the cost of
    keeping it fresh: 100 clients marked stale by a change, recomputed before the clinic page reads."""
    from django.utils import timezone

    from nervecare.outcomes import summary
    from nervecare.outcomes.models import ClientOutcomeSummary

    out = {}
    if (
        ClientOutcomeSummary.objects.filter(clinic_id=info["clinic_id"], stale=False).count()
        < info["clients"]
    ):
        t0 = time.perf_counter()
        last = [t0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                print(f"  rebuild: {done:,} of {total:,} clients, {last[0] - t0:.0f} s", flush=True)

        summary.rebuild(info["clinic_id"], progress=progress)
        out["rebuild"] = time.perf_counter() - t0
    ids = list(
        ClientOutcomeSummary.objects.filter(clinic_id=info["clinic_id"])
        .order_by("?")
        .values_list("client_id", flat=True)[:100]
    )
    # Marked as a change marks them (the signal's UPDATE), without queueing the job, which here (jobs run inline
    # in this process) would recompute them at once and leave nothing to time.
    ClientOutcomeSummary.objects.filter(client_id__in=ids).update(stale=True, marked_at=timezone.now())
    t0 = time.perf_counter()
    out["refreshed"] = summary.ensure_fresh(info["clinic_id"])
    out["refresh"] = time.perf_counter() - t0
    return out


def bench_cohort(info: dict, repeat: int) -> dict[str, dict[str, float]]:
    """Per engine (where the GROUP BYs over the summary table run): the whole clinic comparison, and again
    with another measure and filter. The summary rows are fresh; nothing is cached."""
    from django.core.cache import cache

    from nervecare.core.models import Clinic
    from nervecare.outcomes import cohort, summary

    clinic = Clinic.objects.get(pk=info["clinic_id"])
    out: dict[str, dict[str, float]] = {}
    for engine in summary.AGG_ENGINES:
        totals, filtered = [], []
        for _ in range(repeat):
            cache.clear()
            t0 = time.perf_counter()
            result = cohort.clinic_outcomes(clinic, engine=engine, with_model=False)
            totals.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            cohort.clinic_outcomes(
                clinic,
                cohort.CohortFilters(measure="numbness", type="peripheral"),
                engine=engine,
                with_model=False,
            )
            filtered.append(time.perf_counter() - t0)
        out[engine] = {
            "total": statistics.median(totals),
            "filtered": statistics.median(filtered),
            "clients": result["overall"]["clients"],
            "evaluable": result["overall"]["evaluable"],
            "responders": result["overall"]["responders"],
            "groups": sum(len(g) for g in result["groups"].values()),
        }
    return out


def _fit_worker(rows, max_iterations: int, queue) -> None:  # noqa: ANN001 - a process entry point
    import numpy as np

    from nervecare.outcomes.mixed import mixed_model_fit

    t0 = time.perf_counter()
    arr = np.asarray(rows, dtype=float)
    fit = mixed_model_fit(arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], max_iterations=max_iterations)
    queue.put(
        {
            "seconds": time.perf_counter() - t0,
            "fitted": fit.get("fitted"),
            "model": fit.get("model", fit.get("note")),
            "converged": fit.get("converged"),
            "slope": (fit["slope"].value, fit["slope"].low, fit["slope"].high) if fit.get("fitted") else None,
            "problems": fit.get("problems", []),
            "peak_mb": peak_mb(),
        }
    )


def bench_mixed(info: dict, n: int, limit: float) -> dict:
    from nervecare.outcomes import cohort_sql, mixed
    from nervecare.outcomes.models import ClientOutcomeSummary
    from nervecare.outcomes.rules import outcome_rules

    ids = list(
        ClientOutcomeSummary.objects.filter(
            clinic_id=info["clinic_id"], pain_baseline__isnull=False, pain_weeks__gte=1
        ).values_list("client_id", flat=True)
    )
    chosen = mixed.sample_clients(ids, n)
    t0 = time.perf_counter()
    rows = cohort_sql.weekly_rows(info["clinic_id"], "pain", client_ids=chosen)
    read = time.perf_counter() - t0
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_fit_worker, args=(rows, outcome_rules().mixed_model.max_iterations, queue))
    started = time.perf_counter()
    proc.start()
    try:
        result = queue.get(timeout=limit)
    except Exception:  # noqa: BLE001 - queue.Empty: the time limit
        proc.kill()
        proc.join()
        return {"clients": len(chosen), "rows": len(rows), "read": read, "timed_out": True, "limit": limit}
    proc.join()
    return {
        "clients": len(chosen),
        "rows": len(rows),
        "read": read,
        "timed_out": False,
        "wall": time.perf_counter() - started,
        **result,
    }


def bench_pdf(info: dict, runs: int = 5) -> tuple[list[float], list[float]]:
    """(cold: charts drawn, warm: charts from the cache) seconds for one client's progress report."""
    from django.core.cache import cache

    from nervecare.clients.models import Client
    from nervecare.outcomes.analysis import client_outcomes
    from nervecare.outcomes.reports import client_report_pdf
    from nervecare.outcomes.selectors import client_data
    from nervecare.screening.selectors import open_flags

    client = (
        Client.objects.select_related("clinic").filter(clinic_id=info["clinic_id"]).order_by("id").first()
    )
    client_report_pdf(client_outcomes(client_data(client)))  # warm up fonts and imports
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(runs):
        for cold in (True, False):
            if cold:
                cache.clear()
            t0 = time.perf_counter()
            result = client_outcomes(client_data(client))
            pdf = client_report_pdf(
                result, audience="clinician", flags=open_flags(client), clinic_name=client.clinic.name
            )
            timings[cold].append(time.perf_counter() - t0)
            assert pdf.startswith(b"%PDF")
    return timings[True], timings[False]


def run_one(args: argparse.Namespace) -> None:
    db = args.db
    tmp = None
    keep = Path(args.keep) if args.keep else None
    marker = keep / f"{db}_n{args.clients}_s{args.sessions}.json" if keep else None
    reuse = marker is not None and marker.exists()
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        if keep:
            path = keep / f"outcomes_n{args.clients}_s{args.sessions}.sqlite3"
            if not reuse and not args.grow:
                path.unlink(missing_ok=True)
        else:
            tmp = path = Path(tempfile.mkdtemp(prefix="nc_outcomes_bench_")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        if not reuse and not args.grow:
            recreate_postgres()
        os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault("NERVECARE_TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings")
    import django

    django.setup()
    from django.db import connection

    try:
        t0 = time.perf_counter()
        if reuse:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)  # a kept database gets any newer migrations
            info = json.loads(marker.read_text())
            how = f"reused from {keep} (seeded in {info['seed_seconds']:.0f} s)"
        elif args.grow:
            from django.core.management import call_command

            from nervecare.core.models import Clinic, User

            call_command("migrate", verbosity=0)
            clinic = Clinic.objects.get(slug="bench-network")
            info = {"clinic_id": clinic.id, "admin_id": User.objects.get(username="owner").id}
            info = replicate(info, args.clients)
            info["seed_seconds"] = time.perf_counter() - t0
            how = f"grown from an interrupted seed of {info['replicated_from']:,} clients in {info['seed_seconds']:.0f} s"
        else:
            info = seed(min(args.clients, args.seed_block or args.clients), args.sessions)
            if args.seed_block and args.seed_block < args.clients:
                info = replicate(info, args.clients)
            info["seed_seconds"] = time.perf_counter() - t0
            how = f"in {info['seed_seconds']:.0f} s"
        if not reuse and marker is not None:
            marker.write_text(json.dumps(info))
        ratings = info["notes"] * 7 + info["responses"]
        print(
            f"[{db}] seeded {args.clients:,} clients × {args.sessions} weekly sessions: {info['appointments']:,} appointments, "
            f"{info['notes']:,} signed notes, {ratings:,} ratings, {how} ({connection.vendor})"
        )
        if args.seed_only:
            return
        print(f"[{db}] conditions: {conditions()}", flush=True)
        numbers, pages = bench_dashboards(info, args.dashboards)
        print(
            f"[{db}] one client's dashboard, numbers ({len(numbers)} clients): median {statistics.median(numbers):.0f} ms, "
            f"p95 {pct(numbers, 95):.0f} ms; the whole page with its 7 SVG charts, first view ({len(pages)} other clients): "
            f"median {statistics.median(pages):.0f} ms, p95 {pct(pages, 95):.0f} ms"
        )
        info.setdefault("clients", args.clients)
        rebuilt = bench_rebuild(info)
        if "rebuild" in rebuilt:
            info["rebuild_seconds"] = rebuilt["rebuild"]
            if marker is not None:
                marker.write_text(json.dumps(info))
        if "rebuild_seconds" in info:
            print(
                f"[{db}] per-client summary table from scratch (`nervecare outcomes rebuild`, the from-scratch "
                f"cohort computation, DuckDB engine, {5000:,} clients at a time): {info['rebuild_seconds']:.0f} s"
                + ("" if "rebuild" in rebuilt else " (measured when the database was seeded)")
            )
        print(
            f"[{db}] keeping it fresh: {rebuilt['refreshed']} clients marked stale, recomputed in {rebuilt['refresh']:.2f} s"
        )
        cohort = bench_cohort(info, args.repeat)
        for engine, c in cohort.items():
            where = (
                "GROUP BYs in the database"
                if engine == "sql"
                else "summary rows read out, GROUP BYs in DuckDB"
            )
            print(
                f"[{db}] cohort aggregates over the summary table, engine {engine:6} ({where}): whole clinic "
                f"(5 dimensions, {c['groups']} groups, Wilson and t CIs, attendance, drop-out, AEs) {c['total']:.2f} s; "
                f"another measure and filter {c['filtered']:.2f} s "
                f"[{c['clients']:,} clients, {c['evaluable']:,} evaluable, {c['responders']:,} responders]"
            )
        fastest = min(cohort, key=lambda e: cohort[e]["total"])
        print(
            f"[{db}] faster grouping engine here: {fastest} (duckdb/sql time {cohort['duckdb']['total'] / cohort['sql']['total']:.2f}×)"
        )
        mixed = bench_mixed(info, min(args.mixed_clients, args.clients), args.mixed_time_limit)
        if mixed["timed_out"]:
            print(
                f"[{db}] MixedLM for {mixed['clients']:,} clients ({mixed['rows']:,} weekly ratings, read in {mixed['read']:.1f} s): "
                f"did NOT finish within the {mixed['limit']:.0f} s limit (process stopped)"
            )
        else:
            slope = mixed["slope"]
            print(
                f"[{db}] MixedLM for {mixed['clients']:,} clients ({mixed['rows']:,} weekly ratings, read in {mixed['read']:.1f} s): "
                f"fit {mixed['seconds']:.1f} s, {mixed['model']}, converged={mixed['converged']}"
                + (
                    f", slope {slope[0]:.3f} per week (95% CI {slope[1]:.3f} to {slope[2]:.3f})"
                    if slope
                    else ""
                )
                + (f"; {'; '.join(mixed['problems'])}" if mixed["problems"] else "")
                + f"; model process peak {mixed['peak_mb']:.0f} MB"
            )
        cold, warm = bench_pdf(info)
        print(
            f"[{db}] PDF progress report for one client (clinician version, 7 charts): median "
            f"{statistics.median(cold):.2f} s drawing the charts, {statistics.median(warm):.2f} s with them cached"
        )
        print(f"[{db}] peak memory: this process {peak_mb():.0f} MB")
        print(f"[{db}] conditions at the end: {conditions()}")
    finally:
        connection.close()
        if tmp is not None:
            shutil.rmtree(tmp.parent, ignore_errors=True)
        elif db == "postgres" and keep is None:
            drop_postgres()


def main() -> None:
    args = parse_args()
    if args.db != "both":
        run_one(args)
        return
    print(
        f"Outcomes benchmark: {args.clients:,} clients × {args.sessions} sessions (the issue's full size: 100,000 clients)"
    )
    for db in ("sqlite", "postgres"):
        argv = [sys.executable, __file__, *sys.argv[1:], "--db", db]
        completed = subprocess.run(argv, check=False)  # noqa: S603 - this script, with the same arguments
        if completed.returncode:
            sys.exit(completed.returncode)


if __name__ == "__main__":
    main()
