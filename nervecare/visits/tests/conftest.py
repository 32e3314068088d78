"""People and sessions for the note tests: Alice's client with a session an hour ago."""

import datetime
from typing import Any

import pytest
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, MedicalContextFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.visits import services

GOOD_NOTE: dict[str, Any] = {
    "modality": "swedish",
    "pressure": "moderate",
    "minutes": 60,
    "areas_treated": [{"region": "feet", "side": "both"}, {"region": "lower_back", "side": "midline"}],
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


def session(client, therapist, days_ago: float = 0, hours_ago: float = 1):
    """An appointment that has started (distinct times: a therapist's sessions never overlap)."""
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(
        days=days_ago, hours=hours_ago
    )
    return AppointmentFactory(client=client, therapist=therapist, starts_at=start)


@pytest.fixture
def admin_user(clinic):
    return UserFactory(username="ada", clinic=clinic, role="admin")


@pytest.fixture
def maria(clinic, therapist_user):
    """Alice's client: no medical context yet, so no flags."""
    return ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")


@pytest.fixture
def appointment(maria, therapist_user):
    return session(maria, therapist_user.therapist)


@pytest.fixture
def draft(appointment, therapist_user):
    return services.note_save(actor=therapist_user, appointment=appointment, data=dict(GOOD_NOTE))


@pytest.fixture
def signed(draft, therapist_user):
    return services.note_sign(actor=therapist_user, note=draft)


def give_dvt_signs(client):
    """One-sided calf swelling now: the suspected-DVT stop flag (every modality)."""
    MedicalContextFactory(client=client, dvt_signs_now=True)


def give_anticoagulants(client):
    """Anticoagulants: a modify flag capping pressure at moderate."""
    MedicalContextFactory(client=client, on_anticoagulants=True)


def give_skin_infection(client):
    """Cellulitis: a stop flag for manual lymphatic drainage only."""
    MedicalContextFactory(client=client, skin_infection=True)
