# ruff: noqa: F811 - the shared fixtures are imported from privacy_helpers and used as arguments
"""Deleting a client (soft): admins only, hidden everywhere, future appointments cancelled, audited,
restorable."""

import json

import pytest
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.ops import privacy
from nervecare.ops.tests.privacy_helpers import admin_user, full_client, other_admin  # noqa: F401
from nervecare.outcomes.cohort import client_rows
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.selectors import appointments_in_range

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa(clinic, therapist_user):
    return full_client(clinic, therapist_user)


def delete(http, client_id, reason="Client asked us to close the record"):
    return http.delete(
        f"/api/v1/clients/{client_id}", json.dumps({"reason": reason}), content_type="application/json"
    )


def test_admin_deletes_a_client_and_it_disappears_from_every_listing(rosa, admin_user, therapist_user, api):
    keep = ClientFactory(clinic=rosa.clinic, first_name="Keep")
    response = delete(login(admin_user), rosa.id)
    assert response.status_code == 200
    assert response.json()["erasable_from"] is not None

    listed = {c["id"] for c in api.get("/api/v1/clients").json()}
    assert listed == {keep.id}
    assert api.get("/api/v1/clients?search=Rosa").json() == []
    assert api.get(f"/api/v1/clients/{rosa.id}").status_code == 404
    assert api.get(f"/api/v1/clients/{rosa.id}/export").status_code == 404
    assert api.get(f"/clients/{rosa.id}/").status_code == 404
    page = api.get("/clients/?q=Rosa")
    assert "Marquez" not in page.content.decode()
    assert api.get(f"/fhir/R4/Patient/{rosa.id}").status_code == 404
    # The outcomes cohort and the calendar leave the client out (past visits included).
    assert rosa.id not in client_rows(rosa.clinic)
    now = timezone.now()
    in_range = appointments_in_range(
        rosa.clinic_id,
        now - timezone.timedelta(days=30),
        now + timezone.timedelta(days=30),
        include_cancelled=True,
    )
    assert not [a for a in in_range if a.client_id == rosa.id]
    # Still there for admins and retention work.
    assert Client.all_objects.get(pk=rosa.id).deletion_reason == "Client asked us to close the record"


def test_deleting_cancels_future_appointments_only_in_the_same_transaction(rosa, admin_user):
    before = {a.id: a.status for a in Appointment.objects.filter(client=rosa)}
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Moved away")
    after = {a.id: a.status for a in Appointment.objects.filter(client=rosa)}
    future = Appointment.objects.get(client=rosa, starts_at__gt=timezone.now())
    assert after[future.id] == "cancelled"
    assert future.cancelled_by == admin_user
    assert all(after[i] == before[i] for i in before if i != future.id)  # the completed visit is untouched
    event = AuditEvent.objects.filter(
        object_type="clients.client", object_id=str(rosa.id), action="delete"
    ).get()
    assert event.actor == admin_user
    assert "1 future appointment(s) cancelled" in event.summary


def test_a_failure_half_way_leaves_nothing_deleted_or_cancelled(rosa, admin_user, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(privacy, "audit_record", boom)
    with pytest.raises(RuntimeError):
        privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Moved away")
    assert Client.objects.filter(pk=rosa.pk).exists()
    assert not Appointment.objects.filter(client=rosa, status="cancelled").exists()


@pytest.mark.parametrize("who", ["therapist_user", "front_desk_user"])
def test_only_an_admin_may_delete(rosa, who, request):
    response = delete(login(request.getfixturevalue(who)), rosa.id)
    assert response.status_code == 403
    assert Client.objects.filter(pk=rosa.pk).exists()


def test_another_clinics_admin_gets_404(rosa, other_admin):
    assert delete(login(other_admin), rosa.id).status_code == 404
    assert Client.objects.filter(pk=rosa.pk).exists()


def test_a_reason_is_required(rosa, admin_user):
    response = delete(login(admin_user), rosa.id, reason="  ")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "reason", "label": "Reason", "message": "say why the client is deleted"}
    ]


def test_admin_restores_a_deleted_client(rosa, admin_user, api):
    http = login(admin_user)
    delete(http, rosa.id)
    response = http.post(f"/api/v1/clients/{rosa.id}/restore")
    assert response.status_code == 200
    assert response.json()["deleted_at"] is None
    assert api.get(f"/api/v1/clients/{rosa.id}").status_code == 200
    assert AuditEvent.objects.filter(
        object_id=str(rosa.id), summary="Client restored after deletion"
    ).exists()
    # Restoring twice is a clear error, not a silent success.
    again = http.post(f"/api/v1/clients/{rosa.id}/restore")
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "client"


def test_therapist_cannot_restore(rosa, admin_user, therapist_user):
    delete(login(admin_user), rosa.id)
    assert login(therapist_user).post(f"/api/v1/clients/{rosa.id}/restore").status_code == 403


def test_a_deleted_clients_portal_account_no_longer_opens_the_portal(rosa, admin_user):
    from nervecare.core.models import User

    portal = login(User.objects.get(username="rosa"))
    assert portal.get("/portal/").status_code == 200
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Moved away")
    assert portal.get("/portal/").status_code == 404


def test_the_confirm_page_deletes_and_the_deleted_list_restores(rosa, admin_user):
    http = login(admin_user)
    chart = http.get(f"/clients/{rosa.id}/").content.decode()
    assert f"/clients/{rosa.id}/delete/" in chart
    page = http.get(f"/clients/{rosa.id}/delete/")
    assert page.status_code == 200
    assert "1 booked appointment will be cancelled" in page.content.decode()
    bad = http.post(f"/clients/{rosa.id}/delete/", {"reason": ""})
    assert bad.status_code == 422
    assert Client.objects.filter(pk=rosa.pk).exists()
    done = http.post(f"/clients/{rosa.id}/delete/", {"reason": "Duplicate record"})
    assert done.status_code == 302
    listing = http.get("/clients/deleted/").content.decode()
    assert "Rosa Marquez" in listing and "Duplicate record" in listing
    http.post(f"/clients/{rosa.id}/restore/")
    assert Client.objects.filter(pk=rosa.pk).exists()


def test_therapists_see_no_delete_link_and_cannot_open_the_pages(rosa, therapist_user):
    http = login(therapist_user)
    assert f"/clients/{rosa.id}/delete/" not in http.get(f"/clients/{rosa.id}/").content.decode()
    assert http.get(f"/clients/{rosa.id}/delete/").status_code == 403
    assert http.get("/clients/deleted/").status_code == 403


def test_fhir_leaves_out_a_deleted_clients_appointments_and_conditions(rosa, admin_user, api):
    appointment = Appointment.objects.filter(client=rosa).first()
    condition = rosa.conditions.first()
    assert api.get(f"/fhir/R4/Appointment/{appointment.id}").status_code == 200
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Moved away")
    assert api.get(f"/fhir/R4/Appointment/{appointment.id}").status_code == 404
    assert api.get(f"/fhir/R4/Condition/{condition.id}").status_code == 404
    bundle = api.get("/fhir/R4/Appointment").json()
    assert not [e for e in bundle.get("entry", []) if e["resource"]["id"] == str(appointment.id)]
