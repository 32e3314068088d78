"""Therapist profile: trainings and certifications with expiry dates. An expired one is shown as expired and no
longer counts for matching (plan matching, who may be booked for a service, free slots)."""

import datetime as dt

import pytest
import time_machine

from nervecare.plans.services import plan_recommendation
from nervecare.scheduling.selectors import qualified_therapists
from nervecare.scheduling.services.checks import _qualification_errors
from nervecare.scheduling.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(TODAY, tick=False):
        yield


def _profile(http, therapist, **certs):
    data = {"display_name": therapist.display_name, "years_experience": "8", "bio": "Calm hands."}
    for code, expires in certs.items():
        data[f"cert_{code}"] = "on"
        data[f"expires_{code}"] = expires or ""
    return http.post(f"/setup/therapists/{therapist.id}/", data)


def test_expired_certification_is_shown_and_stops_counting(owner_http, therapist_user, clinic):
    alice = therapist_user.therapist
    r = _profile(owner_http, alice, oncology_massage="2027-02-28", mld="2027-03-01", diabetic_foot="")
    assert r.status_code == 302
    alice.refresh_from_db()
    assert alice.certifications_on(TODAY.date()) == ["mld", "diabetic_foot"]  # valid through the expiry day
    page = owner_http.get(f"/setup/staff/{therapist_user.id}/").content.decode()
    assert "expired 2027-02-28" in page and "valid until 2027-03-01" in page
    oncology = ServiceFactory(clinic=clinic, code="onc", required_certifications=["oncology_massage"])
    assert alice not in qualified_therapists(clinic.id, oncology)
    assert "oncology_massage" in _qualification_errors(alice, oncology, None)["therapist_id"]
    mld = ServiceFactory(clinic=clinic, code="mld60", modality="mld", required_certifications=["mld"])
    assert alice in qualified_therapists(clinic.id, mld)


def test_plan_matching_ignores_an_expired_certification(owner_http, therapist_user, clinic):
    from nervecare.clients.tests.factories import ClientFactory

    alice = therapist_user.therapist
    alice.certification_expiry = {"oncology_massage": "2026-12-31"}
    alice.save()
    client = ClientFactory(clinic=clinic)
    proposal = plan_recommendation(client, [])
    mine = next(t for t in proposal["therapist_ranking"] if t["therapist_id"] == alice.id)
    assert "oncology_massage" not in mine["certifications"]


def test_bad_profile_input_is_refused_by_field(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.post(
        f"/setup/therapists/{alice.id}/",
        {"display_name": "", "years_experience": "400", "cert_mld": "on", "expires_mld": "31/02/2027"},
    )
    assert r.status_code == 422
    assert {"display_name", "years_experience", "expires_mld"} <= set(r.context["form"].errors)
    api = owner_http.patch(
        f"/api/v1/setup/therapists/{alice.id}",
        {"certifications": [{"code": "reiki"}, {"code": "mld", "expires_on": "2028-01-01"}]},
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "certifications[0].code"
    alice.refresh_from_db()
    assert alice.certifications == ["oncology_massage", "mld", "diabetic_foot"]


def test_api_returns_expiry_and_expired(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.patch(
        f"/api/v1/setup/therapists/{alice.id}",
        {
            "years_experience": 9,
            "certifications": [{"code": "mld", "expires_on": "2027-01-31"}, {"code": "neuro_rehab"}],
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    certs = {c["code"]: c for c in r.json()["certifications"]}
    assert certs["mld"]["expired"] is True and certs["neuro_rehab"]["expired"] is False
    assert r.json()["years_experience"] == 9
