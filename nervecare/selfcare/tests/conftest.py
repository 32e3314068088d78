"""Fixtures of the self-care tests: Alice's client with loss of protective sensation, and her portal user."""

import pytest

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.portal.models import ClientAccount
from nervecare.selfcare.tests.factories import SafetyFlagFactory


@pytest.fixture
def lops_client(clinic, therapist_user):
    """Ada: Alice's client with an open loss-of-protective-sensation flag, and a portal sign-in."""
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Quill", email="ada@example.org")
    SafetyFlagFactory(client=client, rule_id="lops")
    return client


@pytest.fixture
def ada_user(lops_client):
    user = UserFactory(
        username="ada-portal", clinic=lops_client.clinic, role="client", email="ada@example.org"
    )
    ClientAccount.objects.create(client=lops_client, user=user)
    return user
