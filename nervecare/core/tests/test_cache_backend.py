"""The Redis cache backend (core/cache.py) behaves as Django's, from many threads, with one client per pool."""

import threading

import pytest
import redis

from nervecare.core.cache import RedisCache

REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def backend():
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:  # pragma: no cover - CI starts Redis (.ci/run)
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": "nc-test-backend"})
    cache.clear()
    yield cache
    cache.clear()


def test_get_set_delete_and_timeouts(backend):
    assert backend.get("missing", "default") == "default"
    backend.set("a", {"x": [1, 2]}, 30)
    assert backend.get("a") == {"x": [1, 2]}
    assert backend.add("a", "other", 30) is False
    backend.set_many({"b": 2, "c": 3}, 30)
    assert backend.get_many(["a", "b", "c"]) == {"a": {"x": [1, 2]}, "b": 2, "c": 3}
    backend.delete_many(["a", "b"])
    assert backend.get("a") is None and backend.get("b") is None
    assert backend.incr("c") == 4
    backend.set("gone", 1, 0)  # timeout 0: not stored
    assert backend.get("gone") is None


def test_one_client_is_reused_and_shared_by_threads(backend):
    client = backend._cache.get_client(write=True)
    assert backend._cache.get_client() is client
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                backend.set(f"t{n}-{i}", i, 30)
                assert backend.get(f"t{n}-{i}") == i
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert backend._cache.get_client() is client
