"""CSV import at the issue's size (issue 16 §5): 10,000 clients, then 100,000 appointments (80,000 future
bookings checked for overlaps, 20,000 past visits), on SQLite and PostgreSQL, through the same services the
pages, the API and `nervecare import-clients` use (upload, dry run, all-or-nothing import, then the same files
again, which must add nothing). Large files take the job queue's path (run inline here, with its progress
writes).

Floor: the same rows written by a bare `bulk_create` of the models (no parsing, no checks, no keys, no
audit), in the same database, so the figures say what the import adds on top of the database's own cost.

    uv run python bench/import_bench.py                                   # SQLite, then PostgreSQL
    uv run python bench/import_bench.py --db sqlite --clients 2000 --appointments 20000     # quick
    BENCH_DATABASE_URL=postgres://user@host:5432/postgres uv run python bench/import_bench.py --db postgres

PostgreSQL: the script creates and drops its own database `nc_import_bench` on the server of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = "nc_import_bench"


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def child(n_clients: int, n_appointments: int) -> None:
    """Runs with DATABASE_URL set to a fresh, migrated database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from nervecare.clients.models import Client
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.ops.importing import services
    from nervecare.scheduling.models import Appointment, Service

    clinic = Clinic.objects.create(name="Bench", slug="bench", timezone="Europe/London")
    admin = User.objects.create(username="bench-owner", clinic=clinic, role="admin")
    therapists = []
    for i in range(40):
        user = User.objects.create(username=f"t{i}", clinic=clinic, role="therapist")
        therapists.append(Therapist.objects.create(user=user, clinic=clinic, display_name=f"Therapist {i}"))
    Service.objects.create(
        clinic=clinic, code="swedish-60", name="Swedish 60", modality="swedish", minutes=60, buffer_minutes=15
    )

    lines = ["external_id,first_name,last_name,date_of_birth,email,phone,address,city,postcode"]
    for i in range(n_clients):
        lines.append(
            f"c{i},First{i},Last{i},19{40 + i % 60:02d}-0{1 + i % 9}-1{i % 9},c{i}@example.org,"
            f"+44 20 7946 {i % 10000:04d},{i} High Street,London,N1 {i % 9}AA"
        )
    clients_csv = ("\r\n".join(lines) + "\r\n").encode()

    # Appointments: 20% past visits, the rest future bookings packed without overlaps: each therapist holds
    # 8 sessions a day (75 minutes apart: 60 + 15 buffer), each client at most one session a day.
    start_day = timezone.localdate() + dt.timedelta(days=2)
    past_day = timezone.localdate() - dt.timedelta(days=400)
    lines = ["external_id,client_external_id,date,time,therapist,service"]
    n_past = n_appointments // 5
    for i in range(n_past):
        day = past_day + dt.timedelta(days=i % 300)
        lines.append(f"p{i},c{i % n_clients},{day.isoformat()},10:00,Someone Old,Hot stones")
    per_day = 8 * len(therapists)
    for j in range(n_appointments - n_past):
        day = start_day + dt.timedelta(days=j // per_day)
        slot = j % per_day
        t, k = divmod(slot, 8)
        minutes = 8 * 60 + 75 * k
        client = (j // per_day * per_day + slot) % n_clients if per_day <= n_clients else j % n_clients
        lines.append(
            f"f{j},c{client},{day.isoformat()},{minutes // 60:02d}:{minutes % 60:02d},"
            f"Therapist {t},Swedish 60"
        )
    appointments_csv = ("\r\n".join(lines) + "\r\n").encode()

    def timed(label: str, kind: str, data: bytes) -> dict:
        t0 = time.perf_counter()
        run = services.import_upload(actor=admin, kind=kind, filename=f"{kind}.csv", data=data)
        t1 = time.perf_counter()
        run = services.import_dry_run(actor=admin, run=run)
        t2 = time.perf_counter()
        assert run.report.get("error_count") == 0, run.report.get("errors", [])[:5]
        run = services.import_commit(actor=admin, run=run)
        t3 = time.perf_counter()
        assert run.status == "done", run.report.get("detail")
        print(
            f"  {label:<34} upload {t1 - t0:6.1f} s  dry run {t2 - t1:6.1f} s  import {t3 - t2:6.1f} s  "
            f"total {t3 - t0:6.1f} s  created {run.report.get('created', {})}"
        )
        return run.report

    print(
        f"database: {connection.vendor}, {n_clients:,} clients, {n_appointments:,} appointments "
        f"({n_appointments - n_past:,} future, {n_past:,} past)"
    )
    timed("clients", "clients", clients_csv)
    timed("appointments and past visits", "appointments", appointments_csv)
    again = timed("clients again (must add nothing)", "clients", clients_csv)
    assert again["already_imported"] == n_clients
    again = timed("appointments again (nothing)", "appointments", appointments_csv)
    assert again["already_imported"] == n_appointments
    assert Appointment.objects.count() == n_appointments - n_past

    # The floor: the same numbers of rows by a bare bulk_create, nothing else.
    t0 = time.perf_counter()
    floor_clients = Client.objects.bulk_create(
        [
            Client(clinic=clinic, first_name=f"F{i}", last_name=f"L{i}", date_of_birth=dt.date(1950, 1, 1))
            for i in range(n_clients)
        ],
        batch_size=2000,
    )
    t1 = time.perf_counter()
    service = Service.objects.get()
    base = timezone.now() + dt.timedelta(days=3000)
    Appointment.objects.bulk_create(
        [
            Appointment(
                clinic=clinic,
                client=floor_clients[j % n_clients],
                therapist=therapists[j % 40],
                service=service,
                starts_at=base + dt.timedelta(minutes=75 * j),
                ends_at=base + dt.timedelta(minutes=75 * j + 60),
                blocked_until=base + dt.timedelta(minutes=75 * j + 75),
            )
            for j in range(n_appointments - n_past)
        ],
        batch_size=2000,
    )
    t2 = time.perf_counter()
    print(f"  floor (bare bulk_create)           clients {t1 - t0:6.1f} s  appointments {t2 - t1:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.clients, args.appointments)
        return
    print(f"CPUs {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")
    env = {**os.environ, "DEBUG": "1", "NERVECARE_JOBS_IMMEDIATE": "1", "NERVECARE_AUDIT_CHECKPOINT_FILE": ""}
    targets = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            if target == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'import.sqlite3'}"
            else:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}")
                _pg_admin(f"CREATE DATABASE {PG_DB}")
                url = PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"
            run_env = {**env, "DATABASE_URL": url, "NERVECARE_DATA_DIR": tmp}
            try:
                subprocess.run(  # noqa: S603 - our own command, fixed arguments
                    [sys.executable, "-m", "nervecare", "migrate", "-v0"],
                    env=run_env,
                    check=True,
                    cwd=ROOT,
                )
                subprocess.run(  # noqa: S603 - our own command, fixed arguments
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        "--clients",
                        str(args.clients),
                        "--appointments",
                        str(args.appointments),
                    ],
                    env=run_env,
                    check=True,
                    cwd=ROOT,
                )
            finally:
                if target == "postgres":
                    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
