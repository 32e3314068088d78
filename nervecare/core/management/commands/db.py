"""`nervecare db grant --app-role ROLE`: the privileges the app's own PostgreSQL role needs, and no more.

Production runs two roles (deploy/README.md): the tables' owner, which `nervecare migrate` (and `flush`,
`restore`) use, and the app's role, which the web and job processes use. Only the owner can switch off the
audit trail's trigger, use its maintenance switch or TRUNCATE; the app's role may read and write the
clinical tables, but on the audit table only SELECT, INSERT and the one UPDATE the seal needs (the seal
columns; the trigger refuses every other change). Run it as the owner after every `migrate` (new tables)."""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from nervecare.core.models import AuditEvent

ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# What the app only reads: Django's record of applied migrations.
READ_ONLY_TABLES = ("django_migrations",)
SEAL_COLUMNS = ("seq", "prev_hash", "hash")


def grant_statements(*, role: str, schema: str, qn: Any) -> list[str]:
    """The statements, in order (idempotent: re-running them after a migration grants the new tables)."""
    audit = qn(AuditEvent._meta.db_table)
    r, s = qn(role), qn(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"REVOKE ALL ON {audit} FROM {r}",
        f"GRANT SELECT, INSERT ON {audit} TO {r}",
        f"GRANT UPDATE ({', '.join(qn(c) for c in SEAL_COLUMNS)}) ON {audit} TO {r}",
    ]
    for table in READ_ONLY_TABLES:
        statements += [f"REVOKE ALL ON {qn(table)} FROM {r}", f"GRANT SELECT ON {qn(table)} TO {r}"]
    return statements


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the app's database role (one that does not own the tables) what NerveCare needs. "
        "Run as the tables' owner, after every `nervecare migrate`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["grant"])
        parser.add_argument("--app-role", required=True, help="the PostgreSQL role the app processes use")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, action: str, app_role: str, database: str, **options: Any) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("`db grant` is for PostgreSQL (SQLite has no roles).")
        if not ROLE_NAME.match(app_role):
            raise CommandError(f"--app-role: {app_role!r} is not a plain role name (letters, digits, _).")
        qn = connection.ops.quote_name
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
            row = cursor.fetchone()
            if row is None:
                raise CommandError(
                    f"--app-role: there is no role {app_role!r} (CREATE ROLE ... LOGIN first)."
                )
            cursor.execute(
                "SELECT pg_has_role(%s, relowner, 'MEMBER') FROM pg_class WHERE oid = %s::regclass",
                [app_role, AuditEvent._meta.db_table],
            )
            owns = cursor.fetchone()
            if owns is None:
                raise CommandError("The tables do not exist yet: run `nervecare migrate` first.")
            if row[0] or owns[0]:
                raise CommandError(
                    f"{app_role!r} owns the tables or is a superuser: it could switch off the audit trail's "
                    "trigger. The app needs a role of its own (deploy/README.md)."
                )
            cursor.execute("SELECT current_user, current_schema()")
            current_user, schema = cursor.fetchone()
            if current_user == app_role:
                raise CommandError("Run `db grant` as the tables' owner, not as the app's role.")
            for statement in grant_statements(role=app_role, schema=schema, qn=qn):
                cursor.execute(statement)
        self.stdout.write(
            f"{app_role} may now read and write NerveCare's tables in schema {schema}; on the audit trail only "
            "read, append and seal."
        )
