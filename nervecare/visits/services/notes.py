"""Opening, saving and signing a session note."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.audit import audited_delete
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.services import audit_record, model_changes
from nervecare.plans.services import flags_in_force
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_complete
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import open_flags
from nervecare.screening.services import safety_check_run, safety_check_run_with_rules
from nervecare.visits.models import (
    NOTE_FIELDS,
    AdverseEvent,
    SessionNote,
)
from nervecare.visits.selectors import flag_snapshot, note_access_check
from nervecare.visits.services.checks import (
    _check_complete,
    _check_pressure,
    _clean_values,
    _field_default,
    _full_clean,
    _new_adverse_events,
    _plain,
    _refuse_if_no_session,
    _stop_flags,
)
from nervecare.visits.services.errors import NoteLockedError, SessionBlockedError

# --- Services ---------------------------------------------------------------------------------------------


def note_open(*, actor: User, appointment: Appointment) -> list[SafetyFlag]:
    """Opening a note runs the safety check and returns the flags in force, most severe first.

    An existing draft takes the fresh flags into its snapshot (a signed note keeps those it was signed
    with)."""
    note_access_check(actor, appointment)
    safety_check_run(actor=actor, client=appointment.client)
    flags = flags_in_force(appointment.client)
    with transaction.atomic():
        note = SessionNote.objects.select_for_update().filter(appointment=appointment).first()
        snapshot = [flag_snapshot(f) for f in flags]
        if note is not None and not note.is_signed and note.flags != snapshot:
            before = [f"{f['level']}:{f['rule_id']}" for f in note.flags]
            note.flags, note.flags_checked_at = snapshot, timezone.now()
            note.save(update_fields=["flags", "flags_checked_at", "updated_at"])
            audit_record(
                actor=actor,
                action="update",
                obj=note,
                summary="Session note opened: safety flags refreshed",
                changes={"flags": [before, [f"{f['level']}:{f['rule_id']}" for f in snapshot]]},
            )
    return flags


def _client_of(appointment: Appointment) -> Client:
    """The appointment's client, with its clinic taken from the appointment when that was read already."""
    client = appointment.client
    if (
        Appointment.clinic.is_cached(appointment)
        and not Client.clinic.is_cached(client)
        and client.clinic_id == appointment.clinic_id
    ):
        client.clinic = appointment.clinic  # the same row, already read with the appointment
    return client


def _locked_draft(appointment: Appointment, actor: User) -> tuple[SessionNote, bool]:
    """The appointment's draft note, locked (a new one if none); NoteLockedError once signed."""
    # Serialise writers of one appointment's note (the one-to-one also guards creation).
    Appointment.objects.select_for_update().filter(pk=appointment.pk).values_list("pk", flat=True).first()
    note = SessionNote.objects.select_for_update().filter(appointment=appointment).first()
    if note is not None and note.is_signed:
        raise NoteLockedError(note)
    if note is None:
        return SessionNote(appointment=appointment, client=appointment.client, created_by=actor), True
    return note, False


def _adverse_events_replace(note: SessionNote, new_events: list[AdverseEvent], actor: User) -> dict[str, Any]:
    """Replace the draft's adverse events; the change to audit, if any."""
    removed = note.adverse_events.count()
    audited_delete(note.adverse_events.all(), actor=actor, summary="Adverse events replaced")
    for event in new_events:
        event.note = note
        event.save()
    return {"adverse_events": [removed, len(new_events)]} if removed or new_events else {}


def note_save(
    *,
    actor: User,
    appointment: Appointment,
    data: dict[str, Any],
    adverse_events: list[dict[str, Any]] | None = None,
) -> SessionNote:
    """Start or update the draft note of an appointment; `data` replaces the draft's content (a field left
    out is emptied; the modality defaults to the booked service's).

    The safety check runs first and the flags in force are kept in the note. An open stop flag for the
    note's modality refuses the note (SessionBlockedError); pressure above a flag's max_pressure is refused
    naming the flag. A signed note is refused (NoteLockedError). `adverse_events`, when given, replaces the
    draft's adverse events; None leaves them as they are.

    The safety check commits on its own, before the note: a flag that blocks the session is kept (and
    shown) even though the note is refused.
    """
    note_access_check(actor, appointment)
    _refuse_if_no_session(appointment)
    client = _client_of(appointment)
    check = safety_check_run_with_rules(actor=actor, client=client)
    with transaction.atomic():
        note, creating = _locked_draft(appointment, actor)
        before = {name: _plain(getattr(note, name)) for name in NOTE_FIELDS}
        errors: dict[str, str] = {}
        values = {name: _field_default(name) for name in NOTE_FIELDS}
        values["modality"] = appointment.service.modality
        values.update(_clean_values(data, errors))
        for name, value in values.items():
            setattr(note, name, value)
        _full_clean(note, errors)
        modality_ok = "modality" not in errors
        open_now = open_flags(client)
        blockers = _stop_flags(client, note.modality if modality_ok else None, open_now)
        if blockers:
            raise SessionBlockedError(blockers)
        # The rules were run on the client's record by the safety check just above (this request); the open
        # flags are the ones just read in this transaction.
        flags = [flag_snapshot(f) for f in flags_in_force(client, fired=check.fired, open_now=open_now)]
        if "pressure" not in errors:
            _check_pressure(note.pressure, flags, errors, "pressure")
        new_events = (
            _new_adverse_events(adverse_events, errors, "adverse_events", actor)
            if adverse_events is not None
            else None
        )
        if errors:
            raise FieldErrors(errors)
        note.flags, note.flags_checked_at = flags, timezone.now()
        note.save()
        changes = model_changes(before, {name: _plain(getattr(note, name)) for name in NOTE_FIELDS})
        if new_events is not None:
            changes |= _adverse_events_replace(note, new_events, actor)
        audit_record(
            actor=actor,
            action="create" if creating else "update",
            obj=note,
            summary="Session note started" if creating else "Session note saved (draft)",
            changes=changes,
        )
    return note


def note_sign(*, actor: User, note: SessionNote) -> SessionNote:
    """Sign the note, which locks it. The safety check runs again first: an open stop flag refuses the
    signature, and the pressure must still respect every flag in force. The flags at signing stay in the
    note. (The safety check commits on its own, as in note_save.)"""
    note_access_check(actor, note.appointment)
    safety_check_run(actor=actor, client=note.client)
    with transaction.atomic():
        note = (
            SessionNote.objects.select_for_update()
            .select_related("appointment__therapist", "client")
            .get(pk=note.pk)
        )
        if note.is_signed:
            raise NoteLockedError(note)
        _refuse_if_no_session(note.appointment)
        blockers = _stop_flags(note.client, note.modality)
        if blockers:
            raise SessionBlockedError(blockers)
        errors: dict[str, str] = {}
        _check_complete({name: getattr(note, name) for name in NOTE_FIELDS}, errors)
        if note.appointment.starts_at > timezone.now():
            errors["appointment"] = "the session has not started yet; sign the note after it"
        flags = [flag_snapshot(f) for f in flags_in_force(note.client)]
        _check_pressure(note.pressure, flags, errors, "pressure")
        if errors:
            raise FieldErrors(errors)
        now = timezone.now()
        note.flags, note.flags_checked_at = flags, now
        note.signed_at, note.signed_by = now, actor
        note.save()
        # A signed note is the record that the session took place.
        appointment_complete(actor=actor, appointment=note.appointment)
        audit_record(
            actor=actor,
            action="update",
            obj=note,
            summary="Session note signed",
            changes={
                "signed_at": [None, now.isoformat()],
                "flags": [f"{f['level']}:{f['rule_id']}" for f in flags],
            },
        )
    return note
