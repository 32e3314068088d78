"""Who sees which client: the therapist's own clients (primary, a live plan or booking grant), shares, admins.

An appointment by itself never opens a record (issue 14): only an explicit ClientAccessGrant does."""

import datetime as dt

import pytest

from nervecare.clients.models import ClientShare
from nervecare.clients.selectors import clients_visible_to
from nervecare.clients.services import (
    client_access_grant,
    client_access_revoke,
    client_share,
    client_unshare,
)
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory
from nervecare.plans.models import CarePlan
from nervecare.plans.services import plan_cancel, plan_update
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def world(clinic, therapist_user, junior_therapist_user, front_desk_user, other_clinic_user):
    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    return {
        "alices": ClientFactory(clinic=clinic, first_name="Ada", primary_therapist=alice),
        "bobs": ClientFactory(clinic=clinic, first_name="Bea", primary_therapist=bob),
        "nobodys": ClientFactory(clinic=clinic, first_name="Cy", primary_therapist=None),
        "admin": UserFactory(username="oona", clinic=clinic, role="admin"),
    }


def names(user):
    return set(clients_visible_to(user).values_list("first_name", flat=True))


def test_primary_therapist_sees_own_clients_only(world, therapist_user, junior_therapist_user):
    assert names(therapist_user) == {"Ada"}
    assert names(junior_therapist_user) == {"Bea"}


def test_admin_sees_the_whole_clinic_and_no_other(world, other_clinic):
    ClientFactory(clinic=other_clinic, first_name="Zed")
    assert names(world["admin"]) == {"Ada", "Bea", "Cy"}


def test_front_desk_client_and_other_clinic_see_no_clinical_record(
    world, front_desk_user, other_clinic_user, clinic
):
    portal = UserFactory(username="cleo", clinic=clinic, role="client")
    assert names(front_desk_user) == set()
    assert names(portal) == set()
    assert names(other_clinic_user) == set()


def test_plan_therapist_sees_the_client_while_the_plan_is_proposed_or_active(
    world, therapist_user, junior_therapist_user
):
    """The plans services grant the plan's therapist access (audited) and take it back when the plan names
    someone else or is cancelled."""
    plan = CarePlan.objects.create(
        client=world["nobodys"],
        modality="swedish",
        scope="hand_and_foot",
        pressure="light",
        session_minutes=30,
        sessions_per_week=1,
        course_weeks=6,
        reevaluation_weeks=[3],
        outcome_measures=[{"instrument": "nrs_pain", "when": "reevaluation"}],
        rationale=["test"],
    )
    admin = world["admin"]
    plan_update(
        actor=admin, plan=plan, changes={"therapist_id": therapist_user.therapist.id}, reason="assign"
    )
    assert "Cy" in names(therapist_user)
    assert AuditEvent.objects.filter(object_type="clients.clientaccessgrant", action="create").exists()
    plan_update(
        actor=admin, plan=plan, changes={"therapist_id": junior_therapist_user.therapist.id}, reason="cover"
    )
    assert "Cy" not in names(therapist_user)
    assert "Cy" in names(junior_therapist_user)
    plan_cancel(actor=admin, plan=plan, reason="moved away")
    assert "Cy" not in names(junior_therapist_user)


def test_an_appointment_by_itself_opens_no_record_a_grant_does(world, clinic, therapist_user):
    """Before issue 14 any appointment (even a cancelled one) opened the record: booking was a way in."""
    AppointmentFactory(client=world["bobs"], therapist=therapist_user.therapist, status="cancelled")
    AppointmentFactory(client=world["bobs"], therapist=therapist_user.therapist, status="booked")
    assert "Bea" not in names(therapist_user)
    kwargs = {"client": world["bobs"], "user": therapist_user, "reason": "booking"}
    client_access_grant(actor=world["admin"], source_id=1, **kwargs)
    assert "Bea" in names(therapist_user)
    client_access_revoke(actor=world["admin"], **kwargs)
    assert "Bea" not in names(therapist_user)


def test_primary_therapist_shares_and_unshares_with_audit(world, therapist_user, junior_therapist_user):
    ada = world["alices"]
    bob = junior_therapist_user.therapist

    share = client_share(actor=therapist_user, client=ada, therapist_id=bob.id, reason="cover in August")

    assert "Ada" in names(junior_therapist_user)
    assert AuditEvent.objects.filter(
        object_type="clients.clientshare", action="create", actor=therapist_user
    ).exists()
    with pytest.raises(FieldErrors) as exc:
        client_share(actor=therapist_user, client=ada, therapist_id=bob.id)
    assert "already" in exc.value.errors["therapist_id"]

    client_unshare(actor=therapist_user, client=ada, therapist_id=bob.id)

    assert "Ada" not in names(junior_therapist_user)
    assert not ClientShare.objects.filter(pk=share.pk).exists()
    assert AuditEvent.objects.filter(object_type="clients.clientshare", action="delete").exists()


def test_a_shared_therapist_cannot_share_further_and_others_cannot_share(
    world, therapist_user, junior_therapist_user
):
    from django.core.exceptions import PermissionDenied

    ada = world["alices"]
    client_share(actor=world["admin"], client=ada, therapist_id=junior_therapist_user.therapist.id)
    with pytest.raises(PermissionDenied):
        client_share(actor=junior_therapist_user, client=ada, therapist_id=therapist_user.therapist.id)


def test_share_rejects_another_clinics_therapist(world, therapist_user, other_clinic_user):
    with pytest.raises(FieldErrors) as exc:
        client_share(
            actor=therapist_user, client=world["alices"], therapist_id=other_clinic_user.therapist.id
        )
    assert "therapist_id" in exc.value.errors


def test_share_api_and_page(world, therapist_user, junior_therapist_user):
    ada, bob = world["alices"], junior_therapist_user.therapist
    alice, bobs_http = login(therapist_user), login(junior_therapist_user)
    assert bobs_http.get(f"/api/v1/clients/{ada.id}").status_code == 404

    r = alice.post(
        f"/api/v1/clients/{ada.id}/shares", {"therapist_id": bob.id, "reason": "cover"}, content_type=JSON
    )
    assert r.status_code == 201, r.content
    assert bobs_http.get(f"/api/v1/clients/{ada.id}").status_code == 200
    assert alice.get(f"/api/v1/clients/{ada.id}/shares").json()[0]["therapist"] == "Bob"
    # Bob sees the record but may not share or unshare it.
    assert bobs_http.delete(f"/api/v1/clients/{ada.id}/shares/{bob.id}").status_code == 403
    assert alice.delete(f"/api/v1/clients/{ada.id}/shares/{bob.id}").status_code == 204
    assert bobs_http.get(f"/api/v1/clients/{ada.id}").status_code == 404

    bad = alice.post(f"/api/v1/clients/{ada.id}/shares", {"therapist_id": 999999}, content_type=JSON)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "therapist_id"

    page = alice.get(f"/clients/{ada.id}/")
    assert "Share the record" in page.content.decode()
    r = alice.post(f"/clients/{ada.id}/shares/", {"therapist_id": bob.id, "reason": "holiday"})
    assert r.status_code == 302
    assert ClientShare.objects.filter(client=ada, therapist=bob, reason="holiday").exists()
    assert "Shared with Bob" in alice.get(f"/clients/{ada.id}/").content.decode()
    r = alice.post(f"/clients/{ada.id}/shares/{bob.id}/remove/")
    assert r.status_code == 302
    assert not ClientShare.objects.filter(client=ada, therapist=bob).exists()


def test_a_therapist_creating_a_client_becomes_the_primary_therapist(therapist_user):
    r = login(therapist_user).post(
        "/api/v1/clients",
        {
            "client": {"first_name": "Nora", "last_name": "H", "date_of_birth": "1961-07-09"},
            "conditions": [{"type": "peripheral", "cause": "diabetes_t2"}],
        },
        content_type=JSON,
    )
    assert r.status_code == 201
    assert r.json()["primary_therapist_id"] == therapist_user.therapist.id


def test_opening_one_record_agrees_with_the_rule_for_every_relationship(
    world, clinic, therapist_user, junior_therapist_user, other_clinic, other_clinic_user
):
    """client_get_for_user settles the primary therapist from the row and asks the rule otherwise: for every
    user and client (own, shared, through a grant, only an appointment, nobody's, another clinic's, deleted) it
    opens exactly the records clients_visible_to allows."""
    from django.http import Http404
    from django.utils import timezone

    from nervecare.clients.models import Client
    from nervecare.clients.selectors import client_get_for_user

    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    shared = ClientFactory(clinic=clinic, first_name="Sal", primary_therapist=bob)
    ClientShare.objects.create(client=shared, therapist=alice, shared_by=junior_therapist_user)
    via_appointment = ClientFactory(clinic=clinic, first_name="Apu", primary_therapist=None)
    AppointmentFactory(client=via_appointment, therapist=alice)
    client_access_grant(
        actor=None, client=via_appointment, user=therapist_user, reason="booking", source_id=1
    )
    only_appointment = ClientFactory(clinic=clinic, first_name="Ola", primary_therapist=None)
    AppointmentFactory(  # booked, later than Apu's: a live appointment alone opens nothing
        client=only_appointment, therapist=alice, starts_at=timezone.now() + dt.timedelta(hours=3)
    )
    gone = ClientFactory(clinic=clinic, first_name="Del", primary_therapist=alice)
    Client.all_objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    elsewhere = ClientFactory(
        clinic=other_clinic, first_name="Far", primary_therapist=other_clinic_user.therapist
    )
    clients = [
        *[c for k, c in world.items() if k != "admin"],
        *(shared, via_appointment, only_appointment, gone, elsewhere),
    ]
    for user in (therapist_user, junior_therapist_user, world["admin"], other_clinic_user):
        allowed = set(clients_visible_to(user).values_list("pk", flat=True))
        for client in clients:
            try:
                opened = client_get_for_user(user, client.pk).pk == client.pk
            except Http404:
                opened = False
            assert opened == (client.pk in allowed), (user.username, client.first_name)
    assert {
        c.first_name
        for c in clients
        if c.pk in set(clients_visible_to(therapist_user).values_list("pk", flat=True))
    } == {"Ada", "Sal", "Apu"}
