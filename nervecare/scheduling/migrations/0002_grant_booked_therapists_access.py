"""Backfill: a therapist with a live appointment (booked, checked in or completed: not cancelled, not a no-show)
with a client keeps access to the client's record, now as an explicit ClientAccessGrant, one per therapist and
client, sourced from their first such appointment. Primary therapists see their clients anyway."""

from django.db import migrations
from django.db.models import F, Min
from django.utils import timezone

DEAD = ("cancelled", "no_show")


def grant(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    Grant = apps.get_model("clients", "ClientAccessGrant")
    now = timezone.now()
    pairs = (
        Appointment.objects.exclude(status__in=DEAD)
        .exclude(therapist_id=F("client__primary_therapist_id"))
        .values("client_id", "therapist__user_id")
        .annotate(first=Min("id"))
        .order_by()
    )
    Grant.objects.bulk_create(
        [
            Grant(
                client_id=p["client_id"],
                user_id=p["therapist__user_id"],
                reason="booking",
                source_id=p["first"],
                granted_at=now,
            )
            for p in pairs
        ],
        batch_size=500,
    )


def ungrant(apps, schema_editor):
    apps.get_model("clients", "ClientAccessGrant").objects.filter(reason="booking").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0001_initial"),
        ("clients", "0005_client_access_grant"),
    ]

    operations = [migrations.RunPython(grant, ungrant)]
