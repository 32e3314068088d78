"""After signing: amendments to the note, and adverse events added or followed up."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import User
from nervecare.core.services import audit_record, model_changes
from nervecare.screening.models import SafetyFlag
from nervecare.visits.models import (
    AdverseEvent,
    NoteAmendment,
    SessionNote,
)
from nervecare.visits.selectors import current_values, note_access_check
from nervecare.visits.services.checks import (
    ADVERSE_EVENT_UPDATE_FIELDS,
    _check_complete,
    _check_pressure,
    _clean_adverse_event,
    _clean_values,
    _full_clean,
    _new_adverse_events,
)
from nervecare.visits.services.errors import NoteStateError


@transaction.atomic
def note_amend(
    *,
    actor: User,
    note: SessionNote,
    reason: str,
    changes: dict[str, Any] | None = None,
    text: str = "",
) -> NoteAmendment:
    """Correct a signed note, or add to it. The signed note is never changed: the amendment keeps, for
    each corrected field, the value before and after, with who, when and why.

    The corrected note must still be a valid signed note, and its pressure must respect the flags that
    were in force when it was signed."""
    note_access_check(actor, note.appointment)
    note = (
        SessionNote.objects.select_for_update()
        .select_related("appointment__therapist", "client")
        .prefetch_related("amendments")
        .get(pk=note.pk)
    )
    if not note.is_signed:
        raise NoteStateError("This note is a draft: change it directly. Amendments are for signed notes.")
    errors: dict[str, str] = {}
    reason = reason.strip() if isinstance(reason, str) else ""
    text = text.strip() if isinstance(text, str) else ""
    if not reason:
        errors["reason"] = "say why the note is amended"
    changes = changes or {}
    if not isinstance(changes, dict):
        errors["changes"] = "must be an object of {field: corrected value}"
        changes = {}
    cleaned = _clean_values(changes, errors, prefix="changes.")
    current = current_values(note)
    candidate = SessionNote(**{**current, **cleaned})
    _full_clean(candidate, errors, prefix="changes.", only=set(cleaned))
    _check_complete({**current, **cleaned}, errors, prefix="changes.")
    if "pressure" in cleaned and "changes.pressure" not in errors:
        _check_pressure(candidate.pressure, note.flags, errors, "changes.pressure")
    if "modality" in cleaned and "changes.modality" not in errors:
        blocking = [
            f
            for f in note.flags
            if f["level"] == SafetyFlag.Level.STOP
            and f["status"] == SafetyFlag.Status.OPEN
            and (not f["applies_to"] or candidate.modality in f["applies_to"])
        ]
        if blocking:
            errors["changes.modality"] = (
                f"{candidate.modality} was ruled out when the note was signed by the stop flag "
                f"'{blocking[0]['title']}'"
            )
    diff = {name: [current[name], value] for name, value in cleaned.items() if current[name] != value}
    if not diff and not text and not any(k.startswith("changes") for k in errors):
        errors["changes"] = (
            "nothing to amend: give corrected fields that differ from the note, or an addendum text"
        )
    if errors:
        raise FieldErrors(errors)
    amendment = NoteAmendment(note=note, author=actor, reason=reason, changes=diff, text=text)
    full_clean_or_collect(amendment, errors, exclude=["note", "author"])
    if errors:
        raise FieldErrors(errors)
    amendment.save()
    audit_record(
        actor=actor,
        action="create",
        obj=amendment,
        summary=f"Session note {note.id} amended: {reason[:200]}",
        changes=diff,
    )
    return amendment


@transaction.atomic
def adverse_event_add(*, actor: User, note: SessionNote, data: dict[str, Any]) -> AdverseEvent:
    """Record an adverse event on a note. Allowed on a signed note too: harm often shows days later."""
    note_access_check(actor, note.appointment)
    errors: dict[str, str] = {}
    events = _new_adverse_events([data], errors, "adverse_events", actor)
    if errors:
        raise FieldErrors({k.removeprefix("adverse_events[0]."): v for k, v in errors.items()})
    event = events[0]
    event.note = note
    event.save()
    audit_record(
        actor=actor,
        action="create",
        obj=event,
        summary=f"Adverse event recorded: {event}",
        changes={"note": note.id},
    )
    return event


@transaction.atomic
def adverse_event_update(*, actor: User, event: AdverseEvent, data: dict[str, Any]) -> AdverseEvent:
    """Follow an adverse event up: add the follow-up and mark it resolved (or open again)."""
    note_access_check(actor, event.note.appointment)
    event = AdverseEvent.objects.select_for_update().select_related("note__client").get(pk=event.pk)
    errors: dict[str, str] = {}
    cleaned = _clean_adverse_event(data, errors, "", ADVERSE_EVENT_UPDATE_FIELDS)
    if not data:
        errors["follow_up"] = "give the follow-up or whether the event is resolved"
    if errors:
        raise FieldErrors(errors)
    before = {name: getattr(event, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(event, name, value)
    if "resolved" in cleaned and cleaned["resolved"] != before["resolved"]:
        event.resolved_at = timezone.now() if event.resolved else None
    full_clean_or_collect(event, errors, exclude=["note", "recorded_by"])
    if errors:
        raise FieldErrors(errors)
    event.save()
    audit_record(
        actor=actor,
        action="update",
        obj=event,
        summary=f"Adverse event followed up: {event}",
        changes=model_changes(before, {name: getattr(event, name) for name in cleaned}),
    )
    return event
