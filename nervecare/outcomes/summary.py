"""The per-client outcome summary table (models.ClientOutcomeSummary): kept up to date, rebuilt, and grouped.

Keeping it: a signal marks a client's row stale inside the transaction that changes anything the numbers are
computed from (session notes, amendments, adverse events, screenings, conditions, plans, appointments), and
queues a refresh on commit; `ensure_fresh` recomputes stale and missing rows before the clinic page reads
them, so the page is right even when the job queue is behind. `rebuild` recomputes every row (the command
`nervecare outcomes rebuild`). The values come from the from-scratch computation (cohort_sql.client_summaries),
so the numbers cannot drift from the client page; a test compares both paths on random data.

Grouping: the clinic comparison is one statement of GROUP BYs over the summary rows that returns, per group,
the counts and sums the statistics need (stats.group_from_sums turns them into the Wilson and t intervals).
It runs in the database ("sql") or in DuckDB on the rows read out ("duckdb"); bench/outcomes_bench.py
measures both.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from nervecare.clients.models import Client, Condition
from nervecare.core.jobs import huey
from nervecare.outcomes import cohort_sql
from nervecare.outcomes.models import ClientOutcomeSummary
from nervecare.outcomes.rules import outcome_rules
from nervecare.outcomes.series import MEASURES
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import InstrumentResponse
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote

AGG_ENGINES = ("sql", "duckdb")
DEFAULT_AGG_ENGINE = "sql"  # chosen by measurement: see bench/README.md
CHUNK = 5000  # clients per recomputation (bounded memory: about 150 ratings per client)
TABLE = ClientOutcomeSummary._meta.db_table

# Status codes used inside the SQL (stats.classify's verdicts).
NO_DATA, RESPONDER, BELOW, WORSE, NOT_APPLICABLE, INSUFFICIENT = range(6)


# --- Marking stale ----------------------------------------------------------------------------------------------


def mark_stale(client_ids: Iterable[int | None]) -> None:
    """Mark the clients' rows stale (in the caller's transaction) and queue a refresh once it commits."""
    ids = sorted({int(c) for c in client_ids if c is not None})
    if not ids:
        return
    ClientOutcomeSummary.objects.filter(client_id__in=ids, stale=False).update(
        stale=True, marked_at=timezone.now()
    )
    _queue_refresh()


def _enqueue_refresh() -> None:
    refresh_outcome_summaries()


def _queue_refresh() -> None:
    """One refresh job per transaction (on commit; a rollback drops it), whatever the number of writes."""
    if not connection.in_atomic_block:
        _enqueue_refresh()
        return
    if any(func is _enqueue_refresh for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_refresh)


def _client_of(sender: Any, instance: Any) -> int | None:
    if sender in (AdverseEvent, NoteAmendment):
        return SessionNote.objects.filter(pk=instance.note_id).values_list("client_id", flat=True).first()
    return getattr(instance, "client_id", None)


def _on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loaddata
    # A writer that read the client's summary row in its transaction says what it found (a booking does:
    # scheduling/booking_context.py): None, no row; True, already stale. Then there is nothing to mark, and
    # the UPDATE is spared; the refresh is queued all the same.
    if getattr(instance, "_outcome_summary_state", False) in (None, True):
        _queue_refresh()
        return
    mark_stale([_client_of(sender, instance)])


WATCHED = (SessionNote, NoteAmendment, AdverseEvent, InstrumentResponse, Condition, CarePlan, Appointment)


def connect_signals() -> None:
    for model in WATCHED:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"outcomes-summary-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"outcomes-summary-del-{model.__name__}")


# --- Recomputing ------------------------------------------------------------------------------------------------


def _ts(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _attributes(clinic_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Grouping keys, plan and attendance of the clients (as cohort.client_rows, without the day's cut-offs)."""
    out: dict[int, dict[str, Any]] = {cid: {} for cid in ids}
    seen: set[int] = set()
    for cid, ntype, cause in (
        Condition.objects.filter(client_id__in=ids)
        .order_by("client_id", "id")
        .values_list("client_id", "type", "cause")
    ):
        if cid not in seen:
            seen.add(cid)
            out[cid] |= {"type": ntype, "cause": cause}
    best = plans_that_count(CarePlan.objects.filter(client_id__in=ids))
    for cid, (_key, plan) in best.items():
        out[cid] |= {
            "modality": plan["modality"],
            "therapist_id": plan["therapist_id"],
            "plan_status": plan["status"],
            "planned": plan["course_weeks"] * plan["sessions_per_week"],
        }
    for a in (
        Appointment.objects.filter(client_id__in=ids, clinic_id=clinic_id)
        .values("client_id")
        .annotate(
            completed=Count("id", filter=Q(status="completed")),
            no_show=Count("id", filter=Q(status="no_show")),
            cancelled=Count("id", filter=Q(status="cancelled")),
            last_completed=Max("starts_at", filter=Q(status="completed")),
            last_booked=Max("starts_at", filter=Q(status__in=("booked", "checked_in"))),
        )
    ):
        out[a["client_id"]] |= {
            "completed": a["completed"],
            "no_show": a["no_show"],
            "cancelled": a["cancelled"],
            "last_completed_ts": _ts(a["last_completed"]),
            "last_booked_ts": _ts(a["last_booked"]),
        }
    for cid, n in (
        SessionNote.objects.filter(client_id__in=ids, signed_at__isnull=False)
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    ):
        out[cid]["signed_notes"] = n
    for cid, n, severe in (
        AdverseEvent.objects.filter(note__client_id__in=ids, note__signed_at__isnull=False)
        .values("note__client_id")
        .annotate(n=Count("id"), severe=Count("id", filter=Q(severity="severe")))
        .values_list("note__client_id", "n", "severe")
    ):
        out[cid] |= {"adverse_events": n, "severe_events": severe}
    return out


def refresh_clients(clinic_id: int, client_ids: list[int], *, engine: str | None = None) -> int:
    """Recompute the rows of these clients of the clinic (one chunk: the caller splits large sets)."""
    ids = sorted(set(client_ids))
    if not ids:
        return 0
    started = timezone.now()
    values = cohort_sql.client_summaries(
        clinic_id, engine=engine or cohort_sql.DEFAULT_ENGINE, client_ids=ids
    )
    attributes = _attributes(clinic_id, ids)
    rows = []
    for cid in ids:
        row = ClientOutcomeSummary(
            client_id=cid, clinic_id=clinic_id, refreshed_at=started, **attributes[cid]
        )
        for m in MEASURES:
            got = values.get((cid, m))
            if got is not None:
                baseline, current, n_weeks, last_week = got
                setattr(row, f"{m}_baseline", baseline)
                setattr(row, f"{m}_current", current)
                setattr(row, f"{m}_weeks", n_weeks)
                setattr(row, f"{m}_last_week", last_week)
        rows.append(row)
    with transaction.atomic():
        # A client changed again while we computed stays stale (its mark is newer than our start).
        again = set(
            ClientOutcomeSummary.objects.filter(
                client_id__in=ids, stale=True, marked_at__gt=started
            ).values_list("client_id", flat=True)
        )
        for row in rows:
            if row.client_id in again:
                row.stale, row.marked_at = True, timezone.now()
        ClientOutcomeSummary.objects.filter(client_id__in=ids).delete()
        # Clients deleted meanwhile would break the foreign key: keep only those that still exist.
        alive = set(Client.objects.filter(pk__in=ids, clinic_id=clinic_id).values_list("id", flat=True))
        ClientOutcomeSummary.objects.bulk_create([r for r in rows if r.client_id in alive], batch_size=1000)
    return len(rows)


def _in_chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def needing_refresh(clinic_id: int) -> list[int]:
    """Clients of the clinic whose row is stale or missing."""
    stale = ClientOutcomeSummary.objects.filter(clinic_id=clinic_id, stale=True).values_list(
        "client_id", flat=True
    )
    missing = Client.objects.filter(clinic_id=clinic_id, outcome_summary__isnull=True).values_list(
        "id", flat=True
    )
    return sorted(set(stale) | set(missing))


def ensure_fresh(clinic_id: int) -> int:
    """Recompute the clinic's stale and missing rows (usually none or a few); returns how many."""
    done = 0
    for chunk in _in_chunks(needing_refresh(clinic_id)):
        done += refresh_clients(clinic_id, chunk)
    return done


@huey.task()
def refresh_outcome_summaries() -> int:
    """The queue's job: recompute every stale per-client outcome summary (queued when a client's data change)."""
    clinics = ClientOutcomeSummary.objects.filter(stale=True).values_list("clinic_id", flat=True).distinct()
    return sum(ensure_fresh(clinic_id) for clinic_id in list(clinics))


def rebuild(
    clinic_id: int, *, engine: str | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every row of the clinic, CHUNK clients at a time (progress(done, total) after each)."""
    ids = list(Client.objects.filter(clinic_id=clinic_id).order_by("id").values_list("id", flat=True))
    ClientOutcomeSummary.objects.filter(clinic_id=clinic_id).exclude(client__clinic_id=clinic_id).delete()
    done = 0
    for chunk in _in_chunks(ids):
        done += refresh_clients(clinic_id, chunk, engine=engine)
        if progress:
            progress(done, len(ids))
    return done


# --- Grouping ------------------------------------------------------------------------------------------------------


def _status_sql(measure: str) -> str:
    rules = outcome_rules()
    eps = 1e-9  # as stats.classify
    b, c, w = f"{measure}_baseline", f"{measure}_current", f"{measure}_weeks"
    by_points = f"({b} - {c}) >= {float(rules.responder.points) - eps!r}"
    by_percent = f"({b} - {c}) * 100 >= {float(rules.responder.percent)!r} * {b} - {eps!r}"
    joined = " OR " if rules.responder.rule == "either" else " AND "
    return f"""CASE
      WHEN {b} IS NULL THEN {NO_DATA}
      WHEN {c} IS NULL OR {w} < {int(rules.data.min_weeks_for_verdict)} THEN {INSUFFICIENT}
      WHEN ({c} - {b}) >= {float(rules.worsening.points) - eps!r} THEN {WORSE}
      WHEN {b} <= 0 THEN {NOT_APPLICABLE}
      WHEN ({by_points}{joined}{by_percent}) THEN {RESPONDER}
      ELSE {BELOW} END"""


def _dropped_sql(now_ts: float) -> str:
    """analysis.dropped_out, on the stored plan and attendance, for the day `now_ts`."""
    weeks = int(outcome_rules().data.dropout_weeks) * 7 * 86400
    return f"""CASE
      WHEN completed < 1 OR plan_status = 'completed' OR (planned IS NOT NULL AND completed >= planned) THEN 0
      WHEN plan_status = 'cancelled' THEN 1
      WHEN (last_booked_ts IS NULL OR last_booked_ts <= {now_ts!r}) AND last_completed_ts IS NOT NULL
           AND {now_ts!r} - last_completed_ts >= {weeks} THEN 1
      ELSE 0 END"""


SUMS = (
    "clients",
    "evaluable",
    "insufficient",
    "no_data",
    "baseline_zero",
    "responders",
    "worse",
    "ch_n",
    "ch_sum",
    "ch_sq",
    "pc_n",
    "pc_sum",
    "pc_sq",
    "completed",
    "no_show",
    "started",
    "dropped",
    "noted",
    "noted_with_event",
    "signed_notes",
    "adverse_events",
)
_AGGREGATES = f"""COUNT(*),
  SUM(CASE WHEN st IN ({RESPONDER}, {BELOW}, {WORSE}) THEN 1 ELSE 0 END),
  SUM(CASE WHEN st = {INSUFFICIENT} THEN 1 ELSE 0 END),
  SUM(CASE WHEN st = {NO_DATA} THEN 1 ELSE 0 END),
  SUM(CASE WHEN st = {NOT_APPLICABLE} THEN 1 ELSE 0 END),
  SUM(CASE WHEN st = {RESPONDER} THEN 1 ELSE 0 END),
  SUM(CASE WHEN st = {WORSE} THEN 1 ELSE 0 END),
  COUNT(ch), SUM(ch), SUM(ch * ch), COUNT(pc), SUM(pc), SUM(pc * pc),
  SUM(completed), SUM(no_show),
  SUM(CASE WHEN completed > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN completed > 0 AND dropped = 1 THEN 1 ELSE 0 END),
  SUM(CASE WHEN signed_notes > 0 THEN 1 ELSE 0 END),
  SUM(CASE WHEN signed_notes > 0 AND adverse_events > 0 THEN 1 ELSE 0 END),
  SUM(signed_notes), SUM(adverse_events)"""
GROUPS = {
    "type": "type",
    "cause": "cause",
    "modality": "modality",
    "therapist": "CAST(therapist_id AS TEXT)",
    "sessions": "CAST(completed AS TEXT)",
}


def where_clause(clinic_id: int | None, filters: Any) -> tuple[str, list[Any]]:
    parts, params = [], []
    if clinic_id is not None:
        parts.append("clinic_id = %s")
        params.append(int(clinic_id))
    for name in ("type", "cause", "modality"):
        value = getattr(filters, name, "")
        if value:
            parts.append(f"{name} = %s")
            params.append(value)
    if getattr(filters, "therapist_id", None) is not None:
        parts.append("therapist_id = %s")
        params.append(int(filters.therapist_id))
    return " AND ".join(parts) or "1 = 1", params


def grouping_sql(source: str, where: str, measure: str, now_ts: float) -> str:
    """One statement: per dimension and group (and once for everybody), the counts and sums of stats.group_stats."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    b, c = f"{measure}_baseline", f"{measure}_current"
    base = f"""WITH s AS (
  SELECT type, cause, modality, therapist_id, completed, no_show, signed_notes, adverse_events, {b} AS b, {c} AS c,
         {_status_sql(measure)} AS st, {_dropped_sql(now_ts)} AS dropped
  FROM {source} WHERE {where}
), t AS (
  SELECT s.*,
         CASE WHEN st IN ({RESPONDER}, {BELOW}, {WORSE}, {NOT_APPLICABLE}) THEN c - b END AS ch,
         CASE WHEN st IN ({RESPONDER}, {BELOW}, {WORSE}) AND b <> 0 THEN (c - b) / b * 100 END AS pc
  FROM s
)
"""  # noqa: S608 - the table name and numbers from the rules only; filter values are parameters
    selects = [f"SELECT 'all', '', {_AGGREGATES} FROM t"]  # noqa: S608 - constants only
    for dimension, key in GROUPS.items():
        selects.append(f"SELECT '{dimension}', {key}, {_AGGREGATES} FROM t GROUP BY {key}")  # noqa: S608 - constants only
    return base + "\nUNION ALL\n".join(selects)


COLUMNS = (
    "type",
    "cause",
    "modality",
    "therapist_id",
    "plan_status",
    "planned",
    "completed",
    "no_show",
    "signed_notes",
    "adverse_events",
    "last_completed_ts",
    "last_booked_ts",
    *(f"{m}_{part}" for m in MEASURES for part in ("baseline", "current", "weeks")),
)


def _duckdb_group(clinic_id: int, filters: Any, measure: str, now_ts: float) -> list[tuple]:
    """The clinic's rows read out of the database into DuckDB, then the same grouping there."""
    import duckdb
    import pandas as pd

    where, params = where_clause(clinic_id, filters)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE {where}", params)  # noqa: S608 - constants
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS), coerce_float=True)
    for name in COLUMNS:
        if name not in ("type", "cause", "modality", "plan_status"):
            frame[name] = frame[name].astype("float64")
    con = duckdb.connect()
    try:
        con.register("summary_in", frame)
        return con.execute(grouping_sql("summary_in", "1 = 1", measure, now_ts)).fetchall()
    finally:
        con.close()


def group_sums(
    clinic_id: int, filters: Any, measure: str, *, now: dt.datetime, engine: str = DEFAULT_AGG_ENGINE
) -> dict[tuple[str, str | None], dict[str, float]]:
    """{(dimension, key): {name in SUMS: value}}; dimension "all" with key "" is everybody selected."""
    now_ts = now.timestamp()
    if engine == "duckdb":
        raw = _duckdb_group(clinic_id, filters, measure, now_ts)
    elif engine == "sql":
        where, params = where_clause(clinic_id, filters)
        with connection.cursor() as cursor:
            cursor.execute(grouping_sql(TABLE, where, measure, now_ts), params)
            raw = cursor.fetchall()
    else:
        raise ValueError(f"unknown engine {engine!r}")
    out = {}
    for dimension, key, *values in raw:
        if dimension == "therapist" and key is not None:
            key = str(int(float(key)))  # DuckDB reads ids as floats ("12.0")
        if dimension == "sessions" and key is not None:
            key = str(int(float(key)))
        out[(dimension, key)] = {name: float(v or 0) for name, v in zip(SUMS, values, strict=True)}
    return out


def eligible_for_model(clinic_id: int, filters: Any, measure: str) -> list[int]:
    """Clients with a baseline and at least one week after it (the model's input), in the selection."""
    where, params = where_clause(clinic_id, filters)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT client_id FROM {TABLE} WHERE {where} AND {measure}_baseline IS NOT NULL "  # noqa: S608 - constants
            f"AND {measure}_weeks >= 1 ORDER BY client_id",
            params,
        )
        return [int(r[0]) for r in cursor.fetchall()]


def version(clinic_id: int) -> tuple:
    """Changes whenever a row of the clinic is recomputed (for caching what is derived from the rows)."""
    agg = ClientOutcomeSummary.objects.filter(clinic_id=clinic_id).aggregate(
        n=Count("client_id"), t=Max("refreshed_at")
    )
    return (agg["n"], agg["t"].isoformat() if agg["t"] else None)


PLAN_STATUS_ORDER = {"active": 0, "completed": 1, "cancelled": 1, "proposed": 2}


def plans_that_count(plans: Any) -> dict[int, tuple]:
    """{client_id: (key, plan values)}: the plan a client's outcomes are grouped by — the active one, else
    the newest completed or cancelled, else the newest proposed. Shared by the cohort and the summary table."""
    best: dict[int, tuple] = {}
    for plan in plans.values(
        "id",
        "client_id",
        "status",
        "modality",
        "therapist_id",
        "course_weeks",
        "sessions_per_week",
        "created_at",
    ):
        key = (PLAN_STATUS_ORDER.get(plan["status"], 3), -plan["created_at"].timestamp(), -plan["id"])
        if plan["client_id"] not in best or key < best[plan["client_id"]][0]:
            best[plan["client_id"]] = (key, plan)
    return best
