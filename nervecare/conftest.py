import pytest
from django.test import Client as HttpClient

from nervecare.core.tests.factories import ClinicFactory, ConsentTextFactory, TherapistFactory, UserFactory


@pytest.fixture
def clinic(db):
    clinic = ClinicFactory(name="Riverside", slug="riverside")
    ConsentTextFactory(clinic=clinic, version="1.0")
    return clinic


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere", slug="elsewhere")


@pytest.fixture
def therapist_user(clinic):
    """Alice: a therapist with oncology and MLD training, 8 years."""
    user = UserFactory(username="alice", clinic=clinic, role="therapist")
    TherapistFactory(
        user=user,
        clinic=clinic,
        display_name="Alice",
        years_experience=8,
        certifications=["oncology_massage", "mld", "diabetic_foot"],
    )
    return user


@pytest.fixture
def junior_therapist_user(clinic):
    """Bob: a therapist with 1 year and no extra training."""
    user = UserFactory(username="bob", clinic=clinic, role="therapist")
    TherapistFactory(user=user, clinic=clinic, display_name="Bob", years_experience=1, certifications=[])
    return user


@pytest.fixture
def front_desk_user(clinic):
    return UserFactory(username="frank", clinic=clinic, role="front_desk")


@pytest.fixture
def other_clinic_user(other_clinic):
    user = UserFactory(username="olga", clinic=other_clinic, role="therapist")
    TherapistFactory(
        user=user, clinic=other_clinic, display_name="Olga", years_experience=10, certifications=[]
    )
    return user


@pytest.fixture
def api(therapist_user):
    """A signed-in HTTP client for Alice (JSON helpers: api.post(url, data, content_type=...))."""
    http = HttpClient()
    http.force_login(therapist_user)
    return http


def login(user):
    http = HttpClient()
    http.force_login(user)
    return http
