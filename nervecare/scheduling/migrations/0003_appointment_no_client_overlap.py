"""A client is in one session at a time, enforced by PostgreSQL as the therapist's and the room's time are.

Before the constraint is added, existing rows are checked: if any client already has overlapping appointments
(possible before this migration, when only the Python check guarded the client), the migration stops and names
them, and nothing changes. Nobody's appointment is cancelled by a migration: the clinic decides which one goes
(cancel or move one of each pair), then runs `migrate` again.
"""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

import nervecare.scheduling.models

BLOCKING_STATUSES = ("booked", "checked_in", "completed", "no_show")


class AddPostgresConstraint(migrations.AddConstraint):
    """PostgreSQL only; on SQLite, bookings are serialised by IMMEDIATE transactions instead."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class ClientOverlapsExist(RuntimeError):
    pass


def refuse_existing_overlaps(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Appointment = apps.get_model("scheduling", "Appointment")
    table = schema_editor.quote_name(Appointment._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.client_id, a.id, b.id, a.starts_at, b.starts_at
            FROM {table} a JOIN {table} b
              ON a.client_id = b.client_id AND a.id < b.id
             AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
            WHERE a.status = ANY(%s) AND b.status = ANY(%s)
            ORDER BY a.client_id, a.starts_at, a.id, b.id
            """,
            [list(BLOCKING_STATUSES), list(BLOCKING_STATUSES)],
        )
        pairs = cursor.fetchall()
    if not pairs:
        return
    shown = "\n".join(
        f"  client {client}: appointment {a} ({a_start:%Y-%m-%d %H:%M} UTC) overlaps appointment {b} "
        f"({b_start:%Y-%m-%d %H:%M} UTC)"
        for client, a, b, a_start, b_start in pairs[:50]
    )
    more = f"\n  ... and {len(pairs) - 50} more" if len(pairs) > 50 else ""
    raise ClientOverlapsExist(
        f"Cannot add appointment_no_client_overlap: {len(pairs)} pair(s) of one client's appointments overlap "
        f"in time:\n{shown}{more}\nCancel or move one appointment of each pair (nothing was changed), then run "
        "migrate again."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_grant_booked_therapists_access"),
    ]

    operations = [
        migrations.RunPython(refuse_existing_overlaps, migrations.RunPython.noop, elidable=False),
        AddPostgresConstraint(
            model_name="appointment",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("status__in", BLOCKING_STATUSES)),
                expressions=[
                    ("client", "="),
                    (
                        nervecare.scheduling.models.TsTzRange(
                            "starts_at", "ends_at", django.contrib.postgres.fields.ranges.RangeBoundary()
                        ),
                        "&&",
                    ),
                ],
                name="appointment_no_client_overlap",
                violation_error_message="The client already has an appointment at that time.",
            ),
        ),
    ]
