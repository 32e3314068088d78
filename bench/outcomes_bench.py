"""Outcomes benchmark: a synthetic clinic network on SQLite and on PostgreSQL, in throw-away databases.

Builds N clients (default 10,000; the issue's full size is 100,000: `--clients 100000`) with 24 weekly
sessions each (before/after ratings for pain, numbness and tingling, soreness, a few no-shows, drop-outs and
adverse events), intake screenings and PGIC, then prints:
1. one client's dashboard: the outcome numbers (median, p95) and the page's charts (median);
2. the clinic's cohort aggregates over all clients (responders and mean changes by type, cause, modality,
   therapist and sessions attended) with the SQL engine (in the database) and the DuckDB engine;
3. the mixed-effects model (random intercept and slope per client) for `--mixed-clients` clients, in a
   separate process with a time limit, with its convergence flag;
4. the PDF progress report for one client;
5. peak memory (resource.getrusage) of this process and of the model's process.

    uv run python bench/outcomes_bench.py                       # both databases, 10,000 clients
    uv run python bench/outcomes_bench.py --db sqlite --clients 2000
    BENCH_CLIENTS=100000 uv run python bench/outcomes_bench.py  # the issue's full size (slow to seed)
    BENCH_DATABASE_URL=postgres://user@host:5432/db uv run python bench/outcomes_bench.py --db postgres

PostgreSQL: the script creates and drops its own database (`nervecare_outcomes_bench` by default);
SQLite: a temporary file, deleted afterwards.
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
    return p.parse_args(argv)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


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


# --- Measurements ---------------------------------------------------------------------------------------------


def bench_dashboards(info: dict, samples: int) -> tuple[list[float], list[float]]:
    from nervecare.clients.models import Client
    from nervecare.outcomes.analysis import client_outcomes
    from nervecare.outcomes.charts import client_charts_svg
    from nervecare.outcomes.selectors import client_data

    ids = list(Client.objects.filter(clinic_id=info["clinic_id"]).values_list("id", flat=True))
    rng = random.Random(3)
    chosen = rng.sample(ids, min(samples, len(ids)))
    client_outcomes(client_data(Client.objects.get(pk=chosen[0])))  # warm up imports and caches
    numbers, pages = [], []
    for i, cid in enumerate(chosen):
        t0 = time.perf_counter()
        client = Client.objects.select_related("clinic").get(pk=cid)
        result = client_outcomes(client_data(client))
        t1 = time.perf_counter()
        numbers.append((t1 - t0) * 1000)
        if i < 20:  # the charts: fewer samples (each page draws 7 SVGs; a new client, so nothing is cached)
            client_charts_svg(result)
            pages.append((time.perf_counter() - t0) * 1000)
    return numbers, pages


def bench_cohort(info: dict, repeat: int) -> dict[str, dict[str, float]]:
    """Per engine: the per-client summaries alone, and the whole clinic comparison, both cold (cache empty);
    then the comparison again with another measure and filter (summaries from the cache)."""
    from django.core.cache import cache

    from nervecare.core.models import Clinic
    from nervecare.outcomes import cohort

    clinic = Clinic.objects.get(pk=info["clinic_id"])
    out: dict[str, dict[str, float]] = {}
    for engine in cohort.ENGINES:
        summaries, totals, warm = [], [], []
        for _ in range(repeat):
            cache.clear()
            t0 = time.perf_counter()
            cohort.client_summaries(clinic.id, engine=engine)
            summaries.append(time.perf_counter() - t0)
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
            warm.append(time.perf_counter() - t0)
        out[engine] = {
            "summaries": statistics.median(summaries),
            "total": statistics.median(totals),
            "warm": statistics.median(warm),
            "clients": result["overall"]["clients"],
            "evaluable": result["overall"]["evaluable"],
            "responders": result["overall"]["responders"],
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
    from nervecare.outcomes import cohort
    from nervecare.outcomes.rules import outcome_rules

    ids = [cid for (cid, m) in cohort.client_summaries(info["clinic_id"]) if m == "pain"]
    chosen = cohort.sample_clients(ids, n)
    t0 = time.perf_counter()
    rows = cohort.weekly_rows(info["clinic_id"], "pain", client_ids=chosen)
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
            if not reuse:
                path.unlink(missing_ok=True)
        else:
            tmp = path = Path(tempfile.mkdtemp(prefix="nc_outcomes_bench_")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        if not reuse:
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
        else:
            info = seed(args.clients, args.sessions)
            info["seed_seconds"] = time.perf_counter() - t0
            how = f"in {info['seed_seconds']:.0f} s"
            if marker is not None:
                marker.write_text(json.dumps(info))
        ratings = info["notes"] * 7 + info["responses"]
        print(
            f"[{db}] seeded {args.clients:,} clients × {args.sessions} weekly sessions: {info['appointments']:,} appointments, "
            f"{info['notes']:,} signed notes, {ratings:,} ratings, {how} ({connection.vendor})"
        )
        if args.seed_only:
            return
        numbers, pages = bench_dashboards(info, args.dashboards)
        print(
            f"[{db}] one client's dashboard, numbers ({len(numbers)} clients): median {statistics.median(numbers):.0f} ms, "
            f"p95 {pct(numbers, 95):.0f} ms; with its 7 SVG charts ({len(pages)} clients): median "
            f"{statistics.median(pages):.0f} ms, p95 {pct(pages, 95):.0f} ms"
        )
        cohort = bench_cohort(info, args.repeat)
        for engine, c in cohort.items():
            print(
                f"[{db}] cohort aggregates, engine {engine:6}: per-client baseline/now {c['summaries']:.2f} s; whole clinic "
                f"comparison (5 dimensions, Wilson and t CIs, attendance, drop-out, AEs) {c['total']:.2f} s cold, "
                f"{c['warm']:.2f} s for another measure/filter (summaries cached until the data change) "
                f"[{c['clients']:,} clients, {c['evaluable']:,} evaluable, {c['responders']:,} responders]"
            )
        fastest = min(cohort, key=lambda e: cohort[e]["total"])
        print(
            f"[{db}] faster engine here: {fastest} ({cohort['sql']['total'] / cohort['duckdb']['total']:.2f}× sql/duckdb)"
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
