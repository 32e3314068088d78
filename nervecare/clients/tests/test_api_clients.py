"""The client record through the JSON API: intake, reads, changes with history, body maps, bad input."""

import copy
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nervecare.clients.models import BodyMap, BodyMapMark, Client, Condition, Consent, MedicalContext
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

JSON = "application/json"

FULL_INTAKE = {
    "client": {
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": "1958-03-02",
        "email": "maria@example.com",
        "phone": "555-0100",
        "emergency_contact_name": "Jorge Lopez",
        "emergency_contact_phone": "555-0101",
        "referring_clinician": "Dr Patel",
        "goals": "Walk to the shops without burning feet",
    },
    "conditions": [
        {
            "type": "peripheral",
            "cause": "diabetes_t2",
            "diagnosis_code": "diabetic_polyneuropathy_t2",
            "numbness": 7,
            "pain": 4,
            "tingling": 5,
        }
    ],
    "medical": {
        "medications": [{"name": "metformin", "class": "other"}],
        "comorbidities": ["arthritis"],
        "hba1c_percent": "7.4",
        "on_insulin_or_sulfonylurea": False,
    },
    "body_map": [
        {"region": region, "side": side, "sensation": "numbness", "intensity": 7}
        for region in ("toes", "sole")
        for side in ("left", "right")
    ],
    "consent": {"version": "1.0", "method": "written"},
}


def intake(**changes):
    data = copy.deepcopy(FULL_INTAKE)
    data.update(changes)
    return data


def stored_rows():
    """Row counts of everything an intake writes; a refused intake must leave them all unchanged."""
    return {
        "clients": Client.objects.count(),
        "client_history": Client.history.count(),
        "conditions": Condition.objects.count(),
        "medical": MedicalContext.objects.count(),
        "body_maps": BodyMap.objects.count(),
        "marks": BodyMapMark.objects.count(),
        "consents": Consent.objects.count(),
        "audit_creates": AuditEvent.objects.filter(action="create").count(),
    }


def error_fields(response):
    body = response.json()
    assert body["detail"]
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.fixture
def maria(clinic):
    client = ClientFactory(
        clinic=clinic,
        first_name="Maria",
        last_name="Lopez",
        email="maria@example.com",
        date_of_birth=datetime.date(1958, 3, 2),
    )
    ConditionFactory(client=client, type="peripheral", cause="diabetes_t2", numbness=7)
    return client


# --- Intake -------------------------------------------------------------------------------------------


def test_full_intake_is_created_and_returned(api):
    r = api.post("/api/v1/clients", FULL_INTAKE, content_type=JSON)

    assert r.status_code == 201, r.content
    record = r.json()
    assert (record["first_name"], record["last_name"], record["date_of_birth"]) == (
        "Maria",
        "Lopez",
        "1958-03-02",
    )
    assert record["email"] == "maria@example.com"
    assert record["goals"] == "Walk to the shops without burning feet"
    [condition] = record["conditions"]
    assert (condition["type"], condition["cause"]) == ("peripheral", "diabetes_t2")
    assert (condition["numbness"], condition["pain"], condition["tingling"], condition["burning"]) == (
        7,
        4,
        5,
        None,
    )
    assert condition["diagnosis_code"] == "diabetic_polyneuropathy_t2"
    assert record["medical"]["medications"] == [{"name": "metformin", "class": "other"}]
    assert record["medical"]["comorbidities"] == ["arthritis"]
    assert record["medical"]["hba1c_percent"] == "7.4"
    assert record["body_map"]["pattern"] == "length_dependent"
    assert record["body_map"]["context"] == "intake"
    assert len(record["body_map"]["marks"]) == 4
    [consent] = record["consents"]
    assert (consent["version"], consent["method"], consent["withdrawn_at"]) == ("1.0", "written", None)

    stored = Client.objects.get(pk=record["id"])
    assert stored.clinic.slug == "riverside"
    assert stored.created_by.username == "alice"
    assert stored.conditions.count() == 1
    assert MedicalContext.objects.filter(client=stored).exists()
    assert stored.body_maps.get().marks.count() == 4
    assert stored.consents.get().text.version == "1.0"


def test_created_record_reads_back_the_same(api):
    created = api.post("/api/v1/clients", FULL_INTAKE, content_type=JSON).json()

    r = api.get(f"/api/v1/clients/{created['id']}")

    assert r.status_code == 200
    fetched = r.json()
    for key in ("first_name", "last_name", "date_of_birth", "email", "conditions", "consents", "body_map"):
        assert fetched[key] == created[key], key


def test_minimal_intake_needs_only_client_and_one_condition(api):
    data = {
        "client": {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1970-01-01"},
        "conditions": [{"type": "focal", "cause": "injury"}],
    }

    r = api.post("/api/v1/clients", data, content_type=JSON)

    assert r.status_code == 201, r.content
    assert r.json()["body_map"] is None
    assert r.json()["consents"] == []


def _drop(path):
    def change(data):
        section, key = path
        del data[section][key]

    return change


def _set(*path_and_value):
    *path, value = path_and_value

    def change(data):
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


BAD_INTAKES = [
    pytest.param(_drop(("client", "last_name")), "client.last_name", id="missing-last-name"),
    pytest.param(_set("client", "date_of_birth", "not-a-date"), "client.date_of_birth", id="dob-not-a-date"),
    pytest.param(_set("client", "date_of_birth", "2999-01-01"), "client.date_of_birth", id="dob-in-future"),
    pytest.param(_set("conditions", 0, "pain", 11), "conditions[0].pain", id="pain-11"),
    pytest.param(_set("conditions", 0, "type", "spinal"), "conditions[0].type", id="unknown-type"),
    pytest.param(_set("client", "nickname", "Mari"), "client.nickname", id="unknown-field"),
    pytest.param(
        _set("conditions", 0, "cause", "chemotherapy"),
        "conditions[0].chemotherapy_agent",
        id="chemo-without-agent",
    ),
    pytest.param(_set("body_map", 0, "region", "tail"), "body_map[0].region", id="body-map-unknown-region"),
    pytest.param(_set("consent", "version", "9.9"), "consent.version", id="unknown-consent-version"),
    pytest.param(_set("conditions", []), "conditions", id="no-condition"),
    pytest.param(
        _set("conditions", 0, "diagnosis_code", "G62.11"), "conditions[0].diagnosis_code", id="invented-code"
    ),
    pytest.param(_set("client", "email", "not-an-email"), "client.email", id="bad-email"),
    pytest.param(_set("medical", "dvt_date", "2999-01-01"), "medical.dvt_date", id="dvt-date-in-future"),
    pytest.param(_set("body_map", 0, "side", None), "body_map[0].side", id="sided-region-without-side"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INTAKES)
def test_bad_intake_is_refused_naming_the_field_and_stores_nothing(api, change, field):
    data = intake()
    change(data)
    before = stored_rows()

    r = api.post("/api/v1/clients", data, content_type=JSON)

    assert r.status_code == 422, r.content
    fields = error_fields(r)
    assert field in fields, fields
    assert fields[field]
    assert stored_rows() == before


def test_bad_intake_reports_every_problem_at_once(api):
    data = intake()
    data["conditions"][0]["cause"] = "chemotherapy"
    data["body_map"][0]["region"] = "tail"
    data["consent"]["version"] = "9.9"
    before = stored_rows()

    r = api.post("/api/v1/clients", data, content_type=JSON)

    assert r.status_code == 422
    assert {"conditions[0].chemotherapy_agent", "body_map[0].region", "consent.version"} <= set(
        error_fields(r)
    )
    assert stored_rows() == before


def test_primary_therapist_from_another_clinic_is_refused(api, other_clinic_user):
    before = stored_rows()

    r = api.post(
        "/api/v1/clients",
        intake(primary_therapist_id=other_clinic_user.therapist.id),
        content_type=JSON,
    )

    assert r.status_code == 422
    assert "primary_therapist_id" in error_fields(r)
    assert stored_rows() == before


# --- List and read ------------------------------------------------------------------------------------


@pytest.fixture
def caseload(clinic, other_clinic):
    lopez = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez", email="ml@example.com")
    ConditionFactory(client=lopez, type="peripheral", cause="diabetes_t2")
    chen = ClientFactory(clinic=clinic, first_name="Wei", last_name="Chen", email="wei@example.org")
    ConditionFactory(client=chen, type="peripheral", cause="chemotherapy", chemotherapy_agent="oxaliplatin")
    okafor = ClientFactory(clinic=clinic, first_name="Ada", last_name="Okafor")
    ConditionFactory(client=okafor, type="focal", cause="injury", diagnosis="carpal tunnel syndrome")
    ConditionFactory(client=okafor, type="peripheral", cause="diabetes_t2")
    elsewhere = ClientFactory(clinic=other_clinic, first_name="Maria", last_name="Lopez-Elsewhere")
    ConditionFactory(client=elsewhere, type="focal", cause="injury")
    return {"lopez": lopez, "chen": chen, "okafor": okafor, "elsewhere": elsewhere}


def _ids(response):
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"lopez", "chen", "okafor"}),
        ("?search=lop", {"lopez"}),
        ("?search=LOPEZ", {"lopez"}),
        ("?search=maria", {"lopez"}),
        ("?search=example.org", {"chen"}),
        ("?type=focal", {"okafor"}),
        ("?type=peripheral", {"lopez", "chen", "okafor"}),
        ("?cause=chemotherapy", {"chen"}),
        ("?cause=diabetes_t2", {"lopez", "okafor"}),
        ("?type=peripheral&cause=diabetes_t2", {"lopez", "okafor"}),
        ("?search=nobody", set()),
    ],
)
def test_list_filters(api, caseload, query, expected):
    r = api.get(f"/api/v1/clients{query}")

    assert _ids(r) == {caseload[name].id for name in expected}


def test_list_shows_each_client_once_with_conditions(api, caseload):
    r = api.get("/api/v1/clients?type=peripheral")

    rows = r.json()
    assert len(rows) == len({row["id"] for row in rows})
    okafor = next(row for row in rows if row["id"] == caseload["okafor"].id)
    assert len(okafor["conditions"]) == 2
    assert okafor["last_name"] == "Okafor"


def test_list_query_count_does_not_grow_with_clients(api, clinic):
    def queries_for_list():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/clients").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        ConditionFactory(client=ClientFactory(clinic=clinic))
    few = queries_for_list()
    for _ in range(6):
        ConditionFactory(client=ClientFactory(clinic=clinic))

    assert queries_for_list() == few


def test_get_unknown_client_is_404(api):
    r = api.get("/api/v1/clients/999999")

    assert r.status_code == 404
    assert r.json()["detail"]


# --- Changing the client, history ---------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(api, maria):
    r = api.patch(
        f"/api/v1/clients/{maria.id}", {"phone": "555-0199", "goals": "Sleep through"}, content_type=JSON
    )

    assert r.status_code == 200, r.content
    maria.refresh_from_db()
    assert (maria.phone, maria.goals) == ("555-0199", "Sleep through")
    assert (maria.first_name, maria.last_name, maria.email) == ("Maria", "Lopez", "maria@example.com")
    fetched = api.get(f"/api/v1/clients/{maria.id}").json()
    assert (fetched["phone"], fetched["goals"]) == ("555-0199", "Sleep through")


def test_patch_response_shows_the_new_values(api, maria):
    r = api.patch(f"/api/v1/clients/{maria.id}", {"phone": "555-0199"}, content_type=JSON)

    assert r.status_code == 200
    assert r.json()["phone"] == "555-0199"


def test_history_shows_who_changed_what(api, maria):
    api.patch(f"/api/v1/clients/{maria.id}", {"phone": "555-0199", "goals": "Walk"}, content_type=JSON)

    r = api.get(f"/api/v1/clients/{maria.id}/history")

    assert r.status_code == 200
    changes = [row for row in r.json() if row["record"] == "client" and row["change"] == "changed"]
    assert len(changes) == 1
    [change] = changes
    assert change["by"] == "alice"
    assert change["fields"] == {"phone": ["", "555-0199"], "goals": ["", "Walk"]}
    assert AuditEvent.objects.filter(
        action="update", object_type="clients.client", object_id=str(maria.id), actor__username="alice"
    ).exists()


def test_history_of_an_intake_names_the_creator_of_each_part(api):
    client_id = api.post("/api/v1/clients", FULL_INTAKE, content_type=JSON).json()["id"]

    rows = api.get(f"/api/v1/clients/{client_id}/history").json()

    created = {row["record"].split(" ")[0]: row["by"] for row in rows if row["change"] == "created"}
    assert created == {"client": "alice", "condition": "alice", "medical": "alice"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"email": "not-an-email"}, "email", id="bad-email"),
        pytest.param({"last_name": None}, "last_name", id="null-last-name"),
        pytest.param({"last_name": ""}, "last_name", id="empty-last-name"),
        pytest.param({"date_of_birth": "not-a-date"}, "date_of_birth", id="dob-not-a-date"),
        pytest.param({"nickname": "Mari"}, "nickname", id="unknown-field"),
    ],
)
def test_bad_patch_is_refused_and_changes_nothing(api, maria, payload, field):
    history_before = maria.history.count()

    r = api.patch(f"/api/v1/clients/{maria.id}", {"phone": "555-0199", **payload}, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    maria.refresh_from_db()
    assert maria.phone == ""
    assert maria.history.count() == history_before


def test_patch_refuses_date_of_birth_in_the_future(api, maria):
    r = api.patch(f"/api/v1/clients/{maria.id}", {"date_of_birth": "2999-01-01"}, content_type=JSON)

    maria.refresh_from_db()
    assert maria.date_of_birth == datetime.date(1958, 3, 2)
    assert r.status_code == 422
    assert "date_of_birth" in error_fields(r)


# --- Conditions ---------------------------------------------------------------------------------------


def test_add_condition(api, maria):
    r = api.post(
        f"/api/v1/clients/{maria.id}/conditions",
        {
            "type": "focal",
            "cause": "injury",
            "diagnosis": "carpal tunnel syndrome",
            "diagnosis_code": "carpal_tunnel",
            "tingling": 6,
        },
        content_type=JSON,
    )

    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["type"], body["cause"], body["diagnosis_code"], body["tingling"]) == (
        "focal",
        "injury",
        "carpal_tunnel",
        6,
    )
    assert maria.conditions.count() == 2
    record = api.get(f"/api/v1/clients/{maria.id}").json()
    assert body["id"] in {c["id"] for c in record["conditions"]}


def test_add_chemotherapy_condition_with_agent(api, maria):
    start = (timezone.localdate() - datetime.timedelta(days=200)).isoformat()
    end = (timezone.localdate() - datetime.timedelta(days=60)).isoformat()

    r = api.post(
        f"/api/v1/clients/{maria.id}/conditions",
        {
            "type": "peripheral",
            "cause": "chemotherapy",
            "chemotherapy_agent": "oxaliplatin",
            "chemotherapy_start": start,
            "chemotherapy_end": end,
        },
        content_type=JSON,
    )

    assert r.status_code == 201, r.content
    assert (r.json()["chemotherapy_agent"], r.json()["chemotherapy_start"]) == ("oxaliplatin", start)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"type": "peripheral", "cause": "diabetes_t2", "pain": 11}, "pain", id="pain-11"),
        pytest.param({"type": "spinal", "cause": "injury"}, "type", id="unknown-type"),
        pytest.param({"type": "focal"}, "cause", id="missing-cause"),
        pytest.param(
            {"type": "peripheral", "cause": "chemotherapy"}, "chemotherapy_agent", id="chemo-no-agent"
        ),
        pytest.param(
            {
                "type": "peripheral",
                "cause": "chemotherapy",
                "chemotherapy_agent": "paclitaxel",
                "chemotherapy_start": "2025-06-01",
                "chemotherapy_end": "2025-01-01",
            },
            "chemotherapy_end",
            id="chemo-ends-before-start",
        ),
        pytest.param(
            {"type": "focal", "cause": "injury", "onset_date": "2999-01-01"}, "onset_date", id="future-onset"
        ),
        pytest.param({"type": "focal", "cause": "injury", "severity": 3}, "severity", id="unknown-field"),
    ],
)
def test_bad_condition_is_refused_and_not_stored(api, maria, payload, field):
    r = api.post(f"/api/v1/clients/{maria.id}/conditions", payload, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    assert maria.conditions.count() == 1


def test_patch_condition(api, maria):
    condition = maria.conditions.get()

    r = api.patch(
        f"/api/v1/clients/{maria.id}/conditions/{condition.id}",
        {"pain": 3, "phase": "chronic"},
        content_type=JSON,
    )

    assert r.status_code == 200, r.content
    assert (r.json()["pain"], r.json()["phase"], r.json()["numbness"]) == (3, "chronic", 7)
    condition.refresh_from_db()
    assert (condition.pain, condition.phase) == (3, "chronic")


# --- Medical context ----------------------------------------------------------------------------------


def test_patch_medical_changes_only_the_given_fields(api, maria):
    api.put(
        f"/api/v1/clients/{maria.id}/medical",
        {"on_anticoagulants": True, "medications": [{"name": "warfarin", "class": "anticoagulant"}]},
        content_type=JSON,
    )

    r = api.patch(f"/api/v1/clients/{maria.id}/medical", {"platelets_per_ul": 42000}, content_type=JSON)

    assert r.status_code == 200, r.content
    medical = r.json()
    assert medical["platelets_per_ul"] == 42000
    assert medical["on_anticoagulants"] is True
    assert medical["medications"] == [{"name": "warfarin", "class": "anticoagulant"}]


def test_put_medical_replaces_the_whole_context(api, maria):
    api.put(
        f"/api/v1/clients/{maria.id}/medical",
        {"on_anticoagulants": True, "devices": ["port"], "devices_site": "right chest"},
        content_type=JSON,
    )

    r = api.put(f"/api/v1/clients/{maria.id}/medical", {"pregnant": True}, content_type=JSON)

    assert r.status_code == 200, r.content
    medical = r.json()
    assert medical["pregnant"] is True
    assert (medical["on_anticoagulants"], medical["devices"], medical["devices_site"]) == (False, [], "")
    assert MedicalContext.objects.filter(client=maria).count() == 1


def test_medical_change_appears_in_history(api, maria):
    api.patch(f"/api/v1/clients/{maria.id}/medical", {"on_steroids": False}, content_type=JSON)
    api.patch(f"/api/v1/clients/{maria.id}/medical", {"on_steroids": True}, content_type=JSON)

    rows = api.get(f"/api/v1/clients/{maria.id}/history").json()

    changed = [r for r in rows if r["record"] == "medical context" and r["change"] == "changed"]
    assert changed and changed[0]["by"] == "alice"
    assert changed[0]["fields"]["on_steroids"] == [False, True]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"dvt_history": True, "dvt_date": "2999-01-01"}, "dvt_date", id="future-dvt"),
        pytest.param({"dvt_history": True, "hba1c_percent": 25}, "hba1c_percent", id="hba1c-25"),
        pytest.param({"dvt_history": True, "devices": ["jetpack"]}, "devices[0]", id="unknown-device"),
        pytest.param(
            {"dvt_history": True, "medications": [{"class": "steroid"}]},
            "medications[0].name",
            id="unnamed-drug",
        ),
        pytest.param({"dvt_history": True, "blood_type": "A+"}, "blood_type", id="unknown-field"),
    ],
)
def test_bad_medical_patch_is_refused_and_changes_nothing(api, maria, payload, field):
    api.patch(f"/api/v1/clients/{maria.id}/medical", {"notes": "baseline"}, content_type=JSON)

    r = api.patch(f"/api/v1/clients/{maria.id}/medical", payload, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    medical = MedicalContext.objects.get(client=maria)
    assert medical.dvt_history is False
    assert medical.notes == "baseline"


# --- Body maps ----------------------------------------------------------------------------------------


def _marks(*triples):
    return [{"region": r, "side": s, "sensation": "numbness", "intensity": i} for r, s, i in triples]


def test_body_map_recorded_twice_is_compared_with_the_previous(api, maria):
    first = _marks(("toes", "left", 6), ("toes", "right", 6))
    second = _marks(("toes", "left", 3), ("toes", "right", 6), ("ankle", "left", 4))

    r1 = api.post(f"/api/v1/clients/{maria.id}/body-maps", {"marks": first}, content_type=JSON)
    r2 = api.post(
        f"/api/v1/clients/{maria.id}/body-maps",
        {"marks": second, "context": "reevaluation"},
        content_type=JSON,
    )

    assert r1.status_code == 201, r1.content
    assert r1.json()["comparison_with_previous"] is None
    assert r1.json()["body_map"]["pattern"] == "length_dependent"
    assert r2.status_code == 201, r2.content
    assert r2.json()["body_map"]["context"] == "reevaluation"
    comparison = r2.json()["comparison_with_previous"]
    assert comparison["changed"] == [
        {"region": "toes", "side": "left", "sensation": "numbness", "before": 6, "after": 3}
    ]
    assert comparison["new"] == [
        {"region": "ankle", "side": "left", "sensation": "numbness", "before": None, "after": 4}
    ]
    assert comparison["resolved"] == []
    assert comparison["unchanged"] == 1

    maps = api.get(f"/api/v1/clients/{maria.id}/body-maps").json()
    assert [m["id"] for m in maps] == [r2.json()["body_map"]["id"], r1.json()["body_map"]["id"]]
    assert api.get(f"/api/v1/clients/{maria.id}").json()["body_map_comparison"] == comparison


@pytest.mark.parametrize(
    ("mark", "field"),
    [
        pytest.param(
            {"region": "tail", "side": "left", "sensation": "pain", "intensity": 3},
            "marks[0].region",
            id="region",
        ),
        pytest.param(
            {"region": "toes", "side": "left", "sensation": "itch", "intensity": 3},
            "marks[0].sensation",
            id="sensation",
        ),
        pytest.param(
            {"region": "toes", "side": "left", "sensation": "pain", "intensity": 11},
            "marks[0].intensity",
            id="intensity",
        ),
        pytest.param({"region": "toes", "sensation": "pain", "intensity": 3}, "marks[0].side", id="no-side"),
        pytest.param(
            {"region": "chest", "side": "left", "sensation": "pain", "intensity": 3},
            "marks[0].side",
            id="midline-with-side",
        ),
    ],
)
def test_bad_body_map_is_refused_and_not_stored(api, maria, mark, field):
    r = api.post(f"/api/v1/clients/{maria.id}/body-maps", {"marks": [mark]}, content_type=JSON)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    assert not BodyMap.objects.filter(client=maria).exists()


def test_body_map_with_one_bad_mark_stores_none_of_it(api, maria):
    marks = _marks(("toes", "left", 5), ("toes", "right", 5)) + [
        {"region": "tail", "side": "left", "sensation": "pain", "intensity": 3}
    ]

    r = api.post(f"/api/v1/clients/{maria.id}/body-maps", {"marks": marks}, content_type=JSON)

    assert r.status_code == 422
    assert "marks[2].region" in error_fields(r)
    assert BodyMap.objects.count() == 0
    assert BodyMapMark.objects.count() == 0


def test_body_map_vocabulary(api):
    r = api.get("/api/v1/body-map/vocabulary")

    assert r.status_code == 200
    vocab = r.json()
    regions = {region["code"]: region for region in vocab["regions"]}
    assert len(regions) == len(vocab["regions"])
    assert {"toes", "sole", "ankle", "lower_leg", "fingers", "palm", "cheek", "lower_back"} <= set(regions)
    assert regions["toes"]["sided"] is True
    assert regions["chest"]["sided"] is False
    sensations = {s["code"] for s in vocab["sensations"]}
    assert sensations == {"numbness", "pain", "tingling", "burning", "allodynia", "cramps", "weakness"}
    assert vocab["source"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"client": {"date_of_birth": 0}}, "client.date_of_birth"),
        ({"client": {"date_of_birth": "1850-01-01"}}, "client.date_of_birth"),
        ({"client": {"first_name": "   "}}, "client.first_name"),
        ({"client": {"last_name": "Nul\u0000l"}}, "client.last_name"),
        ({"conditions": [{"type": "peripheral", "cause": "unknown", "pain": True}]}, "conditions[0].pain"),
        ({"conditions": [{"type": "peripheral", "cause": "unknown", "pain": "5"}]}, "conditions[0].pain"),
        (
            {"consent": {"version": "1.0", "method": "written", "given_at": "2099-01-01T10:00:00Z"}},
            "consent.given_at",
        ),
        ({"medical": {"comorbidities": ["bad\u0000"]}}, "medical.comorbidities"),
    ],
)
def test_implausible_intake_values_are_refused(api, patch, field):
    intake = {
        "client": {"first_name": "Ann", "last_name": "Plausible", "date_of_birth": "1950-01-01"},
        "conditions": [{"type": "peripheral", "cause": "unknown"}],
    }
    for key, value in patch.items():
        intake[key] = {**intake[key], **value} if isinstance(value, dict) and key in intake else value
    r = api.post("/api/v1/clients", intake, content_type="application/json")
    assert r.status_code == 422, r.content
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_vocabularies_list_the_codes_the_intake_accepts(api):
    body = api.get("/api/v1/vocabularies").json()
    codes = {d["code"]: d for d in body["diagnoses"]}
    assert codes["diabetic_polyneuropathy_t2"]["icd10cm"] == "E11.42"
    assert body["consent_versions"] == ["1.0"]
    assert "port" in body["devices"] and "autoimmune" in body["neuropathy_types"]
