"""Backfill: the therapist of every proposed or active plan keeps access to the client's record, now as an
explicit ClientAccessGrant (the record no longer asks the plans who treats a client)."""

from django.db import migrations
from django.utils import timezone

LIVE_PLAN = ("proposed", "active")


def grant(apps, schema_editor):
    CarePlan = apps.get_model("plans", "CarePlan")
    Grant = apps.get_model("clients", "ClientAccessGrant")
    now = timezone.now()
    rows = CarePlan.objects.filter(status__in=LIVE_PLAN, therapist__isnull=False).values_list(
        "id", "client_id", "therapist__user_id"
    )
    Grant.objects.bulk_create(
        [
            Grant(client_id=client_id, user_id=user_id, reason="plan", source_id=plan_id, granted_at=now)
            for plan_id, client_id, user_id in rows
        ],
        batch_size=500,
    )


def ungrant(apps, schema_editor):
    apps.get_model("clients", "ClientAccessGrant").objects.filter(reason="plan").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("clients", "0005_client_access_grant"),
    ]

    operations = [migrations.RunPython(grant, ungrant)]
