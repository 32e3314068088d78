"""Foot-check reports in the FHIR output (issue 18 point 7): QuestionnaireResponse "foot-check-<id>" answering
the daily foot check's Questionnaire, validated with fhir.resources like every other resource, read and
searched only by whoever sees the client's record."""

import pytest

from nervecare.conftest import login
from nervecare.footcheck import services
from nervecare.interop.tests.conftest import fhir_valid

pytestmark = pytest.mark.django_db
BASE = "/fhir/R4"


def _get(http, url):
    r = http.get(url, HTTP_ACCEPT="application/fhir+json")
    return r.status_code, r.json()


def test_a_report_is_a_valid_questionnaire_response(ada, ada_user, therapist_user, junior_therapist_user):
    check = services.foot_check_submit(
        actor=ada_user,
        client=ada,
        findings={"blister": True, "redness": True},
        foot="left",
        regions=["sole", "heel"],
        note="After a long walk",
    ).check
    http = login(therapist_user)
    status, res = _get(http, f"{BASE}/QuestionnaireResponse/foot-check-{check.pk}")
    assert status == 200, res
    fhir_valid(res)
    assert res["questionnaire"].endswith("/Questionnaire/daily_foot_check|2026-12-07")
    assert res["subject"] == {"reference": f"Patient/{ada.pk}"}
    assert res["author"] == {"reference": f"Patient/{ada.pk}"}  # the client reported it
    items = {i["linkId"]: i for i in res["item"]}
    findings = {i["linkId"]: i["answer"][0]["valueBoolean"] for i in items["findings"]["item"]}
    assert findings["finding.blister"] is True and findings["finding.warmth"] is False
    assert items["foot"]["answer"][0]["valueCoding"]["code"] == "left"
    assert [a["valueCoding"]["code"] for a in items["regions"]["answer"]] == ["sole", "heel"]
    assert items["note"]["answer"][0]["valueString"] == "After a long walk"
    # the questionnaire it answers is there too, and valid
    status, questionnaire = _get(http, f"{BASE}/Questionnaire/daily-foot-check")
    assert status == 200
    fhir_valid(questionnaire)
    link_ids = {i["linkId"] for i in questionnaire["item"][0]["item"]}
    assert {f"finding.{c}" for c in findings_codes()} == link_ids
    # searched by patient with the instruments' responses
    status, bundle = _get(http, f"{BASE}/QuestionnaireResponse?patient={ada.pk}")
    fhir_valid(bundle)
    assert f"foot-check-{check.pk}" in {e["resource"]["id"] for e in bundle["entry"]}
    # a therapist who does not see Ada's record gets nothing
    other = login(junior_therapist_user)
    assert _get(other, f"{BASE}/QuestionnaireResponse/foot-check-{check.pk}")[0] == 404
    status, bundle = _get(other, f"{BASE}/QuestionnaireResponse?patient={ada.pk}")
    assert not [e for e in bundle.get("entry", []) if e["resource"]["id"].startswith("foot-check-")]


def test_a_report_recorded_by_the_therapist_names_them(ada, therapist_user):
    check = services.foot_check_submit(actor=therapist_user, client=ada, findings={}).check
    status, res = _get(login(therapist_user), f"{BASE}/QuestionnaireResponse/foot-check-{check.pk}")
    fhir_valid(res)
    assert res["author"]["reference"] == f"Practitioner/{therapist_user.therapist.pk}"
    assert "foot" not in {i["linkId"] for i in res["item"]}


def findings_codes():
    from nervecare.footcheck.rules import finding_codes

    return finding_codes()
