"""Screening through the JSON API: instrument definitions, scoring, stored responses, safety flags."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.models import AuditEvent
from nervecare.screening.models import InstrumentResponse, SafetyFlag, SafetyThresholds

pytestmark = pytest.mark.django_db

JSON = "application/json"

MNSI_ALL_YES = {str(i): "yes" for i in range(1, 16)}
MNSI_ALL_NO = {str(i): "no" for i in range(1, 16)}
DN4_NO = {str(i): "no" for i in range(1, 11)}


def dn4(*yes):
    return DN4_NO | {str(i): "yes" for i in yes}


def error_fields(response):
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def maria(clinic):
    client = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")
    ConditionFactory(client=client, type="peripheral", cause="diabetes_t2")
    return client


def flags_by_rule(api, client, status="open"):
    r = api.get(f"/api/v1/clients/{client.id}/flags?status={status}")
    assert r.status_code == 200, r.content
    return {f["rule_id"]: f for f in r.json()}


# --- Instrument definitions ---------------------------------------------------------------------------


def test_instrument_list(api):
    r = api.get("/api/v1/instruments")

    assert r.status_code == 200
    instruments = {i["code"]: i for i in r.json()}
    assert {"mnsi_history", "mnsi_exam", "dn4", "dn4_interview", "nrs_pain", "pgic"} <= set(instruments)
    assert (instruments["mnsi_history"]["items"], instruments["mnsi_history"]["max"]) == (15, 13)
    assert (instruments["dn4"]["items"], instruments["dn4"]["max"]) == (10, 10)
    assert all(i["version"] and i["title"] for i in instruments.values())


def test_mnsi_history_has_15_items_numbered_as_published(api):
    r = api.get("/api/v1/instruments/mnsi_history")

    assert r.status_code == 200
    definition = r.json()
    items = definition["items"]
    assert [item["id"] for item in items] == [str(i) for i in range(1, 16)]
    by_id = {item["id"]: item for item in items}
    assert by_id["1"]["text"] == "Are your legs and/or feet numb?"
    assert by_id["7"]["text"].startswith("When you get into the tub or shower")
    assert by_id["15"]["text"] == "Have you ever had an amputation?"
    assert {i for i, item in by_id.items() if not item["scored"]} == {"4", "10"}
    # Items 7 and 13 are reversed: "no" scores 1.
    for item_id in ("7", "13"):
        scores = {o["value"]: Decimal(o["score"]) for o in by_id[item_id]["options"]}
        assert scores == {"yes": 0, "no": 1}
    cutoffs = {c["id"]: c for c in definition["cutoffs"]}
    assert (cutoffs["feldman1994"]["op"], Decimal(cutoffs["feldman1994"]["value"])) == (">=", 7)
    assert cutoffs["feldman1994"]["primary"] is True
    assert cutoffs["herman2012"]["confirmed"] is False
    assert definition["citation"] and definition["licence"]
    assert Decimal(definition["scoring"]["max"]) == 13


def test_unknown_instrument_is_404(api):
    r = api.get("/api/v1/instruments/nope")

    assert r.status_code == 404
    assert "nope" in r.json()["detail"]


# --- Stateless scoring --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "positive"),
    [
        pytest.param(dn4(), 0, False, id="none"),
        pytest.param(dn4(1, 4, 5), 3, False, id="three"),
        pytest.param(dn4(1, 4, 5, 8), 4, True, id="four-is-positive"),
        pytest.param(dn4(*range(1, 11)), 10, True, id="all"),
    ],
)
def test_dn4_score_is_stateless(api, answers, total, positive):
    audit_before = AuditEvent.objects.count()

    r = api.post("/api/v1/instruments/dn4/score", {"answers": answers}, content_type=JSON)

    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["total"], body["max"]) == (total, 10)
    assert body["interpretation"]["positive"] is positive
    assert InstrumentResponse.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        pytest.param({k: v for k, v in DN4_NO.items() if k != "3"}, "answers.3", id="missing"),
        pytest.param(DN4_NO | {"3": "maybe"}, "answers.3", id="not-an-option"),
        pytest.param(DN4_NO | {"3": None}, "answers.3", id="null"),
        pytest.param(DN4_NO | {"3": True}, "answers.3", id="boolean"),
        pytest.param(DN4_NO | {"11": "yes"}, "answers.11", id="unknown-item"),
    ],
)
def test_dn4_score_with_bad_answers_names_the_item(api, answers, field):
    r = api.post("/api/v1/instruments/dn4/score", {"answers": answers}, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)


def test_scoring_an_unknown_instrument_is_refused(api):
    r = api.post("/api/v1/instruments/nope/score", {"answers": {"1": "yes"}}, content_type=JSON)

    assert r.status_code in (404, 422)
    assert "nope" in str(r.json())
    assert InstrumentResponse.objects.count() == 0


# --- Stored responses ---------------------------------------------------------------------------------


def test_response_is_scored_and_stored(api, maria):
    answers = MNSI_ALL_NO | {"1": "yes", "2": "yes", "3": "yes", "5": "yes", "9": "yes"}

    r = api.post(
        f"/api/v1/clients/{maria.id}/responses",
        {"instrument": "mnsi_history", "answers": answers},
        content_type=JSON,
    )

    assert r.status_code == 201, r.content
    body = r.json()
    # yes on 1, 2, 3, 5, 9 = 5; "no" on reversed 7 and 13 = 2
    assert (body["total"], body["max"]) == (7, 13)
    assert body["definition_version"] == "1.0"
    assert body["instrument"] == "mnsi_history"
    assert body["interpretation"]["positive"] is True
    assert {c["id"]: c["met"] for c in body["interpretation"]["cutoffs"]} == {
        "feldman1994": True,
        "herman2012": True,
    }
    stored = InstrumentResponse.objects.get(pk=body["id"])
    assert stored.client == maria
    assert stored.total == 7
    assert stored.definition_version == "1.0"
    assert len(stored.definition_sha256) == 64
    assert stored.recorded_by.username == "alice"
    assert stored.item_scores["4"] == "not scored"
    assert AuditEvent.objects.filter(
        action="create", object_type="screening.instrumentresponse", object_id=str(stored.id)
    ).exists()


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        pytest.param(MNSI_ALL_YES, 11, id="all-yes-reversed-and-unscored-items-add-nothing"),
        pytest.param(MNSI_ALL_NO, 2, id="all-no-reversed-items-score"),
    ],
)
def test_mnsi_history_scoring_follows_michigan_instructions(api, maria, answers, total):
    r = api.post(
        f"/api/v1/clients/{maria.id}/responses",
        {"instrument": "mnsi_history", "answers": answers},
        content_type=JSON,
    )

    assert r.status_code == 201, r.content
    assert r.json()["total"] == total


def test_numeric_rating_is_stored_with_its_band(api, maria):
    r = api.post(
        f"/api/v1/clients/{maria.id}/responses",
        {"instrument": "nrs_pain", "answers": {"pain": 7}, "context": "visit"},
        content_type=JSON,
    )

    assert r.status_code == 201, r.content
    assert r.json()["total"] == 7
    assert r.json()["interpretation"]["band"] == "Severe"
    assert r.json()["context"] == "visit"


def test_responses_list_filters_by_instrument(api, maria):
    for instrument, answers in (("dn4", dn4(1)), ("nrs_pain", {"pain": 3}), ("nrs_pain", {"pain": 5})):
        api.post(
            f"/api/v1/clients/{maria.id}/responses",
            {"instrument": instrument, "answers": answers},
            content_type=JSON,
        )

    everything = api.get(f"/api/v1/clients/{maria.id}/responses").json()
    pain = api.get(f"/api/v1/clients/{maria.id}/responses?instrument=nrs_pain").json()

    assert len(everything) == 3
    assert sorted(r["total"] for r in pain) == [3, 5]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(
            {"instrument": "mnsi_history", "answers": {k: v for k, v in MNSI_ALL_NO.items() if k != "7"}},
            "answers.7",
            id="missing-answer",
        ),
        pytest.param({"instrument": "nrs_pain", "answers": {"pain": 11}}, "answers.pain", id="pain-11"),
        pytest.param({"instrument": "nrs_pain", "answers": {"pain": -1}}, "answers.pain", id="pain-minus-1"),
        pytest.param({"instrument": "nrs_pain", "answers": {"pain": "7.5"}}, "answers.pain", id="pain-7.5"),
        pytest.param({"instrument": "nrs_pain", "answers": {}}, "answers.pain", id="no-answers"),
        pytest.param({"instrument": "pgic", "answers": {"pgic": 8}}, "answers.pgic", id="pgic-8"),
        pytest.param(
            {"instrument": "mnsi_history", "answers": MNSI_ALL_NO | {"16": "yes"}},
            "answers.16",
            id="unknown-item",
        ),
        pytest.param({"instrument": "nope", "answers": {}}, "instrument", id="unknown-instrument"),
        pytest.param({"answers": {"pain": 3}}, "instrument", id="no-instrument"),
        pytest.param(
            {"instrument": "nrs_pain", "answers": {"pain": 3}, "context": "lunch"},
            "context",
            id="bad-context",
        ),
        pytest.param(
            {"instrument": "nrs_pain", "answers": {"pain": 3}, "administered_at": "2999-01-01T10:00:00Z"},
            "administered_at",
            id="in-the-future",
        ),
    ],
)
def test_bad_response_is_refused_naming_the_field_and_stores_nothing(api, maria, payload, field):
    audit_before = AuditEvent.objects.count()

    r = api.post(f"/api/v1/clients/{maria.id}/responses", payload, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r), error_fields(r)
    assert InstrumentResponse.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_administered_at_without_offset_is_not_a_server_error(therapist_user, maria):
    http = HttpClient(raise_request_exception=False)
    http.force_login(therapist_user)
    earlier = (timezone.localtime() - datetime.timedelta(days=1)).replace(tzinfo=None, microsecond=0)

    r = http.post(
        f"/api/v1/clients/{maria.id}/responses",
        {"instrument": "nrs_pain", "answers": {"pain": 3}, "administered_at": earlier.isoformat()},
        content_type=JSON,
    )

    # A time without an offset is read as the clinic's local time (Riverside: UTC).
    assert r.status_code == 201, r.status_code
    stored = InstrumentResponse.objects.get(pk=r.json()["id"])
    assert stored.administered_at == earlier.replace(tzinfo=datetime.UTC)


# --- Safety check and flags ---------------------------------------------------------------------------


def test_safety_check_raises_flags_most_severe_first_each_with_a_source(api, maria):
    MedicalContextFactory(
        client=maria,
        dvt_signs_now=True,
        on_anticoagulants=True,
        dvt_history=True,
        dvt_date=timezone.localdate() - datetime.timedelta(days=30),
    )

    r = api.post(f"/api/v1/clients/{maria.id}/safety-check")

    assert r.status_code == 200, r.content
    flags = r.json()
    rules = [f["rule_id"] for f in flags]
    assert {"suspected_dvt", "dvt_history", "anticoagulants_bleeding", "diabetic_foot_care"} <= set(rules)
    order = {"stop": 0, "clearance": 1, "modify": 2, "caution": 3}
    assert [order[f["level"]] for f in flags] == sorted(order[f["level"]] for f in flags)
    levels = {f["rule_id"]: f["level"] for f in flags}
    assert (levels["suspected_dvt"], levels["dvt_history"], levels["anticoagulants_bleeding"]) == (
        "stop",
        "clearance",
        "modify",
    )
    assert all(f["source"] and f["reason"] and f["actions"] for f in flags)
    assert all(f["status"] == "open" for f in flags)


def test_safety_check_twice_keeps_one_open_flag_per_rule(api, maria):
    api.post(f"/api/v1/clients/{maria.id}/safety-check")
    api.post(f"/api/v1/clients/{maria.id}/safety-check")

    assert SafetyFlag.objects.filter(client=maria, rule_id="diabetic_foot_care").count() == 1


def test_mnsi_answers_raise_loss_of_protective_sensation(api, maria):
    api.post(
        f"/api/v1/clients/{maria.id}/responses",
        {"instrument": "mnsi_history", "answers": MNSI_ALL_YES | {"7": "no"}},
        content_type=JSON,
    )

    flags = {f["rule_id"]: f for f in api.post(f"/api/v1/clients/{maria.id}/safety-check").json()}

    assert flags["lops"]["level"] == "modify"
    assert "Werner" in flags["lops"]["source"]


@pytest.mark.parametrize(
    ("medical", "rule", "fires"),
    [
        pytest.param({"temperature_celsius": Decimal("38.0")}, "fever", True, id="fever-at-38.0"),
        pytest.param({"temperature_celsius": Decimal("37.9")}, "fever", False, id="no-fever-at-37.9"),
        pytest.param({"neutrophils_per_ul": 499}, "neutropenia", True, id="anc-499"),
        pytest.param({"neutrophils_per_ul": 500}, "neutropenia", False, id="anc-500"),
        pytest.param({"platelets_per_ul": 49_999}, "low_platelets", True, id="platelets-49999"),
        # "safe only above 50,000" (Ng et al. 2018): exactly 50,000 flags.
        pytest.param({"platelets_per_ul": 50_000}, "low_platelets", True, id="platelets-50000"),
        pytest.param({"platelets_per_ul": 50_001}, "low_platelets", False, id="platelets-50001"),
    ],
)
def test_safety_thresholds_follow_the_clinical_reference(api, maria, medical, rule, fires):
    MedicalContextFactory(client=maria, **medical)

    rules = {f["rule_id"] for f in api.post(f"/api/v1/clients/{maria.id}/safety-check").json()}

    assert (rule in rules) is fires


def test_platelet_policy_is_a_clinic_setting(api, clinic, maria):
    SafetyThresholds.objects.create(clinic=clinic, platelets_policy="stop", platelets_min_per_ul=75_000)
    MedicalContextFactory(client=maria, platelets_per_ul=60_000)

    flags = {f["rule_id"]: f for f in api.post(f"/api/v1/clients/{maria.id}/safety-check").json()}

    assert flags["low_platelets"]["level"] == "stop"


def test_flag_closes_when_the_facts_change(api, maria):
    MedicalContextFactory(client=maria, dvt_signs_now=True)
    api.post(f"/api/v1/clients/{maria.id}/safety-check")
    api.patch(f"/api/v1/clients/{maria.id}/medical", {"dvt_signs_now": False}, content_type=JSON)

    api.post(f"/api/v1/clients/{maria.id}/safety-check")

    assert "suspected_dvt" not in flags_by_rule(api, maria)
    closed = flags_by_rule(api, maria, status="all")["suspected_dvt"]
    assert (closed["status"], closed["resolution"]) == ("resolved", "no_longer_applies")


@pytest.fixture
def dvt_client(api, maria):
    """Maria with a deep vein thrombosis a month ago: a clearance flag, plus the diabetic foot-care flag."""
    MedicalContextFactory(
        client=maria, dvt_history=True, dvt_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    api.post(f"/api/v1/clients/{maria.id}/safety-check")
    return maria


def test_clearance_closes_a_clearance_flag_and_stays_closed(api, dvt_client):
    flag = flags_by_rule(api, dvt_client)["dvt_history"]
    today = timezone.localdate().isoformat()

    r = api.post(
        f"/api/v1/clients/{dvt_client.id}/flags/{flag['id']}/clearance",
        {"clinician": "Dr Rivera (GP)", "clearance_date": today, "note": "cleared by phone"},
        content_type=JSON,
    )

    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["resolution"]) == ("resolved", "cleared")
    assert (body["clearance_by"], body["clearance_date"]) == ("Dr Rivera (GP)", today)
    stored = SafetyFlag.objects.get(pk=flag["id"])
    assert stored.resolved_by.username == "alice"
    # A later safety check does not reopen a cleared clearance flag.
    api.post(f"/api/v1/clients/{dvt_client.id}/safety-check")
    assert "dvt_history" not in flags_by_rule(api, dvt_client)


@pytest.mark.parametrize(
    ("rule", "payload", "field"),
    [
        pytest.param(
            "diabetic_foot_care",
            {"clinician": "Dr Rivera", "clearance_date": "2026-01-01"},
            "flag",
            id="not-a-clearance-flag",
        ),
        pytest.param(
            "dvt_history",
            {"clinician": "Dr Rivera", "clearance_date": "2999-01-01"},
            "clearance_date",
            id="future",
        ),
        pytest.param(
            "dvt_history", {"clinician": "", "clearance_date": "2026-01-01"}, "clinician", id="no-clinician"
        ),
        pytest.param(
            "dvt_history",
            {"clinician": "   ", "clearance_date": "2026-01-01"},
            "clinician",
            id="blank-clinician",
        ),
        pytest.param("dvt_history", {"clinician": "Dr Rivera"}, "clearance_date", id="no-date"),
        pytest.param(
            "dvt_history",
            {"clinician": "Dr Rivera", "clearance_date": "2026-01-01", "by": "me"},
            "by",
            id="unknown-field",
        ),
    ],
)
def test_bad_clearance_is_refused_and_the_flag_stays_open(api, dvt_client, rule, payload, field):
    flag = flags_by_rule(api, dvt_client)[rule]

    r = api.post(f"/api/v1/clients/{dvt_client.id}/flags/{flag['id']}/clearance", payload, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    assert SafetyFlag.objects.get(pk=flag["id"]).status == "open"


def test_clearance_of_an_already_resolved_flag_is_refused(api, dvt_client):
    flag = flags_by_rule(api, dvt_client)["dvt_history"]
    url = f"/api/v1/clients/{dvt_client.id}/flags/{flag['id']}/clearance"
    payload = {"clinician": "Dr Rivera", "clearance_date": timezone.localdate().isoformat()}
    api.post(url, payload, content_type=JSON)

    r = api.post(url, payload | {"clinician": "Dr Someone Else"}, content_type=JSON)

    assert r.status_code == 422
    assert "flag" in error_fields(r)
    assert SafetyFlag.objects.get(pk=flag["id"]).clearance_by == "Dr Rivera"


def test_clearance_of_another_clients_flag_is_404(api, dvt_client, clinic):
    other = ClientFactory(clinic=clinic)
    flag = flags_by_rule(api, dvt_client)["dvt_history"]

    r = api.post(
        f"/api/v1/clients/{other.id}/flags/{flag['id']}/clearance",
        {"clinician": "Dr Rivera", "clearance_date": timezone.localdate().isoformat()},
        content_type=JSON,
    )

    assert r.status_code == 404
    assert SafetyFlag.objects.get(pk=flag["id"]).status == "open"


def test_safety_rules_each_cite_a_source(api):
    r = api.get("/api/v1/safety-rules")

    assert r.status_code == 200
    rules = r.json()
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert {"lops", "suspected_dvt", "dvt_history", "neutropenia", "fever", "low_platelets"} <= set(ids)
    for rule in rules:
        assert rule["source"].strip(), rule["id"]
        assert rule["level"] in {"stop", "clearance", "modify", "caution"}, rule["id"]
        assert rule["actions"], rule["id"]


@pytest.mark.django_db
def test_flags_are_current_after_every_api_write_without_an_explicit_check(api):
    intake = {
        "client": {"first_name": "Flo", "last_name": "Current", "date_of_birth": "1950-01-01"},
        "conditions": [{"type": "peripheral", "cause": "diabetes_t2"}],
    }
    created = api.post("/api/v1/clients", intake, content_type="application/json").json()
    assert [f["rule_id"] for f in created["open_flags"]] == ["diabetic_foot_care"]
    cid = created["id"]
    answers = {str(i): "no" for i in range(1, 16)}  # item 7 "no": cannot tell hot from cold
    api.post(
        f"/api/v1/clients/{cid}/responses",
        {"instrument": "mnsi_history", "answers": answers},
        content_type="application/json",
    )
    assert "lops" in {f["rule_id"] for f in api.get(f"/api/v1/clients/{cid}/flags").json()}
    api.patch(
        f"/api/v1/clients/{cid}/medical", {"foot_wound_or_ulcer": True}, content_type="application/json"
    )
    levels = {f["rule_id"]: f["level"] for f in api.get(f"/api/v1/clients/{cid}/flags").json()}
    assert levels["foot_ulcer_wound_infection"] == "stop"
