"""Session-note services: draft, stop flags, pressure caps, signing, amendments, adverse events, who may write."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, MedicalContextFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.screening.models import SafetyFlag
from nervecare.visits import selectors, services
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote
from nervecare.visits.tests.conftest import (
    GOOD_NOTE,
    give_anticoagulants,
    give_dvt_signs,
    give_skin_infection,
    session,
)

pytestmark = pytest.mark.django_db


def note_data(**changes):
    return {**GOOD_NOTE, **changes}


# --- Draft ------------------------------------------------------------------------------------------------


def test_save_creates_the_draft_with_areas_resolved_and_an_audit_event(appointment, therapist_user):
    note = services.note_save(actor=therapist_user, appointment=appointment, data=note_data())

    note.refresh_from_db()
    assert note.appointment == appointment
    assert note.client == appointment.client
    assert not note.is_signed
    assert note.areas_treated == [
        {"region": "foot", "side": "both"},
        {"region": "lower_back", "side": "midline"},
    ]
    assert (note.pain_before, note.pain_after, note.soreness_after) == (6, 3, 1)
    assert note.flags_checked_at is not None
    event = AuditEvent.objects.get(object_type="visits.sessionnote", object_id=str(note.id), action="create")
    assert event.actor == therapist_user
    assert event.clinic_id == appointment.clinic_id
    assert event.changes["pressure"] == ["", "moderate"]


def test_save_runs_the_safety_check_and_snapshots_the_flags(appointment, therapist_user):
    give_anticoagulants(appointment.client)

    note = services.note_save(actor=therapist_user, appointment=appointment, data=note_data())

    assert SafetyFlag.objects.filter(client=appointment.client, rule_id="anticoagulants_bleeding").exists()
    snapshot = {f["rule_id"]: f for f in note.flags}
    assert snapshot["anticoagulants_bleeding"]["level"] == "modify"
    assert snapshot["anticoagulants_bleeding"]["effects"] == {"max_pressure": "moderate"}


def test_save_again_updates_the_draft_and_replaces_its_content(draft, appointment, therapist_user):
    note = services.note_save(
        actor=therapist_user, appointment=appointment, data={"pressure": "light", "minutes": 45}
    )

    assert note.id == draft.id
    note.refresh_from_db()
    assert (note.pressure, note.minutes, note.subjective, note.areas_treated) == ("light", 45, "", [])
    assert note.modality == appointment.service.modality  # left out: the booked service's
    assert SessionNote.objects.count() == 1
    update = AuditEvent.objects.get(object_id=str(note.id), object_type="visits.sessionnote", action="update")
    assert update.changes["minutes"] == [60, 45]


def test_a_draft_can_be_incomplete(appointment, therapist_user):
    note = services.note_save(actor=therapist_user, appointment=appointment, data={"subjective": "Tired."})
    assert (note.pressure, note.minutes, note.soreness_after) == ("", None, None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain_after": 11}, "pain_after"),
        ({"numbness_before": -1}, "numbness_before"),
        ({"soreness_after": 2.5}, "soreness_after"),
        ({"tingling_after": True}, "tingling_after"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 241}, "minutes"),
        ({"pressure": "deep"}, "pressure"),
        ({"modality": "reiki"}, "modality"),
        (
            {"areas_treated": [{"region": "elbow", "side": "left"}, {"region": "wing", "side": "left"}]},
            "areas_treated[1].region",
        ),
        ({"areas_treated": [{"region": "foot", "side": "up"}]}, "areas_treated[0].side"),
        ({"areas_treated": [{"region": "foot"}]}, "areas_treated[0].side"),
        ({"areas_treated": [{"region": "neck", "side": "left"}]}, "areas_treated[0].side"),
        (
            {"areas_treated": [{"region": "foot", "side": "both"}, {"region": "feet", "side": "left"}]},
            "areas_treated[1].region",
        ),
        ({"areas_treated": "feet"}, "areas_treated"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(appointment, therapist_user, changes, field):
    with pytest.raises(FieldErrors) as exc:
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data(**changes))

    assert field in exc.value.errors
    assert not SessionNote.objects.exists()
    assert not AuditEvent.objects.filter(object_type="visits.sessionnote").exists()


def test_bad_adverse_event_in_the_draft_stores_nothing(appointment, therapist_user):
    with pytest.raises(FieldErrors) as exc:
        services.note_save(
            actor=therapist_user,
            appointment=appointment,
            data=note_data(),
            adverse_events=[
                {"kind": "bruising", "severity": "mild", "description": "Small bruise"},
                {"kind": "rash", "severity": "mild", "description": "x"},
            ],
        )
    assert "adverse_events[1].kind" in exc.value.errors
    assert not SessionNote.objects.exists()
    assert not AdverseEvent.objects.exists()


def test_a_cancelled_appointment_has_no_note(appointment, therapist_user):
    appointment.status = "cancelled"
    appointment.save()
    with pytest.raises(FieldErrors) as exc:
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data())
    assert "appointment" in exc.value.errors
    assert not SessionNote.objects.exists()


# --- Stop flags -------------------------------------------------------------------------------------------


def test_an_open_stop_flag_blocks_starting_the_note(appointment, therapist_user):
    give_dvt_signs(appointment.client)

    with pytest.raises(services.SessionBlockedError) as exc:
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data())

    assert [f.rule_id for f in exc.value.flags] == ["suspected_dvt"]
    assert "Suspected deep vein thrombosis" in str(exc.value)
    assert not SessionNote.objects.exists()
    # The flag raised by the check is kept even though the note was refused.
    assert SafetyFlag.objects.filter(
        client=appointment.client, rule_id="suspected_dvt", status="open"
    ).exists()


def test_a_stop_flag_raised_after_the_draft_blocks_signing(draft, therapist_user):
    give_dvt_signs(draft.client)

    with pytest.raises(services.SessionBlockedError):
        services.note_sign(actor=therapist_user, note=draft)

    draft.refresh_from_db()
    assert draft.signed_at is None


def test_a_stop_flag_for_mld_blocks_an_mld_note_but_not_swedish(appointment, therapist_user):
    give_skin_infection(appointment.client)

    with pytest.raises(services.SessionBlockedError) as exc:
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data(modality="mld"))
    assert [f.rule_id for f in exc.value.flags] == ["mld_contraindicated"]

    note = services.note_save(
        actor=therapist_user, appointment=appointment, data=note_data(modality="swedish")
    )
    services.note_sign(actor=therapist_user, note=note)
    note.refresh_from_db()
    assert note.is_signed
    assert "mld_contraindicated" in {f["rule_id"] for f in note.flags}


# --- Pressure caps ----------------------------------------------------------------------------------------


def test_pressure_above_a_flags_cap_is_refused_naming_the_flag(appointment, therapist_user):
    give_anticoagulants(appointment.client)

    with pytest.raises(FieldErrors) as exc:
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data(pressure="firm"))

    message = exc.value.errors["pressure"]
    assert "Anticoagulants or bleeding disorder" in message
    assert "moderate" in message
    assert not SessionNote.objects.exists()


def test_pressure_within_the_cap_is_accepted(appointment, therapist_user):
    give_anticoagulants(appointment.client)
    note = services.note_save(
        actor=therapist_user, appointment=appointment, data=note_data(pressure="moderate")
    )
    assert note.pressure == "moderate"


def test_a_cap_that_appears_after_the_draft_blocks_signing(appointment, therapist_user):
    note = services.note_save(actor=therapist_user, appointment=appointment, data=note_data(pressure="firm"))
    give_anticoagulants(appointment.client)

    with pytest.raises(FieldErrors) as exc:
        services.note_sign(actor=therapist_user, note=note)

    assert "Anticoagulants" in exc.value.errors["pressure"]
    note.refresh_from_db()
    assert note.signed_at is None


def test_a_cleared_flag_still_caps_pressure(appointment, therapist_user):
    """A clearance lets treatment start; the flag's pressure cap still applies (plans.flags_in_force)."""
    MedicalContextFactory(
        client=appointment.client,
        dvt_history=True,
        dvt_date=timezone.localdate() - datetime.timedelta(days=30),
    )
    services.note_open(actor=therapist_user, appointment=appointment)
    flag = SafetyFlag.objects.get(client=appointment.client, rule_id="dvt_history", status="open")
    from nervecare.screening.services import flag_record_clearance

    flag_record_clearance(
        actor=therapist_user, flag=flag, clinician="Dr Rivera", clearance_date=timezone.localdate()
    )

    with pytest.raises(FieldErrors) as exc:
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data(pressure="firm"))
    assert "Recent deep vein thrombosis" in exc.value.errors["pressure"]


# --- Signing ----------------------------------------------------------------------------------------------


def test_sign_locks_the_note(draft, therapist_user):
    note = services.note_sign(actor=therapist_user, note=draft)

    note.refresh_from_db()
    assert note.signed_at is not None
    assert note.signed_by == therapist_user
    assert AuditEvent.objects.filter(object_id=str(note.id), summary="Session note signed").exists()
    note.appointment.refresh_from_db()
    assert note.appointment.status == "completed"  # the signed note records that the session took place


def test_a_signed_note_cannot_be_edited_or_signed_again(signed, appointment, therapist_user):
    with pytest.raises(services.NoteLockedError):
        services.note_save(actor=therapist_user, appointment=appointment, data=note_data(soreness_after=9))
    with pytest.raises(services.NoteLockedError):
        services.note_sign(actor=therapist_user, note=signed)

    signed.refresh_from_db()
    assert signed.soreness_after == 1


def test_sign_needs_a_complete_note(appointment, therapist_user):
    note = services.note_save(actor=therapist_user, appointment=appointment, data={"subjective": "Tired."})

    with pytest.raises(FieldErrors) as exc:
        services.note_sign(actor=therapist_user, note=note)

    assert {"pressure", "minutes", "areas_treated", "soreness_after"} <= set(exc.value.errors)
    note.refresh_from_db()
    assert note.signed_at is None


def test_a_note_is_not_signed_before_the_session_starts(maria, therapist_user):
    future = session(maria, therapist_user.therapist, days_ago=-1)
    note = services.note_save(actor=therapist_user, appointment=future, data=note_data())

    with pytest.raises(FieldErrors) as exc:
        services.note_sign(actor=therapist_user, note=note)
    assert "appointment" in exc.value.errors


# --- Amendments -------------------------------------------------------------------------------------------


def test_amendment_keeps_the_original_beside_the_correction(signed, therapist_user):
    amendment = services.note_amend(
        actor=therapist_user,
        note=signed,
        reason="Client phoned: soreness was worse next day",
        changes={"soreness_after": 5, "pain_after": 3},
        text="Sore for two days in the calves.",
    )

    signed.refresh_from_db()
    assert signed.soreness_after == 1  # the signed value stays
    assert amendment.changes == {"soreness_after": [1, 5]}  # pain_after did not change
    assert amendment.author == therapist_user
    note = selectors.note_get_for_user(therapist_user, signed.id)
    assert selectors.current_values(note)["soreness_after"] == 5
    assert AuditEvent.objects.filter(object_type="visits.noteamendment", object_id=str(amendment.id)).exists()


def test_amendments_chain_old_values(signed, therapist_user):
    services.note_amend(actor=therapist_user, note=signed, reason="r1", changes={"minutes": 50})
    second = services.note_amend(actor=therapist_user, note=signed, reason="r2", changes={"minutes": 55})
    assert second.changes == {"minutes": [50, 55]}


def test_a_free_text_amendment(signed, therapist_user):
    amendment = services.note_amend(
        actor=therapist_user, note=signed, reason="Addendum", text="Client fell asleep."
    )
    assert (amendment.changes, amendment.text) == ({}, "Client fell asleep.")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "", "text": "x"}, "reason"),
        ({"reason": "why"}, "changes"),
        ({"reason": "why", "changes": {"soreness_after": 1}}, "changes"),  # no difference
        ({"reason": "why", "changes": {"pain_after": 12}}, "changes.pain_after"),
        ({"reason": "why", "changes": {"soreness_after": None}}, "changes.soreness_after"),
        (
            {"reason": "why", "changes": {"areas_treated": [{"region": "moon", "side": "left"}]}},
            "changes.areas_treated[0].region",
        ),
        ({"reason": "why", "changes": {"signed_at": None}}, "changes.signed_at"),
    ],
)
def test_bad_amendments_are_refused_and_nothing_changes(signed, therapist_user, kwargs, field):
    with pytest.raises(FieldErrors) as exc:
        services.note_amend(actor=therapist_user, note=signed, **kwargs)
    assert field in exc.value.errors
    assert not NoteAmendment.objects.exists()


def test_amended_pressure_respects_the_flags_at_signing(appointment, therapist_user):
    give_anticoagulants(appointment.client)
    note = services.note_save(actor=therapist_user, appointment=appointment, data=note_data())
    services.note_sign(actor=therapist_user, note=note)

    with pytest.raises(FieldErrors) as exc:
        services.note_amend(actor=therapist_user, note=note, reason="typo", changes={"pressure": "firm"})
    assert "Anticoagulants" in exc.value.errors["changes.pressure"]


def test_amended_modality_respects_the_stop_flags_at_signing(appointment, therapist_user):
    give_skin_infection(appointment.client)
    note = services.note_save(
        actor=therapist_user, appointment=appointment, data=note_data(modality="swedish")
    )
    services.note_sign(actor=therapist_user, note=note)

    with pytest.raises(FieldErrors) as exc:
        services.note_amend(actor=therapist_user, note=note, reason="typo", changes={"modality": "mld"})
    assert "Manual lymphatic drainage contraindicated" in exc.value.errors["changes.modality"]


def test_a_draft_is_not_amended(draft, therapist_user):
    with pytest.raises(services.NoteStateError):
        services.note_amend(actor=therapist_user, note=draft, reason="why", text="x")
    assert not NoteAmendment.objects.exists()


# --- Adverse events ---------------------------------------------------------------------------------------


def test_adverse_events_are_recorded_on_a_signed_note_and_followed_up(signed, therapist_user):
    event = services.adverse_event_add(
        actor=therapist_user,
        note=signed,
        data={"kind": "bruising", "severity": "mild", "description": "Bruise on the left shin"},
    )
    assert not event.resolved

    event = services.adverse_event_update(
        actor=therapist_user, event=event, data={"follow_up": "Faded after a week", "resolved": True}
    )

    event.refresh_from_db()
    assert event.resolved and event.resolved_at is not None
    assert event.follow_up == "Faded after a week"
    assert AuditEvent.objects.filter(object_type="visits.adverseevent", action="update").exists()


def test_adverse_event_description_cannot_be_rewritten(signed, therapist_user):
    event = services.adverse_event_add(
        actor=therapist_user,
        note=signed,
        data={"kind": "fall", "severity": "moderate", "description": "Fell"},
    )
    with pytest.raises(FieldErrors) as exc:
        services.adverse_event_update(actor=therapist_user, event=event, data={"description": "Nothing"})
    assert "description" in exc.value.errors


def test_draft_adverse_events_are_replaced_when_given(appointment, therapist_user):
    ae = {"kind": "dizziness", "severity": "mild", "description": "Dizzy on getting up"}
    note = services.note_save(
        actor=therapist_user, appointment=appointment, data=note_data(), adverse_events=[ae]
    )
    assert note.adverse_events.count() == 1
    services.note_save(actor=therapist_user, appointment=appointment, data=note_data())  # None: kept
    assert note.adverse_events.count() == 1
    services.note_save(actor=therapist_user, appointment=appointment, data=note_data(), adverse_events=[])
    assert note.adverse_events.count() == 0


# --- Who may write ----------------------------------------------------------------------------------------


def test_another_therapist_is_refused_and_nothing_changes(draft, appointment, junior_therapist_user):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match="Alice"):
        services.note_save(actor=junior_therapist_user, appointment=appointment, data=note_data(minutes=5))
    with pytest.raises(PermissionDenied):
        services.note_sign(actor=junior_therapist_user, note=draft)
    with pytest.raises(PermissionDenied):
        services.note_open(actor=junior_therapist_user, appointment=appointment)

    draft.refresh_from_db()
    assert (draft.minutes, draft.signed_at) == (60, None)
    assert AuditEvent.objects.count() == before


def test_another_therapist_cannot_amend_or_add_events(signed, junior_therapist_user):
    with pytest.raises(PermissionDenied):
        services.note_amend(actor=junior_therapist_user, note=signed, reason="r", text="t")
    with pytest.raises(PermissionDenied):
        services.adverse_event_add(
            actor=junior_therapist_user,
            note=signed,
            data={"kind": "fall", "severity": "mild", "description": "x"},
        )
    assert not NoteAmendment.objects.exists()
    assert not AdverseEvent.objects.exists()


def test_front_desk_and_other_clinic_are_refused(appointment, front_desk_user, other_clinic_user):
    with pytest.raises(PermissionDenied):
        services.note_save(actor=front_desk_user, appointment=appointment, data=note_data())
    with pytest.raises(Http404):
        services.note_save(actor=other_clinic_user, appointment=appointment, data=note_data())
    assert not SessionNote.objects.exists()


def test_a_clinic_admin_may_write_sign_and_amend(appointment, admin_user):
    note = services.note_save(actor=admin_user, appointment=appointment, data=note_data())
    services.note_sign(actor=admin_user, note=note)
    services.note_amend(actor=admin_user, note=note, reason="r", text="t")
    note.refresh_from_db()
    assert note.signed_by == admin_user


def test_notes_for_client_lists_only_the_notes_the_user_may_open(
    maria, draft, therapist_user, junior_therapist_user, admin_user
):
    bobs = session(maria, junior_therapist_user.therapist, days_ago=3)
    services.note_save(actor=junior_therapist_user, appointment=bobs, data=note_data())

    assert [n.id for n in selectors.notes_for_client(therapist_user, maria)] == [draft.id]
    assert len(selectors.notes_for_client(junior_therapist_user, maria)) == 1
    assert len(selectors.notes_for_client(admin_user, maria)) == 2


def test_note_open_refreshes_a_drafts_flags(draft, therapist_user, appointment):
    assert draft.flags == []
    give_anticoagulants(draft.client)

    flags = services.note_open(actor=therapist_user, appointment=appointment)

    assert [f.rule_id for f in flags] == ["anticoagulants_bleeding"]
    draft.refresh_from_db()
    assert [f["rule_id"] for f in draft.flags] == ["anticoagulants_bleeding"]


def test_an_appointment_of_another_clinic_is_not_found(other_clinic_user, therapist_user):
    theirs = session(ClientFactory(clinic=other_clinic_user.clinic), other_clinic_user.therapist)
    with pytest.raises(Http404):
        selectors.appointment_get_for_note(therapist_user, theirs.id)
