"""Care plans through the JSON API: propose, change with a reason, activate (or be blocked), cancel."""

import datetime

import pytest
from django.utils import timezone

from nervecare.clients.models import BodyMap, BodyMapMark
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.models import AuditEvent
from nervecare.plans.models import CarePlan, PlanChange
from nervecare.screening.models import SafetyFlag

pytestmark = pytest.mark.django_db

JSON = "application/json"


def error_fields(response):
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def _stocking_map(client):
    body_map = BodyMap.objects.create(
        client=client, recorded_at=timezone.now(), context="intake", pattern="length_dependent"
    )
    for region in ("toes", "sole"):
        for side in ("left", "right"):
            BodyMapMark.objects.create(
                body_map=body_map, region=region, side=side, sensation="numbness", intensity=6
            )


@pytest.fixture
def maria(clinic, therapist_user, junior_therapist_user):
    """Diabetic neuropathy, numb feet, a deep vein thrombosis a month ago (a clearance flag)."""
    client = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")
    ConditionFactory(client=client, type="peripheral", cause="diabetes_t2", numbness=6)
    MedicalContextFactory(
        client=client,
        dvt_history=True,
        dvt_date=timezone.localdate() - datetime.timedelta(days=30),
        dvt_site="left calf",
    )
    _stocking_map(client)
    return client


@pytest.fixture
def proposed(api, maria):
    r = api.post(f"/api/v1/clients/{maria.id}/plans", content_type=JSON)
    assert r.status_code == 201, r.content
    return r.json()


def plan_url(client, plan, action=""):
    return f"/api/v1/clients/{client.id}/plans/{plan['id']}" + (f"/{action}" if action else "")


def clear_dvt_flag(api, client):
    flag = SafetyFlag.objects.get(client=client, rule_id="dvt_history", status="open")
    r = api.post(
        f"/api/v1/clients/{client.id}/flags/{flag.id}/clearance",
        {"clinician": "Dr Rivera (GP)", "clearance_date": timezone.localdate().isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 200, r.content


# --- Propose ------------------------------------------------------------------------------------------


def test_propose_returns_the_plan_with_a_therapist_ranking(proposed, therapist_user, junior_therapist_user):
    plan = proposed
    assert plan["status"] == "proposed"
    assert (plan["modality"], plan["scope"]) == ("swedish", "hand_and_foot")
    assert plan["pressure"] == "moderate"  # capped by the DVT-history flag
    assert "left calf" in plan["avoid_areas"]
    assert plan["rationale"]
    assert any("Cannot start yet" in line for line in plan["rationale"])
    ranking = {t["therapist_id"]: t for t in plan["therapist_ranking"]}
    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    assert set(ranking) == {alice.id, bob.id}
    assert ranking[alice.id]["eligible"] is True
    assert ranking[bob.id]["eligible"] is False
    assert ranking[bob.id]["reasons"]
    assert (plan["therapist_id"], plan["therapist"]) == (alice.id, "Alice")


def test_propose_stores_the_plan_and_raises_the_flags(api, maria, proposed):
    stored = CarePlan.objects.get(pk=proposed["id"])
    assert stored.client == maria
    assert stored.status == "proposed"
    assert stored.created_by.username == "alice"
    assert SafetyFlag.objects.filter(client=maria, rule_id="dvt_history", status="open").exists()
    assert AuditEvent.objects.filter(
        action="create", object_type="plans.careplan", object_id=str(stored.id), actor__username="alice"
    ).exists()
    listed = api.get(f"/api/v1/clients/{maria.id}/plans").json()
    assert [p["id"] for p in listed] == [proposed["id"]]


def test_propose_without_a_condition_is_refused(api, clinic):
    client = ClientFactory(clinic=clinic)

    r = api.post(f"/api/v1/clients/{client.id}/plans", content_type=JSON)

    assert r.status_code == 422
    assert "conditions" in error_fields(r)
    assert not CarePlan.objects.exists()


# --- Change -------------------------------------------------------------------------------------------


def test_patch_with_changes_and_reason_logs_who_and_why(api, maria, proposed):
    r = api.patch(
        plan_url(maria, proposed),
        {"changes": {"session_minutes": 45, "pressure": "light"}, "reason": "Client tires after 45 minutes"},
        content_type=JSON,
    )

    assert r.status_code == 200, r.content
    plan = r.json()
    assert (plan["session_minutes"], plan["pressure"]) == (45, "light")
    changes = {c["field"]: c for c in plan["changes"]}
    assert set(changes) == {"session_minutes", "pressure"}
    assert (changes["session_minutes"]["old"], changes["session_minutes"]["new"]) == (60, 45)
    assert (changes["pressure"]["old"], changes["pressure"]["new"]) == ("moderate", "light")
    assert all(
        c["by"] == "alice" and c["reason"] == "Client tires after 45 minutes" for c in changes.values()
    )
    assert api.get(plan_url(maria, proposed)).json()["changes"] == plan["changes"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"changes": {"session_minutes": 45}}, "reason", id="no-reason"),
        pytest.param({"changes": {"session_minutes": 45}, "reason": ""}, "reason", id="empty-reason"),
        pytest.param({"changes": {"session_minutes": 45}, "reason": "   "}, "reason", id="blank-reason"),
    ],
)
def test_patch_without_a_reason_is_refused_and_changes_nothing(api, maria, proposed, payload, field):
    r = api.patch(plan_url(maria, proposed), payload, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    assert CarePlan.objects.get(pk=proposed["id"]).session_minutes == 60
    assert not PlanChange.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"pressure": "firm"}, "changes.pressure", id="pressure-above-flag-cap"),
        pytest.param({"session_minutes": 500}, "changes.session_minutes", id="session-too-long"),
        pytest.param({"pressure": "crushing"}, "changes.pressure", id="unknown-pressure"),
        pytest.param({"colour": "blue"}, "changes.colour", id="unknown-field"),
        pytest.param(
            {"reevaluation_weeks": [4, 20]}, "changes.reevaluation_weeks", id="reevaluation-after-course"
        ),
    ],
)
def test_bad_patch_is_refused_and_changes_nothing(api, maria, proposed, changes, field):
    r = api.patch(plan_url(maria, proposed), {"changes": changes, "reason": "trying"}, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r), error_fields(r)
    stored = CarePlan.objects.get(pk=proposed["id"])
    assert (stored.pressure, stored.session_minutes, stored.reevaluation_weeks) == (
        "moderate",
        60,
        proposed["reevaluation_weeks"],
    )
    assert not PlanChange.objects.exists()


def test_patch_to_an_unqualified_therapist_is_refused(api, maria, proposed, junior_therapist_user):
    r = api.patch(
        plan_url(maria, proposed),
        {"changes": {"therapist_id": junior_therapist_user.therapist.id}, "reason": "Bob has time"},
        content_type=JSON,
    )

    assert r.status_code == 422
    assert "changes.therapist_id" in error_fields(r)
    assert CarePlan.objects.get(pk=proposed["id"]).therapist.display_name == "Alice"


def test_patch_to_another_clinics_therapist_is_refused(api, maria, proposed, other_clinic_user):
    r = api.patch(
        plan_url(maria, proposed),
        {"changes": {"therapist_id": other_clinic_user.therapist.id}, "reason": "Olga has time"},
        content_type=JSON,
    )

    assert r.status_code == 422
    assert "changes.therapist_id" in error_fields(r)


# --- Activate -----------------------------------------------------------------------------------------


def test_activate_is_blocked_by_an_open_clearance_flag(api, maria, proposed):
    r = api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    assert r.status_code == 409, r.content
    body = r.json()
    assert "Recent deep vein thrombosis" in body["detail"]
    fields = error_fields(r)
    assert "flags.dvt_history" in fields
    assert fields["flags.dvt_history"].startswith("clearance")
    # Modify flags do not block.
    assert "flags.diabetic_foot_care" not in fields
    assert CarePlan.objects.get(pk=proposed["id"]).status == "proposed"


def test_activate_after_clearance(api, maria, proposed):
    clear_dvt_flag(api, maria)

    r = api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    assert r.status_code == 200, r.content
    plan = r.json()
    assert plan["status"] == "active"
    assert plan["activated_at"]
    assert plan["start_date"] == timezone.localdate().isoformat()
    stored = CarePlan.objects.get(pk=proposed["id"])
    assert (stored.status, stored.activated_by.username) == ("active", "alice")


def test_activate_twice_is_refused(api, maria, proposed):
    clear_dvt_flag(api, maria)
    api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    r = api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    assert r.status_code == 422
    assert "status" in error_fields(r)


def test_a_second_plan_cannot_be_activated_while_one_is_active(api, maria, proposed):
    clear_dvt_flag(api, maria)
    api.post(plan_url(maria, proposed, "activate"), content_type=JSON)
    second = api.post(f"/api/v1/clients/{maria.id}/plans", content_type=JSON).json()

    r = api.post(plan_url(maria, second, "activate"), content_type=JSON)

    assert r.status_code == 422
    assert "status" in error_fields(r)
    assert CarePlan.objects.filter(client=maria, status="active").count() == 1


def test_a_stop_flag_raised_after_the_proposal_blocks_activation(api, maria, proposed):
    clear_dvt_flag(api, maria)
    api.patch(f"/api/v1/clients/{maria.id}/medical", {"dvt_signs_now": True}, content_type=JSON)

    r = api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    assert r.status_code == 409
    assert "flags.suspected_dvt" in error_fields(r)
    assert CarePlan.objects.get(pk=proposed["id"]).status == "proposed"


def test_the_flag_that_blocks_activation_is_stored(api, maria, proposed):
    clear_dvt_flag(api, maria)
    api.patch(f"/api/v1/clients/{maria.id}/medical", {"dvt_signs_now": True}, content_type=JSON)

    r = api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    assert r.status_code == 409
    open_rules = {f["rule_id"] for f in api.get(f"/api/v1/clients/{maria.id}/flags").json()}
    assert "suspected_dvt" in open_rules


# --- Cancel -------------------------------------------------------------------------------------------


def test_cancel_with_a_reason(api, maria, proposed):
    r = api.post(plan_url(maria, proposed, "cancel"), {"reason": "Client moved away"}, content_type=JSON)

    assert r.status_code == 200, r.content
    plan = r.json()
    assert plan["status"] == "cancelled"
    [change] = plan["changes"]
    assert (change["field"], change["old"], change["new"]) == ("status", "proposed", "cancelled")
    assert (change["reason"], change["by"]) == ("Client moved away", "alice")


def test_cancel_an_active_plan(api, maria, proposed):
    clear_dvt_flag(api, maria)
    api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    r = api.post(plan_url(maria, proposed, "cancel"), {"reason": "Hospitalised"}, content_type=JSON)

    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({}, id="no-reason"),
        pytest.param({"reason": ""}, id="empty"),
        pytest.param({"reason": "  "}, id="blank"),
    ],
)
def test_cancel_without_a_reason_is_refused(api, maria, proposed, payload):
    r = api.post(plan_url(maria, proposed, "cancel"), payload, content_type=JSON)

    assert r.status_code == 422
    assert "reason" in error_fields(r)
    assert CarePlan.objects.get(pk=proposed["id"]).status == "proposed"


def test_a_cancelled_plan_cannot_be_cancelled_changed_or_activated(api, maria, proposed):
    api.post(plan_url(maria, proposed, "cancel"), {"reason": "Client moved away"}, content_type=JSON)

    again = api.post(plan_url(maria, proposed, "cancel"), {"reason": "again"}, content_type=JSON)
    changed = api.patch(
        plan_url(maria, proposed),
        {"changes": {"session_minutes": 30}, "reason": "why not"},
        content_type=JSON,
    )
    activated = api.post(plan_url(maria, proposed, "activate"), content_type=JSON)

    for r in (again, changed, activated):
        assert r.status_code == 422, r.content
        assert "status" in error_fields(r)
    assert CarePlan.objects.get(pk=proposed["id"]).status == "cancelled"


def test_unknown_plan_is_404(api, maria):
    r = api.get(f"/api/v1/clients/{maria.id}/plans/999999")

    assert r.status_code == 404


@pytest.mark.django_db
def test_safety_precautions_cannot_be_edited_away(api):
    intake = {
        "client": {"first_name": "Pia", "last_name": "Keep", "date_of_birth": "1950-01-01"},
        "conditions": [{"type": "peripheral", "cause": "diabetes_t2"}],
        "medical": {"devices": ["port"], "devices_site": "right upper chest"},
    }
    cid = api.post("/api/v1/clients", intake, content_type="application/json").json()["id"]
    plan = api.post(f"/api/v1/clients/{cid}/plans", content_type="application/json").json()
    assert "right upper chest" in plan["avoid_areas"] and "Inspect the feet." in plan["precautions"]
    url = f"/api/v1/clients/{cid}/plans/{plan['id']}"
    for changes, field in (
        ({"precautions": []}, "changes.precautions"),
        ({"avoid_areas": ["nowhere"]}, "changes.avoid_areas"),
        ({"precautions": [*plan["precautions"], "x" * 501]}, "changes.precautions"),
        ({"start_date": "2000-01-01"}, "changes.start_date"),
    ):
        r = api.patch(url, {"changes": changes, "reason": "try"}, content_type="application/json")
        assert r.status_code == 422, (changes, r.content)
        assert field in {e["field"] for e in r.json()["errors"]}
    added = api.patch(
        url,
        {"changes": {"precautions": [*plan["precautions"], "Warm room"]}, "reason": "client feels cold"},
        content_type="application/json",
    )
    assert added.status_code == 200 and "Warm room" in added.json()["precautions"]


# --- Issue 19 point 9: after a clearance the plan no longer says it cannot start -----------------------------
def test_after_a_clearance_the_plan_no_longer_says_it_cannot_start(api, maria, proposed, therapist_user):
    from django.urls import reverse

    from nervecare.conftest import login

    flag = SafetyFlag.objects.get(client=maria, rule_id="dvt_history", status="open")
    r = api.post(
        f"/api/v1/clients/{maria.id}/flags/{flag.id}/clearance",
        {"clinician": "Dr Lee", "clearance_date": timezone.localdate().isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 200, r.content
    plan = api.get(plan_url(maria, proposed)).json()
    assert plan["rationale"]
    assert not any("Cannot start yet" in line for line in plan["rationale"])
    page = login(therapist_user).get(reverse("plans:plan", args=[maria.id, proposed["id"]]))
    assert "Cannot start yet" not in page.content.decode()
    # An older plan that stored the line when proposed reads the same way.
    stored = CarePlan.objects.get(pk=proposed["id"])
    stored.rationale = [*stored.rationale, "Cannot start yet: clearance — Recent deep vein thrombosis."]
    stored.save()
    assert not any(
        "Cannot start yet" in line for line in api.get(plan_url(maria, proposed)).json()["rationale"]
    )
