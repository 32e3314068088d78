"""Online holds: a new client's booking awaiting its e-mail confirmation ("held") blocks its time like a
booking until `hold_expires_at`. On PostgreSQL the three exclusion constraints are re-created with "held" among
the statuses that hold time, so a held slot can never be double-booked either."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

import nervecare.scheduling.models

OLD = ("booked", "checked_in", "completed", "no_show")
NEW = ("booked", "checked_in", "completed", "no_show", "held")


class AddPostgresConstraint(migrations.AddConstraint):
    """PostgreSQL only; on SQLite, bookings are serialised by IMMEDIATE transactions instead."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemovePostgresConstraint(migrations.RemoveConstraint):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _range(end):
    return nervecare.scheduling.models.TsTzRange(
        "starts_at", end, django.contrib.postgres.fields.ranges.RangeBoundary()
    )


def _constraints(statuses):
    return [
        django.contrib.postgres.constraints.ExclusionConstraint(
            condition=models.Q(("status__in", statuses)),
            expressions=[("therapist", "="), (_range("blocked_until"), "&&")],
            name="appointment_no_therapist_overlap",
            violation_error_message="The therapist already has an appointment at that time.",
        ),
        django.contrib.postgres.constraints.ExclusionConstraint(
            condition=models.Q(("room__isnull", False), ("status__in", statuses)),
            expressions=[("room", "="), (_range("blocked_until"), "&&")],
            name="appointment_no_room_overlap",
            violation_error_message="The room is already booked at that time.",
        ),
        django.contrib.postgres.constraints.ExclusionConstraint(
            condition=models.Q(("status__in", statuses)),
            expressions=[("client", "="), (_range("ends_at"), "&&")],
            name="appointment_no_client_overlap",
            violation_error_message="The client already has an appointment at that time.",
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_appointment_checked_out_waitlist_offered_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="hold_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="status",
            field=models.CharField(
                choices=[
                    ("booked", "Booked"),
                    ("checked_in", "Checked in"),
                    ("completed", "Completed"),
                    ("no_show", "No-show"),
                    ("cancelled", "Cancelled"),
                    ("held", "Held online (awaiting e-mail confirmation)"),
                ],
                default="booked",
                max_length=20,
            ),
        ),
        # PostgreSQL only too: on SQLite adding a constraint remakes the table, which cannot render the
        # exclusion constraints the state holds (the service sets the expiry with the status on both).
        AddPostgresConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "held"), _negated=True)
                | models.Q(("hold_expires_at__isnull", False)),
                name="appointment_held_has_expiry",
            ),
        ),
        *[
            RemovePostgresConstraint(model_name="appointment", name=c.name)
            for c in _constraints(OLD)
        ],
        *[AddPostgresConstraint(model_name="appointment", constraint=c) for c in _constraints(NEW)],
    ]
