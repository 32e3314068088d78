"""Reads of screenings and flags."""

from typing import Any

from django.db.models import QuerySet

from nervecare.clients.models import Client
from nervecare.screening.models import InstrumentResponse, SafetyFlag


def latest_responses(client: Client) -> dict[str, InstrumentResponse]:
    """The most recent response to each instrument the client has completed."""
    latest: dict[str, InstrumentResponse] = {}
    for response in client.responses.order_by("instrument", "-administered_at", "-id"):
        latest.setdefault(response.instrument, response)
    return latest


def latest_answers(client: Client) -> dict[str, dict[str, Any]]:
    """Answers of the latest response per instrument, for the safety check.

    Variants of one instrument (a family, e.g. the MNSI exam with and without monofilament) describe the same
    examination: only the newest of the family counts, so an old exam cannot outlive a newer one.
    """
    from nervecare.screening.instruments import all_definitions

    definitions = all_definitions()
    newest_of_family: dict[str, InstrumentResponse] = {}
    latest = latest_responses(client)
    for code, response in latest.items():
        family = definitions[code].family if code in definitions else None
        if family:
            current = newest_of_family.get(family)
            if current is None or (response.administered_at, response.id) > (
                current.administered_at,
                current.id,
            ):
                newest_of_family[family] = response
    return {
        code: r.answers
        for code, r in latest.items()
        if code not in definitions
        or not definitions[code].family
        or newest_of_family[definitions[code].family].pk == r.pk
    }


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
