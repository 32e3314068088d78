"""Pinned query counts of storing a screening (POST /clients/{id}/responses runs the safety check too), and the
safety engine's shortcut: the rules see only the answers they name, with the same verdicts as with them all."""

import random

import pytest
from django.db import connection

from nervecare.clients.tests.factories import ClientFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.screening import safety
from nervecare.screening.instruments import all_definitions
from nervecare.screening.models import InstrumentResponse, SafetyFlag
from nervecare.screening.selectors import thresholds_for
from nervecare.screening.services import definition_sha

# Session, user, two-step device; client; BEGIN; INSERT response; outcome summary marked stale; the
# response's clinic (audit); audit (lock, head, INSERT); the client's lock; medical context; conditions;
# latest answers; open daily foot-check reports (screening/hooks.py, issue 18); open flags; audit (lock, head,
# INSERT); COMMIT. SQLite: no advisory locks.
# PostgreSQL: + SET CONSTRAINTS ALL IMMEDIATE before the audit append (core/audit/chain.py).
NO_FLAG_QUERIES = {"postgresql": 22, "sqlite": 19}


def _post(http, client, instrument, answers):
    return http.post(
        f"/api/v1/clients/{client.id}/responses",
        {"instrument": instrument, "answers": answers},
        content_type="application/json",
    )


@pytest.mark.django_db
def test_screening_query_count(clinic, therapist_user, django_assert_max_num_queries):
    http = login(therapist_user)
    client = ClientFactory(clinic=clinic)
    _post(http, client, "nrs_pain", {"pain": 2})  # warm: sign-in bookkeeping of the first request
    with django_assert_max_num_queries(NO_FLAG_QUERIES[connection.vendor]):
        r = _post(http, client, "nrs_pain", {"pain": 4})
    assert r.status_code == 201, r.content
    with django_assert_max_num_queries(NO_FLAG_QUERIES[connection.vendor]):
        r = _post(http, client, "dn4_interview", {str(i): "no" for i in range(1, 8)})
    assert r.status_code == 201, r.content
    stored = InstrumentResponse.objects.get(pk=r.json()["id"])
    assert stored.definition_sha256 == definition_sha("dn4_interview") and len(stored.definition_sha256) == 64


@pytest.mark.django_db
def test_screening_that_raises_and_keeps_flags(clinic, therapist_user, django_assert_max_num_queries):
    """With rules firing: the open clearance flag refreshed (+1), the new one inserted (+1), the open flags
    read back (+1)."""
    http = login(therapist_user)
    client = ClientFactory(clinic=clinic)
    MedicalContextFactory(client=client, dvt_history=True)
    _post(http, client, "nrs_pain", {"pain": 2})
    history = {str(i): "no" for i in range(1, 16)}
    with django_assert_max_num_queries(NO_FLAG_QUERIES[connection.vendor] + 3):
        r = _post(http, client, "mnsi_history", history)
    assert r.status_code == 201, r.content
    open_rules = set(
        SafetyFlag.objects.filter(client=client, status="open").values_list("rule_id", flat=True)
    )
    assert {"lops", "dvt_history"} <= open_rules


def test_rules_read_only_named_answers():
    rs = safety.ruleset()
    assert rs.answer_keys is not None and "mnsi_history.7" in rs.answer_keys
    assert safety._answer_keys(['answers["a"] == "x" or answers[\'b\'] in ["y"]']) == {"a", "b"}
    assert safety._answer_keys(["answers.length > 0"]) is None  # not a literal lookup: every answer
    assert safety._answer_keys(['"answers" in devices']) is None


@pytest.mark.django_db
def test_rules_give_the_same_verdicts_with_only_the_named_answers(clinic):
    """Random answers to every item: evaluate (the engine sees the named answers) fires exactly the rules
    that matching over the full facts fires."""
    rng = random.Random(7)
    rs = safety.ruleset()
    for _ in range(60):
        given = {}
        for code, definition in all_definitions().items():
            if rng.random() < 0.5:
                given[code] = {
                    item.id: (
                        rng.choice([o.value for o in item.options])
                        if item.options
                        else rng.randint(item.min, item.max)
                    )
                    for item in definition.items
                }
        facts = safety.gather_facts(
            thresholds=thresholds_for(clinic),
            conditions=[],
            medical=None,
            latest_answers=given,
            today=__import__("datetime").date(2027, 3, 1),
        )
        full = sorted(r.id for r in rs.rules if rs.compiled[r.id].matches(facts))
        assert sorted(f.rule.id for f in safety.evaluate(facts)) == full
