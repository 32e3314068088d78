"""The clinic's outcomes: every client's baseline and "now" in bulk, responder rates with Wilson intervals,
mean changes with t intervals, attendance, drop-out and adverse events beside them, by neuropathy type,
cause, modality, therapist and sessions attended; and a mixed-effects model of ratings over weeks.

The per-client numbers follow series.py exactly (a test compares them client by client). Two engines
compute them, chosen by measuring (bench/outcomes_bench.py):
- "sql": the whole computation runs in the database (SQLite or PostgreSQL window functions);
- "duckdb": the observations are read out of the database and the same SQL runs in DuckDB (in memory).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from nervecare.clients.models import Client, Condition
from nervecare.core.lazy import lazy_module
from nervecare.core.models import Clinic, Therapist
from nervecare.outcomes import cohort_sql, stats, summary
from nervecare.outcomes.analysis import dropped_out
from nervecare.outcomes.immediate import cohort_immediate_effect
from nervecare.outcomes.mixed import mixed_model_fit, sample_clients
from nervecare.outcomes.rules import OutcomeRules, outcome_rules, session_band
from nervecare.outcomes.series import MEASURES
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment
from nervecare.visits.models import AdverseEvent, SessionNote

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

SUMMARY_CACHE_SECONDS = 3600
DIMENSIONS = {
    "type": "Neuropathy type",
    "cause": "Cause",
    "modality": "Modality",
    "therapist": "Therapist",
    "sessions": "Sessions attended",
}
OBSERVATIONAL_NOTE = (
    "Observational data from routine care, without a control group: nobody was assigned at random to "
    "massage or to no massage. The numbers describe how the clients' own ratings changed while they came "
    "for massage; they cannot show that massage caused the change. Symptoms also change with time, "
    "medicines and the course of the illness, ratings that start high tend to fall on their own (regression "
    "to the mean), and clients who stop coming are often those it helped least. Differences between groups "
    "(types, causes, modalities, therapists) may come from who was in each group, not from the treatment."
)


# --- Per-client attributes for grouping ---------------------------------------------------------------------


@dataclass
class ClientRow:
    client_id: int
    type: str = "none"
    cause: str = "none"
    modality: str = "none"
    therapist: str = "none"
    therapist_id: int | None = None
    completed: int = 0
    no_show: int = 0
    cancelled: int = 0
    upcoming: int = 0
    signed_notes: int = 0
    adverse_events: int = 0
    severe_events: int = 0
    dropped_out: bool = False
    sessions: str = "0"
    baseline: float | None = None
    current: float | None = None
    n_weeks: int = 0
    status: str = stats.NO_DATA


def client_rows(clinic: Clinic, *, now: dt.datetime | None = None) -> dict[int, ClientRow]:
    """Type, cause, plan, attendance and adverse events of each client of the clinic (a few grouped queries)."""
    now = now or timezone.now()
    rules = outcome_rules()
    rows = {cid: ClientRow(cid) for cid in Client.objects.filter(clinic=clinic).values_list("id", flat=True)}
    seen: set[int] = set()
    for cid, ntype, cause in (
        Condition.objects.filter(client__clinic=clinic, client__deleted_at__isnull=True)
        .order_by("client_id", "id")
        .values_list("client_id", "type", "cause")
    ):
        if cid not in seen:
            seen.add(cid)
            rows[cid].type, rows[cid].cause = ntype, cause
    names = dict(Therapist.objects.filter(clinic=clinic).values_list("id", "display_name"))
    best = summary.plans_that_count(CarePlan.objects.filter(client__clinic=clinic))
    appts = (
        Appointment.objects.filter(clinic=clinic)
        .values("client_id")
        .annotate(
            completed=Count("id", filter=Q(status="completed", starts_at__lte=now)),
            no_show=Count("id", filter=Q(status="no_show", starts_at__lte=now)),
            cancelled=Count("id", filter=Q(status="cancelled")),
            upcoming=Count("id", filter=Q(status__in=("booked", "checked_in"), starts_at__gt=now)),
            last_completed=Max("starts_at", filter=Q(status="completed", starts_at__lte=now)),
        )
    )
    attendance = {a["client_id"]: a for a in appts}
    for cid, n in (
        SessionNote.objects.filter(
            client__clinic=clinic, client__deleted_at__isnull=True, signed_at__isnull=False
        )
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    ):
        rows[cid].signed_notes = n
    for cid, n, severe in (
        AdverseEvent.objects.filter(
            note__client__clinic=clinic, note__client__deleted_at__isnull=True, note__signed_at__isnull=False
        )
        .values("note__client_id")
        .annotate(n=Count("id"), severe=Count("id", filter=Q(severity="severe")))
        .values_list("note__client_id", "n", "severe")
    ):
        rows[cid].adverse_events, rows[cid].severe_events = n, severe
    for cid, row in rows.items():
        plan = best.get(cid, (None, None))[1]
        if plan:
            row.modality = plan["modality"]
            row.therapist_id = plan["therapist_id"]
            row.therapist = names.get(plan["therapist_id"], "none") if plan["therapist_id"] else "none"
        a = attendance.get(cid)
        if a:
            row.completed, row.no_show, row.cancelled, row.upcoming = (
                a["completed"],
                a["no_show"],
                a["cancelled"],
                a["upcoming"],
            )
        row.sessions = session_band(row.completed)
        row.dropped_out = dropped_out(
            plan_status=plan["status"] if plan else None,
            completed=row.completed,
            planned=plan["course_weeks"] * plan["sessions_per_week"] if plan else None,
            last_completed=a["last_completed"] if a else None,
            upcoming=row.upcoming,
            now=now,
            dropout_weeks=rules.data.dropout_weeks,
        )
    return rows


# --- Group statistics -----------------------------------------------------------------------------------------


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


class SummaryClients(Sequence):
    """The selected clients' rows (ClientRow), read from the summary table on first use: the clinic page does
    not need them; the per-client CSV, the report job and the model's selection do."""

    def __init__(self, clinic: Clinic, filters: CohortFilters, now: dt.datetime):
        self.clinic, self.filters, self.now = clinic, filters, now
        self._rows: list[ClientRow] | None = None

    def _load(self) -> list[ClientRow]:
        if self._rows is not None:
            return self._rows
        rules = outcome_rules()
        m = self.filters.measure
        names = dict(Therapist.objects.filter(clinic=self.clinic).values_list("id", "display_name"))
        where, params = summary.where_clause(self.clinic.id, self.filters)
        columns = (
            "client_id, type, cause, modality, therapist_id, completed, no_show, cancelled, signed_notes, "
            "adverse_events, severe_events, plan_status, planned, last_completed_ts, last_booked_ts, "
            f"{m}_baseline, {m}_current, {m}_weeks"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {summary.TABLE} WHERE {where} ORDER BY client_id", params)  # noqa: S608 - constants only
            raw = cursor.fetchall()
        now_ts, rows = self.now.timestamp(), []
        for (cid, ntype, cause, modality, tid, completed, no_show, cancelled, notes, events, severe, plan_status,
             planned, last_ts, booked_ts, baseline, current, n_weeks) in raw:  # fmt: skip
            upcoming = 1 if booked_ts is not None and booked_ts > now_ts else 0
            last = dt.datetime.fromtimestamp(last_ts, dt.UTC) if last_ts is not None else None
            row = ClientRow(
                int(cid),
                type=ntype,
                cause=cause,
                modality=modality,
                therapist=names.get(tid, "none") if tid else "none",
                therapist_id=tid,
                completed=completed,
                no_show=no_show,
                cancelled=cancelled,
                upcoming=upcoming,
                signed_notes=notes,
                adverse_events=events,
                severe_events=severe,
                sessions=session_band(completed),
                baseline=baseline,
                current=current,
                n_weeks=n_weeks,
            )
            row.dropped_out = dropped_out(
                plan_status=plan_status or None,
                completed=completed,
                planned=planned,
                last_completed=last,
                upcoming=upcoming,
                now=self.now,
                dropout_weeks=rules.data.dropout_weeks,
            )
            row.status = _classify(baseline, current, n_weeks)
            rows.append(row)
        self._rows = rows
        return rows

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - Sequence protocol
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())


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


def clinic_outcomes(
    clinic: Clinic,
    filters: CohortFilters | None = None,
    *,
    engine: str = summary.DEFAULT_AGG_ENGINE,
    now: dt.datetime | None = None,
    with_model: bool = True,
) -> dict[str, Any]:
    """The clinic's outcome comparison (plain data), with the observational caveat and the counts it rests on.

    Grouped over the per-client summary table (stale rows recomputed first); `engine` is where the grouping
    runs: "sql" in the database, "duckdb" on the rows read out."""
    filters = filters or CohortFilters()
    if filters.measure not in MEASURES:
        filters.measure = "pain"
    rules = outcome_rules()
    started = time.perf_counter()
    now = now or timezone.now()
    summary.ensure_fresh(clinic.id)
    sums = summary.group_sums(clinic.id, filters, filters.measure, now=now, engine=engine)
    names = dict(Therapist.objects.filter(clinic=clinic).values_list("id", "display_name"))
    empty = dict.fromkeys(summary.SUMS, 0.0)
    groups = _groups(sums, names, rules)
    overall = group_from_sums(sums.get(("all", ""), empty))
    result = {
        "clinic": {"id": clinic.id, "name": clinic.name},
        "filters": filters.as_dict() | {"measure": filters.measure},
        "measure": filters.measure,
        "engine": engine,
        "generated_at": now,
        "rules_version": rules.version,
        "overall": overall,
        "groups": groups,
        "dimensions": DIMENSIONS,
        "clients": SummaryClients(clinic, filters, now),
        "caveat": OBSERVATIONAL_NOTE,
        "rests_on": (
            f"{overall['clients']} clients in this selection; {overall['evaluable']} with enough "
            f"{filters.measure} ratings for a verdict (at least {rules.data.min_weeks_for_verdict} weeks after "
            f"baseline), {overall['insufficient']} not yet, {overall['no_data']} with no rating, "
            f"{overall['baseline_zero']} with a baseline of 0."
        ),
        "thresholds": {
            "points": rules.responder.points,
            "percent": rules.responder.percent,
            "min_weeks": rules.data.min_weeks_for_verdict,
            "source": rules.responder.source,
        },
    }
    # Beside the lasting effect: the within-session change pooled across clients (the MSKCC design).
    result["immediate"] = cohort_immediate_effect(clinic, filters.measure, filters)
    result["compute_seconds"] = time.perf_counter() - started
    if with_model:
        result["model"] = _cached_model(clinic, filters, rules.version)
    return result


def _groups(
    sums: dict[tuple[str, str | None], dict[str, float]], names: dict[int, str], rules: OutcomeRules
) -> dict[str, list[dict[str, Any]]]:
    """Each dimension's groups (therapist names, session bands, labels) from the grouped sums."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for dimension in DIMENSIONS:
        labels = _labels(dimension)
        by_key: dict[str, dict[str, float]] = {}
        for (dim, raw_key), values in sums.items():
            if dim != dimension:
                continue
            if dimension == "therapist":
                key = names.get(int(raw_key), "none") if raw_key not in (None, "") else "none"
            elif dimension == "sessions":
                key = session_band(int(raw_key))
            else:
                key = raw_key if raw_key not in (None, "") else "none"
            _add(by_key.setdefault(key, {}), values)
        order = [b.label for b in rules.session_bands] if dimension == "sessions" else sorted(by_key)
        groups[dimension] = [
            {
                "key": key,
                "label": labels.get(key, "None" if key == "none" else key),
                **group_from_sums(by_key[key]),
            }
            for key in order
            if key in by_key
        ]
    return groups


def _cached_model(clinic: Clinic, filters: CohortFilters, rules_version: str) -> Any:
    """The mixed model over the eligible clients, cached."""
    eligible = summary.eligible_for_model(clinic.id, filters, filters.measure)
    # The same clients and data give the same fit: keep it until a summary row is recomputed.
    key = hashlib.sha256(
        repr((clinic.id, summary.version(clinic.id), rules_version, filters.measure, eligible)).encode()
    ).hexdigest()
    return cache.get_or_set(
        f"outcomes:model:{key}",
        lambda: clinic_mixed_model(clinic.id, filters.measure, eligible),
        SUMMARY_CACHE_SECONDS,
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
        labels = _labels(dimension)
        by_key: dict[str, list[ClientRow]] = defaultdict(list)
        for r in rows:
            by_key[getattr(r, dimension)].append(r)
        order = [b.label for b in rules.session_bands] if dimension == "sessions" else sorted(by_key)
        groups[dimension] = [
            {
                "key": key,
                "label": labels.get(key, "None" if key == "none" else key),
                **group_stats(by_key[key]),
            }
            for key in order
            if key in by_key
        ]
    return {"overall": group_stats(rows), "groups": groups, "clients": rows}


# --- Mixed-effects model ----------------------------------------------------------------------------------------


def clinic_mixed_model(
    clinic_id: int, measure: str, client_ids: list[int], *, engine: str = cohort_sql.DEFAULT_ENGINE
) -> dict[str, Any]:
    """The mixed-effects model on (a reproducible sample of) the selected clients' weekly ratings."""
    rules = outcome_rules()
    chosen = sample_clients(client_ids, rules.mixed_model.max_clients)
    out: dict[str, Any] = {
        "measure": measure,
        "eligible": len(client_ids),
        "sampled": len(chosen) < len(client_ids),
    }
    if not chosen:
        return out | {
            "fitted": False,
            "clients": 0,
            "observations": 0,
            "note": "No client has ratings after baseline yet.",
        }
    rows = cohort_sql.weekly_rows(clinic_id, measure, engine=engine, client_ids=chosen)
    arr = np.array(rows, dtype=float).reshape(-1, 3)
    return out | mixed_model_fit(
        arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], max_iterations=rules.mixed_model.max_iterations
    )
