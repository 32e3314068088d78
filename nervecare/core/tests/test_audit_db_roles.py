"""The app runs as a PostgreSQL role that does not own the tables (issue 14, finding 9b).

`nervecare db grant --app-role ROLE` gives that role what the app needs. Connected as it, nothing can
switch off the audit trail's trigger, delete or rewrite an event, or use the maintenance switch, while the
app's ordinary writes and the seal still work."""

import contextlib
import os
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.postgresql.base import DatabaseWrapper

from nervecare.clients.services import client_update
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import ClinicFactory, UserFactory

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's roles")


@pytest.fixture
def app_role() -> Iterator[str]:
    name = f"nc_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{name}"')  # its privileges in this database
        cursor.execute(f'DROP ROLE "{name}"')


@contextlib.contextmanager
def connected_as(role: str) -> Iterator[None]:
    """The app's code, on a connection of its own as `role` (the default alias, for this block)."""
    as_role = DatabaseWrapper({**connection.settings_dict, "USER": role, "PASSWORD": ""}, DEFAULT_DB_ALIAS)
    original = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = as_role
    try:
        yield
    finally:
        as_role.close()
        connections[DEFAULT_DB_ALIAS] = original


def _refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError:
        return True
    return False


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_app_role_cannot_touch_the_trail_but_works_and_seals(app_role, settings):
    settings.NERVECARE_AUDIT_SEAL = "deferred"
    call_command("db", "grant", "--app-role", app_role, stdout=open(os.devnull, "w"))  # noqa: SIM115
    with connected_as(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        # The app's ordinary work: people, a client, a change with its event; then the seal.
        clinic = ClinicFactory()
        actor = UserFactory(clinic=clinic, role="therapist")
        client = ClientFactory(clinic=clinic)
        client_update(actor=actor, client=client, data={"phone": "555-0142"})
        assert audit.pending_count() >= 1
        assert audit.seal() >= 1
        reports = list(audit.verify())
        assert reports and all(r.broken is None for r in reports)
        events = AuditEvent.objects.count()
        for sql in (
            "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
            "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change",
            "DROP TRIGGER core_auditevent_no_change ON core_auditevent",
            "SET session_replication_role = replica",  # would skip triggers: superusers only
            "DELETE FROM core_auditevent",
            "TRUNCATE core_auditevent",
            "UPDATE core_auditevent SET summary = 'nothing happened'",
            "UPDATE core_auditevent SET hash = repeat('0', 64), prev_hash = repeat('0', 64) WHERE seq = 1",
            "UPDATE core_auditevent SET seq = NULL",
        ):
            assert _refused(sql), sql
        with audit.maintenance():  # the switch `flush` uses: the owner's alone
            assert _refused("DELETE FROM core_auditevent")
            assert _refused("UPDATE core_auditevent SET hash = repeat('0', 64)")
        assert AuditEvent.objects.count() == events
        assert all(r.broken is None for r in audit.verify())
        # Django's record of migrations is the owner's to write.
        assert _refused("DELETE FROM django_migrations")


@on_postgresql
@pytest.mark.django_db
def test_grant_refuses_a_missing_role_an_owner_and_a_strange_name():
    with pytest.raises(CommandError, match="no role"):
        call_command("db", "grant", "--app-role", "nc_no_such_role_here")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="owns the tables"):
        call_command("db", "grant", "--app-role", owner)
    with pytest.raises(CommandError, match="plain role name"):
        call_command("db", "grant", "--app-role", 'x"; DROP TABLE core_auditevent; --')


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite")
def test_grant_on_sqlite_says_it_is_for_postgresql():
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("db", "grant", "--app-role", "nervecare_app")
