"""Reads of screenings and flags."""

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from nervecare.clients.hooks import FreshRecord
from nervecare.clients.models import Client
from nervecare.core.models import Clinic, User
from nervecare.screening.forms import ClearanceForm, instrument_form_fields
from nervecare.screening.instruments import InstrumentDefinition, all_definitions
from nervecare.screening.models import InstrumentResponse, SafetyFlag, SafetyThresholds
from nervecare.screening.safety import ruleset


def thresholds_for(clinic: Clinic | int) -> SafetyThresholds:
    """The clinic's safety thresholds; the published defaults (an unsaved row) while it has set none.

    Given a Clinic read with `select_related("safety_thresholds")`, no query is made."""
    if isinstance(clinic, Clinic):
        try:
            return clinic.safety_thresholds
        except SafetyThresholds.DoesNotExist:
            return SafetyThresholds(clinic_id=clinic.pk)
    return SafetyThresholds.objects.filter(clinic_id=clinic).first() or SafetyThresholds(clinic_id=clinic)


def latest_responses(client: Client) -> dict[str, InstrumentResponse]:
    """The most recent response to each instrument the client has completed."""
    latest: dict[str, InstrumentResponse] = {}
    for response in client.responses.order_by("instrument", "-administered_at", "-id"):
        latest.setdefault(response.instrument, response)
    return latest


def latest_answers(client: Client) -> dict[str, dict[str, Any]]:
    """Answers of the latest response per instrument, for the safety check.

    Variants of one instrument (a family, e.g. the MNSI exam with and without monofilament) describe the same
    examination: each item's answer comes from the newest exam of the family that asked it, so a newer
    exam updates what it re-examined (ulceration, reflexes) and keeps what it did not (the monofilament).
    """
    definitions = all_definitions()
    # The newest response per instrument, as plain rows (only the columns used): the same rows as
    # latest_responses; on PostgreSQL only those leave the database (DISTINCT ON), elsewhere the first per
    # instrument in this order is kept.
    qs = client.responses.order_by("instrument", "-administered_at", "-id")
    if connection.features.can_distinct_on_fields:
        qs = qs.distinct("instrument")
    latest: dict[str, tuple[Any, int, dict[str, Any]]] = {}
    for code, administered_at, response_id, given in qs.values_list(
        "instrument", "administered_at", "id", "answers"
    ):
        latest.setdefault(code, (administered_at, response_id, given))
    answers = {code: dict(given) for code, (_at, _id, given) in latest.items()}
    families: dict[str, list[str]] = {}
    for code in latest:
        family = definitions[code].family if code in definitions else None
        if family:
            families.setdefault(family, []).append(code)
    for members in families.values():
        merged: dict[str, Any] = {}
        for code in sorted(members, key=lambda c: latest[c][:2]):
            merged.update(latest[code][2])
        for code in members:
            answers[code] = merged
    return answers


def responses_for_client(client: Client, instrument: str = "") -> QuerySet[InstrumentResponse]:
    qs = client.responses.all()
    return qs.filter(instrument=instrument) if instrument else qs


def open_flags(client: Client) -> list[SafetyFlag]:
    """Open flags, most severe first."""
    flags = list(client.flags.filter(status=SafetyFlag.Status.OPEN))
    flags.sort(key=lambda f: (SafetyFlag.LEVEL_ORDER[f.level], f.rule_id))
    return flags


def blocking_flags(client: Client, modality: str | None = None) -> list[SafetyFlag]:
    """Open stop or clearance flags that block a plan (a modality-scoped flag blocks only that modality)."""
    return [
        f
        for f in open_flags(client)
        if f.level in ("stop", "clearance")
        and (not f.applies_to or (modality is not None and modality in f.applies_to))
    ]


def flag_as_dict(flag: SafetyFlag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "rule_id": flag.rule_id,
        "title": flag.title,
        "level": flag.level,
        "applies_to": flag.applies_to,
        "area": flag.area,
        "reason": flag.reason,
        "actions": flag.actions,
        "source": flag.source,
        "status": flag.status,
        "raised_at": flag.raised_at.isoformat(),
        "resolution": flag.resolution,
        "clearance_by": flag.clearance_by,
        "clearance_date": flag.clearance_date.isoformat() if flag.clearance_date else None,
    }


def response_as_dict(response: InstrumentResponse) -> dict[str, Any]:
    return {
        "id": response.id,
        "client_id": response.client_id,
        "instrument": response.instrument,
        "definition_version": response.definition_version,
        "answers": response.answers,
        "item_scores": response.item_scores,
        "total": float(response.total),
        "max": float(response.max_total),
        "interpretation": response.interpretation,
        "administered_at": response.administered_at.isoformat(),
        "context": response.context,
    }


def client_record_section(client: Client, fresh: FreshRecord | None = None) -> dict[str, Any]:
    """What screening adds to a client's record (clients.selectors.client_record): the open safety flags and
    the latest response to each instrument. A record created in this transaction (`fresh`) has what the
    safety check put there when it ran on it (screening.services.safety_check_run)."""
    if fresh is not None and "open_flags" in fresh.sections:
        return {k: fresh.sections[k] for k in ("open_flags", "latest_screenings")}
    return {
        "open_flags": [flag_as_dict(f) for f in open_flags(client)],
        "latest_screenings": {code: response_as_dict(r) for code, r in latest_responses(client).items()},
    }


def record_card_flags(user: User, client: Client) -> dict[str, Any]:
    """The record page's safety card: open flags, the last resolved ones and the clearance form."""
    return {
        "flags": open_flags(client),
        "resolved_flags": list(client.flags.filter(status=SafetyFlag.Status.RESOLVED)[:10]),
        "clearance_form": ClearanceForm(),
    }


def record_card_screenings(user: User, client: Client) -> dict[str, Any]:
    """The record page's screenings card: the last responses and the instruments to screen with."""
    return {"responses": list(client.responses.all()[:30]), "instruments": all_definitions().values()}


def screening_form_page(
    client: Client, definition: InstrumentDefinition, *, errors: dict[str, str], given: dict[str, str]
) -> dict[str, Any]:
    """The questionnaire page: the instrument's items with what was given and each item's error."""
    items = instrument_form_fields(definition)
    for item in items:
        item["error"] = errors.get(item["id"])
        item["given"] = given.get(item["id"], "")
        # The published item number where the instrument numbers its items (MNSI history "1"-"15"); item ids
        # like "right.appearance" are the code's names, not the form's words.
        item["number"] = item["id"] if str(item["id"]).isdigit() else ""
    ids = {str(item["id"]) for item in items}
    return {
        "client": client,
        "definition": definition,
        "items": items,
        "errors": errors,
        "item_free_errors": {k: v for k, v in errors.items() if k not in ids},
        "sections": {s.id: s for s in definition.sections},
    }


def instruments_page() -> dict[str, Any]:
    """The instruments and the safety rules in use, with their sources."""
    return {"definitions": all_definitions().values(), "rules": ruleset().rules}
