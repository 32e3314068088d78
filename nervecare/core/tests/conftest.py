import pytest

from nervecare.core.tests.factories import UserFactory


@pytest.fixture
def admin_user(clinic):
    """Ada: the clinic's owner (role admin)."""
    return UserFactory(username="ada", clinic=clinic, role="admin")


@pytest.fixture
def other_admin(other_clinic):
    return UserFactory(username="otto", clinic=other_clinic, role="admin")
