"""Demo home self-care (issue 18): a home programme for a few demo clients — one of them with loss of
protective sensation, so its heat items are refused — and three weeks of check-offs, through the same
services the therapist and the client use (back-dated afterwards, as a programme cannot be assigned in the
past). No portal sign-in is made here: tests
walk the demo as a portal client by giving a client of their choice an account. Idempotent: a
clinic that already has a programme is left as it is."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, User
from nervecare.screening.models import SafetyFlag
from nervecare.selfcare import services
from nervecare.selfcare.models import CheckOff, Programme, ProgrammeChange, ProgrammeItem
from nervecare.selfcare.selectors import client_today
from nervecare.selfcare.services import ItemChoice

# What each demo programme holds: foot care for loss of protective sensation, hands for the others.
FEET = ("foot_inspection", "wash_dry_feet", "emollient_feet", "shoe_check", "ankle_circles")
HANDS = ("hand_self_massage", "finger_glides", "foot_inspection")
WEEKS = 3


def _therapist_user(client: Client, fallback: User) -> User:
    therapist = client.primary_therapist
    return therapist.user if therapist is not None else fallback


def seed_selfcare(clinic: Clinic, owner: User, rng: random.Random, password: str) -> int:
    """Programmes and check-offs for up to 4 demo clients; the number of programmes made."""
    if Programme.objects.filter(client__clinic=clinic).exists():
        return 0
    lops = list(
        Client.objects.filter(clinic=clinic, flags__rule_id="lops", flags__status=SafetyFlag.Status.OPEN)
        .distinct()
        .order_by("id")[:2]
    )
    others = list(
        Client.objects.filter(clinic=clinic).exclude(pk__in=[c.pk for c in lops]).order_by("id")[:2]
    )
    made = 0
    for client in lops + others:
        codes = FEET if client in lops else HANDS
        actor = _therapist_user(client, owner)
        with transaction.atomic():
            try:
                programme = services.programme_assign(
                    actor=actor,
                    client=client,
                    items=[ItemChoice(c) for c in codes],
                    starts_on=client_today(client),
                    reason="Home care between the weekly sessions (demo).",
                )
            except FieldErrors:  # a demo client whose open flags refuse one of the items: skip them
                continue
            _backdate(programme, client, WEEKS)
            _check_offs(programme, client, rng, adherence=0.85 if made % 2 == 0 else 0.45)
            made += 1
    return made


def _backdate(programme: Programme, client: Client, weeks: int) -> None:
    start = client_today(client) - datetime.timedelta(weeks=weeks)
    shift = timezone.now() - datetime.timedelta(weeks=weeks)
    Programme.objects.filter(pk=programme.pk).update(starts_on=start, created_at=shift)
    ProgrammeItem.objects.filter(programme=programme).update(starts_on=start, added_at=shift)
    ProgrammeChange.objects.filter(programme=programme).update(at=shift)


def _check_offs(programme: Programme, client: Client, rng: random.Random, adherence: float) -> None:
    today = client_today(client)
    start = today - datetime.timedelta(weeks=WEEKS)
    rows = []
    for pi in ProgrammeItem.objects.filter(programme=programme):
        day = start
        while day < today:
            if rng.random() < adherence:
                rows.append(
                    CheckOff(
                        item=pi,
                        client=client,
                        day=day,
                        done_at=timezone.now() - datetime.timedelta(days=(today - day).days, hours=2),
                        rating=rng.choice([None, 3, 4, 5, 6]),
                    )
                )
            day += datetime.timedelta(days=1)
    CheckOff.objects.bulk_create(rows)
