"""The staff pages: happy path, wrong role, bad input, HTMX partial vs full page."""

import re

import pytest

from nervecare.clients.models import BodyMap, Client, Condition, MedicalContext
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.plans.models import CarePlan
from nervecare.screening.models import InstrumentResponse, SafetyFlag


def intake_post(**overrides):
    data = {
        "client-first_name": "Maria",
        "client-last_name": "Lopez",
        "client-date_of_birth": "1958-03-02",
        "client-email": "maria@example.org",
        "condition-type": "peripheral",
        "condition-cause": "diabetes_t2",
        "condition-numbness": "7",
        "condition-pain": "4",
        "marks-TOTAL_FORMS": "6",
        "marks-INITIAL_FORMS": "0",
        "marks-MIN_NUM_FORMS": "0",
        "marks-MAX_NUM_FORMS": "80",
        "marks-0-region": "toes",
        "marks-0-side": "left",
        "marks-0-sensation": "numbness",
        "marks-0-intensity": "7",
        "marks-1-region": "toes",
        "marks-1-side": "right",
        "marks-1-sensation": "numbness",
        "marks-1-intensity": "7",
        "consent-given": "on",
        "consent-version": "1.0",
        "consent-method": "written",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_login_required_for_every_page(client):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_intake_page_creates_the_whole_record(therapist_user):
    http = login(therapist_user)
    assert http.get("/clients/new/").status_code == 200
    response = http.post("/clients/new/", intake_post())
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client.objects.get(last_name="Lopez")
    assert response["Location"] == f"/clients/{client.id}/"
    assert client.conditions.get().numbness == 7
    assert client.body_maps.get().pattern == "length_dependent"
    assert client.consents.count() == 1
    page = http.get(f"/clients/{client.id}/").content.decode()
    assert "Maria Lopez" in page and "Diabetic foot care" in page  # the safety check ran on save


@pytest.mark.django_db
def test_intake_page_bad_input_names_the_field_and_saves_nothing(therapist_user):
    http = login(therapist_user)
    response = http.post(
        "/clients/new/",
        intake_post(**{"client-last_name": "", "condition-pain": "11", "marks-2-region": "toes"}),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "This field is required" in page  # last name
    assert "less than or equal to 10" in page  # pain 11
    assert "Give the region, the sensation and its intensity" in page  # half-filled body-map row
    assert Client.objects.count() == 0
    assert (
        Condition.objects.count() == 0
        and MedicalContext.objects.count() == 0
        and BodyMap.objects.count() == 0
    )


@pytest.mark.django_db
def test_intake_page_service_rule_error_is_shown_on_its_field(therapist_user):
    http = login(therapist_user)
    response = http.post("/clients/new/", intake_post(**{"condition-cause": "chemotherapy"}))
    assert response.status_code == 422
    assert "name the chemotherapy agent" in response.content.decode()
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_front_desk_cannot_open_clinical_pages(front_desk_user, clinic):
    client = ClientFactory(clinic=clinic)
    http = login(front_desk_user)
    home = http.get("/")
    assert home.status_code == 302 and home["Location"] == "/day/"  # the front desk starts at the day view
    assert http.get("/clients/")["Location"] == "/desk/clients/"  # and searches contact details only
    assert http.get(f"/clients/{client.id}/").status_code == 403
    assert http.get("/clients/new/").status_code == 403


@pytest.mark.django_db
def test_another_clinics_client_is_not_found(other_clinic_user, clinic):
    client = ClientFactory(clinic=clinic, first_name="Secret")
    http = login(other_clinic_user)
    response = http.get(f"/clients/{client.id}/")
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()
    assert "Secret" not in http.get("/clients/").content.decode()


@pytest.mark.django_db
def test_client_search_htmx_gets_rows_only(therapist_user, clinic):
    ClientFactory(clinic=clinic, first_name="Agnes", last_name="Ward")
    ClientFactory(clinic=clinic, first_name="Boris", last_name="Stone")
    http = login(therapist_user)
    full = http.get("/clients/?q=agn")
    assert "<html" in full.content.decode() and "Agnes" in full.content.decode()
    partial = http.get("/clients/?q=agn", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Agnes" in partial and "Boris" not in partial


@pytest.mark.django_db
def test_screening_page_scores_mnsi_and_shows_the_interpretation(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client)
    http = login(therapist_user)
    assert (
        "Are your legs and/or feet numb?"
        in http.get(f"/clients/{client.id}/screen/mnsi_history/").content.decode()
    )
    answers = {f"item_{i}": "yes" for i in range(1, 16)}  # all yes: 11 (items 4, 10 unscored; 7, 13 reversed)
    response = http.post(f"/clients/{client.id}/screen/mnsi_history/", answers, follow=True)
    assert "MNSI history scored: 11 of 13" in response.content.decode()
    assert InstrumentResponse.objects.get(client=client).total == 11


@pytest.mark.django_db
def test_screening_page_missing_answer_names_the_item_and_stores_nothing(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    http = login(therapist_user)
    answers = {f"item_{i}": "no" for i in range(1, 16) if i != 7}
    response = http.post(f"/clients/{client.id}/screen/mnsi_history/", answers)
    assert response.status_code == 422
    html = response.content.decode()
    # The item by its number and its words, linked to it (not "Item 7" alone, nor a code like "right.appearance").
    assert re.search(r'<a href="#item-7">7\. [^<]+</a>: missing answer', html)
    assert InstrumentResponse.objects.count() == 0


@pytest.mark.django_db
def test_safety_check_htmx_returns_the_flags_partial(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="diabetes_t2")
    MedicalContextFactory(client=client, dvt_signs_now=True)
    http = login(therapist_user)
    partial = http.post(f"/clients/{client.id}/safety-check/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert "Suspected deep vein thrombosis" in partial and "Source" in partial


@pytest.mark.django_db
def test_plan_pages_propose_block_clear_and_activate(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="diabetes_t2")
    MedicalContextFactory(client=client, dvt_history=True)  # unknown date: clearance needed
    http = login(therapist_user)
    response = http.post(f"/clients/{client.id}/plans/new/")
    plan = CarePlan.objects.get(client=client)
    assert response["Location"] == f"/clients/{client.id}/plans/{plan.id}/"
    page = http.get(response["Location"]).content.decode()
    assert "cannot be activated while these flags are open" in page
    blocked = http.post(f"/clients/{client.id}/plans/{plan.id}/activate/", follow=True).content.decode()
    assert "Recent deep vein thrombosis" in blocked
    plan.refresh_from_db()
    assert plan.status == "proposed"
    flag = SafetyFlag.objects.get(client=client, rule_id="dvt_history", status="open")
    http.post(
        f"/clients/{client.id}/flags/{flag.id}/clearance/",
        {"clinician": "Dr Shah", "clearance_date": "2026-01-05", "note": ""},
    )
    http.post(f"/clients/{client.id}/plans/{plan.id}/activate/")
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.django_db
def test_plan_change_needs_a_reason_and_is_logged(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="injury", type="focal")
    http = login(therapist_user)
    http.post(f"/clients/{client.id}/plans/new/")
    plan = CarePlan.objects.get(client=client)
    form = {
        "modality": "swedish",
        "scope": "full_body",
        "pressure": plan.pressure,
        "session_minutes": "45",
        "sessions_per_week": "1",
        "course_weeks": "12",
        "reevaluation_weeks": "6, 12",
        "therapist_id": str(plan.therapist_id or ""),
    }
    no_reason = http.post(f"/clients/{client.id}/plans/{plan.id}/", form)
    assert no_reason.status_code == 422
    plan.refresh_from_db()
    assert plan.session_minutes == 60
    http.post(f"/clients/{client.id}/plans/{plan.id}/", form | {"reason": "Client tires after 45 minutes"})
    plan.refresh_from_db()
    assert (plan.session_minutes, plan.scope, plan.reevaluation_weeks) == (45, "full_body", [6, 12])
    change = plan.changes.get(field="session_minutes")
    assert change.reason == "Client tires after 45 minutes" and change.changed_by == therapist_user


@pytest.mark.django_db
def test_scores_are_written_as_people_write_them(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    http = login(therapist_user)
    answers = {f"item_{i}": ("yes" if i in (4, 5, 6, 8) else "no") for i in range(1, 11)}
    page = http.post(f"/clients/{client.id}/screen/dn4/", answers, follow=True).content.decode()
    assert "DN4 scored: 4 of 10" in page and "4 / 10" in page and "1E+1" not in page
    exam = {
        "item_right.appearance": "normal",
        "item_right.ulceration": "absent",
        "item_right.ankle_reflex": "reinforcement",
        "item_right.vibration": "decreased",
        "item_left.appearance": "abnormal",
        "item_left.ulceration": "absent",
        "item_left.ankle_reflex": "present",
        "item_left.vibration": "decreased",
    }
    page = http.post(f"/clients/{client.id}/screen/mnsi_exam/", exam, follow=True).content.decode()
    assert "MNSI exam scored: 2.5 of 8" in page  # 0.5 + 0.5 + 1 + 0.5


def test_every_medical_fact_can_be_entered_on_the_page():
    from nervecare.clients.forms import MEDICAL_FORM_FIELDS
    from nervecare.clients.services import MEDICAL_FIELDS

    assert sorted(
        {*MEDICAL_FORM_FIELDS, "medications", "comorbidities", "devices", "lymph_node_sites"}
    ) == sorted(MEDICAL_FIELDS)


@pytest.mark.django_db
def test_edit_details_and_see_who_changed_what(therapist_user, clinic):
    client = ClientFactory(clinic=clinic, phone="")
    ConditionFactory(client=client)
    http = login(therapist_user)
    form = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "date_of_birth": "1960-05-17",
        "phone": "555-0199",
    }
    assert http.post(f"/clients/{client.id}/edit/", form).status_code == 302
    future = http.post(f"/clients/{client.id}/edit/", form | {"date_of_birth": "2999-01-01"})
    assert future.status_code == 422 and "cannot be in the future" in future.content.decode()
    history = http.get(f"/clients/{client.id}/history/").content.decode()
    assert "555-0199" in history and "alice" in history


@pytest.mark.django_db
def test_add_a_second_neuropathy_runs_the_safety_check(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="injury", type="focal")
    http = login(therapist_user)
    form = {"type": "cranial", "cause": "unknown", "diagnosis_code": "trigeminal_neuralgia", "pain": "7"}
    assert http.post(f"/clients/{client.id}/conditions/new/", form).status_code == 302
    assert client.flags.filter(rule_id="trigeminal_neuralgia", status="open").exists()
    bad = http.post(f"/clients/{client.id}/conditions/new/", form | {"pain": "12"})
    assert bad.status_code == 422 and client.conditions.count() == 2


@pytest.mark.django_db
def test_cancel_a_plan_needs_a_reason(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client)
    http = login(therapist_user)
    http.post(f"/clients/{client.id}/plans/new/")
    plan = CarePlan.objects.get(client=client)
    http.post(f"/clients/{client.id}/plans/{plan.id}/cancel/", {"reason": ""})
    plan.refresh_from_db()
    assert plan.status == "proposed"
    http.post(f"/clients/{client.id}/plans/{plan.id}/cancel/", {"reason": "Moved away"})
    plan.refresh_from_db()
    assert plan.status == "cancelled"


@pytest.mark.django_db
def test_intake_page_shows_form_and_clinical_errors_in_one_round(therapist_user):
    http = login(therapist_user)
    response = http.post(
        "/clients/new/",
        intake_post(
            **{
                "consent-version": "",
                "client-date_of_birth": "2099-01-01",
                "condition-cause": "chemotherapy",
                "marks-0-intensity": "15",
            }
        ),
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Choose the consent text" in page
    assert "cannot be in the future" in page
    assert "name the chemotherapy agent" in page
    assert "less than or equal to 10" in page and "Give the region" not in page
    assert Client.objects.count() == 0
