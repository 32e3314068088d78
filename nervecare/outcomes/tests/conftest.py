"""Helpers for the outcome tests: courses of signed session notes written directly (fast), screenings as rows."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.plans.models import CarePlan
from nervecare.plans.tests.factories import CarePlanFactory
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.tests.factories import AppointmentFactory, ServiceFactory
from nervecare.screening.models import InstrumentResponse
from nervecare.screening.tests.factories import InstrumentResponseFactory
from nervecare.visits.tests.factories import SessionNoteFactory

WEEK = dt.timedelta(weeks=1)


def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def response(
    client: Any,
    instrument: str,
    total: float,
    at: dt.datetime,
    *,
    context: str = "intake",
    summary: str = "",
    **extra: Any,
) -> InstrumentResponse:
    """A stored screening (scoring itself is tested in screening/; here only the total matters)."""
    return InstrumentResponseFactory(
        client=client,
        instrument=instrument,
        total=Decimal(str(total)),
        max_total=Decimal(str(extra.pop("max_total", 10))),
        interpretation={"summary": summary, "cutoffs": extra.pop("cutoffs", [])},
        administered_at=at,
        context=context,
    )


def plan_for(client: Any, therapist: Any, **changes: Any) -> CarePlan:
    data = {
        "status": "active",
        "scope": "hand_and_foot",
        "pressure": "moderate",
        "course_weeks": 12,
        "reevaluation_weeks": [4, 8, 12],
        "outcome_measures": [],
        "rationale": [],
    }
    return CarePlanFactory(client=client, therapist=therapist, **(data | changes))


def session(
    client: Any,
    therapist: Any,
    at: dt.datetime,
    *,
    plan: CarePlan | None = None,
    service: Any = None,
    status: str = "completed",
    signed: bool = True,
    **ratings: Any,
) -> Any:
    """An appointment and, when completed, its signed note with the given ratings (pain_before=6, ...).

    A therapist's sessions never overlap (PostgreSQL enforces it): a taken time moves on by 80 minutes."""
    while Appointment.objects.filter(
        therapist=therapist, starts_at__lt=at + dt.timedelta(minutes=75), blocked_until__gt=at
    ).exists():
        at += dt.timedelta(minutes=80)
    appointment = AppointmentFactory(
        client=client,
        therapist=therapist,
        service=service or ServiceFactory(clinic=client.clinic),
        starts_at=at,
        status=status,
        plan=plan,
    )
    if status != "completed":
        return appointment
    return SessionNoteFactory(
        appointment=appointment,
        signed_at=at + dt.timedelta(hours=1) if signed else None,
        **ratings,
    )


def course(
    client: Any,
    therapist: Any,
    pain_before: list[int | None],
    *,
    start: dt.datetime | None = None,
    pain_after: list[int | None] | None = None,
    plan: CarePlan | None = None,
    **other: list[int | None],
) -> list[Any]:
    """Weekly sessions from `start` (default: len(pain_before) weeks ago); None in pain_before skips a week."""
    start = start or now() - WEEK * len(pain_before) - dt.timedelta(days=1)
    service = ServiceFactory(clinic=client.clinic)
    notes = []
    for i, before in enumerate(pain_before):
        if before is None and not other:
            continue  # a missed week: no session
        ratings = {"pain_before": before}
        if pain_after is not None:
            ratings["pain_after"] = pain_after[i]
        for name, values in other.items():
            ratings[name] = values[i]
        notes.append(session(client, therapist, start + WEEK * i, plan=plan, service=service, **ratings))
    return notes


@pytest.fixture(autouse=True)
def _empty_cache():
    """Charts and clinic summaries are cached by their inputs; every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice_therapist(therapist_user):
    return therapist_user.therapist


@pytest.fixture
def admin_user(clinic):
    return UserFactory(username="ada", clinic=clinic, role="admin")


@pytest.fixture
def client_user(clinic):
    """A client's own login (role client): no staff pages."""
    return UserFactory(username="carla", clinic=clinic, role="client")


@pytest.fixture
def rosa(clinic, alice_therapist):
    """Rosa: type 2 diabetes, pain 6 at intake, 6 weekly sessions, improving."""
    client = ClientFactory(clinic=clinic, first_name="Rosa", last_name="Marín")
    ConditionFactory(client=client, type="peripheral", cause="diabetes_t2", pain=6)
    start = now() - WEEK * 6 - dt.timedelta(days=1)
    response(client, "nrs_pain", 6, start - dt.timedelta(days=2))
    plan = plan_for(client, alice_therapist)
    course(
        client,
        alice_therapist,
        [6, 5, 5, 4, 3, 3],
        pain_after=[4, 4, 3, 3, 2, 2],
        soreness_after=[3, 2, 2, 1, 1, 1],
        start=start,
        plan=plan,
    )
    return client


def csv_body(text: str) -> str:
    """A CSV export without its leading "# " caveat lines (what a reader skips with comment="#")."""
    lines = text.splitlines(keepends=True)
    assert lines and lines[0].startswith("# "), "the export starts with its caveat"
    return "".join(line for line in lines if not line.startswith("#"))
