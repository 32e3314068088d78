"""The audit trail cannot be changed or removed: not through the ORM, not with SQL, not by deletions."""

import pytest
from django.db import DatabaseError, connection, transaction

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit
from nervecare.core.models import AuditEvent, AuditTrailAppendOnlyError, User
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["sealed", "pending"])
def event(request, therapist_user, clinic):
    """An event as stored: sealed, or (deferred sealing, PostgreSQL) still waiting for its seal."""
    event = audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    if request.param == "sealed":
        audit.seal()
    return AuditEvent.objects.get(pk=event.pk)


def test_the_model_refuses_save_and_delete(event):
    event.summary = "changed"
    with pytest.raises(AuditTrailAppendOnlyError):
        event.save()
    with pytest.raises(AuditTrailAppendOnlyError):
        event.delete()


def test_querysets_refuse_update_and_delete(event):
    with pytest.raises(AuditTrailAppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    with pytest.raises(AuditTrailAppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditTrailAppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["summary"])
    assert AuditEvent.objects.get(pk=event.pk).summary == event.summary


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET summary = 'changed' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
        # What the seal may do, and more: content changed along with the seal, or a seal given twice.
        "UPDATE core_auditevent SET seq = 99, hash = 'x', summary = 'changed' WHERE id = %s",
        "UPDATE core_auditevent SET seq = NULL, hash = '' WHERE id = %s",
    ],
)
def test_the_database_refuses_update_and_delete(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.summary, stored.seq, stored.hash) == (event.summary, event.seq, event.hash)


def test_a_seal_is_given_once(therapist_user, clinic):
    """The one UPDATE the trigger lets through fills a pending event's seal; a sealed event's seal is final."""
    audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    audit.seal()
    sealed = AuditEvent.objects.get()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditevent SET seq = 2, hash = 'x' WHERE id = %s", [sealed.pk])
    assert AuditEvent.objects.get().seq == 1
    assert audit.verify_chain(clinic.id).broken is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgres_refuses_truncate(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE core_auditevent")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's guard function")
def test_sqlite_without_the_application_the_trigger_still_refuses(event):
    """The sqlite3 shell does not have the application's guard function: the trigger fails closed."""
    import sqlite3

    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE core_auditevent (id INTEGER PRIMARY KEY, summary TEXT)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent'"
        )
        triggers = [row[0] for row in cursor.fetchall()]
    assert len(triggers) == 2
    for sql in triggers:
        raw.execute(sql)
    raw.execute("INSERT INTO core_auditevent VALUES (1, 'x')")
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        raw.execute("UPDATE core_auditevent SET summary = 'y'")
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        raw.execute("DELETE FROM core_auditevent")


def test_the_triggers_are_installed():
    """A later migration that rebuilds the table on SQLite would drop them silently; this notices."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent'"
            )
            assert {r[0] for r in cursor.fetchall()} == {
                "core_auditevent_no_update",
                "core_auditevent_no_delete",
            }
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass AND NOT tgisinternal"
            )
            assert {r[0] for r in cursor.fetchall()} == {
                "core_auditevent_no_change",
                "core_auditevent_no_truncate",
            }


def test_deleting_the_user_and_the_client_leaves_the_trail(clinic):
    therapist = UserFactory(username="temp", clinic=clinic, role="therapist")
    client = ClientFactory(clinic=clinic)
    event = audit.record(actor=therapist, action="view", obj=client)
    client_id = client.pk
    client.delete()
    User.objects.filter(pk=therapist.pk).delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.actor_username, kept.client_id, kept.object_id) == (
        therapist.pk,
        "temp",
        client_id,
        str(client_id),
    )
    assert audit.verify_chain(clinic.id).broken is None
