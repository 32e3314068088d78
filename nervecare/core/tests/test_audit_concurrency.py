"""Concurrent appends from many connections on a real PostgreSQL server leave one unbroken chain."""

import threading

import pytest
from django.db import connection, connections

from nervecare.core import audit
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import ClientFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a real multi-connection server (run with DATABASE_URL=postgres://…)",
)

THREADS = 8
PER_THREAD = 25


def run_concurrently(target, n: int) -> list:
    barrier = threading.Barrier(n)
    errors: list = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # noqa: BLE001 - every failure is collected and asserted on
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_each_chain_whole(therapist_user, other_clinic_user, clinic, other_clinic):
    mine, theirs = ClientFactory(clinic=clinic), ClientFactory(clinic=other_clinic)

    def append(i: int) -> None:
        actor, client = (therapist_user, mine) if i % 2 else (other_clinic_user, theirs)
        for n in range(PER_THREAD):
            audit.record(actor=actor, action="view", obj=client, summary=f"thread {i} read {n}")

    errors = run_concurrently(append, THREADS)
    assert errors == []
    for chain in (clinic.id, other_clinic.id):
        report = audit.verify_chain(chain)
        assert report.broken is None, report.broken
        assert report.events == report.head_seq == THREADS // 2 * PER_THREAD
    assert AuditEvent.objects.count() == THREADS * PER_THREAD
