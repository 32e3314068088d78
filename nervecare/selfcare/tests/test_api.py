"""The self-care API: library, programmes CRUD, refusals by field with the reason, check-offs, adherence."""

import datetime
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nervecare.conftest import login
from nervecare.selfcare.models import CheckOff, Programme

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


def _post(http, url, body, method="post"):
    return getattr(http, method)(f"{BASE}{url}", json.dumps(body), content_type="application/json")


def _assign(api, client, codes=("foot_inspection", "ankle_circles")):
    body = {
        "starts_on": timezone.localdate().isoformat(),
        "items": [{"item_code": c} for c in codes],
        "reason": "Between sessions",
    }
    return _post(api, f"/clients/{client.id}/selfcare/programmes", body)


def test_library_and_options_show_the_refusal_reason(api, lops_client):
    items = api.get(f"{BASE}/selfcare/items").json()
    soak = next(i for i in items if i["code"] == "warm_foot_soak")
    assert soak["source"] and soak["illustration"]["licence"] == "CC0-1.0"
    options = {o["code"]: o for o in api.get(f"{BASE}/clients/{lops_client.id}/selfcare/options").json()}
    assert not options["warm_foot_soak"]["allowed"]
    assert options["warm_foot_soak"]["refusals"][0]["flag"] == "lops"


def test_assign_get_change_end(api, lops_client):
    response = _assign(api, lops_client)
    assert response.status_code == 201, response.content
    programme = response.json()
    pid = programme["id"]
    assert [i["item_code"] for i in programme["items"]] == ["foot_inspection", "ankle_circles"]
    assert programme["changes"][0]["by"] == "alice"
    url = f"/clients/{lops_client.id}/selfcare/programmes/{pid}"
    changed = _post(api, url, {"reason": "hands too", "add_items": [{"item_code": "finger_glides"}]}, "patch")
    assert changed.status_code == 200, changed.content
    assert "finger_glides" in [i["item_code"] for i in changed.json()["items"]]
    assert api.get(f"{BASE}{url}").json()["changes"][-1]["reason"] == "hands too"
    ended = _post(api, f"{url}/end", {"reason": "done"})
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    listed = api.get(f"{BASE}/clients/{lops_client.id}/selfcare/programmes").json()
    assert [p["id"] for p in listed] == [pid]


def test_a_heat_item_is_refused_with_422_naming_the_item_and_the_reason(api, lops_client):
    response = _assign(api, lops_client, codes=("foot_inspection", "warm_foot_soak"))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "items[1].item_code"
    assert error["label"].startswith("Item 2")
    assert "Loss of protective sensation" in error["message"]
    assert not Programme.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [], "reason": "x"}, "items"),
        ({"items": [{"item_code": "foot_inspection"}], "reason": ""}, "reason"),
        ({"items": [{"item_code": "x" * 61}], "reason": "x"}, "items[0].item_code"),
        (
            {"items": [{"item_code": "foot_inspection"}], "reason": "x", "starts_on": "1999-01-01"},
            "starts_on",
        ),
        ({"items": [{"item_code": "foot_inspection"}], "reason": "x", "ends_on": "2000-01-01"}, "ends_on"),
        ({"items": [{"item_code": "foot_inspection"}], "reason": "x", "surprise": 1}, "surprise"),
    ],
)
def test_bad_programme_input_is_422_by_field(api, lops_client, body, field):
    body = {"starts_on": timezone.localdate().isoformat()} | body
    response = _post(api, f"/clients/{lops_client.id}/selfcare/programmes", body)
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]


def test_the_client_ticks_and_reads_adherence_through_the_api(api, lops_client, ada_user):
    item_id = _assign(api, lops_client).json()["items"][0]["id"]
    ada = login(ada_user)
    response = _post(ada, f"/clients/{lops_client.id}/selfcare/check-offs", {"item_id": item_id, "rating": 4})
    assert response.status_code == 201, response.content
    listed = ada.get(f"{BASE}/clients/{lops_client.id}/selfcare/check-offs").json()
    assert listed[0]["rating"] == 4
    weeks = ada.get(f"{BASE}/clients/{lops_client.id}/selfcare/adherence?weeks=2").json()
    assert weeks[-1]["done"] == 1
    assert (
        ada.delete(f"{BASE}/clients/{lops_client.id}/selfcare/check-offs/{listed[0]['id']}").status_code
        == 204
    )
    assert not CheckOff.objects.exists()
    # the client may not assign
    assert _assign(ada, lops_client).status_code in (403, 404)


def test_check_off_bad_input_by_field(api, lops_client):
    item_id = _assign(api, lops_client).json()["items"][0]["id"]
    url = f"/clients/{lops_client.id}/selfcare/check-offs"
    for body, field in (
        ({"item_id": item_id, "rating": 11}, "rating"),
        ({"item_id": item_id, "note": "x" * 501}, "note"),
        ({"item_id": item_id, "day": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()}, "day"),
        ({"item_id": 10**6}, "item_id"),
    ):
        response = _post(api, url, body)
        assert response.status_code == 422, (body, response.content)
        assert field in [e["field"] for e in response.json()["errors"]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "item_id": st.one_of(st.integers(), st.text(max_size=5), st.none()),
            "day": st.one_of(st.dates().map(str), st.text(max_size=12), st.integers()),
            "rating": st.one_of(st.integers(-5, 20), st.floats(allow_nan=False), st.text(max_size=3)),
            "note": st.text(max_size=600),
        },
    )
)
def test_no_check_off_body_is_a_500(api, lops_client, body):
    response = _post(api, f"/clients/{lops_client.id}/selfcare/check-offs", body)
    assert response.status_code < 500
    if response.status_code == 422:
        assert all(e["field"] for e in response.json()["errors"])
