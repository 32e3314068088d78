"""API tokens are cached with their user (NERVECARE_TOKEN_CACHE_SECONDS, on with Redis), and any change that
should stop or alter a token takes effect on the very next request: revoking, expiring, deleting the token,
deactivating or changing its user, restoring a backup."""

import datetime

import pytest
import redis
import time_machine
from django.core.cache import cache, caches
from django.test import override_settings
from django.utils import timezone

from nervecare.core.models import ApiToken, User
from nervecare.core.services import (
    _token_cache_key,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture(autouse=True)
def token_cache_on(settings):
    settings.NERVECARE_TOKEN_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _digest(token: ApiToken) -> str:
    return token.token_hash


def test_a_second_request_needs_no_query(therapist_user, django_assert_num_queries):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    assert api_token_authenticate(plain) == therapist_user
    with django_assert_num_queries(0):
        user = api_token_authenticate(plain)
    assert user == therapist_user
    assert user.role == therapist_user.role
    assert user.api_token.scopes == ["clients:read"]


def test_nothing_is_cached_when_switched_off(settings, therapist_user, django_assert_num_queries):
    settings.NERVECARE_TOKEN_CACHE_SECONDS = 0
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    api_token_authenticate(plain)
    assert cache.get(_token_cache_key(_digest(token))) is None
    with django_assert_num_queries(1):
        assert api_token_authenticate(plain) == therapist_user


def test_unknown_and_revoked_tokens_are_never_cached(therapist_user):
    assert api_token_authenticate("nc_not-a-token") is None
    token, plain = api_token_create(user=therapist_user, name="old", scopes=["clients:read"])
    api_token_revoke(token=token)
    assert api_token_authenticate(plain) is None
    assert cache.get(_token_cache_key(_digest(token))) is None


def test_revoking_a_cached_token_takes_effect_on_the_next_request(therapist_user):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    assert api_token_authenticate(plain) is not None
    api_token_revoke(token=ApiToken.objects.get(pk=token.pk))
    assert api_token_authenticate(plain) is None


def test_deleting_a_cached_token_takes_effect_on_the_next_request(therapist_user):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    assert api_token_authenticate(plain) is not None
    ApiToken.objects.get(pk=token.pk).delete()
    assert api_token_authenticate(plain) is None


def test_deactivating_the_user_takes_effect_on_the_next_request(therapist_user):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    assert api_token_authenticate(plain) is not None
    user = User.objects.get(pk=therapist_user.pk)
    user.is_active = False
    user.save()
    assert api_token_authenticate(plain) is None


def test_a_role_change_is_seen_on_the_next_request(therapist_user):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    assert api_token_authenticate(plain).role == User.Role.THERAPIST
    user = User.objects.get(pk=therapist_user.pk)
    user.role = User.Role.FRONT_DESK
    user.save(update_fields=["role"])
    assert api_token_authenticate(plain).role == User.Role.FRONT_DESK


def test_a_cached_token_stops_at_its_expiry(therapist_user):
    start = timezone.now()
    token, plain = api_token_create(
        user=therapist_user,
        name="short",
        scopes=["clients:read"],
        expires_at=start + datetime.timedelta(hours=1),
    )
    with time_machine.travel(start, tick=False):
        assert api_token_authenticate(plain) is not None
    assert cache.get(_token_cache_key(_digest(token))) is not None
    with time_machine.travel(start + datetime.timedelta(hours=1, seconds=1), tick=False):
        assert api_token_authenticate(plain) is None


def test_last_used_is_still_kept_to_the_minute(therapist_user):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=["clients:read"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api_token_authenticate(plain)
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        api_token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + datetime.timedelta(minutes=1, seconds=5)
    with time_machine.travel(later, tick=False):
        api_token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_with_redis_a_revocation_clears_the_shared_entry(settings, therapist_user):
    """Several app processes share Redis: the entry each would read is gone once the token is revoked."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:  # pragma: no cover - CI starts Redis (.ci/run)
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    shared = {"default": {"BACKEND": "nervecare.core.cache.RedisCache", "LOCATION": REDIS_URL}}
    with override_settings(CACHES=shared):
        caches["default"].clear()
        token, plain = api_token_create(user=therapist_user, name="sync", scopes=["clients:read"])
        assert api_token_authenticate(plain) == therapist_user
        raw = redis.Redis.from_url(REDIS_URL)
        assert any(b"nc:apitoken:" in k for k in raw.keys("*"))
        api_token_revoke(token=ApiToken.objects.get(pk=token.pk))
        assert not any(b"nc:apitoken:" in k for k in raw.keys("*"))
        assert api_token_authenticate(plain) is None
        caches["default"].clear()
