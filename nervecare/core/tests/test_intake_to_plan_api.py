"""Intake to care plan through the API, end to end: diabetic peripheral neuropathy with numb feet."""

import pytest

NO_ON_7 = {str(i): "no" for i in range(1, 16)} | {
    "1": "yes",
    "5": "yes",
    "7": "no",
    "13": "yes",
    "9": "yes",
    "11": "yes",
}


@pytest.mark.django_db
def test_diabetic_numb_feet_gets_light_pressure_hand_and_foot_plan(api):
    intake = {
        "client": {"first_name": "Maria", "last_name": "Lopez", "date_of_birth": "1958-03-02"},
        "conditions": [
            {"type": "peripheral", "cause": "diabetes_t2", "numbness": 7, "pain": 4, "tingling": 5}
        ],
        "medical": {"on_insulin_or_sulfonylurea": False},
        "body_map": [
            {"region": r, "side": s, "sensation": "numbness", "intensity": 7}
            for r in ("toes", "sole")
            for s in ("left", "right")
        ],
        "consent": {"version": "1.0", "method": "written"},
    }
    r = api.post("/api/v1/clients", intake, content_type="application/json")
    assert r.status_code == 201, r.content
    client_id = r.json()["id"]
    assert r.json()["body_map"]["pattern"] == "length_dependent"

    r = api.post(
        f"/api/v1/clients/{client_id}/responses",
        {"instrument": "mnsi_history", "answers": NO_ON_7},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    # yes on 1, 5, 9, 11 = 4; "no" on 7 (reversed) = 1; "yes" on 13 = 0 -> 5
    assert body["total"] == 5
    assert body["interpretation"]["positive"] is False

    dn4 = {str(i): "no" for i in range(1, 11)} | {"4": "yes", "5": "yes", "6": "yes", "8": "yes"}
    r = api.post(
        f"/api/v1/clients/{client_id}/responses",
        {"instrument": "dn4", "answers": dn4},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert r.json()["total"] == 4 and r.json()["interpretation"]["positive"] is True

    r = api.post(f"/api/v1/clients/{client_id}/plans", content_type="application/json")
    assert r.status_code == 201, r.content
    plan = r.json()
    assert (plan["modality"], plan["scope"], plan["pressure"]) == ("swedish", "hand_and_foot", "light")
    assert (plan["session_minutes"], plan["sessions_per_week"], plan["course_weeks"]) == (60, 1, 12)

    flags = api.get(f"/api/v1/clients/{client_id}/flags").json()
    lops = [f for f in flags if f["rule_id"] == "lops"]
    assert lops and lops[0]["level"] == "modify"

    r = api.post(f"/api/v1/clients/{client_id}/plans/{plan['id']}/activate", content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "active"
