"""People for the portal tests: Carla (a client with a portal account), Dan (another client of the same
clinic, with his own account), plus the staff fixtures from nervecare/conftest.py."""

import datetime

import pytest
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.portal.tests.factories import ClientAccountFactory
from nervecare.scheduling.tests.factories import AppointmentFactory


def portal_user(clinic, first_name: str, username: str):
    client = ClientFactory(
        clinic=clinic, first_name=first_name, last_name="Client", email=f"{username}@example.org"
    )
    return ClientAccountFactory(client=client, user__username=username).user, client


@pytest.fixture
def carla(clinic):
    return portal_user(clinic, "Carla", "carla")


@pytest.fixture
def dan(clinic):
    return portal_user(clinic, "Dan", "dan")


def appointment_in(client, therapist, hours: float, **kwargs):
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=hours)
    return AppointmentFactory(client=client, therapist=therapist, starts_at=start, **kwargs)
