"""The client's own intake: through the clinical services (safety check included), reviewed by a therapist."""

import pytest
from django.core.exceptions import PermissionDenied

from nervecare.clients.models import BodyMap, Condition, MedicalContext
from nervecare.clients.services import condition_add
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.portal.models import ClientIntake

pytestmark = pytest.mark.django_db


INTAKE = {
    "type": "peripheral",
    "cause": "diabetes_t2",
    "pain": "6",
    "numbness": "7",
    "foot_wound_or_ulcer": "on",
    "foot_wound_site": "left heel",
    "platelets_per_ul": "180000",
    "medications": "Metformin\nGabapentin",
    "comorbidities": "high blood pressure",
    "goals": "Walk to the shop without burning feet",
    "marks-TOTAL_FORMS": "1",
    "marks-INITIAL_FORMS": "0",
    "marks-0-region": "sole",
    "marks-0-side": "both",
    "marks-0-sensation": "burning",
    "marks-0-intensity": "6",
}


def test_client_intake_goes_through_the_clinical_services_and_shows_on_the_chart(carla, therapist_user):
    user, client = carla
    MedicalContext.objects.update_or_create(client=client, defaults={"on_anticoagulants": True})
    http = login(user)
    assert http.get("/portal/about-you/").status_code == 200
    response = http.post("/portal/about-you/", INTAKE)
    assert response.status_code == 302, response.content.decode()[:2000]
    intake = ClientIntake.objects.get(client=client)
    condition = intake.condition
    assert (condition.type, condition.cause, condition.pain, condition.numbness) == (
        "peripheral",
        "diabetes_t2",
        6,
        7,
    )
    medical = MedicalContext.objects.get(client=client)
    assert medical.foot_wound_or_ulcer and medical.foot_wound_site == "left heel"
    assert medical.on_anticoagulants, "an unticked box never clears what the clinic recorded"
    assert medical.platelets_per_ul == 180000
    assert [m["name"] for m in medical.medications] == ["Metformin", "Gabapentin"]
    assert medical.comorbidities == ["high blood pressure"]
    body_map = BodyMap.objects.get(client=client)
    assert (
        body_map.context == "client_intake" and body_map.recorded_by == user and body_map.marks.count() == 2
    )
    client.refresh_from_db()
    assert client.goals == "Walk to the shop without burning feet"
    # The safety check ran on what the client told: a foot ulcer is a stop.
    assert client.flags.filter(rule_id="foot_ulcer_wound_infection", status="open").exists()
    assert AuditEvent.objects.filter(actor=user, summary="Intake filled in by the client").exists()

    type(client).objects.filter(pk=client.pk).update(
        primary_therapist=therapist_user.therapist
    )  # Alice's client
    staff = login(therapist_user)
    chart = staff.get(f"/clients/{client.id}/").content.decode()
    assert "Reported by the client" in chart and "Mark as reviewed" in chart
    assert "foot wound or ulcer" in chart and "Metformin, Gabapentin" in chart and "Not reviewed yet" in chart
    reviewed = staff.post(f"/portal/staff/clients/{client.id}/intakes/{intake.id}/review/")
    assert reviewed.status_code == 302
    intake.refresh_from_db()
    assert intake.reviewed_by == therapist_user and intake.reviewed_at is not None
    assert "Not reviewed yet" not in staff.get(f"/clients/{client.id}/").content.decode()


def test_client_intake_errors_name_the_field_and_store_nothing(carla):
    user, client = carla
    before = Condition.objects.filter(client=client).count()
    response = login(user).post(
        "/portal/about-you/", {**INTAKE, "cause": "chemotherapy", "foot_wound_or_ulcer": ""}
    )
    assert response.status_code == 422
    assert "name the chemotherapy agent" in response.content.decode()
    assert Condition.objects.filter(client=client).count() == before
    assert not ClientIntake.objects.filter(client=client).exists()
    assert not BodyMap.objects.filter(client=client).exists()


def test_intake_with_unknown_type_is_kept_for_the_therapist(carla):
    user, client = carla
    before = Condition.objects.filter(client=client).count()
    response = login(user).post("/portal/about-you/", {**INTAKE, "type": ""})
    assert response.status_code == 302
    intake = ClientIntake.objects.get(client=client)
    assert intake.condition is None and intake.reported["condition"]["pain"] == 6
    assert Condition.objects.filter(client=client).count() == before


def test_a_client_actor_may_write_only_their_own_record(carla, dan, front_desk_user):
    with pytest.raises(PermissionDenied):
        condition_add(actor=carla[0], client=dan[1], data={"type": "peripheral", "cause": "unknown"})
    with pytest.raises(PermissionDenied):
        condition_add(actor=front_desk_user, client=dan[1], data={"type": "peripheral", "cause": "unknown"})
    assert condition_add(actor=carla[0], client=carla[1], data={"type": "focal", "cause": "injury"}).pk


def test_staff_cannot_review_without_clinical_role_and_clients_cannot_review(carla, front_desk_user):
    user, client = carla
    login(user).post("/portal/about-you/", INTAKE)
    intake = ClientIntake.objects.get(client=client)
    assert (
        login(front_desk_user)
        .post(f"/portal/staff/clients/{client.id}/intakes/{intake.id}/review/")
        .status_code
        == 403
    )
    assert (
        login(user).post(f"/portal/staff/clients/{client.id}/intakes/{intake.id}/review/").status_code == 403
    )
    intake.refresh_from_db()
    assert intake.reviewed_at is None


def test_a_red_warm_swollen_foot_is_recorded_with_its_side_and_the_flag_names_it(carla):
    """Issue 19 point 6 through the portal: the client says which foot, and the suspected Charcot flag (stop
    for that foot) names it; without a side it covers both feet and asks which."""
    from nervecare.screening.models import SafetyFlag

    user, client = carla
    http = login(user)
    body = {**INTAKE, "foot_wound_or_ulcer": "", "foot_red_warm_swollen": "on"}
    response = http.post("/portal/about-you/", {**body, "foot_red_warm_swollen_side": "left"})
    assert response.status_code == 302, response.content.decode()[:2000]
    medical = MedicalContext.objects.get(client=client)
    assert medical.foot_red_warm_swollen and medical.foot_red_warm_swollen_side == "left"
    flag = SafetyFlag.objects.get(client=client, rule_id="suspected_charcot", status="open")
    assert "left" in flag.area.lower() and "right" not in flag.area.lower()


def test_the_portal_refuses_an_unknown_foot(carla):
    user, client = carla
    response = login(user).post("/portal/about-you/", {**INTAKE, "foot_red_warm_swollen_side": "middle"})
    assert response.status_code in (200, 422)
    assert "middle is not one of the available choices" in response.content.decode()
    assert not ClientIntake.objects.filter(client=client).exists()
