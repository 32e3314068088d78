"""The raw readings behind the ledger, for one client or many, in a fixed number of queries (6): the intake
symptom ratings, the signed session notes (with their amendments), the questionnaires, the diary, the
physical measures. Each reading is (measure, when, value, visit id, key)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from nervecare.clients.models import Condition
from nervecare.core.models import User
from nervecare.screening.measures import catalogue
from nervecare.screening.models import InstrumentResponse
from nervecare.visits.models import NoteAmendment, PhysicalMeasure, SessionNote
from nervecare.visits.selectors import notes_visible_to

SYMPTOMS = ("pain", "numbness", "tingling")
NOTE_COLUMNS = ("pain_before", "numbness_before", "tingling_before", "stress_before", "stress_after",
                "falls_since_last_visit")  # fmt: skip
# Diary rates: a week counts with at least 4 days filled in; a month (30 days) with at least 14.
WEEK_MIN_DAYS = 4
MONTH_MIN_DAYS = 14


# The client's diary lives in the portal, a layer above outcomes: the portal registers a reader of it here
# (portal/apps.py), which yields (client id, day, {field: value}) for the symptom ratings and the claims'
# diary fields (portal.models.DiaryEntry.CLAIM_FIELDS).
DiaryRow = tuple[int, dt.date, dict[str, float | None]]
_diary_sources: list[Callable[[list[int]], Iterable[DiaryRow]]] = []
DIARY_FIELDS = ("pain", "numbness", "tingling", "sleep_quality", "cramp_count", "cramp_worst", "headache",
                "joint_pain")  # fmt: skip


def register_diary_source(source: Callable[[list[int]], Iterable[DiaryRow]]) -> None:
    if source not in _diary_sources:
        _diary_sources.append(source)


@dataclass(frozen=True)
class Reading:
    at: dt.datetime
    value: float
    visit: int | None = None  # the appointment a reading was taken at (None: diary, intake)
    key: str = ""  # rom: "<movement>:<side>"; stress: "before"/"after"


Series = dict[str, list[Reading]]  # measure code -> readings, oldest first


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _amended(value: Any, name: str, changes: list[dict[str, Any]]) -> Any:
    for change in changes:
        if name in change:
            value = change[name][1]
    return value


def _blocks(days: list[tuple[dt.date, float]], length: int, min_days: int, scale: float) -> list[Reading]:
    """Consecutive blocks of `length` days from the first diary day: the block's rate (sum / days filled in x
    scale) when at least `min_days` are filled in."""
    if not days:
        return []
    start = days[0][0]
    grouped: dict[int, list[float]] = defaultdict(list)
    for day, value in days:
        grouped[(day - start).days // length].append(value)
    return [
        Reading(_noon(start + dt.timedelta(days=i * length)), sum(v) / len(v) * scale)
        for i, v in sorted(grouped.items())
        if len(v) >= min_days
    ]


def readings(client_ids: Iterable[int], *, reader: User | None = None) -> dict[int, Series]:
    """Every client's readings per measure. With `reader`, only the session notes that user may open count
    (the outcomes pages' rule, outcomes.selectors.client_data)."""
    ids = list(client_ids)
    out: dict[int, Series] = {cid: defaultdict(list) for cid in ids}
    if not ids:
        return out

    # Intake symptom ratings: the first condition recorded is the baseline (cramps: the worst-cramp rating).
    seen: set[int] = set()
    for cid, created, pain, numbness, tingling, cramps in (
        Condition.objects.filter(client_id__in=ids)
        .order_by("client_id", "created_at", "id")
        .values_list("client_id", "created_at", "pain", "numbness", "tingling", "cramps")
    ):
        if cid in seen:
            continue
        seen.add(cid)
        for code, value in (
            ("pain", pain),
            ("numbness", numbness),
            ("tingling", tingling),
            ("cramp_worst", cramps),
        ):
            if value is not None:
                out[cid][code].append(Reading(created, float(value), key="intake"))

    notes: QuerySet[SessionNote] = SessionNote.objects.filter(client_id__in=ids, signed_at__isnull=False)
    if reader is not None:
        notes = notes.filter(pk__in=notes_visible_to(reader).values("pk"))
    rows = list(
        notes.order_by("appointment__starts_at", "id").values_list(
            "id", "client_id", "appointment_id", "appointment__starts_at", *NOTE_COLUMNS
        )
    )
    changes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if rows:
        for note_id, change in (
            NoteAmendment.objects.filter(note_id__in=[r[0] for r in rows])
            .order_by("created_at", "id")
            .values_list("note_id", "changes")
        ):
            changes[note_id].append(change)
    for note_id, cid, visit, starts_at, *values in rows:
        v = {
            name: _amended(value, name, changes[note_id])
            for name, value in zip(NOTE_COLUMNS, values, strict=True)
        }
        for s in SYMPTOMS:
            if isinstance(v[f"{s}_before"], int):
                out[cid][s].append(Reading(starts_at, float(v[f"{s}_before"]), visit))
        if isinstance(v["stress_before"], int) and isinstance(v["stress_after"], int):
            out[cid]["stress"].append(Reading(starts_at, float(v["stress_before"]), visit, "before"))
            out[cid]["stress"].append(Reading(starts_at, float(v["stress_after"]), visit, "after"))
        if isinstance(v["falls_since_last_visit"], int):
            out[cid]["falls"].append(Reading(starts_at, float(v["falls_since_last_visit"]), visit))

    # Questionnaires asked for a claim (measures.yaml `asked_in`), by their total score.
    by_instrument = {
        instrument: code for code, m in catalogue().measures.items() for instrument in m.instruments
    }
    for cid, instrument, at, total in (
        InstrumentResponse.objects.filter(client_id__in=ids, instrument__in=by_instrument)
        .order_by("administered_at", "id")
        .values_list("client_id", "instrument", "administered_at", "total")
    ):
        out[cid][by_instrument[instrument]].append(Reading(at, float(total)))

    diary: dict[int, dict[str, list[tuple[dt.date, float]]]] = {cid: defaultdict(list) for cid in ids}
    for source in _diary_sources:
        for cid, day, values in source(ids):
            for name in DIARY_FIELDS:
                given = values.get(name)
                if given is not None:
                    diary[cid][name].append((day, float(given)))
    for cid, fields in diary.items():
        for code in (*SYMPTOMS, "sleep_quality", "cramp_worst", "joint_pain"):
            out[cid][code] += [Reading(_noon(d), v) for d, v in fields.get(code, [])]
        out[cid]["cramps_per_week"] += _blocks(fields.get("cramp_count", []), 7, WEEK_MIN_DAYS, 7)
        out[cid]["headache_days"] += _blocks(fields.get("headache", []), 30, MONTH_MIN_DAYS, 30)

    for cid, kind, side, at, reading, visit_id in (
        PhysicalMeasure.objects.filter(client_id__in=ids)
        .order_by("measured_at", "id")
        .values_list("client_id", "kind", "side", "measured_at", "value", "appointment_id")
    ):
        code = "tug" if kind == "tug" else "rom"
        key = "" if code == "tug" else f"{kind}:{side}"
        out[cid][code].append(Reading(at, float(reading), visit_id, key))

    for series in out.values():
        for code in series:
            series[code].sort(key=lambda r: r.at)
            # An intake rating is a baseline only when it came first (a record entered after the sessions
            # it describes, as when notes are imported, is not a later reading).
            series[code] = [r for i, r in enumerate(series[code]) if r.key != "intake" or i == 0]
        series["numbness_months"] = series.get("numbness", [])
    return out
