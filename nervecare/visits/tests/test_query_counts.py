"""Pinned query count of saving a draft note (PUT /appointments/{id}/note): the safety check runs once, its
rules are not run a second time for the note, and the open flags are read once inside the note's transaction."""

import pytest
from django.db import connection

from nervecare.clients.tests.factories import MedicalContextFactory
from nervecare.conftest import login
from nervecare.visits.models import SessionNote
from nervecare.visits.tests.conftest import GOOD_NOTE

# Session, user, two-step device; appointment (with client, therapist, service, clinic). The safety check:
# BEGIN, client lock, medical context, conditions, latest answers, open daily foot-check reports (issue 18),
# open flags, audit (lock, head, INSERT),
# COMMIT. The note: BEGIN, appointment lock, note, open flags, cleared flags, INSERT/UPDATE note, outcome
# summary marked stale, the note's clinic (audit), audit (lock, head, INSERT), COMMIT. The answer: the note
# with its amendments and adverse events. SQLite: no advisory locks.
# PostgreSQL: + SET CONSTRAINTS ALL IMMEDIATE before each of its two audit appends (core/audit/chain.py).
NOTE_QUERIES = {"postgresql": 32, "sqlite": 28}


def _put(http, appointment, **changes):
    return http.put(
        f"/api/v1/appointments/{appointment.id}/note",
        dict(GOOD_NOTE) | changes,
        content_type="application/json",
    )


@pytest.mark.django_db
def test_note_save_query_count(appointment, therapist_user, django_assert_max_num_queries):
    http = login(therapist_user)
    assert _put(http, appointment).status_code == 200  # warm: sign-in bookkeeping; the note exists now
    with django_assert_max_num_queries(NOTE_QUERIES[connection.vendor]):
        r = _put(http, appointment, subjective="Better today.")
    assert r.status_code == 200, r.content
    assert r.json()["subjective"] == "Better today." and r.json()["flags"] == []


@pytest.mark.django_db
def test_note_keeps_the_flags_in_force(appointment, maria, therapist_user):
    """A cleared clearance flag whose rule still fires stays in the note (the rules come from the check)."""
    from nervecare.screening.models import SafetyFlag
    from nervecare.screening.services import flag_record_clearance, safety_check_run

    MedicalContextFactory(client=maria, dvt_history=True, on_anticoagulants=True)
    safety_check_run(actor=None, client=maria)
    flag = SafetyFlag.objects.get(client=maria, rule_id="dvt_history", status="open")
    import datetime

    flag_record_clearance(
        actor=therapist_user, flag=flag, clinician="Dr Who", clearance_date=datetime.date(2020, 1, 1)
    )
    r = _put(login(therapist_user), appointment)
    assert r.status_code == 200, r.content
    assert {f["rule_id"] for f in r.json()["flags"]} == {"dvt_history", "anticoagulants_bleeding"}
    assert {f["rule_id"] for f in SessionNote.objects.get(appointment=appointment).flags} == {
        "dvt_history",
        "anticoagulants_bleeding",
    }
