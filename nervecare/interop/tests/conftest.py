"""A full clinical record for the FHIR tests, and a validator for everything the server emits."""

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from nervecare.clients.services import intake_create
from nervecare.core.services import api_token_create
from nervecare.core.tests.factories import UserFactory
from nervecare.plans.services import plan_propose
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.screening.services import response_create
from nervecare.visits import services as visit_services

# fhir.resources 8 ships R5 as its default package; R4B (4.3) is the R4-compatible one, identical to R4
# for every resource NerveCare emits. Pydantic checks structure, types, cardinality and formats but not
# required-binding codes, so the statuses are checked here against the R4 value sets.
R4_CODES: dict[tuple[str, str], set[str]] = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended"},
    ("Flag", "status"): {"active", "inactive", "entered-in-error"},
    ("CarePlan", "status"): {
        "draft",
        "active",
        "on-hold",
        "revoked",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Appointment", "status"): {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    },
    ("Encounter", "status"): {
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
    },
    ("Procedure", "status"): {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed"},
    ("QuestionnaireResponse", "status"): {
        "in-progress",
        "completed",
        "amended",
        "entered-in-error",
        "stopped",
    },
    ("Questionnaire", "status"): {"draft", "active", "retired", "unknown"},
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
    ("Bundle", "type"): {"searchset", "collection", "transaction", "batch"},
}


def fhir_valid(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate one resource against the FHIR R4(B) models; returns it for chaining."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    for (kind, field), allowed in R4_CODES.items():
        if resource["resourceType"] == kind and field in resource:
            assert resource[field] in allowed, f"{kind}.{field} = {resource[field]!r}"
    return resource


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    """Export files go to a throw-away directory."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def admin_user(clinic):
    return UserFactory(username="ada", clinic=clinic, role="admin")


@pytest.fixture
def token(therapist_user):
    _token, plain = api_token_create(user=therapist_user, name="ehr", scopes=["fhir:read", "fhir:write"])
    return plain


GOOD_NOTE: dict[str, Any] = {
    "modality": "swedish",
    "pressure": "moderate",
    "minutes": 50,
    "areas_treated": [{"region": "foot", "side": "both"}, {"region": "lower_back", "side": "midline"}],
    "subjective": "Feet burn at night.",
    "objective": "Skin intact, cool feet.",
    "assessment": "Tolerated well.",
    "plan": "Continue weekly.",
    "pain_before": 6,
    "pain_after": 3,
    "numbness_before": 5,
    "numbness_after": 5,
    "tingling_before": 4,
    "tingling_after": 2,
    "soreness_after": 1,
    "next_session_plan": "Add hands.",
}


def make_record(actor, first="Maria", last="Lopez", born=datetime.date(1958, 3, 14), hours_earlier=0):
    """A client with the whole record: intake, flags, screenings, a plan, sessions, a signed note.
    (A second record for the same therapist needs its sessions `hours_earlier`: no double booking.)"""
    client = intake_create(
        actor=actor,
        client={
            "first_name": first,
            "last_name": last,
            "date_of_birth": born,
            "email": f"{first.lower()}@example.org",
            "phone": "+44 20 7946 0000",
            "address": "1 River Street, London",
            "emergency_contact_name": "Jon Lopez",
            "emergency_contact_phone": "+44 20 7946 0001",
            "referring_clinician": "Dr Ana Silva",
            "goals": "Sleep through the night.",
        },
        conditions=[
            {
                "type": "peripheral",
                "cause": "diabetes_t2",
                "diagnosis_code": "diabetic_polyneuropathy_t2",
                "onset_date": datetime.date(2019, 5, 1),
                "pain": 6,
                "numbness": 5,
                "tingling": 4,
            },
            {
                "type": "peripheral",
                "cause": "chemotherapy",
                "chemotherapy_agent": "oxaliplatin",
                "chemotherapy_start": datetime.date(2023, 1, 10),
                "chemotherapy_end": datetime.date(2023, 6, 1),
                "burning": 3,
            },
        ],
        medical={"on_anticoagulants": True},
    )
    now = timezone.now()
    responses = {
        "mnsi_history": {str(i): "yes" for i in range(1, 16)},
        "dn4": {str(i): ("yes" if i <= 5 else "no") for i in range(1, 11)},
        "nrs_pain": {"pain": 6},
        "nrs_numbness": {"numbness": 5},
        "pgic": {"pgic": 2},
        "mnsi_exam": {
            f"{side}.{item}": value
            for side in ("left", "right")
            for item, value in (
                ("appearance", "normal"),
                ("ulceration", "absent"),
                ("ankle_reflex", "reinforcement"),
                ("vibration", "decreased"),
            )
        },
    }
    stored = {
        code: response_create(
            actor=actor,
            client=client,
            instrument=code,
            answers=answers,
            administered_at=now - datetime.timedelta(days=3),
        )
        for code, answers in responses.items()
    }
    plan, _ = plan_propose(actor=actor, client=client)
    therapist = actor.therapist
    start = now.replace(second=0, microsecond=0) - datetime.timedelta(hours=hours_earlier)
    past = AppointmentFactory(
        client=client, therapist=therapist, starts_at=start - datetime.timedelta(days=2)
    )
    visit_services.note_save(actor=actor, appointment=past, data=dict(GOOD_NOTE))
    note = visit_services.note_sign(actor=actor, note=past.note)
    visit_services.note_amend(actor=actor, note=note, reason="Typo", changes={"pain_after": 2})
    future = AppointmentFactory(
        client=client, therapist=therapist, service=past.service, starts_at=start + datetime.timedelta(days=5)
    )
    cancelled = AppointmentFactory(
        client=client,
        therapist=therapist,
        service=past.service,
        starts_at=start + datetime.timedelta(days=6),
        status="cancelled",
        cancel_reason="Client unwell",
    )
    past.refresh_from_db()
    return SimpleNamespace(
        client=client,
        conditions=list(client.conditions.order_by("id")),
        responses=stored,
        plan=plan,
        past=past,
        note=note,
        future=future,
        cancelled=cancelled,
        flags=list(client.flags.all()),
    )


@pytest.fixture
def record(therapist_user):
    return make_record(therapist_user)
