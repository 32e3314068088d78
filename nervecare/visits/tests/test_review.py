"""Clients whose soreness does not settle: each branch of the rule, amendments, and the query count."""

import pytest

from nervecare.clients.tests.factories import ClientFactory
from nervecare.visits import selectors, services
from nervecare.visits.tests.conftest import GOOD_NOTE, session

pytestmark = pytest.mark.django_db


def signed_notes(client, user, sorenesses, hours_ago=1):
    """Signed notes a week apart, oldest first, with these soreness ratings."""
    notes = []
    for i, soreness in enumerate(sorenesses):
        appointment = session(client, user.therapist, days_ago=7 * (len(sorenesses) - i), hours_ago=hours_ago)
        note = services.note_save(
            actor=user, appointment=appointment, data={**GOOD_NOTE, "soreness_after": soreness}
        )
        notes.append(services.note_sign(actor=user, note=note))
    return notes


def reasons(clinic):
    return {
        item.client.id: [r.code for r in item.reasons] for item in selectors.clients_needing_review(clinic.id)
    }


def test_the_thresholds_are_data_marked_as_nervecare_defaults():
    rules = selectors.review_rules()
    assert rules["soreness"] == {"high": 4, "high_sessions": 2, "rising_sessions": 3}
    assert "not from a publication" in rules["source"]


@pytest.mark.parametrize(
    ("newest_first", "codes"),
    [
        ([4, 4], ["soreness_high"]),
        ([5, 7, 1], ["soreness_high"]),
        ([4, 3], []),
        ([3, 4], []),
        ([4], []),
        ([3, 2, 1], ["soreness_rising"]),
        ([5, 4, 3], ["soreness_high", "soreness_rising"]),
        ([3, 3, 1], []),
        ([3, 2], []),
        ([1, 2, 3], []),
        ([], []),
    ],
)
def test_soreness_rules(newest_first, codes):
    assert [r.code for r in selectors.soreness_reasons(newest_first, selectors.review_rules())] == codes


def test_high_soreness_in_the_last_two_signed_notes(clinic, maria, therapist_user):
    signed_notes(maria, therapist_user, [5, 4, 6])
    assert reasons(clinic) == {maria.id: ["soreness_high"]}


def test_settling_soreness_is_not_listed(clinic, maria, therapist_user):
    signed_notes(maria, therapist_user, [6, 5, 2])
    assert reasons(clinic) == {}


def test_rising_soreness_over_three_signed_notes(clinic, maria, therapist_user):
    signed_notes(maria, therapist_user, [0, 1, 2])
    item = selectors.clients_needing_review(clinic.id)[0]
    assert [r.code for r in item.reasons] == ["soreness_rising"]
    assert item.recent_soreness == [0, 1, 2]
    assert "0 → 1 → 2" in item.reasons[0].message


def test_drafts_do_not_count(clinic, maria, therapist_user):
    signed_notes(maria, therapist_user, [1, 5])
    services.note_save(
        actor=therapist_user,
        appointment=session(maria, therapist_user.therapist, hours_ago=2),
        data={**GOOD_NOTE, "soreness_after": 8},
    )
    assert reasons(clinic) == {}


def test_an_unresolved_adverse_event(clinic, maria, therapist_user):
    note = signed_notes(maria, therapist_user, [1])[0]
    event = services.adverse_event_add(
        actor=therapist_user,
        note=note,
        data={"kind": "bruising", "severity": "mild", "description": "Bruise"},
    )
    items = selectors.clients_needing_review(clinic.id)
    assert [r.code for r in items[0].reasons] == ["adverse_event_unresolved"]
    assert "bruising" in items[0].reasons[0].message

    services.adverse_event_update(actor=therapist_user, event=event, data={"resolved": True})
    assert reasons(clinic) == {}


def test_amended_soreness_counts(clinic, maria, therapist_user):
    first, second = signed_notes(maria, therapist_user, [4, 2])
    assert reasons(clinic) == {}

    services.note_amend(actor=therapist_user, note=second, reason="phoned", changes={"soreness_after": 6})

    assert reasons(clinic) == {maria.id: ["soreness_high"]}


def test_only_the_clinics_clients(clinic, other_clinic_user, therapist_user, maria):
    theirs = ClientFactory(clinic=other_clinic_user.clinic)
    signed_notes(theirs, other_clinic_user, [5, 5])
    signed_notes(maria, therapist_user, [1, 1])
    assert reasons(clinic) == {}
    assert reasons(other_clinic_user.clinic) == {theirs.id: ["soreness_high"]}


def test_the_query_count_does_not_grow_with_clients(clinic, therapist_user, django_assert_num_queries):
    for i in range(3):
        client = ClientFactory(clinic=clinic)
        note = signed_notes(client, therapist_user, [5, 6], hours_ago=2 * i + 1)[0]
        services.note_amend(actor=therapist_user, note=note, reason="r", text="t")
        services.adverse_event_add(
            actor=therapist_user, note=note, data={"kind": "fall", "severity": "mild", "description": "x"}
        )

    # signed notes, their amendments, unresolved adverse events, the clients
    with django_assert_num_queries(4):
        items = selectors.clients_needing_review(clinic.id)
    assert len(items) == 3
    assert all([r.code for r in i.reasons] == ["soreness_high", "adverse_event_unresolved"] for i in items)
