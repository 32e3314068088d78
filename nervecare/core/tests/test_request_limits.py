"""Request size, type and rate limits: each refusal is a clear 4xx saying what to change."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as HttpClient

from nervecare.core.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # the rate-limit counters live in the cache
    # The counters' windows are fixed (core/throttling.py): the clock stands still mid-window, so a test's
    # requests never straddle two windows.
    with time_machine.travel(dt.datetime(2027, 3, 1, 10, 0, 30, tzinfo=dt.UTC), tick=False):
        yield
    cache.clear()


# --- Size and type ------------------------------------------------------------------------------------------


def test_an_api_body_over_the_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"client": {"first_name": "x" * 2000}})
    r = api.post("/api/v1/clients", body, content_type="application/json")
    assert r.status_code == 413
    assert r.json()["detail"] == "The request body is larger than 1000 bytes."


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_an_api_body_that_is_not_json_is_415(api, content_type):
    r = api.generic("POST", "/api/v1/clients", b"{}", content_type=content_type)
    assert r.status_code == 415
    body = r.json()
    assert body["detail"].startswith("Send the body as application/json")
    assert body["errors"] == [{"field": "body", "message": body["detail"]}]


def test_a_post_without_a_body_is_not_refused(api):
    """Clients (Django's test client, some HTTP libraries) send an empty form for a POST without a body."""
    r = api.post("/api/v1/me")  # an empty multipart form; the route only has GET
    assert r.status_code == 405


def test_a_json_body_with_a_charset_is_accepted(api):
    r = api.post("/api/v1/clients", "{}", content_type="application/json; charset=utf-8")
    assert r.status_code == 422  # reached the validation: the fields are named
    assert {e["field"] for e in r.json()["errors"]} >= {"client"}


def test_too_many_query_parameters_is_400_naming_the_query(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    r = api.get("/api/v1/clients?" + "&".join(f"f{i}=1" for i in range(51)))
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "query", "message": "At most 50 query parameters."}]
    assert api.get("/api/v1/clients?" + "&".join(f"f{i}=1" for i in range(50))).status_code == 200


def test_a_fhir_referral_over_the_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{"padding": "x" * 2000}]}
    r = api.post("/fhir/R4/", json.dumps(bundle), content_type="application/fhir+json")
    assert r.status_code == 413
    issue = r.json()["issue"][0]
    assert issue["code"] == "too-costly" and "larger than 1000 bytes" in issue["diagnostics"]


def test_a_fhir_referral_that_is_not_json_is_415(api):
    r = api.post("/fhir/R4/", "<Bundle/>", content_type="application/xml")
    assert r.status_code == 415
    assert "application/fhir+json" in r.json()["issue"][0]["diagnostics"]


def test_a_page_form_with_too_many_fields_is_refused(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    r = api.post("/clients/new/", {f"f{i}": "1" for i in range(30)})
    assert r.status_code == 400


# --- Rates --------------------------------------------------------------------------------------------------


def test_the_api_rate_per_user_answers_429_with_retry_after(therapist_user, junior_therapist_user, settings):
    settings.NERVECARE_API_RATE = "3/m"
    _, alice = api_token_create(user=therapist_user, name="t", scopes=["clients:read"])
    _, bob = api_token_create(user=junior_therapist_user, name="t", scopes=["clients:read"])
    http = HttpClient()
    statuses = [http.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {alice}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    r = http.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {alice}")
    assert r.status_code == 429
    assert r.json() == {"detail": "Too many requests.", "errors": []}
    assert 1 <= int(r["Retry-After"]) <= 60
    # Another user has their own allowance.
    assert http.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {bob}").status_code == 200


def test_the_session_counts_as_the_same_user(api, settings):
    settings.NERVECARE_API_RATE = "2/m"
    assert [api.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]


def test_refused_credentials_are_rate_limited_per_address(db, settings):
    settings.NERVECARE_API_ANON_RATE = "3/m"
    http = HttpClient()
    statuses = [
        http.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer nc_guess{i}").status_code for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert int(http.get("/api/v1/me").headers["Retry-After"]) >= 1


def test_rate_limits_can_be_switched_off(api, settings):
    settings.NERVECARE_API_RATE = "off"
    assert {api.get("/api/v1/me").status_code for _ in range(30)} == {200}


# --- NUL characters (found by the fuzzing on PostgreSQL: "text fields cannot contain NUL" was a 500) -------


def test_a_nul_character_in_a_json_field_is_422_naming_the_field(api):
    body = json.dumps(
        {"client": {"first_name": "Ro\x00sa"}, "conditions": [{"note": "ok"}, {"note": "\x00"}]}
    )
    r = api.post("/api/v1/clients", body, content_type="application/json")
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors == {
        "client.first_name": "must not contain NUL (\\u0000) characters",
        "conditions[1].note": "must not contain NUL (\\u0000) characters",
    }


def test_a_nul_character_in_a_query_parameter_is_422(api):
    r = api.get("/api/v1/clients", {"q": "Ro\x00sa"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "q", "message": "must not contain NUL (\\u0000) characters"}]


def test_cancelling_with_a_nul_in_the_reason_is_422_not_a_server_error(therapist_user, clinic):
    """The fuzzing's finding: POST /appointments/{id}/cancel with a NUL in `reason` was a 500 on PostgreSQL."""
    from nervecare.clients.tests.factories import ClientFactory
    from nervecare.scheduling.tests.factories import AppointmentFactory

    appointment = AppointmentFactory(client=ClientFactory(clinic=clinic), therapist=therapist_user.therapist)
    http = HttpClient()
    http.force_login(therapist_user)
    r = http.post(
        f"/api/v1/appointments/{appointment.id}/cancel",
        json.dumps({"reason": "\x00"}),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "reason", "message": "must not contain NUL (\\u0000) characters"}]
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_fhir_referral_with_a_nul_character_is_refused(api):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"name": "\x00"}}]}
    r = api.post("/fhir/R4/", json.dumps(bundle), content_type="application/fhir+json")
    assert r.status_code == 422
    issue = r.json()["issue"][0]
    assert issue["expression"] == ["entry[0].resource.name"]
