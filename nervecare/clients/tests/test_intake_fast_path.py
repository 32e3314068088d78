"""The intake's fast path (issue 20): a record created in one transaction is checked and returned from the rows
its creator holds, not read back. Whatever it saves, the answer must be the record as it reads back, the safety
check must raise the same flags, and bad ratings must still be refused by field."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nervecare.clients.models import Client
from nervecare.clients.selectors import take_fresh_record
from nervecare.clients.services import intake_create
from nervecare.clients.tests.test_api_clients import FULL_INTAKE
from nervecare.screening.models import SafetyFlag
from nervecare.screening.services import safety_check_run

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _flagging_intake():
    """An intake that raises flags of several levels: anticoagulants, low platelets, a chemotherapy cause."""
    data = copy.deepcopy(FULL_INTAKE)
    data["conditions"].append(
        {"type": "peripheral", "cause": "chemotherapy", "chemotherapy_agent": "oxaliplatin", "pain": 6}
    )
    data["medical"].update(on_anticoagulants=True, platelets_per_ul=30_000, on_insulin_or_sulfonylurea=True)
    return data


@pytest.mark.parametrize("body", [FULL_INTAKE, _flagging_intake()], ids=["plain", "flags"])
def test_create_answers_the_record_as_it_reads_back(api, body):
    created = api.post("/api/v1/clients", body, content_type=JSON)
    assert created.status_code == 201, created.content
    record = created.json()
    read = api.get(f"/api/v1/clients/{record['id']}")
    assert read.status_code == 200
    assert record == read.json()


def test_fresh_check_raises_the_flags_a_full_check_raises(api):
    created = api.post("/api/v1/clients", _flagging_intake(), content_type=JSON).json()
    raised = [(f["rule_id"], f["level"]) for f in created["open_flags"]]
    assert raised, "the intake should raise flags"
    client = Client.objects.get(pk=created["id"])
    # A full check of the stored record (locks, reads every row back) agrees and changes nothing.
    again = safety_check_run(actor=None, client=client)
    assert [(f.rule_id, f.level) for f in again] == raised
    assert SafetyFlag.objects.filter(client=client).count() == len(raised)


def test_a_rating_out_of_range_is_refused_by_field_without_writing(api):
    body = copy.deepcopy(FULL_INTAKE)
    body["conditions"][0]["numbness"] = 11
    before = Client.objects.count()
    r = api.post("/api/v1/clients", body, content_type=JSON)
    assert r.status_code == 422
    assert "conditions[0].numbness" in {e["field"] for e in r.json()["errors"]}
    assert Client.objects.count() == before


def test_the_fresh_rows_are_taken_once(therapist_user):
    client = intake_create(
        actor=therapist_user,
        client=FULL_INTAKE["client"],
        conditions=FULL_INTAKE["conditions"],
    )
    assert take_fresh_record(client) is not None
    # A second reader (or the same client object later, after other changes) reads the database.
    assert take_fresh_record(client) is None


def test_create_statements_stay_few(api):
    """The statements of one intake (the bench's, issue 20): no constraint check per rating, no read-back.
    Session sign-in costs 3 here; the rest is the writes, their history, the audit and the thresholds."""
    body = {
        "client": {"first_name": "Ada", "last_name": "Client", "date_of_birth": "1956-03-14"},
        "conditions": [{"type": "peripheral", "cause": "diabetes_t2", "numbness": 6, "pain": 5}],
    }
    api.post("/api/v1/clients", body, content_type=JSON)
    with CaptureQueriesContext(connection) as ctx:
        r = api.post("/api/v1/clients", body, content_type=JSON)
    assert r.status_code == 201
    statements = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in statements if s.startswith('SELECT 1 AS "_check"')], statements
    # Nothing the request wrote is read back (the safety check and the answer use the rows in hand).
    read_back = (
        "clients_condition",
        "clients_medicalcontext",
        "screening_safetyflag",
        "screening_instrument",
    )
    assert not [s for s in statements if s.startswith("SELECT") and any(t in s for t in read_back)], (
        statements
    )
    # 17 on PostgreSQL, 19 on SQLite (its audit chain reads the last link); 52 before issue 20.
    assert len(statements) <= 20, statements
