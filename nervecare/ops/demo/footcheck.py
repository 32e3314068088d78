"""Demo data of the daily foot check (issue 18 point 4): two weeks of checks for the demo clients who do it,
one of them (with loss of protective sensation) with a missed streak, so the therapist's list has something
to show. Idempotent: a client who already has foot checks is left alone. Past reports are written as rows
(the service records today's only); none raises a stop, so the demo's bookings stay as they are."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.models import Clinic
from nervecare.footcheck import rules
from nervecare.footcheck.models import FootCheck
from nervecare.screening.models import SafetyFlag

# Days before today: the streak client checked from 14 to 6 days ago and then stopped (5 days missed); the
# regular one checked every day, with redness of the left toes reported 3 days ago (told to call their doctor
# or foot service; redness alone raises no stop).
STREAK_DAYS = range(14, 5, -1)
REGULAR_DAYS = range(14, 0, -1)
REDNESS_DAY = 3


def _eligible(clinic: Clinic, rule_id: str) -> list[Client]:
    ids = SafetyFlag.objects.filter(client__clinic=clinic, status="open", rule_id=rule_id).values("client_id")
    return list(Client.objects.filter(pk__in=ids).order_by("last_name", "first_name", "id"))


def seed_foot_checks(clinic: Clinic) -> int:
    """Seed the checks; returns how many reports were written."""
    lops = _eligible(clinic, "lops")
    at_risk = [c for c in _eligible(clinic, "diabetic_foot_care") if c not in lops] + lops[1:]
    if not lops:
        return 0
    plan = [(lops[0], STREAK_DAYS)] + ([(at_risk[0], REGULAR_DAYS)] if at_risk else [])
    today = timezone.localdate(timezone=ZoneInfo(clinic.timezone))
    written = 0
    with transaction.atomic():
        for client, days in plan:
            if FootCheck.objects.filter(client=client).exists():
                continue
            for ago in days:
                day = today - datetime.timedelta(days=ago)
                red = ago == REDNESS_DAY and days is REGULAR_DAYS
                FootCheck.objects.create(
                    client=client,
                    checked_on=day,
                    reported_at=datetime.datetime.combine(
                        day, datetime.time(8, 30), ZoneInfo(clinic.timezone)
                    ),
                    redness=red,
                    foot="left" if red else "",
                    regions=["toes"] if red else [],
                    note="Slightly red after new shoes" if red else "",
                    rules_version=rules.rules().version,
                    needs_attention=red,
                )
                written += 1
    return written
