"""Assigned programmes are CarePlan activities in the FHIR output, validated like the rest (fhir.resources R4B
and the R4 status value sets)."""

import pytest
from django.db.models import Q
from django.utils import timezone

from nervecare.interop.selectors import RESOURCE_TYPES, resource_read, scope_for
from nervecare.interop.tests.conftest import fhir_valid
from nervecare.selfcare import services
from nervecare.selfcare.services import ItemChoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(therapist_user, lops_client):
    found = services.programme_assign(
        actor=therapist_user,
        client=lops_client,
        items=[ItemChoice("foot_inspection", note="Use a mirror"), ItemChoice("calf_self_massage_firm")],
        starts_on=timezone.localdate(),
        reason="Home care",
    )
    services.programme_update(
        actor=therapist_user, programme=found, reason="too much", remove_items=["calf_self_massage_firm"]
    )
    return found


def test_the_programme_is_a_valid_care_plan_with_an_activity_per_item(programme, therapist_user):
    scope = scope_for(therapist_user, "https://care.example.org")
    source = next(
        s for s in RESOURCE_TYPES["CarePlan"].sources if type(s).__name__ == "SelfcareProgrammeSource"
    )
    resources = [r for obj in source.rows(scope, Q()) for r in source.to_fhir(obj, scope)]
    assert len(resources) == 1
    plan = fhir_valid(resources[0])
    assert plan["id"] == f"selfcare-{programme.pk}" and plan["status"] == "active"
    assert plan["author"]["reference"] == f"Practitioner/{therapist_user.therapist.pk}"
    daily, removed = plan["activity"]
    assert daily["detail"]["kind"] == "Task" and daily["detail"]["status"] == "in-progress"
    assert daily["detail"]["code"]["coding"][0]["code"] == "foot_inspection"
    assert daily["detail"]["scheduledTiming"]["repeat"]["periodUnit"] == "d"
    assert daily["progress"][0]["text"] == "Therapist's note: Use a mirror"
    assert removed["detail"]["status"] == "stopped"
    assert removed["detail"]["scheduledTiming"]["repeat"]["frequency"] == 3  # 3 days a week


def test_read_by_id_and_search_by_patient_over_http(programme, api, lops_client):
    found = resource_read(
        scope_for(lops_client.primary_therapist.user), "CarePlan", f"selfcare-{programme.pk}"
    )
    assert found.resources[0]["title"] == "Home programme"
    response = api.get(f"/fhir/R4/CarePlan?patient={lops_client.pk}", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 200
    bundle = response.json()
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert f"selfcare-{programme.pk}" in ids
    for entry in bundle["entry"]:
        fhir_valid(entry["resource"])
    assert api.get(f"/fhir/R4/CarePlan/selfcare-{programme.pk}").status_code == 200


def test_another_therapist_does_not_see_it(programme, junior_therapist_user):
    from django.http import Http404

    with pytest.raises(Http404):
        resource_read(scope_for(junior_therapist_user), "CarePlan", f"selfcare-{programme.pk}")
