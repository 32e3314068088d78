"""Home self-care adherence in the outcomes (issue 18 point 5): per week for one client (page, PDF), and the
clinic's outcomes by adherence band, with the observational caveat.

Adherence is the share of assigned item-days done (nervecare.selfcare.selectors documents the count)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from nervecare.clients.models import Client
from nervecare.selfcare.selectors import (
    ADHERENCE_BANDS,
    adherence_band,
    adherence_by_week,
    adherence_summaries,
)

ADHERENCE_WEEKS = 12
ADHERENCE_CAVEAT = (
    "Clients who do more home care may differ in other ways; this does not show cause. Adherence is what "
    "clients ticked off in the portal (a missed tick is not proof the item was not done), and a client who "
    "feels better may find it easier to keep going, so the arrow can point either way."
)
BAND_LABELS = {code: words for code, _floor, words in ADHERENCE_BANDS} | {"none": "No home programme"}


def client_adherence(client: Client, *, today: dt.date | None = None) -> dict[str, Any]:
    """The client's adherence per week over the last 12 weeks (weeks before the first programme left out)."""
    weeks = adherence_by_week(client, weeks=ADHERENCE_WEEKS, today=today)
    expected = sum(w.expected for w in weeks)
    done = sum(w.done for w in weeks)
    share = done / expected if expected else None
    return {
        "weeks": [w.as_dict() | {"percent": w.percent} for w in weeks],
        "expected": expected,
        "done": done,
        "percent": None if share is None else round(share * 100),
        "band": adherence_band(share),
        "text": (
            "No home programme in the last 12 weeks."
            if not weeks
            else f"Home self-care: {done} of {expected} assigned item-days ticked off over {len(weeks)} "
            f"week(s) ({round(share * 100) if share is not None else 0}%)."
        ),
    }


def outcomes_by_adherence(
    rows: Iterable[Any], *, group_stats: Callable[[list[Any]], dict[str, Any]], today: dt.date | None = None
) -> dict[str, Any]:
    """The clinic's outcome rows (cohort.ClientRow) grouped by each client's adherence band over the last 12
    weeks, with the same statistics as the other groupings (`group_stats`: cohort.group_stats, passed in as
    cohort sits above this module), and the caveat in words."""
    rows = list(rows)
    found = adherence_summaries([r.client_id for r in rows], today=today, weeks=ADHERENCE_WEEKS)
    by_band: dict[str, list[Any]] = {}
    for row in rows:
        summary = found.get(row.client_id)
        band = adherence_band(summary.share if summary and summary.has_programme else None)
        by_band.setdefault(band, []).append(row)
    order = [code for code, _f, _w in ADHERENCE_BANDS] + ["none"]
    return {
        "groups": [
            {"key": band, "label": BAND_LABELS[band], **group_stats(by_band[band])}
            for band in order
            if band in by_band
        ],
        "caveat": ADHERENCE_CAVEAT,
        "weeks": ADHERENCE_WEEKS,
    }
