"""Audit trail benchmark: what one append costs, and how fast the chain verifies and exports.

Appends one event at a time (each its own transaction, as a page view does: lock the clinic's chain, read
its head, insert) and prints the mean and p95 time per append; then walks the chain (`audit verify`) and
writes the CSV export, printing events per second. A throw-away SQLite database by default; pass
--database-url postgres://… to measure a PostgreSQL server (the database must exist and be empty).

    uv run python bench/audit_bench.py                   # 5,000 appends on SQLite
    uv run python bench/audit_bench.py --events 20000 --database-url postgres://postgres@127.0.0.1/nc_bench
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["NERVECARE_DATA_DIR"] = data_dir
    os.environ.setdefault("NERVECARE_TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(args.database_url or f"sqlite:///{tmp}/bench.sqlite3", tmp)
        from django.db import connection

        from nervecare.clients.models import Client
        from nervecare.core import audit
        from nervecare.core.models import Clinic, User

        clinic = Clinic.objects.create(name="Bench", slug="bench-audit")
        user = User.objects.create(username="bench-audit", clinic=clinic, role="therapist")
        client = Client.objects.create(
            clinic=clinic, first_name="Ada", last_name="Bench", date_of_birth="1960-01-01"
        )
        baseline = []
        for i in range(min(args.events, 1000)):
            start = time.perf_counter()
            Client.objects.filter(pk=client.pk).update(phone=str(i))  # one plain committed write
            baseline.append(time.perf_counter() - start)
        times = []
        for i in range(args.events):
            start = time.perf_counter()
            audit.record(
                actor=user, action="view", obj=client, summary=f"read {i}", changes={"fields": ["phone"]}
            )
            times.append(time.perf_counter() - start)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"database: {connection.vendor}; {args.events} appends, one transaction each")
        print(f"  baseline, one plain one-row write: mean {statistics.mean(baseline) * 1000:.2f} ms")
        print(f"  append: mean {statistics.mean(times) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")

        start = time.perf_counter()
        report = audit.verify_chain(clinic.id)
        took = time.perf_counter() - start
        assert report.broken is None and report.events == args.events
        print(f"  verify: {report.events / took:,.0f} events/s ({took:.2f} s)")

        start = time.perf_counter()
        out = io.StringIO()
        writer = csv.writer(out)
        for row in audit.csv_rows(
            audit.search(clinic_id=clinic.id, tz_name="UTC", filters=audit.SearchFilters())
        ):
            writer.writerow(row)
        took = time.perf_counter() - start
        print(f"  CSV export: {args.events / took:,.0f} events/s ({len(out.getvalue()) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
