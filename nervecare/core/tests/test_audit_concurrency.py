"""Concurrent appends from many connections on a real PostgreSQL server leave one unbroken chain."""

import threading
import time

import pytest
from django.db import connection, connections

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit
from nervecare.core.models import AuditEvent

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


def run_each(*fns) -> list:
    """Run each function in its own thread (its own database connection); the exceptions they raised."""
    errors: list = []

    def run(fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - every failure is collected and asserted on
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def backend_pid() -> int:
    """The PostgreSQL backend serving this thread's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wait_until_waiting_for_a_lock(pid: list[int], done: threading.Event, seconds: float = 10) -> None:
    """Until the backend in `pid` waits for a lock (pg_locks shows it not granted) or its thread is done.

    Explicit synchronisation instead of a sleep: the race is set up when the other transaction has got as
    far as it can, whatever the machine's speed. pg_locks is read afresh on every query (unlike
    pg_stat_activity, it is not a per-transaction snapshot), so this works inside an open transaction."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while not done.is_set() and time.monotonic() < deadline:
            if pid:
                cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [pid[0]])
                if cursor.fetchone():
                    return
            done.wait(0.005)  # the poll interval of the condition above, not a wait for time to pass


@pytest.fixture(autouse=True, params=["deferred", "inline"])
def seal_mode(request, settings):
    settings.NERVECARE_AUDIT_SEAL = request.param
    return request.param


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_each_chain_whole(therapist_user, other_clinic_user, clinic, other_clinic):
    """Many writers at once; with deferred sealing each of them also seals now and then, as app processes
    do after their requests (a chain that another one is sealing is left to it)."""
    mine, theirs = ClientFactory(clinic=clinic), ClientFactory(clinic=other_clinic)

    def append(i: int) -> None:
        actor, client = (therapist_user, mine) if i % 2 else (other_clinic_user, theirs)
        for n in range(PER_THREAD):
            audit.record(actor=actor, action="view", obj=client, summary=f"thread {i} read {n}")
            if n % 5 == i % 5:
                audit.seal(wait=False)

    errors = run_concurrently(append, THREADS)
    assert errors == []
    audit.seal()
    for chain in (clinic.id, other_clinic.id):
        report = audit.verify_chain(chain)
        assert report.broken is None, report.broken
        assert report.events == report.head_seq == THREADS // 2 * PER_THREAD
    assert AuditEvent.objects.count() == THREADS * PER_THREAD


@pytest.mark.django_db(transaction=True)
def test_a_write_referring_to_a_locked_client_does_not_deadlock_with_the_chain_lock(therapist_user, clinic):
    """A service that inserts a row referring to a client appends its audit event (taking the chain lock)
    while another service holds that client FOR UPDATE and is about to append its own. The first one's
    foreign-key check must not wait for the client row while holding the chain lock (PostgreSQL would then
    report a deadlock and fail one of them): both finish, and the chain stays whole."""
    from django.db import transaction

    from nervecare.clients.models import Client, ClientShare

    client = ClientFactory(clinic=clinic)
    therapist = therapist_user.therapist
    holder_has_row = threading.Event()
    writer_done = threading.Event()
    writer_pid: list[int] = []

    def holder() -> None:  # e.g. a service serialising on the client with FOR UPDATE
        with transaction.atomic():
            Client.objects.select_for_update().filter(pk=client.pk).values_list("pk", flat=True).first()
            holder_has_row.set()
            # The other service inserts and appends meanwhile, until it waits for this transaction's lock.
            wait_until_waiting_for_a_lock(writer_pid, writer_done)
            audit.record(actor=therapist_user, action="update", obj=client, summary="holder")

    def writer() -> None:  # a service inserting a row that refers to the client (deferred foreign key)
        try:
            writer_pid.append(backend_pid())
            holder_has_row.wait(10)
            with transaction.atomic():
                share = ClientShare.objects.create(
                    client_id=client.pk, therapist=therapist, shared_by=therapist_user
                )
                audit.record(actor=therapist_user, action="create", obj=share, summary="writer")
        finally:
            writer_done.set()

    assert run_each(holder, writer) == []
    assert ClientShare.objects.filter(client=client).count() == 1
    (report,) = audit.verify([clinic.id])
    assert report.broken is None and report.events >= 2


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_seal_gets_the_next_place(therapist_user, clinic, seal_mode):
    """Deferred sealing: a sealer does not see an event whose transaction is still open; that event joins
    the chain at the next seal, after events stored (and sealed) later. Nothing is skipped or lost."""
    from django.db import transaction

    if seal_mode != "deferred":
        pytest.skip("inline sealing seals in the writer's own transaction")
    client = ClientFactory(clinic=clinic)
    stored = threading.Event()
    sealed = threading.Event()

    def slow_writer() -> None:
        with transaction.atomic():
            audit.record(actor=therapist_user, action="update", obj=client, summary="slow")
            stored.set()
            sealed.wait(10)  # another request stores and seals its event meanwhile

    def quick_writer() -> None:
        stored.wait(10)
        try:
            audit.record(actor=therapist_user, action="view", obj=client, summary="quick")
            audit.seal()
        finally:
            sealed.set()

    assert run_each(slow_writer, quick_writer) == []
    assert audit.pending_count(clinic.id) == 1  # the slow one, committed after the seal
    assert audit.seal() == 1
    chain = list(AuditEvent.objects.filter(chain=clinic.id).order_by("seq").values_list("summary", "seq"))
    assert chain == [("quick", 1), ("slow", 2)]
    assert audit.verify_chain(clinic.id).broken is None
