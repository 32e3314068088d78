"""The job queue on its real back ends: a SQLite file (the embedded default) and a Redis server."""

import os
import socket

import pytest
from django.test import override_settings

from nervecare.core.jobs import make_huey

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((REDIS_HOST, REDIS_PORT)) == 0


def round_trip(queue) -> int:
    @queue.task()
    def add(a: int, b: int) -> int:
        return a + b

    queue.flush()
    result = add(2, 3)  # enqueued, not run
    assert queue.pending_count() == 1
    task = queue.dequeue()
    queue.execute(task)  # what the consumer does
    return result.get()


def test_sqlite_queue_round_trip(tmp_path):
    with override_settings(REDIS_URL="", NERVECARE_JOBS_IMMEDIATE=False, DATA_DIR=tmp_path):
        queue = make_huey()
    assert round_trip(queue) == 5
    assert (tmp_path / "jobs.sqlite3").exists()


def test_redis_queue_round_trip():
    if not redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not answering on 127.0.0.1:6379; CI must test the Redis-backed queue")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with override_settings(REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/15", NERVECARE_JOBS_IMMEDIATE=False):
        queue = make_huey()
    assert type(queue).__name__ == "RedisHuey"
    assert round_trip(queue) == 5
    queue.flush()
