"""The client's record page is assembled from cards each app registers (clients/hooks.py): clients imports
none of the apps above it, yet the page shows their parts of the record, in a fixed order, from one selector."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from nervecare.clients import hooks, selectors
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.plans.models import CarePlan
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.screening.services import safety_check_run

# Each card's heading, in page order, and the app that registers it.
CARDS_IN_ORDER = [
    ("Safety flags", "screening"),
    ("Care plan", "plans"),
    ("Outcomes", "outcomes"),
    ("The client's data", "ops"),
    ("Sessions", "scheduling"),
    ("Past sessions and notes", "visits"),
    ("Screenings", "screening"),
    ("Neuropathy", "clients"),
    ("Body map", "clients"),
    ("Medical context", "clients"),
    ("Contact and consent", "clients"),
    ("Who sees this record", "clients"),
    ("Client portal", "portal"),
]


@pytest.fixture
def maria(clinic, therapist_user):
    client = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")
    ConditionFactory(client=client, cause="diabetes_t2")
    MedicalContextFactory(client=client, dvt_history=True)
    safety_check_run(actor=therapist_user, client=client)
    return client


@pytest.mark.django_db
def test_every_app_contributes_its_card_in_page_order(maria, therapist_user):
    therapist = therapist_user.therapist
    now = timezone.now()
    AppointmentFactory(client=maria, therapist=therapist, starts_at=now + datetime.timedelta(days=2))
    AppointmentFactory(
        client=maria, therapist=therapist, starts_at=now - datetime.timedelta(days=3), status="completed"
    )
    page = login(therapist_user).get(f"/clients/{maria.id}/").content.decode()
    positions = [page.find(f">{heading}</h2>") for heading, _app in CARDS_IN_ORDER]
    assert -1 not in positions, [h for (h, _a), p in zip(CARDS_IN_ORDER, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    # Each card shows its app's data: the open flag, the booked and the past session, the note link.
    assert "deep vein thrombosis" in page.lower()
    assert page.count(
        reverse("scheduling:appointment", args=[maria.appointments.order_by("-starts_at")[0].id])
    )
    assert "write the note" in page


@pytest.mark.django_db
def test_the_record_page_context_comes_from_one_selector(maria, therapist_user):
    context = selectors.client_record_page(therapist_user, maria.id)
    assert context["client"] == maria
    assert context["cards"][0] == "screening/partials/record_flags.html"
    assert {"flags", "plans", "upcoming", "past", "responses", "conditions", "medical", "shares"} <= set(
        context
    )
    assert "dvt_history" in [f.rule_id for f in context["flags"]]


@pytest.mark.django_db
def test_the_record_page_is_refused_without_the_safety_flags_card(maria, therapist_user, monkeypatch):
    cards = {k: v for k, v in hooks._record_cards.items() if k != hooks.REQUIRED_CARD}
    monkeypatch.setattr(hooks, "_record_cards", cards)
    with pytest.raises(ImproperlyConfigured):
        selectors.client_record_page(therapist_user, maria.id)


@pytest.mark.django_db
def test_two_cards_setting_the_same_key_is_a_configuration_error(maria, therapist_user, monkeypatch):
    monkeypatch.setattr(hooks, "_record_cards", dict(hooks._record_cards))
    hooks.add_record_card(
        hooks.RecordCard("impostor", 5, "clients/partials/record_medical.html", lambda u, c: {"flags": []})
    )
    with pytest.raises(ImproperlyConfigured, match="flags"):
        selectors.client_record_page(therapist_user, maria.id)


@pytest.mark.django_db
def test_another_therapists_client_record_page_is_not_found(maria, junior_therapist_user):
    assert login(junior_therapist_user).get(f"/clients/{maria.id}/").status_code == 404


@pytest.mark.django_db
def test_client_list_filters_by_plan_status_registered_by_plans(clinic, therapist_user):
    with_plan = ClientFactory(clinic=clinic, last_name="Planned")
    ConditionFactory(client=with_plan, cause="diabetes_t2")
    ClientFactory(clinic=clinic, last_name="Unplanned")
    http = login(therapist_user)
    http.post(f"/clients/{with_plan.id}/plans/new/")
    assert CarePlan.objects.filter(client=with_plan, status="proposed").exists()
    proposed = http.get("/clients/?plan_status=proposed", headers={"HX-Request": "true"}).content.decode()
    none = http.get("/clients/?plan_status=none", headers={"HX-Request": "true"}).content.decode()
    assert "Planned" in proposed and "Unplanned" not in proposed
    assert "Unplanned" in none and "Planned</a>" not in none.replace("Unplanned</a>", "")
    full = http.get("/clients/").content.decode()
    assert 'id="plan_status"' in full and "No plan yet" in full


@pytest.mark.django_db
def test_plan_page_shows_the_course_progress_registered_by_scheduling(maria, therapist_user):
    http = login(therapist_user)
    response = http.post(f"/clients/{maria.id}/plans/new/")
    page = http.get(response["Location"]).content.decode()
    assert "to book" in page and "booked" in page


# The pages moved to the apps that own them; their addresses did not change.
PATHS = [
    ("clients:clients", [], "/clients/"),
    ("clients:client_new", [], "/clients/new/"),
    ("clients:client", [7], "/clients/7/"),
    ("clients:client_edit", [7], "/clients/7/edit/"),
    ("clients:history", [7], "/clients/7/history/"),
    ("clients:condition_new", [7], "/clients/7/conditions/new/"),
    ("clients:condition_edit", [7, 3], "/clients/7/conditions/3/"),
    ("clients:medical", [7], "/clients/7/medical/"),
    ("clients:body_map", [7], "/clients/7/body-map/"),
    ("screening:screen", [7, "mnsi"], "/clients/7/screen/mnsi/"),
    ("screening:safety_check", [7], "/clients/7/safety-check/"),
    ("screening:clearance", [7, 3], "/clients/7/flags/3/clearance/"),
    ("screening:instruments", [], "/instruments/"),
    ("plans:plan_propose", [7], "/clients/7/plans/new/"),
    ("plans:plan", [7, 3], "/clients/7/plans/3/"),
    ("plans:plan_activate", [7, 3], "/clients/7/plans/3/activate/"),
    ("plans:plan_cancel", [7, 3], "/clients/7/plans/3/cancel/"),
    ("web:dashboard", [], "/"),
]


@pytest.mark.parametrize(("name", "args", "path"), PATHS)
def test_page_addresses_are_unchanged(name, args, path):
    assert reverse(name, args=args) == path


@pytest.mark.django_db
def test_the_record_page_queries_do_not_grow_with_the_record(maria, therapist_user):
    http = login(therapist_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(f"/clients/{maria.id}/").status_code == 200
        return len(ctx.captured_queries)

    therapist = therapist_user.therapist
    now = timezone.now()
    AppointmentFactory(client=maria, therapist=therapist, starts_at=now + datetime.timedelta(days=1))
    AppointmentFactory(
        client=maria, therapist=therapist, starts_at=now - datetime.timedelta(days=1), status="completed"
    )
    few = queries()
    for day in range(2, 6):
        AppointmentFactory(client=maria, therapist=therapist, starts_at=now + datetime.timedelta(days=day))
        AppointmentFactory(
            client=maria,
            therapist=therapist,
            starts_at=now - datetime.timedelta(days=day),
            status="completed",
        )
    assert queries() == few
