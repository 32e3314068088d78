"""Hooks the safety check calls, filled at start-up by the apps above screening (screening may not import them).

Reported facts: what a client reports between sessions feeds the safety check as facts its rules read (the daily
foot check, nervecare.footcheck: a new wound or a hot, swollen foot). A source is
`source(client, today) -> dict[str, Any]`; the facts of every registered source are merged, in registration
order, before the rules run. A record being created (clients.hooks.FreshRecord) has reported nothing yet, so the
sources are not asked for it. With no source registered the facts are absent, and rule expressions read them as
null (false).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from nervecare.clients.models import Client

FactSource = Callable[[Client, date], dict[str, Any]]

_fact_sources: list[FactSource] = []


def add_fact_source(source: FactSource) -> FactSource:
    """Register a function giving facts reported outside the record (idempotent: once per function)."""
    if source not in _fact_sources:
        _fact_sources.append(source)
    return source


def reported_facts(client: Client, today: date) -> dict[str, Any]:
    """The facts every registered source gives for this client today."""
    facts: dict[str, Any] = {}
    for source in _fact_sources:
        facts.update(source(client, today))
    return facts
