"""Clients who do the daily foot check, and photos for the size and type tests."""

import base64

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.portal.models import ClientAccount
from nervecare.screening.services import response_create, safety_check_run

# MNSI history with item 7 ("able to tell hot water from cold?") answered "no": loss of protective sensation
# (safety rule `lops`), and no diabetes.
MNSI_LOPS = {str(i): "no" for i in range(1, 16)}

# The smallest real PNG (1x1, transparent): a photo by its content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def lops_client(*, clinic, actor, **kwargs):
    """A client whose MNSI history shows loss of protective sensation (no diabetes on the record)."""
    client = ClientFactory(clinic=clinic, **kwargs)
    response_create(actor=actor, client=client, instrument="mnsi_history", answers=MNSI_LOPS)
    return client


def diabetic_client(*, clinic, actor, **kwargs):
    client = ClientFactory(clinic=clinic, **kwargs)
    ConditionFactory(client=client, cause="diabetes_t2")
    safety_check_run(actor=actor, client=client)
    return client


def portal_user_for(client, username="ada"):
    user = UserFactory(
        username=username, clinic=client.clinic, role="client", email=f"{username}@example.org"
    )
    ClientAccount.objects.create(user=user, client=client)
    return user
