import pytest

from nervecare.conftest import login
from nervecare.core.tests.factories import UserFactory


@pytest.fixture
def owner(clinic):
    """Oona, the clinic's admin (owner)."""
    clinic.country, clinic.subdivision, clinic.timezone = "GB", "ENG", "Europe/London"
    clinic.save()
    return UserFactory(username="oona", clinic=clinic, role="admin", email="oona@example.org")


@pytest.fixture
def owner_http(owner):
    return login(owner)


@pytest.fixture
def other_owner(other_clinic):
    return UserFactory(username="oscar", clinic=other_clinic, role="admin", email="oscar@example.org")
