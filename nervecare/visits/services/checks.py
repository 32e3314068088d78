"""The checks the note's writes share: what the therapist sent, the note's completeness, the flags in force."""

from typing import Any

from django.db.models import Field
from django.utils import timezone

from nervecare.clients import bodymap
from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import User
from nervecare.plans.recommend import PRESSURE_ORDER
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import open_flags
from nervecare.visits.models import (
    CLAIM_FIELDS,
    NOTE_FIELDS,
    RATING_FIELDS,
    SOAP_FIELDS,
    AdverseEvent,
    SessionNote,
)

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
