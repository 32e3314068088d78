"""The foot-check API: submit (raising the stop), list, one, review, photo; bad input as 422 naming the field
with its label; tokens need the footcheck scopes; the front desk and other therapists are refused."""

import base64

import pytest

from nervecare.conftest import login
from nervecare.core.services import api_token_create
from nervecare.footcheck.models import FootCheck
from nervecare.footcheck.tests.factories import PNG
from nervecare.screening.models import SafetyFlag

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _post(http, url, body):
    return http.post(url, body, content_type=JSON)


def test_submit_list_get_review_and_photo(ada, therapist_user):
    http = login(therapist_user)
    url = f"/api/v1/clients/{ada.pk}/foot-checks"
    body = {
        "findings": {"blister": True},
        "foot": "left",
        "regions": ["heel"],
        "photo_base64": base64.b64encode(PNG).decode(),
    }
    r = _post(http, url, body)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["foot_check"]["red_flag"] and data["foot_check"]["flags_raised"] == [
        "foot_ulcer_wound_infection"
    ]
    assert data["foot_check"]["has_photo"] and data["foot_check"]["photo_type"] == "image/png"
    assert [f["rule_id"] for f in data["flags"]] == ["foot_ulcer_wound_infection"]
    assert "foot service today" in data["advice"][0]
    check_id = data["foot_check"]["id"]
    listed = http.get(url).json()
    assert [c["id"] for c in listed] == [check_id]
    assert http.get(f"{url}/{check_id}").json()["findings"]["blister"] is True
    photo = http.get(f"{url}/{check_id}/photo")
    assert photo.status_code == 200 and photo.content == PNG
    reviewed = _post(http, f"{url}/{check_id}/review", {"review_note": "Foot team: healing"})
    assert reviewed.status_code == 200 and reviewed.json()["reviewed_by"] == "alice"
    assert not SafetyFlag.objects.filter(
        client=ada, rule_id="foot_ulcer_wound_infection", status="open"
    ).exists()
    again = _post(http, f"{url}/{check_id}/review", {"review_note": "twice"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "foot_check_id"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"findings": {"blister": True}, "regions": ["sole"]}, "foot", "which foot"),
        ({"findings": {"blister": True}, "foot": "up"}, "foot", "Input should be"),
        ({"findings": {"warmth": True}, "foot": "left"}, "regions", "where on the foot"),
        (
            {"findings": {"blister": True}, "foot": "left", "regions": ["nose"]},
            "regions[0]",
            "part of the foot",
        ),
        ({"findings": {"blister": "perhaps"}}, "findings.blister", "valid boolean"),
        ({"findings": {}, "photo_base64": "***"}, "photo_base64", "not valid base64"),
        ({"findings": {}, "photo_base64": base64.b64encode(b"%PDF-1.4").decode()}, "photo_base64", "content"),
        ({"findings": {}, "note": "x" * 1001}, "note", "at most 1000"),
    ],
)
def test_bad_input_is_422_naming_the_field(ada, therapist_user, body, field, words):
    r = _post(login(therapist_user), f"/api/v1/clients/{ada.pk}/foot-checks", body)
    assert r.status_code == 422, r.content
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert field in errors, errors
    assert words in errors[field]["message"], errors[field]
    assert errors[field].get("label")
    assert not FootCheck.objects.exists()


def test_a_photo_too_big_is_422(ada, therapist_user, settings):
    settings.NERVECARE_FOOTCHECK_PHOTO_MAX_BYTES = 1024
    big = base64.b64encode(PNG + b"\0" * 2048).decode()
    r = _post(
        login(therapist_user), f"/api/v1/clients/{ada.pk}/foot-checks", {"findings": {}, "photo_base64": big}
    )
    assert r.status_code == 422 and "larger than" in r.json()["errors"][0]["message"]


def test_who_may_not(ada, front_desk_user, junior_therapist_user):
    url = f"/api/v1/clients/{ada.pk}/foot-checks"
    assert login(front_desk_user).get(url).status_code == 403
    assert login(junior_therapist_user).get(url).status_code == 404
    assert _post(login(junior_therapist_user), url, {"findings": {}}).status_code == 404
    assert not FootCheck.objects.exists()


def test_a_token_needs_the_footcheck_scopes(ada, therapist_user):
    from django.test import Client as HttpClient

    url = f"/api/v1/clients/{ada.pk}/foot-checks"
    _token, plain = api_token_create(user=therapist_user, name="t", scopes=["clients:read"])
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {plain}")
    r = http.get(url)
    assert r.status_code == 403 and r.json()["missing_scope"] == "footcheck:read"
    _token, plain = api_token_create(user=therapist_user, name="r", scopes=["footcheck:read"])
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert http.get(url).status_code == 200
    r = http.post(url, {"findings": {}}, content_type=JSON)
    assert r.status_code == 403 and r.json()["missing_scope"] == "footcheck:write"
