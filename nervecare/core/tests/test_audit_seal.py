"""Deferred sealing (PostgreSQL's default): an audited request stores its event with one INSERT and no lock;
the event gets its place in the chain after the response, in the job queue, or before anyone reads the
trail. What a user of the trail depends on: nothing is lost, every event ends up sealed, verify checks
them all."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core import audit
from nervecare.core.audit import chain as audit_chain
from nervecare.core.models import AuditEvent
from nervecare.core.tasks import seal_audit_trail

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite seals inline (one writer at a time)"
    ),
]


@pytest.fixture(autouse=True)
def deferred(settings):
    settings.NERVECARE_AUDIT_SEAL = "deferred"


def test_an_append_is_one_insert_without_the_chain_lock(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    with CaptureQueriesContext(connection) as ctx:
        event = audit.record(actor=therapist_user, action="view", obj=client)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["INSERT"]
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.hash, stored.client_id) == (None, "", client.pk)


def test_inline_sealing_takes_the_lock_and_reads_the_head(settings, therapist_user, clinic):
    settings.NERVECARE_AUDIT_SEAL = "inline"
    client = ClientFactory(clinic=clinic)
    with CaptureQueriesContext(connection) as ctx:
        event = audit.record(actor=therapist_user, action="view", obj=client)
    assert any("pg_advisory_xact_lock" in q["sql"] for q in ctx.captured_queries)
    assert AuditEvent.objects.get(pk=event.pk).seq == 1


def test_seal_gives_pending_events_their_places_in_id_order(
    therapist_user, other_clinic_user, clinic, other_clinic
):
    mine, theirs = ClientFactory(clinic=clinic), ClientFactory(clinic=other_clinic)
    a = [audit.record(actor=therapist_user, action="view", obj=mine, summary=f"a{i}") for i in range(3)]
    b = audit.record(actor=other_clinic_user, action="view", obj=theirs, summary="b0")
    assert audit.pending_count() == 4
    assert audit.seal() == 4
    assert audit.seal() == 0  # nothing left
    stored = {e.summary: e for e in AuditEvent.objects.all()}
    assert [stored[f"a{i}"].seq for i in range(3)] == [1, 2, 3]
    assert stored["a1"].prev_hash == stored["a0"].hash and stored["a0"].prev_hash == audit.GENESIS
    assert (stored["b0"].chain, stored["b0"].seq) == (other_clinic.id, 1)
    assert {e.pk for e in a} | {b.pk} == {e.pk for e in stored.values()}
    for chain in (clinic.id, other_clinic.id):
        assert audit.verify_chain(chain).broken is None


def test_a_seal_continues_the_chain_in_batches(monkeypatch, therapist_user, clinic):
    monkeypatch.setattr(audit_chain, "SEAL_BATCH", 4)
    client = ClientFactory(clinic=clinic)
    for i in range(3):
        audit.record(actor=therapist_user, action="view", obj=client, summary=f"first {i}")
    audit.seal()
    for i in range(10):
        audit.record(actor=therapist_user, action="view", obj=client, summary=f"then {i}")
    assert audit.seal() == 10
    report = audit.verify_chain(clinic.id)
    assert (report.broken, report.events, report.head_seq, report.pending) == (None, 13, 13, 0)


def test_verify_counts_pending_events_and_the_command_seals_them_first(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    for _ in range(2):
        audit.record(actor=therapist_user, action="view", obj=client)
    (report,) = audit.verify([clinic.id], seal_first=False)
    assert (report.events, report.pending, report.broken) == (0, 2, None)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"chain {clinic.id}: 2 events verified" in out.getvalue()
    assert audit.pending_count() == 0


def test_a_changed_pending_event_is_caught_once_sealed_content_cannot_change(therapist_user, clinic):
    """The trigger refuses to change a pending event's content (test_audit_append_only); a forged seal
    (the one UPDATE it lets through) does not verify."""
    client = ClientFactory(clinic=clinic)
    event = audit.record(actor=therapist_user, action="view", obj=client)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET seq = 1, prev_hash = %s, hash = %s WHERE id = %s",
            [audit.GENESIS, "f" * 64, event.pk],
        )
    report = audit.verify_chain(clinic.id)
    assert report.broken is not None and report.broken.event_id == event.pk


def test_a_request_seals_after_its_response_once_the_interval_has_passed(settings, therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    http = login(therapist_user)
    settings.NERVECARE_AUDIT_SEAL_INTERVAL = 0  # never after requests
    assert http.get(f"/api/v1/clients/{client.pk}").status_code == 200
    assert audit.pending_count(clinic.id) >= 1
    settings.NERVECARE_AUDIT_SEAL_INTERVAL = 0.000001
    assert http.get(f"/api/v1/clients/{client.pk}").status_code == 200
    assert audit.pending_count() == 0
    report = audit.verify_chain(clinic.id)
    assert report.broken is None and report.events >= 2


def test_the_job_queue_seals_every_minute(therapist_user, clinic):
    import datetime

    from nervecare.core.jobs import huey

    for minute in (17, 18):
        due = huey.read_periodic(datetime.datetime(2026, 3, 5, 12, minute))
        assert "seal_audit_trail" in [task.name for task in due]
    audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    assert seal_audit_trail.call_local() == 1
    assert audit.pending_count() == 0


def test_the_admin_reads_a_sealed_trail(admin_user, therapist_user, clinic):
    audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic), summary="read")
    results = login(admin_user).get("/api/v1/audit").json()["results"]
    assert {r["summary"] for r in results} >= {"read", "Audit trail searched (API)"}
    assert all(r["seq"] is not None and len(r["hash"]) == 64 for r in results)


def test_the_seal_may_not_rewrite_a_json_number_that_jsonb_calls_equal(therapist_user, clinic):
    event = audit.record(
        actor=therapist_user, action="update", obj=ClientFactory(clinic=clinic), changes={"weight": 1}
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET seq = 1, prev_hash = %s, hash = %s, changes = '{\"weight\": 1.0}' "
            "WHERE id = %s",
            [audit.GENESIS, "f" * 64, event.pk],
        )


def test_the_maintenance_switch_is_only_the_table_owners(therapist_user, clinic):
    """Production runs as a role that does not own the tables (README): for it, setting the maintenance
    variable lets nothing through. (The role is created inside the test's transaction and goes with it.)"""
    event = audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE nervecare_test_app NOLOGIN")
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON core_auditevent TO nervecare_test_app")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL ROLE nervecare_test_app")
        cursor.execute("SET LOCAL nervecare.audit_maintenance = 'on'")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_backup_seals_the_pending_events_first(tmp_path, therapist_user, clinic):
    from nervecare.core.backup import backup

    audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    backup(tmp_path / "clinic.ncbak")
    assert audit.pending_count() == 0


def test_a_failed_seal_after_a_request_is_logged_not_raised(
    monkeypatch, settings, caplog, therapist_user, clinic
):
    audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    settings.NERVECARE_AUDIT_SEAL_INTERVAL = 0.000001

    def broken(**kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(audit_chain, "seal", broken)
    audit.seal_if_due()
    assert "sealing the audit trail failed" in caplog.text
    assert audit.pending_count() == 1  # stored; the next seal takes it
