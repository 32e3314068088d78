"""The API's rate limits across processes and behind the proxy (issue 22): counted atomically in the shared
Redis, so concurrent clients cannot all pass a limit, and keyed by the address the trusted proxy saw, so a
client cannot buy a fresh limit by writing its own X-Forwarded-For."""

import threading
import uuid

import pytest
import redis
from django.test import Client as HttpClient
from django.test import RequestFactory
from ninja.conf import settings as ninja_settings

from nervecare.core.throttling import ApiAnonThrottle, ApiUserThrottle

REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def shared_cache(settings):
    """The default cache on the real Redis (as every app process shares it in production), fresh keys."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:  # pragma: no cover - CI starts Redis (.ci/run)
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "nervecare.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"nc-test-rate-{uuid.uuid4().hex}",
        }
    }
    yield


@pytest.fixture
def behind_one_proxy(monkeypatch):
    """AXES_PROXY_COUNT=1 in production sets NINJA_NUM_PROXIES=1 (nervecare/settings.py); ninja reads it once."""
    monkeypatch.setattr(ninja_settings, "NUM_PROXIES", 1)


def _hammer(throttle_class, request, threads: int, each: int) -> int:
    passed = []
    barrier = threading.Barrier(threads)

    def run():
        barrier.wait()
        # A new throttle per request, as ninja and the FHIR views make them.
        passed.append(sum(throttle_class().allow_request(request) for _ in range(each)))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(passed)


def test_concurrent_clients_never_pass_the_per_user_limit(shared_cache, settings, django_user_model, db):
    settings.NERVECARE_API_RATE = "100/h"
    request = RequestFactory().get("/api/v1/me")
    request.user = django_user_model(pk=987_654, username="load")  # the limit is per user id
    assert _hammer(ApiUserThrottle, request, threads=8, each=40) == 100


def test_concurrent_guesses_never_pass_the_anonymous_limit(shared_cache, settings):
    settings.NERVECARE_API_ANON_RATE = "60/h"
    request = RequestFactory().get("/api/v1/me", REMOTE_ADDR="198.51.100.9")
    request.user = None
    assert _hammer(ApiAnonThrottle, request, threads=8, each=20) == 60


def test_a_written_x_forwarded_for_gets_no_fresh_limit_behind_the_proxy(db, settings, behind_one_proxy):
    settings.NERVECARE_API_ANON_RATE = "3/h"
    http = HttpClient()
    statuses = [
        # nginx appends the address it saw; what the client wrote comes before it.
        http.get(
            "/api/v1/me",
            HTTP_AUTHORIZATION=f"Bearer nc_guess{i}",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{i}, 203.0.113.7",
        ).status_code
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    # Another real client (another address seen by the proxy) has its own allowance.
    other = http.get(
        "/api/v1/me",
        HTTP_AUTHORIZATION="Bearer nc_guess",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert other.status_code == 401


def test_without_a_proxy_the_header_is_ignored(db, settings):
    settings.NERVECARE_API_ANON_RATE = "2/h"
    http = HttpClient()
    statuses = [
        http.get(
            "/api/v1/me",
            HTTP_AUTHORIZATION="Bearer nc_guess",
            REMOTE_ADDR="192.0.2.44",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]
