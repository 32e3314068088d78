"""Reads and writes of clinical data leave events: who, what record, what changed, from where."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from nervecare.clients.models import BodyMapMark, Condition
from nervecare.clients.services import client_update, condition_update
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core import audit, request_context
from nervecare.core.models import AuditEvent
from nervecare.core.tests import test_permission_matrix as matrix
from nervecare.footcheck.services import foot_check_submit
from nervecare.footcheck.tests.factories import lops_client
from nervecare.scheduling.models import Reminder
from nervecare.scheduling.reminders import on_booked
from nervecare.scheduling.services import appointment_cancel
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa(clinic):
    return ClientFactory(clinic=clinic, first_name="Rosa", last_name="Diaz")


def test_a_change_to_a_client_records_the_fields_before_and_after(therapist_user, rosa):
    client_update(actor=therapist_user, client=rosa, data={"phone": "555-0199"})
    event = AuditEvent.objects.get(action="update", object_type="clients.client", object_id=str(rosa.pk))
    assert event.changes["phone"][1] == "555-0199"
    assert (event.actor_username, event.client_id, event.clinic_id) == ("alice", rosa.pk, rosa.clinic_id)


def test_a_change_to_a_condition_records_it_against_the_client(therapist_user, rosa):
    condition = ConditionFactory(client=rosa, cause="diabetes_t2")
    condition_update(
        actor=therapist_user,
        condition=condition,
        data={"cause": "chemotherapy", "chemotherapy_agent": "oxaliplatin"},
    )
    event = AuditEvent.objects.get(action="update", object_type="clients.condition")
    assert event.changes["cause"] == ["diabetes_t2", "chemotherapy"]
    assert event.client_id == rosa.pk


def test_the_api_patch_is_recorded_with_the_address(api, rosa):
    response = api.patch(
        f"/api/v1/clients/{rosa.pk}",
        {"phone": "555-0100"},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="update", object_id=str(rosa.pk))
    assert event.ip_address == "198.51.100.20"
    assert event.changes["phone"][1] == "555-0100"


def test_opening_the_chart_records_a_view_with_the_address(therapist_user, rosa):
    http = login(therapist_user)
    response = http.get(reverse("clients:client", args=[rosa.pk]), REMOTE_ADDR="2001:db8:0:0::7")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="view", object_type="clients.client", object_id=str(rosa.pk))
    assert (event.actor_username, event.ip_address, event.summary) == (
        "alice",
        "2001:db8::7",
        "Record viewed",
    )


def test_a_plan_read_through_the_api_is_recorded(api, therapist_user, rosa):
    from nervecare.plans.services import plan_propose

    ConditionFactory(client=rosa, cause="diabetes_t2")
    plan = plan_propose(actor=therapist_user, client=rosa)[0]
    assert api.get(f"/api/v1/clients/{rosa.pk}/plans/{plan.pk}").status_code == 200
    assert AuditEvent.objects.filter(
        action="view", object_type="plans.careplan", object_id=str(plan.pk), client_id=rosa.pk
    ).exists()


def test_a_list_records_one_event_naming_the_clients_shown(api, clinic, rosa):
    other = ClientFactory(clinic=clinic)
    assert api.get("/api/v1/clients").status_code == 200
    event = AuditEvent.objects.get(action="view", object_type="clients.client", object_id="*")
    assert sorted(event.changes["ids"]) == sorted([str(rosa.pk), str(other.pk)])
    assert event.changes["count"] == 2


def test_one_event_per_object_per_request(therapist_user, rosa, rf):
    with request_context.bound(rf.get("/")):  # as RequestContextMiddleware binds each request
        first = audit.audit_view(therapist_user, rosa)
        again = audit.audit_view(therapist_user, rosa)
    assert first is not None and again is None
    assert AuditEvent.objects.filter(action="view").count() == 1
    with request_context.bound(rf.get("/")):
        assert audit.audit_view(therapist_user, rosa) is not None  # a new request: a new event


def test_a_bulk_update_records_one_event_with_the_ids_and_values(therapist_user, rosa):
    conditions = [ConditionFactory(client=rosa, cause="diabetes_t2") for _ in range(3)]
    changed = audit.audited_update(
        Condition.objects.filter(client=rosa),
        actor=therapist_user,
        summary="Causes corrected",
        cause="chemotherapy",
    )
    assert changed == 3
    assert set(Condition.objects.values_list("cause", flat=True)) == {"chemotherapy"}
    event = AuditEvent.objects.get(action="update", object_type="clients.condition")
    assert sorted(event.changes["ids"]) == sorted(str(c.pk) for c in conditions)
    assert event.changes["set"] == {"cause": "chemotherapy"}
    assert (event.client_id, event.summary) == (rosa.pk, "Causes corrected (3)")


def test_a_bulk_delete_records_the_ids_removed(therapist_user, rosa):
    keep = ConditionFactory(client=rosa)
    gone = ConditionFactory(client=rosa)
    assert audit.audited_delete(Condition.objects.filter(pk=gone.pk), actor=therapist_user) == 1
    assert list(Condition.objects.all()) == [keep]
    event = AuditEvent.objects.get(action="delete")
    assert (event.object_type, event.object_id, event.changes["ids"]) == (
        "clients.condition",
        str(gone.pk),
        [str(gone.pk)],
    )
    assert event.client_id == rosa.pk


def test_an_empty_bulk_operation_records_nothing(therapist_user):
    assert audit.audited_update(Condition.objects.none(), actor=therapist_user, cause="x") == 0
    assert not AuditEvent.objects.exists()


def test_cancelling_an_appointment_records_the_reminders_it_superseded(therapist_user, rosa):
    appointment = AppointmentFactory(client=rosa, starts_at=timezone.now() + datetime.timedelta(days=3))
    on_booked(appointment)
    pending = list(
        Reminder.objects.filter(appointment=appointment, status="pending").values_list("pk", flat=True)
    )
    assert pending
    appointment_cancel(actor=therapist_user, appointment=appointment, reason="unwell")
    event = AuditEvent.objects.get(object_type="scheduling.reminder", action="update")
    assert sorted(event.changes["ids"]) == sorted(str(pk) for pk in pending)
    assert event.changes["set"]["status"] == "skipped"
    assert event.clinic_id == rosa.clinic_id


def test_body_map_marks_written_in_bulk_are_recorded(api, rosa):
    response = api.post(
        f"/api/v1/clients/{rosa.pk}/body-maps",
        {"marks": [{"region": "sole", "side": "left", "sensation": "numbness", "intensity": 6}]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    mark = BodyMapMark.objects.get()
    event = AuditEvent.objects.get(object_type="clients.bodymapmark")
    assert event.changes["ids"] == [str(mark.pk)]
    assert event.changes["created"][0]["sensation"] == "numbness"
    assert event.client_id == rosa.pk


@override_settings(NERVECARE_AUDIT=False)
def test_switched_off_nothing_is_recorded(api, therapist_user, rosa):
    assert api.get(reverse("clients:client", args=[rosa.pk])).status_code == 200
    client_update(actor=therapist_user, client=rosa, data={"phone": "555-0101"})
    assert audit.audited_update(Condition.objects.filter(client=rosa), actor=therapist_user, cause="x") == 0
    assert not AuditEvent.objects.exists()


# --- every clinical read route writes a read event ----------------------------------------------------------

world = matrix.world  # the permission matrix's world: three sides, each with a full record (a fixture)

# The kinds of route that show clinical data, and who may read them there.
CLINICAL_READ_KINDS = {
    "clinical": "admin",
    "clinic_clinical": "admin",
    "clinic_clinical_object": "admin",
    "admin_clinical": "admin",
    "clinic_admin": "admin",
    "portal": "client",
    "requester": "therapist",
}
# Clinical-kind GET routes that show no one's clinical data, with the reason. Nothing else may be left out.
NO_CLINICAL_DATA = {
    "api:vocabularies": "the coded vocabularies (conditions, causes): no client",
    "api:list_rules": "the safety rules (data shipped with NerveCare): no client",
    "screening:instruments": "the instrument definitions: no client",
    "clients:client_new": "an empty intake form",
    "portal:book_confirm": "without a chosen time: a redirect to the free times (the client's own booking)",
    "api:report_status": "a clinic report job's status (the download is audited: outcomes tests)",
    "outcomes:report_job": "a clinic report job's status page (the download is audited)",
    "interop:export-status": "a bulk export's status and file names (each file's download is audited)",
    "api:import_presets": "the column presets (data shipped with NerveCare, and the clinic's mappings): no client",
    "api:import_list": "the clinic's imports: file names, row counts and states (opening one is audited)",
    "imports:index": "the clinic's imports: file names, row counts and states (opening one is audited)",
    "imports:template": "an empty CSV template: no client",
    "imports:export": "the page explaining the clinic export (the download itself is audited)",
    "api:list_items": "the self-care library (data shipped with NerveCare): no client",
}
# Allowed answers that show no data (a download not ready yet, a redirect): no read, no event.
NO_DATA_STATUSES = {302, 404, 409}


def _clinical_reads():
    for found in matrix.all_routes():
        route = matrix.ROUTES[found.key]
        if route.kind in CLINICAL_READ_KINDS and "GET" in matrix._methods(found, route):
            yield found, route


def test_every_clinical_read_route_writes_a_read_event(world, settings):
    settings.NERVECARE_PUBLIC_URL = "http://testserver"
    # An empty list shows no one and records nothing: the deleted-clients page needs a deleted client.
    ClientFactory(clinic=world.users["admin"].clinic, deleted_at=timezone.now())
    matrix._proposal(world.sides["own"])  # and the contact proposals list a pending proposal
    # The therapist's list between sessions shows only who needs a look: a client with a red-flag foot check.
    admin = world.users["admin"]
    feet = lops_client(clinic=admin.clinic, actor=admin)
    foot_check_submit(actor=admin, client=feet, findings={"blister": True}, foot="left", regions=["sole"])
    missing, checked = [], 0
    for found, route in _clinical_reads():
        if found.key in NO_CLINICAL_DATA:
            continue
        role = CLINICAL_READ_KINDS[route.kind]
        user = world.users[role]
        before = AuditEvent.objects.filter(actor_id=user.pk, action="view").count()
        url = matrix._url(found, world.sides["own"], route)
        response = matrix._send(login(user), "GET", url, route, found, world.sides["own"])
        checked += 1
        if response.status_code not in route.ok:
            missing.append(f"{found.key} GET {url}: status {response.status_code}")
        elif response.status_code in NO_DATA_STATUSES:
            continue
        elif AuditEvent.objects.filter(actor_id=user.pk, action="view").count() == before:
            missing.append(f"{found.key} GET {url}: no read event")
    assert checked > 40
    assert not missing, "clinical reads without an audit event:\n" + "\n".join(missing)


def test_the_exemptions_name_real_clinical_routes():
    keys = {found.key for found, _route in _clinical_reads()}
    assert set(NO_CLINICAL_DATA) <= keys


@pytest.mark.parametrize("url", ["/api/v1/review/clients", "/review/"])
def test_the_review_list_records_the_clients_it_showed(world, url):
    admin = world.users["admin"]
    response = login(admin).get(url)
    assert response.status_code == 200
    event = AuditEvent.objects.get(
        actor_id=admin.pk, action="view", object_type="clients.client", object_id="*"
    )
    shown = {str(world.sides["own"].client.id), str(world.sides["other"].client.id)}
    assert set(event.changes["ids"]) == shown  # both have an unresolved adverse event
    assert event.summary.startswith("Review list viewed")


def test_the_review_list_records_nothing_when_it_shows_no_one(api, therapist_user):
    assert api.get("/api/v1/review/clients").json() == []
    assert not AuditEvent.objects.filter(action="view").exists()


def test_the_body_map_page_records_a_read_of_the_client(therapist_user, rosa):
    response = login(therapist_user).get(reverse("clients:body_map", args=[rosa.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="view", object_type="clients.client", object_id=str(rosa.pk))
    assert (event.actor_username, event.client_id, event.summary) == (
        "alice",
        rosa.pk,
        "Body map page viewed",
    )
