"""Clinic details and booking rules: saved from the page and the API; bad input is refused by field."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nervecare.core.models import AuditEvent, Clinic

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Riverside Massage",
    "address": "1 River Street\nLondon",
    "phone": "+44 20 7946 0000",
    "email": "desk@riverside.example",
    "timezone": "Europe/London",
    "country": "GB",
    "subdivision": "ENG",
    "currency": "GBP",
    "min_notice_hours": "12",
    "booking_horizon_days": "60",
    "cancellation_notice_hours": "48",
    "online_booking_enabled": "on",
}


def test_owner_saves_details_and_booking_rules(owner_http, clinic):
    response = owner_http.post("/setup/clinic/", GOOD)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.name, clinic.currency, clinic.min_notice_hours, clinic.cancellation_notice_hours) == (
        "Riverside Massage",
        "GBP",
        12,
        48,
    )
    assert clinic.online_booking_enabled and clinic.booking_horizon_days == 60
    event = AuditEvent.objects.filter(object_type="core.clinic", action="update").latest("id")
    assert event.changes["currency"] == ["USD", "GBP"]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("currency", "XYZ", "currency"),
        ("country", "ZZ", "country"),
        ("subdivision", "XXX", "region"),
        ("timezone", "Mars/Olympus", "time zone"),
        ("phone", "call me maybe", "phone"),
        ("email", "not-an-email", "email"),
        ("min_notice_hours", "-3", ""),
        ("booking_horizon_days", "0", ""),
    ],
)
def test_bad_details_are_refused_by_field_on_the_page_and_nothing_is_saved(
    owner_http, clinic, field, value, words
):
    before = Clinic.objects.get(pk=clinic.pk)
    response = owner_http.post("/setup/clinic/", {**GOOD, field: value})
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert words.lower() in " ".join(form.errors[field]).lower() or not words
    after = Clinic.objects.get(pk=clinic.pk)
    assert (after.name, after.currency, after.country) == (before.name, before.currency, before.country)


def test_subdivision_must_belong_to_the_country(owner_http, clinic):
    response = owner_http.post("/setup/clinic/", {**GOOD, "country": "FR", "subdivision": "ENG"})
    assert response.status_code == 422
    assert "ENG" in " ".join(response.context["form"].errors["subdivision"])


def test_api_reads_and_patches_with_the_same_rules(owner_http, clinic):
    got = owner_http.get("/api/v1/setup/clinic").json()
    assert got["country"] == "GB"
    ok = owner_http.patch("/api/v1/setup/clinic", {"currency": "eur"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["currency"] == "EUR"
    bad = owner_http.patch(
        "/api/v1/setup/clinic", {"currency": "EURO", "country": "XX"}, content_type="application/json"
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields >= {"currency"} or fields >= {"country"}
    clinic.refresh_from_db()
    assert clinic.currency == "EUR" and clinic.country == "GB"


def test_changing_the_country_drops_the_old_region(owner_http, clinic):
    owner_http.patch("/api/v1/setup/clinic", {"country": "DE"}, content_type="application/json")
    clinic.refresh_from_db()
    assert (clinic.country, clinic.subdivision) == ("DE", "")


def test_therapist_and_front_desk_cannot_change_the_clinic(therapist_user, front_desk_user, clinic):
    from nervecare.conftest import login

    for user in (therapist_user, front_desk_user):
        http = login(user)
        assert http.get("/setup/clinic/").status_code == 403
        r = http.patch("/api/v1/setup/clinic", {"name": "Mine"}, content_type="application/json")
        assert r.status_code == 403
    clinic.refresh_from_db()
    assert clinic.name == "Riverside"


anything = st.one_of(st.text(max_size=60), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(
            (
                "name",
                "phone",
                "email",
                "timezone",
                "country",
                "subdivision",
                "currency",
                "min_notice_hours",
                "booking_horizon_days",
                "cancellation_notice_hours",
                "online_booking_enabled",
            ),
            anything,
        ),
    )
)
def test_no_input_makes_a_server_error(owner_http, data):
    """Absurd input (API JSON and page form) gets a 2xx/4xx answer, never a 500."""
    api = owner_http.patch("/api/v1/setup/clinic", json.dumps(data), content_type="application/json")
    assert api.status_code < 500, api.content
    if api.status_code >= 400:
        assert api.json()["detail"]
    page = owner_http.post("/setup/clinic/", {k: "" if v is None else str(v) for k, v in data.items()})
    assert page.status_code in (302, 422), page.status_code


def test_a_null_yes_no_or_number_is_refused_by_field(owner_http, clinic):
    """Found by the API fuzz test: {"online_booking_enabled": null} was a 500."""
    for field in ("online_booking_enabled", "booking_horizon_days", "min_notice_hours"):
        r = owner_http.patch("/api/v1/setup/clinic", {field: None}, content_type="application/json")
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == [field]
    # A text that may be empty is emptied by null.
    r = owner_http.patch("/api/v1/setup/clinic", {"phone": None}, content_type="application/json")
    assert r.status_code == 200 and r.json()["phone"] == ""
