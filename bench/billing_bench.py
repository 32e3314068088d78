"""Check-out benchmark (issue 17): invoices + payments per second on PostgreSQL, and the numbering after.

Builds a clinic with 10 therapists and 3,000 completed visits in a throw-away database, then runs check-out
workers in parallel processes for a fixed time. Each check-out is what the desk does: one visit, its price and
tax, an invoice numbered from the clinic's locked counter, and a card payment, in one transaction (with its
audit events). All workers share ONE clinic, so they all queue on the same counter row: this is the worst case
for the unbroken sequence. Afterwards the invoice numbers must be exactly 1..N (no gap, no duplicate).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/nervecare_bench uv run python bench/billing_bench.py
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nervecare_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("NERVECARE_TESTING", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings")

THERAPISTS = 10
VISITS = int(os.environ.get("BENCH_VISITS", "3000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))


def setup_django() -> None:
    import django

    django.setup()


def recreate_database() -> None:
    import psycopg

    base, name = BENCH_URL.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed() -> dict:
    from django.core.management import call_command

    from nervecare.billing.models import BillingSettings, Price
    from nervecare.clients.models import Client
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.scheduling.models import Appointment, Service

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(
        name="Bench clinic", slug="bench", timezone="America/New_York", currency="USD"
    )
    service = Service.objects.create(
        clinic=clinic,
        code="swedish-60",
        name="60-min Swedish",
        modality="swedish",
        minutes=60,
        buffer_minutes=15,
    )
    Price.objects.create(
        clinic=clinic, service=service, amount=Decimal("95.00"), currency="USD", cpt_code="97124"
    )
    BillingSettings.objects.create(clinic=clinic, tax_rate=Decimal("8.25"))
    desk = User.objects.create(username="desk", clinic=clinic, role="front_desk")
    therapists = [
        Therapist.objects.create(
            user=User.objects.create(username=f"t{i}", clinic=clinic, role="therapist"),
            clinic=clinic,
            display_name=f"T{i}",
        )
        for i in range(THERAPISTS)
    ]
    clients = Client.objects.bulk_create(
        Client(clinic=clinic, first_name=f"C{i}", last_name="Bench", date_of_birth=dt.date(1960, 1, 1))
        for i in range(VISITS // 5)
    )
    first = dt.datetime(2026, 1, 5, 14, tzinfo=dt.UTC)
    rows = []
    for i in range(VISITS):
        therapist = therapists[i % THERAPISTS]
        start = first + dt.timedelta(hours=2 * (i // THERAPISTS))
        end = start + dt.timedelta(minutes=60)
        rows.append(
            Appointment(
                clinic=clinic,
                client=clients[i % len(clients)],
                therapist=therapist,
                service=service,
                starts_at=start,
                ends_at=end,
                blocked_until=end + dt.timedelta(minutes=15),
                status="completed",
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=2000)
    return {"clinic_id": clinic.id, "desk_id": desk.id}


def worker(args: tuple[dict, int, float, mp.Queue]) -> None:
    info, index, seconds, queue = args
    setup_django()
    from nervecare.billing.services.invoices import invoice_checkout
    from nervecare.core.models import User
    from nervecare.scheduling.models import Appointment

    desk = User.objects.select_related("clinic").get(pk=info["desk_id"])
    mine = list(
        Appointment.objects.filter(clinic_id=info["clinic_id"])
        .order_by("id")
        .select_related("client__clinic")
    )[index::WORKERS]
    done = 0
    started = time.perf_counter()
    for appointment in mine:
        if time.perf_counter() - started >= seconds:
            break
        invoice_checkout(
            actor=desk,
            client=appointment.client,
            appointment_ids=[appointment.pk],
            payments=[{"method": "card", "amount": Decimal("102.84"), "card_last4": "4242"}],
        )
        done += 1
    queue.put((done, time.perf_counter() - started))


def main() -> None:
    recreate_database()
    setup_django()
    from django.db import connection

    t0 = time.perf_counter()
    info = seed()
    print(f"Seeded {VISITS} completed visits on {connection.vendor} in {time.perf_counter() - t0:.1f} s")
    connection.close()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=((info, i, SECONDS, queue),)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=SECONDS + 180) for _ in procs]
    for p in procs:
        p.join()
    done = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    print(
        f"Check-out (invoice + card payment, one visit) with {WORKERS} concurrent processes on one clinic "
        f"for {elapsed:.1f} s: {done} check-outs, {done / elapsed:.1f} check-outs/s"
    )
    from nervecare.billing.models import Invoice

    numbers = list(
        Invoice.objects.filter(clinic_id=info["clinic_id"])
        .order_by("number")
        .values_list("number", flat=True)
    )
    ok = numbers == list(range(1, len(numbers) + 1))
    print(f"Invoice numbers 1..{len(numbers)}: {'no gap, no duplicate' if ok else 'BROKEN'}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
