"""Writes for session notes: save the draft, sign it, amend it, record adverse events.

Each write is one transaction, checks who may write (selectors.note_access_check), validates everything
before storing anything, and leaves an audit event.
"""

from typing import Any

from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from nervecare.clients import bodymap
from nervecare.clients.models import Client
from nervecare.core.audit import audited_delete
from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import User
from nervecare.core.services import audit_record, model_changes
from nervecare.plans.recommend import PRESSURE_ORDER
from nervecare.plans.services import flags_in_force
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_complete
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import open_flags
from nervecare.screening.services import safety_check_run, safety_check_run_with_rules
from nervecare.visits.models import (
    CLAIM_FIELDS,
    NOTE_FIELDS,
    RATING_FIELDS,
    SOAP_FIELDS,
    AdverseEvent,
    NoteAmendment,
    SessionNote,
)
from nervecare.visits.selectors import current_values, flag_snapshot, note_access_check

TEXT_FIELDS = (*SOAP_FIELDS, "next_session_plan")
SIDES = ("left", "right", "both")
ADVERSE_EVENT_FIELDS = ("kind", "severity", "description", "follow_up", "resolved")
ADVERSE_EVENT_UPDATE_FIELDS = ("follow_up", "resolved")
NO_NOTE_STATUSES: dict[str, str] = {
    Appointment.Status.CANCELLED: "the appointment was cancelled: there is no session to write up",
    Appointment.Status.NO_SHOW: "the client did not come (no-show): there is no session to write up",
}
# Fields excluded from full_clean: set by the services, not by the therapist.
NOT_CLEANED = ["appointment", "client", "signed_by", "created_by", "flags", "flags_checked_at", "signed_at"]


class NoteStateError(Exception):
    """The note is not in a state that allows this change (the API answers 409 Conflict)."""


class NoteLockedError(NoteStateError):
    """The note is signed: it changes only by an amendment."""

    def __init__(self, note: SessionNote):
        self.note = note
        super().__init__(
            f"This note was signed on {timezone.localtime(note.signed_at):%Y-%m-%d %H:%M} and is locked; "
            "add an amendment to correct it."
        )


class SessionBlockedError(NoteStateError):
    """An open stop flag for the note's modality: no treatment, so the note cannot be started or signed."""

    def __init__(self, flags: list[SafetyFlag]):
        self.flags = flags
        super().__init__(
            "The session cannot go ahead while these stop flags are open: "
            + "; ".join(f"{f.title} ({f.area})" for f in flags)
            + ". Do not treat; follow the flag's actions."
        )


# --- Checks -----------------------------------------------------------------------------------------------


def _stop_flags(
    client: Client, modality: str | None, flags: list[SafetyFlag] | None = None
) -> list[SafetyFlag]:
    """Open stop flags that concern every modality, or this one (`flags`: the open flags, if just read)."""
    return [
        f
        for f in (open_flags(client) if flags is None else flags)
        if f.level == SafetyFlag.Level.STOP
        and (not f.applies_to or (modality is not None and modality in f.applies_to))
    ]


def _clean_areas(raw: Any, errors: dict[str, str], key: str) -> list[dict[str, str]]:
    """[{"region", "side"}] with regions resolved to the body-map vocabulary (codes, labels or aliases)."""
    if not isinstance(raw, list):
        errors[key] = "must be a list of areas, each with a region and a side"
        return []
    known = bodymap.regions()
    areas: list[dict[str, str]] = []
    covered: set[tuple[str, str]] = set()
    for i, item in enumerate(raw):
        prefix = f"{key}[{i}]"
        if not isinstance(item, dict):
            errors[prefix] = "each area must be an object with a region and a side"
            continue
        for extra in set(item) - {"region", "side"}:
            errors[f"{prefix}.{extra}"] = "unknown field"
        region = bodymap.resolve_region(item.get("region"))
        if region is None:
            errors[f"{prefix}.region"] = (
                f"unknown body region {item.get('region')!r}; expected one of {', '.join(known)}"
            )
            continue
        side = item.get("side")
        side = side.strip().lower() if isinstance(side, str) else side
        name = known[region]["label"]
        if known[region]["sided"]:
            if side not in SIDES:
                errors[f"{prefix}.side"] = f"{name} needs a side: left, right or both"
                continue
        elif side in (None, "", "midline"):
            side = "midline"
        else:
            errors[f"{prefix}.side"] = f"{name} is in the middle of the body; it has no side"
            continue
        sides = {"left", "right"} if side == "both" else {side}
        if any((region, s) in covered for s in sides):
            errors[f"{prefix}.region"] = f"{name} ({side}) is listed twice"
            continue
        covered |= {(region, s) for s in sides}
        areas.append({"region": region, "side": side})
    return areas


def _clean_values(data: dict[str, Any], errors: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """Check the type of each given note field; areas are resolved to the vocabulary."""
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if name not in NOTE_FIELDS:
            errors[key] = "unknown field"
        elif name in RATING_FIELDS or name in CLAIM_FIELDS or name == "minutes":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors[key] = "must be a whole number"
            else:
                cleaned[name] = value
        elif name == "areas_treated":
            cleaned[name] = _clean_areas(value, errors, key)
        elif name == "pressure" and value is None:
            cleaned[name] = ""
        elif not isinstance(value, str):
            errors[key] = "must be text"
        elif _has_control_characters(value):
            errors[key] = "must not contain control characters"
        else:
            cleaned[name] = value.strip() if name in TEXT_FIELDS else value
    return cleaned


def _has_control_characters(text: str) -> bool:
    # PostgreSQL refuses NUL in text and JSON; other control characters are never meant.
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def _check_pressure(pressure: str, flags: list[dict[str, Any]], errors: dict[str, str], key: str) -> None:
    """A flag in force with effects.max_pressure caps the pressure (as a care plan's is capped)."""
    if pressure not in PRESSURE_ORDER:
        return
    for flag in flags:
        cap = (flag.get("effects") or {}).get("max_pressure")
        if cap in PRESSURE_ORDER and PRESSURE_ORDER.index(pressure) > PRESSURE_ORDER.index(cap):
            errors[key] = f"{pressure} pressure is not safe: the flag '{flag['title']}' allows {cap} at most"
            return


def _check_complete(values: dict[str, Any], errors: dict[str, str], prefix: str = "") -> None:
    """What a signed note must say."""
    if not values.get("pressure"):
        errors.setdefault(f"{prefix}pressure", "say which pressure was used")
    if values.get("minutes") is None:
        errors.setdefault(f"{prefix}minutes", "say how many minutes the session lasted (1–240)")
    if not values.get("areas_treated"):
        errors.setdefault(f"{prefix}areas_treated", "record at least one area treated")
    if values.get("soreness_after") is None:
        errors.setdefault(f"{prefix}soreness_after", "record the soreness after the session (0–10)")


def _full_clean(obj: Any, errors: dict[str, str], prefix: str = "", only: set[str] | None = None) -> None:
    """full_clean, keeping the first message per field (a type error found earlier stays)."""
    found: dict[str, str] = {}
    # The note's check constraints (ratings 0–10, minutes 1–240) repeat its field validators, which name the
    # field; validating them again would cost a database round trip each (8) on every save. The database
    # still enforces them.
    full_clean_or_collect(obj, found, prefix.rstrip("."), exclude=NOT_CLEANED, validate_constraints=False)
    for key, message in found.items():
        if only is None or key.removeprefix(prefix) in only:
            errors.setdefault(key, message)


def _clean_adverse_event(
    data: dict[str, Any], errors: dict[str, str], prefix: str, fields: tuple[str, ...]
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if name not in fields:
            errors[key] = "unknown field" if name not in ADVERSE_EVENT_FIELDS else "cannot be changed"
        elif name == "resolved":
            if not isinstance(value, bool):
                errors[key] = "must be true or false"
            else:
                cleaned[name] = value
        elif not isinstance(value, str):
            errors[key] = "must be text"
        elif _has_control_characters(value):
            errors[key] = "must not contain control characters"
        else:
            cleaned[name] = value.strip()
    return cleaned


def _new_adverse_events(
    raw: list[dict[str, Any]], errors: dict[str, str], key: str, actor: User
) -> list[AdverseEvent]:
    events = []
    if not isinstance(raw, list):
        errors[key] = "must be a list of adverse events"
        return events
    now = timezone.now()
    for i, data in enumerate(raw):
        prefix = f"{key}[{i}]."
        if not isinstance(data, dict):
            errors[prefix.rstrip(".")] = "each adverse event must be an object"
            continue
        event = AdverseEvent(
            recorded_by=actor, **_clean_adverse_event(data, errors, prefix, ADVERSE_EVENT_FIELDS)
        )
        event.resolved_at = now if event.resolved else None
        found: dict[str, str] = {}
        full_clean_or_collect(event, found, prefix.rstrip("."), exclude=["note", "recorded_by"])
        for k, message in found.items():
            errors.setdefault(k, message)
        events.append(event)
    return events


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str | list | dict) or value is None else str(value)


def _field_default(name: str) -> Any:
    """A note field's default (NOTE_FIELDS are the note's own columns, never relations pointing at it)."""
    field = SessionNote._meta.get_field(name)
    return field.get_default() if isinstance(field, Field) else None


def _refuse_if_no_session(appointment: Appointment) -> None:
    if appointment.status in NO_NOTE_STATUSES:
        raise FieldErrors({"appointment": NO_NOTE_STATUSES[appointment.status]})


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
