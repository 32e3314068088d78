"""Group statistics: responders (Wilson), mean change (t), attendance, drop-out and adverse events of a set of
clients, from their rows or from the summary table's sums; the filters a cohort is chosen by; and the
whole comparison computed from scratch (what the summary rows are checked against)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from nervecare.clients.models import Condition
from nervecare.core.models import Clinic
from nervecare.outcomes import cohort_sql, stats
from nervecare.outcomes.cohort.clients import ClientRow, client_rows
from nervecare.outcomes.rules import OutcomeRules, outcome_rules
from nervecare.plans.models import CarePlan

G = TypeVar("G")  # what one group holds: its client rows, or its sums

DIMENSIONS = {
    "type": "Neuropathy type",
    "cause": "Cause",
    "modality": "Modality",
    "therapist": "Therapist",
    "sessions": "Sessions attended",
}


def _labels(dimension: str) -> dict[str, str]:
    if dimension == "type":
        return dict(Condition.Type.choices)
    if dimension == "cause":
        return dict(Condition.Cause.choices)
    if dimension == "modality":
        return dict(CarePlan.Modality.choices)
    return {}


def group_stats(rows: list[ClientRow]) -> dict[str, Any]:
    """Responders (Wilson), mean change (t), attendance, drop-out and adverse events for a set of clients."""
    evaluable = [r for r in rows if r.status in (stats.RESPONDER, stats.BELOW_THRESHOLD, stats.WORSE)]
    changes = [
        r.current - r.baseline
        for r in rows
        if r.status in (stats.RESPONDER, stats.BELOW_THRESHOLD, stats.WORSE, stats.NOT_APPLICABLE)
    ]
    pct = [
        (r.current - r.baseline) / r.baseline * 100
        for r in evaluable
        if r.baseline  # a baseline of 0 has no percentage change
    ]
    responders = sum(1 for r in evaluable if r.status == stats.RESPONDER)
    worse = sum(1 for r in evaluable if r.status == stats.WORSE)
    started = [r for r in rows if r.completed > 0]
    completed = sum(r.completed for r in rows)
    due = completed + sum(r.no_show for r in rows)
    noted = [r for r in rows if r.signed_notes > 0]
    sessions = sum(r.signed_notes for r in rows)
    events = sum(r.adverse_events for r in rows)
    return {
        "clients": len(rows),
        "evaluable": len(evaluable),
        "insufficient": sum(1 for r in rows if r.status == stats.INSUFFICIENT),
        "no_data": sum(1 for r in rows if r.status == stats.NO_DATA),
        "baseline_zero": sum(1 for r in rows if r.status == stats.NOT_APPLICABLE),
        "responders": responders,
        "worse": worse,
        "responder_rate": stats.wilson(responders, len(evaluable)),
        "worse_rate": stats.wilson(worse, len(evaluable)),
        "mean_change": stats.mean_ci(changes),
        "mean_percent_change": stats.mean_ci(pct),
        "sessions_completed": completed,
        "attendance_rate": completed / due if due else None,
        "no_show_rate": (due - completed) / due if due else None,
        "dropout": stats.wilson(sum(1 for r in started if r.dropped_out), len(started)),
        "clients_with_adverse_event": stats.wilson(sum(1 for r in noted if r.adverse_events), len(noted)),
        "adverse_events": events,
        "adverse_events_per_100_sessions": events / sessions * 100 if sessions else None,
    }


def labelled_groups(
    dimension: str,
    by_key: Mapping[str, G],
    stats_of: Callable[[G], dict[str, Any]],
    rules: OutcomeRules,
) -> list[dict[str, Any]]:
    """A dimension's groups as the page shows them, whichever engine grouped them (client rows or the summary
    table's sums): session bands in their order, the rest by key; each with its label and its statistics."""
    labels = _labels(dimension)
    order = [b.label for b in rules.session_bands] if dimension == "sessions" else sorted(by_key)
    return [
        {"key": key, "label": labels.get(key, "None" if key == "none" else key), **stats_of(by_key[key])}
        for key in order
        if key in by_key
    ]


@dataclass
class CohortFilters:
    measure: str = "pain"
    type: str = ""
    cause: str = ""
    modality: str = ""
    therapist_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}

    def keep(self, row: ClientRow) -> bool:
        return (
            (not self.type or row.type == self.type)
            and (not self.cause or row.cause == self.cause)
            and (not self.modality or row.modality == self.modality)
            and (self.therapist_id is None or row.therapist_id == self.therapist_id)
        )


def group_from_sums(s: dict[str, float]) -> dict[str, Any]:
    """group_stats from the counts and sums grouped over the summary table (summary.group_sums)."""
    n = {k: int(round(v)) for k, v in s.items() if k not in ("ch_sum", "ch_sq", "pc_sum", "pc_sq")}
    completed, due = n["completed"], n["completed"] + n["no_show"]
    sessions, events = n["signed_notes"], n["adverse_events"]
    return {
        "clients": n["clients"],
        "evaluable": n["evaluable"],
        "insufficient": n["insufficient"],
        "no_data": n["no_data"],
        "baseline_zero": n["baseline_zero"],
        "responders": n["responders"],
        "worse": n["worse"],
        "responder_rate": stats.wilson(n["responders"], n["evaluable"]),
        "worse_rate": stats.wilson(n["worse"], n["evaluable"]),
        "mean_change": stats.mean_ci_from_sums(n["ch_n"], s["ch_sum"], s["ch_sq"]),
        "mean_percent_change": stats.mean_ci_from_sums(n["pc_n"], s["pc_sum"], s["pc_sq"]),
        "sessions_completed": completed,
        "attendance_rate": completed / due if due else None,
        "no_show_rate": (due - completed) / due if due else None,
        "dropout": stats.wilson(n["dropped"], n["started"]),
        "clients_with_adverse_event": stats.wilson(n["noted_with_event"], n["noted"]),
        "adverse_events": events,
        "adverse_events_per_100_sessions": events / sessions * 100 if sessions else None,
    }


def _add(into: dict[str, float], more: dict[str, float]) -> dict[str, float]:
    for k, v in more.items():
        into[k] = into.get(k, 0.0) + v
    return into


def _classify(baseline: float | None, current: float | None, n_weeks: int) -> str:
    rules = outcome_rules()
    return stats.classify(
        baseline,
        current,
        n_weeks,
        points=rules.responder.points,
        percent=rules.responder.percent,
        worse_points=rules.worsening.points,
        min_weeks=rules.data.min_weeks_for_verdict,
        rule=rules.responder.rule,
    )


def clinic_outcomes_from_scratch(
    clinic: Clinic,
    filters: CohortFilters | None = None,
    *,
    engine: str = cohort_sql.DEFAULT_ENGINE,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The same comparison computed from the raw notes and screenings, without the summary table (what the
    summary rows are checked against, and what `rebuild` runs client by client)."""
    filters = filters or CohortFilters()
    rules = outcome_rules()
    rows_by_id = client_rows(clinic, now=now)
    for (cid, measure), (baseline, current, n_weeks, _last) in cohort_sql.client_summaries(
        clinic.id, engine=engine
    ).items():
        if measure != filters.measure or cid not in rows_by_id:
            continue
        row = rows_by_id[cid]
        row.baseline, row.current, row.n_weeks = baseline, current, n_weeks
        row.status = _classify(baseline, current, n_weeks)
    rows = [r for r in rows_by_id.values() if filters.keep(r)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for dimension in DIMENSIONS:
        by_key: dict[str, list[ClientRow]] = defaultdict(list)
        for r in rows:
            by_key[getattr(r, dimension)].append(r)
        groups[dimension] = labelled_groups(dimension, by_key, group_stats, rules)
    return {"overall": group_stats(rows), "groups": groups, "clients": rows}
