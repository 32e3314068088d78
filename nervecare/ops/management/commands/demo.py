"""`nervecare demo`: seed a deterministic, realistic demo clinic, then exit and say how to log in.

Idempotent: people are found by username and clients by name and birth date, so a second run adds nothing.
Everything goes through the same services the app uses, so the demo has an audit trail and real flags.
"""

import random
from typing import Any

from django.core.management.base import BaseCommand

from nervecare.clients.models import Client
from nervecare.core.auth.mfa import demo_secret_base32
from nervecare.ops.demo.claims import seed_claims
from nervecare.ops.demo.clients import seed_clients
from nervecare.ops.demo.footcheck import seed_foot_checks
from nervecare.ops.demo.money import seed_money
from nervecare.ops.demo.notes import seed_notes
from nervecare.ops.demo.people import DEMO_PASSWORD, seed_clinic, seed_shares
from nervecare.ops.demo.schedule import seed_schedule
from nervecare.ops.demo.selfcare import seed_selfcare
from nervecare.ops.demo.trials import seed_trials
from nervecare.screening.models import SafetyFlag


class Command(BaseCommand):
    help = "Seed a deterministic demo clinic (idempotent) and print how to log in."

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(20261125)  # deterministic jitter
        clinic, people = seed_clinic()
        owner = people["owner"]
        therapists = [people[u] for u in ("maria", "james", "lena", "tom")]
        created = seed_clients(clinic, owner, therapists, rng)
        appointments = seed_schedule(clinic, people["desk"], rng)
        notes = seed_notes(clinic, owner, rng)
        seed_money(clinic, people["desk"])
        seed_claims(clinic, owner, rng)
        seed_foot_checks(clinic)  # two weeks of daily foot checks, one client with a missed streak
        seed_selfcare(clinic, owner, rng, DEMO_PASSWORD)
        seed_trials(clinic, people["maria"])  # issue 21: a completed A-B-A-B trial (ops/demo/trials.py)
        seed_shares(clinic, owner, people["maria"], people["tom"])
        total = Client.objects.filter(clinic=clinic).count()
        flagged = (
            SafetyFlag.objects.filter(client__clinic=clinic, status="open")
            .values("client")
            .distinct()
            .count()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic '{clinic.name}': {total} clients ({created} added now), {flagged} with open safety flags, "
                f"{appointments} appointments and {notes} signed session notes added."
            )
        )
        self.stdout.write(
            "Log in at http://127.0.0.1:8000/ with one of (password for all: "
            f"{DEMO_PASSWORD}):\n"
            "  maria  — therapist, 12 years, oncology massage + lymphatic drainage\n"
            "  james  — therapist, 6 years, diabetic foot + neurological training\n"
            "  owner  — clinic owner (admin)\n"
            "  desk   — front desk (no clinical data)\n"
            "Staff sign-in asks for a two-step code after the password: run `./dev mfa code maria` (any demo\n"
            f"username) for the current one, or add the demo key {demo_secret_base32()} to an authenticator app."
        )
