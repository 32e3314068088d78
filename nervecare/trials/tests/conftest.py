"""People for the trials tests: Carla (Alice's client, with a portal account and a stable diary), Dan (another
client of the clinic with his own account), the staff fixtures from nervecare/conftest.py."""

import datetime as dt

import pytest

from nervecare.portal.tests.conftest import portal_user
from nervecare.trials.services import client_today
from nervecare.trials.tests.factories import diary


@pytest.fixture
def carla(clinic, therapist_user):
    user, client = portal_user(clinic, "Carla", "carla")
    today = client_today(client)
    diary(client, today - dt.timedelta(days=27), today)
    return user, client


@pytest.fixture
def dan(clinic, therapist_user):
    return portal_user(clinic, "Dan", "dan")
