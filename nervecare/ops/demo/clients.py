"""The demo's clients, each taken in through the app's own services: intake, screenings, the safety check and a
proposed plan (activated unless a flag holds it), so the demo has an audit trail and real flags."""

import datetime
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.services import intake_create
from nervecare.core.models import Clinic, User
from nervecare.ops.demo.cases import CASES, NAMES
from nervecare.plans.services import PlanBlockedError, plan_activate, plan_propose
from nervecare.screening.services import flag_record_clearance, response_create, safety_check_run


def seed_clients(clinic: Clinic, owner: User, therapists: list[User], rng: random.Random) -> int:
    """Each demo name not yet in the clinic (found by name and birth date), taken in by the owner; returns how
    many were added."""
    created = 0
    for index, (first, last) in enumerate(NAMES):
        case = CASES[index % len(CASES)]
        dob = datetime.date(1942 + (index * 7) % 45, 1 + index % 12, 1 + (index * 3) % 27)
        if Client.objects.filter(clinic=clinic, first_name=first, last_name=last, date_of_birth=dob).exists():
            continue
        with transaction.atomic():
            _client(clinic, owner, therapists[index % 3], first, last, dob, case, rng)
        created += 1
    return created


def _client(
    clinic: Clinic,
    actor: User,
    therapist_user: User,
    first: str,
    last: str,
    dob: datetime.date,
    case: dict[str, Any],
    rng: random.Random,
) -> None:
    today = timezone.localdate()
    condition = dict(case["condition"])
    for symptom in ("numbness", "pain", "tingling", "burning", "cramps", "weakness", "balance"):
        if condition.get(symptom) is not None:
            condition[symptom] = max(0, min(10, condition[symptom] + rng.choice((-1, 0, 0, 1))))
    condition["onset_date"] = today - datetime.timedelta(days=rng.randint(200, 2500))
    if condition.get("cause") == "chemotherapy":
        condition["chemotherapy_start"] = today - datetime.timedelta(days=rng.randint(60, 200))
    medical = dict(case["medical"])
    months = medical.pop("dvt_months_ago", None)
    if months is not None:
        medical["dvt_date"] = today - datetime.timedelta(days=30 * months)
    client = intake_create(
        actor=actor,
        client={
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "email": f"{first.lower()}.{last.lower()}@example.org",
            "phone": f"+44 20 7946 {rng.randint(1000, 9999)}",
            "emergency_contact_name": f"{rng.choice(['Sam', 'Alex', 'Chris', 'Jo'])} {last}",
            "emergency_contact_phone": f"+44 20 7946 {rng.randint(1000, 9999)}",
            "referring_clinician": rng.choice(
                [
                    "Dr A. Shah (GP)",
                    "Dr M. Byrne (oncology)",
                    "Diabetes foot clinic",
                    "Dr K. Lewis (neurology)",
                ]
            ),
            "goals": case["goals"],
        },
        conditions=[condition],
        medical=medical,
        body_map=case["body_map"],
        consent={"version": "1.0", "method": "written"},
        primary_therapist_id=therapist_user.therapist.id,
    )
    for code, answers in case["screen"].items():
        response_create(actor=actor, client=client, instrument=code, answers=answers)
    base = case["condition"]
    for code, symptom in (
        ("nrs_pain", "pain"),
        ("nrs_numbness", "numbness"),
        ("nrs_tingling", "tingling"),
    ):
        if base.get(symptom) is not None:
            response_create(
                actor=actor, client=client, instrument=code, answers={symptom: condition[symptom]}
            )
    safety_check_run(actor=actor, client=client)
    plan, _proposal = plan_propose(actor=actor, client=client)
    if case["medical"].get("dvt_history") and rng.random() < 0.5:
        flag = client.flags.filter(rule_id="dvt_history", status="open").first()
        if flag is not None:
            flag_record_clearance(
                actor=actor,
                flag=flag,
                clinician="Dr M. Byrne (oncology)",
                clearance_date=today - datetime.timedelta(days=3),
            )
    try:
        plan_activate(actor=actor, plan=plan)
    except PlanBlockedError:
        pass  # stays proposed until the stop or clearance flag is dealt with
    except Exception as exc:  # noqa: BLE001 - an unqualified clinic leaves the plan proposed
        if "therapist" not in str(exc):
            raise
