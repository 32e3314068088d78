"""No input to the public booking form or API gives a 500 (Hypothesis)."""

import json

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "any", "0", "-1", "9" * 30, "\x00", "1@2031-01-07T10:00:00+00:00"]),
)
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "therapist",
    "slot",
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "consent",
    "consent_version",
]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, TEXT)), start=TEXT)
def test_the_form_never_fails(online, data, start):
    http = HttpClient()
    url = f"/book/{online.clinic.slug}/{online.service.pk}/"
    clean = {k: v.replace("\x00", "") for k, v in data.items()}
    assert http.post(url, clean).status_code in (302, 409, 422)
    assert (
        http.get(
            url, {"therapist": start.replace("\x00", ""), "start": start.replace("\x00", "")}
        ).status_code
        == 200
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.dictionaries(st.sampled_from(["service_id", *FIELDS, "token", "extra"]), JSONISH, max_size=12))
def test_the_api_never_fails(online, body):
    base = f"/api/v1/public/clinics/{online.clinic.slug}"
    for path in ("/bookings", "/bookings/confirm"):
        response = HttpClient().post(base + path, json.dumps(body), content_type="application/json")
        assert response.status_code < 500, (path, body, response.content[:500])
        assert "detail" in response.json() or response.status_code in (200, 202)
