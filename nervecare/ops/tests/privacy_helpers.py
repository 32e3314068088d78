"""A client with something in every part of the record, for the privacy tests (delete, erase, export)."""

import datetime as dt

import pytest
from django.utils import timezone

from nervecare.clients.models import BodyMap, BodyMapMark, Consent, ConsentText
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.portal.models import DiaryEntry
from nervecare.portal.tests.factories import ClientAccountFactory
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.screening.services import response_create, safety_check_run
from nervecare.visits import services as visit_services

MNSI_NORMAL = {str(i): "no" for i in range(1, 16)} | {"7": "yes", "13": "yes"}
NOTE = {
    "modality": "swedish",
    "pressure": "light",
    "minutes": 60,
    "areas_treated": [{"region": "feet", "side": "both"}],
    "subjective": "Feet burn at night.",
    "objective": "Skin intact.",
    "assessment": "Tolerated well.",
    "plan": "Continue weekly.",
    "pain_before": 6,
    "pain_after": 3,
    "numbness_before": 5,
    "numbness_after": 5,
    "tingling_before": 4,
    "tingling_after": 2,
    "soreness_after": 1,
}


@pytest.fixture
def admin_user(clinic):
    return UserFactory(username="ada", clinic=clinic, role="admin")


@pytest.fixture
def other_admin(other_clinic):
    return UserFactory(username="oscar", clinic=other_clinic, role="admin")


def full_client(clinic, therapist_user, *, seen_days_ago: int = 3):
    """Rosa: intake, screening, flags, a signed note with an amendment and an adverse event, a future
    appointment, a portal account with a diary."""
    therapist = therapist_user.therapist
    client = ClientFactory(
        clinic=clinic,
        first_name="Rosa",
        last_name="Marquez",
        email="rosa@example.org",
        primary_therapist=therapist,
    )
    ConditionFactory(client=client, diagnosis="Diabetic polyneuropathy", pain=6)
    MedicalContextFactory(client=client, on_anticoagulants=True, notes="Warfarin since 2024")
    Consent.objects.create(
        client=client, text=ConsentText.objects.get(clinic=clinic), given_at=timezone.now(), method="written"
    )
    body_map = BodyMap.objects.create(client=client, recorded_at=timezone.now(), pattern="stocking")
    BodyMapMark.objects.create(
        body_map=body_map, region="foot", side="left", sensation="burning", intensity=6
    )
    response_create(actor=therapist_user, client=client, instrument="mnsi_history", answers=MNSI_NORMAL)
    safety_check_run(actor=therapist_user, client=client)
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=seen_days_ago)
    past = AppointmentFactory(client=client, therapist=therapist, starts_at=start, status="completed")
    note = visit_services.note_save(actor=therapist_user, appointment=past, data=dict(NOTE))
    note = visit_services.note_sign(actor=therapist_user, note=note)
    visit_services.note_amend(actor=therapist_user, note=note, reason="Add detail", text="Left foot worse.")
    visit_services.adverse_event_add(
        actor=therapist_user,
        note=note,
        data={"kind": "bruising", "severity": "mild", "description": "Small bruise on the left shin."},
    )
    AppointmentFactory(
        client=client,
        therapist=therapist,
        service=past.service,
        starts_at=timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=7),
    )
    ClientAccountFactory(client=client, user__username="rosa", user__email="rosa@example.org")
    DiaryEntry.objects.create(
        client=client, day=timezone.localdate(), pain=4, numbness=5, tingling=3, sleep=2
    )
    return client
