# ruff: noqa: F811 - the shared fixtures are imported from privacy_helpers and used as arguments
"""Erasure: refused inside the retention period (naming the rule and the date), then removes everything about
the client in one transaction and leaves the audit trail as it was, plus one event. `nervecare purge`."""

import datetime as dt
import io
import json

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent, User
from nervecare.ops import privacy
from nervecare.ops.tests.privacy_helpers import admin_user, full_client, other_admin  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa(clinic, therapist_user):
    return full_client(clinic, therapist_user)


def rows_about(client_id):
    """{table: rows} of every table that refers to the client (directly, through a note or appointment)."""
    out = {}
    for model in apps.get_models():
        names = {f.name for f in model._meta.fields}
        label = model._meta.label_lower
        if label in {"clients.client", "clients.historicalclient"}:
            n = model._base_manager.filter(id=client_id).count()
        elif "client" in names:
            n = model._base_manager.filter(client_id=client_id).count()
        elif "note" in names and label.startswith("visits."):
            n = model._base_manager.filter(note__client_id=client_id).count()
        elif "plan" in names and label == "plans.planchange":
            n = model._base_manager.filter(plan__client_id=client_id).count()
        elif "body_map" in names:
            n = model._base_manager.filter(body_map__client_id=client_id).count()
        elif "appointment" in names and label == "scheduling.reminder":
            n = model._base_manager.filter(appointment__client_id=client_id).count()
        else:
            continue
        if n:
            out[label] = n
    return out


def test_erasure_inside_the_retention_period_is_refused_with_the_rule_and_the_date(rosa, admin_user):
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Asked to be forgotten")
    rosa.refresh_from_db()
    expected = (rosa.deleted_at.date()).replace(year=rosa.deleted_at.year + 7).isoformat()
    with pytest.raises(FieldErrors) as caught:
        privacy.client_erase(actor=admin_user, client=rosa)
    message = caught.value.errors["client"]
    assert "record_retention_years" in message and "7 years" in message and expected in message
    assert Client.all_objects.filter(pk=rosa.pk).exists()

    response = login(admin_user).post(f"/api/v1/clients/{rosa.id}/erase")
    assert response.status_code == 422
    assert expected in response.json()["errors"][0]["message"]


def test_a_client_that_is_not_deleted_cannot_be_erased(rosa, admin_user):
    with pytest.raises(FieldErrors, match="delete the client first"):
        privacy.client_erase(actor=admin_user, client=rosa)


def test_retention_counts_from_the_last_visit_when_it_is_later_than_the_deletion(clinic, admin_user):
    from nervecare.scheduling.tests.factories import AppointmentFactory

    client = ClientFactory(clinic=clinic)
    deleted_at = timezone.now() - dt.timedelta(days=400)
    Client.objects.filter(pk=client.pk).update(deleted_at=deleted_at)
    AppointmentFactory(client=client, starts_at=timezone.now() - dt.timedelta(days=10), status="completed")
    client = Client.all_objects.get(pk=client.pk)
    last_visit = timezone.now() - dt.timedelta(days=10)
    assert privacy.retention_ends_on(client) == last_visit.date().replace(year=last_visit.year + 7)
    clinic.record_retention_years = 1
    clinic.save()
    client = Client.all_objects.get(pk=client.pk)
    assert not privacy.retention_passed(client)


def test_after_the_retention_period_erasure_removes_everything_and_keeps_the_audit_trail(rosa, admin_user):
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Asked to be forgotten")
    assert {
        "clients.condition",
        "clients.historicalcondition",
        "clients.medicalcontext",
        "clients.historicalmedicalcontext",
        "clients.historicalclient",
        "clients.consent",
        "clients.bodymapmark",
        "screening.instrumentresponse",
        "screening.safetyflag",
        "scheduling.appointment",
        "visits.sessionnote",
        "visits.noteamendment",
        "visits.adverseevent",
        "portal.clientaccount",
        "portal.diaryentry",
    } <= set(rows_about(rosa.id))
    trail_before = list(AuditEvent.objects.order_by("id").values())
    portal_user_id = User.objects.get(username="rosa").id

    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        counts = privacy.client_erase(actor=admin_user, client=rosa)

    assert rows_about(rosa.id) == {}
    assert counts["visits.sessionnote"] == 1 and counts["clients.client"] == 1
    # The audit trail is untouched, and one event says what happened (ids and counts, no clinical content).
    trail_after = list(AuditEvent.objects.order_by("id").values())
    assert trail_after[: len(trail_before)] == trail_before
    (erase_event,) = trail_after[len(trail_before) :]
    assert erase_event["action"] == "delete" and erase_event["object_id"] == str(rosa.id)
    assert erase_event["summary"] == f"Client #{rosa.id} erased: retention period passed"
    assert "Rosa" not in json.dumps(erase_event["changes"]) and "Warfarin" not in json.dumps(
        erase_event["changes"]
    )
    # The portal sign-in is kept (audit events name it) but anonymised and disabled.
    portal = User.objects.get(pk=portal_user_id)
    assert not portal.is_active and not portal.has_usable_password()
    assert portal.email == "" and "rosa" not in portal.username


def test_a_failure_during_erasure_changes_nothing(rosa, admin_user, monkeypatch):
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Asked to be forgotten")
    before = rows_about(rosa.id)

    def boom(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(privacy, "audit_record", boom)
    later = time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False)
    with later, pytest.raises(RuntimeError):
        privacy.client_erase(actor=admin_user, client=rosa)
    assert rows_about(rosa.id) == before
    assert User.objects.get(username="rosa").is_active


@pytest.mark.parametrize("who", ["therapist_user", "front_desk_user"])
def test_only_an_admin_may_erase(rosa, admin_user, who, request):
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="x")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        response = login(request.getfixturevalue(who)).post(f"/api/v1/clients/{rosa.id}/erase")
    assert response.status_code == 403
    assert Client.all_objects.filter(pk=rosa.pk).exists()


def test_another_clinics_admin_cannot_erase(rosa, admin_user, other_admin):
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="x")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        assert login(other_admin).post(f"/api/v1/clients/{rosa.id}/erase").status_code == 404
    assert Client.all_objects.filter(pk=rosa.pk).exists()


def test_the_erase_page_asks_for_the_name_and_then_erases(rosa, admin_user):
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="x")
    http = login(admin_user)
    assert "it may be erased from" in http.get(f"/clients/{rosa.id}/erase/").content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        http = login(admin_user)  # the earlier session has long expired
        wrong = http.post(f"/clients/{rosa.id}/erase/", {"confirm_name": "Rosa"})
        assert wrong.status_code == 422
        assert Client.all_objects.filter(pk=rosa.pk).exists()
        done = http.post(f"/clients/{rosa.id}/erase/", {"confirm_name": "Rosa Marquez"})
    assert done.status_code == 302
    assert not Client.all_objects.filter(pk=rosa.pk).exists()


def test_purge_dry_run_lists_and_purge_erases_only_clients_past_retention(rosa, admin_user, clinic):
    recent = ClientFactory(clinic=clinic, first_name="Recent")
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="x")
    kept = ClientFactory(clinic=clinic, first_name="Active")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        privacy.client_soft_delete(actor=admin_user, client=recent, reason="y")
        out = io.StringIO()
        call_command("purge", dry_run=True, stdout=out)
        assert f"would erase client #{rosa.id}" in out.getvalue()
        assert f"#{recent.id}" not in out.getvalue()
        assert Client.all_objects.filter(pk=rosa.pk).exists()

        out = io.StringIO()
        call_command("purge", stdout=out)
        assert "1 client(s) erased" in out.getvalue()
    assert not Client.all_objects.filter(pk=rosa.pk).exists()
    assert Client.all_objects.filter(pk=recent.pk).exists() and Client.objects.filter(pk=kept.pk).exists()
    event = AuditEvent.objects.get(summary=f"Client #{rosa.id} erased: retention period passed")
    assert event.actor is None


def test_purge_with_nothing_due_says_so(db):
    out = io.StringIO()
    call_command("purge", dry_run=True, stdout=out)
    assert "No deleted client is past its retention period." in out.getvalue()


def test_admin_sets_the_retention_period_and_bad_values_are_refused(clinic, admin_user, therapist_user):
    http = login(admin_user)
    assert "/clients/deleted/" in http.get("/clients/").content.decode()
    bad = http.post("/clients/deleted/", {"record_retention_years": "0"})
    assert bad.status_code == 422
    assert "must be between 1 and 100 years" in bad.content.decode()
    assert http.post("/clients/deleted/", {"record_retention_years": "10"}).status_code == 302
    clinic.refresh_from_db()
    assert clinic.record_retention_years == 10
    event = AuditEvent.objects.get(summary="Record retention period changed")
    assert event.changes == {"record_retention_years": [7, 10]}
    assert login(therapist_user).post("/clients/deleted/", {"record_retention_years": "1"}).status_code == 403
    clinic.refresh_from_db()
    assert clinic.record_retention_years == 10
