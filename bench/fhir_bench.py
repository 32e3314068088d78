"""FHIR bulk-export benchmark: throughput (resources/s) and peak memory on a synthetic network (SQLite).

For each size (clients; every client has 24 signed sessions, like the issue's 100,000-client network):
1. seed a throw-away SQLite database in a child process (bulk inserts: intake conditions with ratings,
   6 screenings, a care plan, a safety flag for some, 24 completed appointments with signed notes),
2. run the export job (nervecare.interop.bulk.export_run, exactly what the job queue runs) for the clinic
   admin in a fresh child process, and print its throughput and peak memory (resource.getrusage).

Memory is measured in a process that did nothing but start Django and export, so two sizes show whether
it stays flat as the clinic grows (it should: rows are streamed by keyset, a chunk at a time).

    uv run python bench/fhir_bench.py                     # 2,000 and 10,000 clients
    uv run python bench/fhir_bench.py --sizes 100000      # the issue's full size (about 25M resources)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 24


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["NERVECARE_DATA_DIR"] = str(db_path.parent)
    os.environ.setdefault("NERVECARE_TESTING", "1")  # no SECRET_KEY needed; jobs run inline
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- seeding -------------------------------------------------------------------------------------------------


CONDITIONS = [
    ("peripheral", "diabetes_t2", "diabetic_polyneuropathy_t2", ""),
    ("peripheral", "diabetes_t1", "", ""),
    ("peripheral", "chemotherapy", "cipn", "oxaliplatin"),
    ("peripheral", "chemotherapy", "", "paclitaxel"),
    ("focal", "injury", "carpal_tunnel", ""),
    ("cranial", "unknown", "trigeminal_neuralgia", ""),
    ("autoimmune", "autoimmune", "cidp", ""),
    ("peripheral", "alcohol", "", ""),
]
FIRST = ["Maria", "Ana", "Lee", "Grace", "Omar", "Ines", "Tom", "Aiko", "Jon", "Rosa", "Priya", "Sam"]
LAST = ["Lopez", "Okafor", "Park", "Rossi", "Costa", "Smith", "Khan", "Novak", "Silva", "Brown"]


def seed(n_clients: int, batch: int = 250) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from nervecare.clients.models import Client, Condition
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment, Service
    from nervecare.screening import instruments
    from nervecare.screening.models import InstrumentResponse, SafetyFlag
    from nervecare.visits.models import NoteAmendment, SessionNote

    call_command("migrate", verbosity=0)
    rng = random.Random(8)
    clinic = Clinic.objects.create(name="Bench network", slug="bench", timezone="Europe/London")
    User.objects.create(username="owner", clinic=clinic, role="admin")
    therapists = []
    # 40 clients per therapist, each in a weekly slot of their own (7 days x 7 two-hour slots): no double
    # booking, so the same network also seeds PostgreSQL with its exclusion constraints.
    for i in range(max(5, -(-n_clients // 40))):
        user = User.objects.create(username=f"t{i}", clinic=clinic, role="therapist")
        therapists.append(
            Therapist.objects.create(
                user=user,
                clinic=clinic,
                display_name=f"Therapist {i}",
                years_experience=3 + i % 15,
                certifications=["mld"] if i % 3 == 0 else [],
            )
        )
    services = {
        m: Service.objects.create(clinic=clinic, code=f"{m}-60", name=f"60-min {m}", modality=m, minutes=60)
        for m in ("swedish", "mld")
    }
    # A few scored answer sets per instrument, reused (scoring is not what is measured here).
    answer_sets = {
        "mnsi_history": [{str(i): rng.choice(["yes", "no"]) for i in range(1, 16)} for _ in range(5)],
        "dn4": [{str(i): rng.choice(["yes", "no"]) for i in range(1, 11)} for _ in range(5)],
        "nrs_pain": [{"pain": v} for v in range(11)],
        "nrs_numbness": [{"numbness": v} for v in range(11)],
        "nrs_tingling": [{"tingling": v} for v in range(11)],
        "pgic": [{"pgic": v} for v in range(1, 8)],
    }
    scored = {
        code: [instruments.score(instruments.get_definition(code), a) for a in sets]
        for code, sets in answer_sets.items()
    }
    now = timezone.now().replace(second=0, microsecond=0)
    first_week = now - dt.timedelta(weeks=SESSIONS + 2)
    made = 0
    while made < n_clients:
        size = min(batch, n_clients - made)
        with transaction.atomic():
            clients = Client.objects.bulk_create(
                Client(
                    clinic=clinic,
                    first_name=f"{rng.choice(FIRST)}{made + i}",
                    last_name=rng.choice(LAST),
                    date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50)),
                    email=f"client{made + i}@example.org",
                    phone=f"+44 20 7946 {(made + i) % 10000:04}",
                    primary_therapist=therapists[(made + i) % len(therapists)],
                )
                for i in range(size)
            )
            conditions, responses, plans, flags, appointments = [], [], [], [], []
            for position, client in enumerate(clients):
                for kind, cause, code, agent in rng.sample(CONDITIONS, rng.choice([1, 1, 2])):
                    conditions.append(
                        Condition(
                            client=client,
                            type=kind,
                            cause=cause,
                            diagnosis_code=code,
                            chemotherapy_agent=agent,
                            pain=rng.randint(0, 10),
                            numbness=rng.randint(0, 10),
                            tingling=rng.randint(0, 10),
                            onset_date=dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3000)),
                        )
                    )
                for code, results in scored.items():
                    result = rng.choice(results)
                    responses.append(
                        InstrumentResponse(
                            client=client,
                            instrument=code,
                            definition_version=result["version"],
                            definition_sha256="0" * 64,
                            answers=result["answers"],
                            item_scores=result["item_scores"],
                            total=result["total"],
                            max_total=result["max"],
                            interpretation=json.loads(json.dumps(result["interpretation"], default=str)),
                            administered_at=first_week - dt.timedelta(days=rng.randrange(1, 30)),
                        )
                    )
                therapist = client.primary_therapist
                modality = "mld" if rng.random() < 0.1 else "swedish"
                plans.append(
                    CarePlan(
                        client=client,
                        status="active",
                        modality=modality,
                        scope="hand_and_foot",
                        pressure="moderate",
                        session_minutes=60,
                        sessions_per_week=1,
                        course_weeks=SESSIONS,
                        reevaluation_weeks=[4, 8, 12],
                        outcome_measures=[{"instrument": "nrs_pain", "when": "every_session"}],
                        rationale=["Bench."],
                        therapist=therapist,
                        start_date=first_week.date(),
                    )
                )
                if rng.random() < 0.3:
                    flags.append(
                        SafetyFlag(
                            client=client,
                            rule_id="anticoagulants",
                            rules_version="bench",
                            title="Anticoagulants or bleeding disorder",
                            level="modify",
                            area="whole body",
                            reason="On anticoagulants.",
                            actions=["No deep or forceful pressure."],
                            source="NCCIH",
                            raised_at=first_week,
                            last_checked_at=now,
                        )
                    )
                place = (made + position) // len(therapists)  # the client's weekly slot with its therapist
                slot = dt.timedelta(days=place % 7, hours=6 + 2 * (place // 7))
                for week in range(SESSIONS):
                    start = first_week + dt.timedelta(weeks=week) + slot
                    appointments.append(
                        Appointment(
                            clinic=clinic,
                            client=client,
                            therapist=therapist,
                            service=services[modality],
                            starts_at=start,
                            ends_at=start + dt.timedelta(minutes=60),
                            blocked_until=start + dt.timedelta(minutes=75),
                            status="completed",
                        )
                    )
            Condition.objects.bulk_create(conditions)
            InstrumentResponse.objects.bulk_create(responses)
            CarePlan.objects.bulk_create(plans)
            SafetyFlag.objects.bulk_create(flags)
            Appointment.objects.bulk_create(appointments)
            notes = SessionNote.objects.bulk_create(
                SessionNote(
                    appointment=a,
                    client_id=a.client_id,
                    modality=a.service.modality,
                    pressure="moderate",
                    minutes=55,
                    areas_treated=[{"region": "foot", "side": "both"}],
                    subjective="Feet burn at night.",
                    objective="Skin intact.",
                    assessment="Tolerated well.",
                    plan="Continue weekly.",
                    pain_before=rng.randint(2, 9),
                    pain_after=rng.randint(0, 6),
                    numbness_before=rng.randint(0, 9),
                    numbness_after=rng.randint(0, 9),
                    tingling_before=rng.randint(0, 9),
                    tingling_after=rng.randint(0, 9),
                    soreness_after=rng.randint(0, 4),
                    signed_at=a.ends_at + dt.timedelta(minutes=10),
                    signed_by_id=None,
                )
                for a in appointments
            )
            NoteAmendment.objects.bulk_create(
                NoteAmendment(
                    note=n, reason="Typo", changes={"pain_after": [n.pain_after, max(0, n.pain_after - 1)]}
                )
                for n in notes
                if rng.random() < 0.02
            )
        made += size


# --- export ----------------------------------------------------------------------------------------------------


def export() -> dict:
    from nervecare.core.models import User
    from nervecare.interop import bulk
    from nervecare.interop.models import ExportJob

    owner = User.objects.get(username="owner")
    ExportJob.objects.all().delete()
    job = ExportJob.objects.create(
        clinic_id=owner.clinic_id,
        requested_by=owner,
        level="system",
        request_url="bench",
        resource_types=list(bulk.allowed_types("system")),
    )
    rss_before = rss_mib()
    start = time.perf_counter()
    bulk.export_run(str(job.pk))
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    assert job.status == "completed", job.error_message
    counts = {o["type"]: o["count"] for o in job.output}
    size = sum(p.stat().st_size for p in bulk.export_dir(job.pk).iterdir())
    return {
        "resources": sum(counts.values()),
        "seconds": seconds,
        "counts": counts,
        "gzip_mib": size / 2**20,
        "rss_before_mib": rss_before,
        "rss_peak_mib": rss_mib(),
    }


def child(args: argparse.Namespace) -> None:
    setup_django(Path(args.db))
    if args.step == "seed":
        start = time.perf_counter()
        seed(args.clients)
        print(json.dumps({"seconds": time.perf_counter() - start}))
    else:
        print(json.dumps(export()))


def run(step: str, db: Path, clients: int) -> dict:
    out = subprocess.run(  # noqa: S603 - this script, with its own arguments
        [sys.executable, __file__, "--step", step, "--db", str(db), "--clients", str(clients)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,10000", help="clients per network, comma-separated")
    parser.add_argument("--keep", help="keep the seeded databases in this directory (and reuse them)")
    parser.add_argument("--step", choices=["seed", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        child(args)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="fhir_bench_") as tmp:
        for clients in (int(s) for s in args.sizes.split(",")):
            db = Path(args.keep or tmp) / f"n{clients}" / "bench.sqlite3"
            if not db.exists():
                db.parent.mkdir(parents=True, exist_ok=True)
                seeded = run("seed", db, clients)
                print(f"{clients:>7} clients: seeded in {seeded['seconds']:.0f} s", flush=True)
            result = run("export", db, clients)
            rows.append((clients, result))
            print(
                f"{clients:>7} clients: {result['resources']:,} resources in {result['seconds']:.1f} s = "
                f"{result['resources'] / result['seconds']:,.0f} resources/s; peak RSS {result['rss_peak_mib']:.0f} MiB "
                f"(after start-up {result['rss_before_mib']:.0f} MiB); {result['gzip_mib']:.0f} MiB gzip NDJSON",
                flush=True,
            )
    print("\nFHIR bulk export, SQLite, one process (nervecare.interop.bulk.export_run):")
    print(
        f"{'clients':>8} {'resources':>11} {'seconds':>8} {'resources/s':>12} {'peak RSS MiB':>13} {'RSS growth':>11}"
    )
    for clients, r in rows:
        print(
            f"{clients:>8,} {r['resources']:>11,} {r['seconds']:>8.1f} {r['resources'] / r['seconds']:>12,.0f} "
            f"{r['rss_peak_mib']:>13.0f} {r['rss_peak_mib'] - r['rss_before_mib']:>11.0f}"
        )
    largest = rows[-1][1]["counts"]
    print("by type (largest size): " + ", ".join(f"{t} {n:,}" for t, n in largest.items()))


if __name__ == "__main__":
    main()
