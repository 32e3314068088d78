"""A bearer token's "last used" time is kept to the minute, so an API read does not write on every request."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from nervecare.core.services import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db


def test_last_used_is_recorded_to_the_minute(therapist_user):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert api_token_authenticate(plain) == therapist_user
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        assert api_token_authenticate(plain) == therapist_user
    token.refresh_from_db()
    assert token.last_used_at == start  # within the minute: not written again

    later = start + datetime.timedelta(minutes=1, seconds=5)
    with time_machine.travel(later, tick=False):
        assert api_token_authenticate(plain) == therapist_user
    token.refresh_from_db()
    assert token.last_used_at == later
