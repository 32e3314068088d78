"""The clinic's outcome comparison over the per-client summary table, with the observational caveat and the
counts it rests on, the selected clients' rows read on first use, and the cached mixed-effects model."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from nervecare.core.lazy import lazy_module
from nervecare.core.models import Clinic, Therapist
from nervecare.outcomes import cohort_sql, summary
from nervecare.outcomes.analysis import dropped_out
from nervecare.outcomes.cohort.clients import ClientRow
from nervecare.outcomes.cohort.groups import (
    DIMENSIONS,
    CohortFilters,
    _add,
    _classify,
    group_from_sums,
    labelled_groups,
)
from nervecare.outcomes.immediate import cohort_immediate_effect
from nervecare.outcomes.mixed import mixed_model_fit, sample_clients
from nervecare.outcomes.rules import OutcomeRules, outcome_rules, session_band
from nervecare.outcomes.series import MEASURES

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")


SUMMARY_CACHE_SECONDS = 3600


OBSERVATIONAL_NOTE = (
    "Observational data from routine care, without a control group: nobody was assigned at random to "
    "massage or to no massage. The numbers describe how the clients' own ratings changed while they came "
    "for massage; they cannot show that massage caused the change. Symptoms also change with time, "
    "medicines and the course of the illness, ratings that start high tend to fall on their own (regression "
    "to the mean), and clients who stop coming are often those it helped least. Differences between groups "
    "(types, causes, modalities, therapists) may come from who was in each group, not from the treatment."
)


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
        groups[dimension] = labelled_groups(dimension, by_key, group_from_sums, rules)
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
