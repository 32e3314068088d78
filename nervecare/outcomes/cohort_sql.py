"""The per-client numbers of the outcome engine, computed in bulk from the raw observations (ratings,
session notes and their amendments): every client's baseline and "now" per measure, and the weekly series
for the mixed-effects model. Both the clinic's cohort page (cohort.py) and the per-client summary table
(summary.py) read them, so this sits below both.

The numbers follow series.py exactly (a test compares them client by client). Two engines compute them,
chosen by measuring (bench/outcomes_bench.py):
- "sql": the whole computation runs in the database (SQLite or PostgreSQL window functions);
- "duckdb": the observations are read out of the database and the same SQL runs in DuckDB (in memory).
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection

from nervecare.clients.models import Client, Condition
from nervecare.core.lazy import lazy_module
from nervecare.outcomes.rules import outcome_rules
from nervecare.outcomes.series import MEASURES, WEEK_OFFSET_SECONDS, WEEK_SECONDS, epoch_seconds
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import InstrumentResponse
from nervecare.visits.models import NoteAmendment, SessionNote

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

ENGINES = ("sql", "duckdb")
DEFAULT_ENGINE = "duckdb"  # chosen by measurement: see bench/README.md
MEASURE_CODES = {m: i for i, m in enumerate(MEASURES)}


# --- SQL ------------------------------------------------------------------------------------------------------


def _epoch(column: str, dialect: str) -> str:
    """Whole seconds since the epoch (floored, as series.epoch_seconds): exact integer arithmetic everywhere."""
    if dialect == "sqlite":
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


def _week(dialect: str) -> str:
    """Course week of r.ts with course start r.t0: whole seconds, r.ts >= r.t0, so integer division floors."""
    span = f"(r.ts - r.t0 + {WEEK_OFFSET_SECONDS})"
    if dialect == "duckdb":
        return f"({span} // {WEEK_SECONDS} + 1)"  # DuckDB's "/" is float division
    return f"({span} / {WEEK_SECONDS} + 1)"


def _real(dialect: str) -> str:
    return "REAL" if dialect == "sqlite" else "DOUBLE PRECISION"


def _ids(values: list[int]) -> str:
    return ",".join(str(int(v)) for v in values) or "NULL"


@dataclass
class Overrides:
    """Ratings corrected by amendments to signed notes: the SQL reads these instead of the signed values."""

    note_ids: list[int] = field(default_factory=list)
    rows: list[tuple[int, int, float, float, int]] = field(
        default_factory=list
    )  # client, measure, ts, value, note


def amendment_overrides(clinic_id: int, client_ids: list[int] | None = None) -> Overrides:
    qs = NoteAmendment.objects.filter(note__client__clinic_id=clinic_id, note__signed_at__isnull=False)
    if client_ids is not None:
        qs = qs.filter(note__client_id__in=client_ids)
    amended = defaultdict(dict)
    for note_id, changes in qs.order_by("created_at", "id").values_list("note_id", "changes"):
        for name, (_old, new) in (changes or {}).items():
            if name.endswith("_before") and name.removesuffix("_before") in MEASURE_CODES:
                amended[note_id][name] = new
    if not amended:
        return Overrides()
    out = Overrides(note_ids=sorted(amended))
    notes = SessionNote.objects.filter(pk__in=out.note_ids).select_related("appointment")
    for note in notes:
        for m, code in MEASURE_CODES.items():
            field_name = f"{m}_before"
            value = amended[note.id].get(field_name, getattr(note, field_name))
            if value is not None and value != "":
                out.rows.append(
                    (note.client_id, code, epoch_seconds(note.appointment.starts_at), float(value), note.id)
                )
    return out


def observations_sql(dialect: str, clinic_id: int, overrides: Overrides, client_ids: list[int] | None) -> str:
    """The CTEs `sessions` (signed notes, read once) and `obs` (client_id, measure, ts, value, prio, kind_rank,
    oid): every 0-10 rating of the clinic, plus each client's first signed session as measure -1."""
    real = _real(dialect)
    clients = f"c.clinic_id = {int(clinic_id)}"
    if client_ids is not None:
        clients += f" AND c.id IN ({_ids(client_ids)})"
    r, k, n, a, cl = (
        InstrumentResponse._meta.db_table,
        Condition._meta.db_table,
        SessionNote._meta.db_table,
        Appointment._meta.db_table,
        Client._meta.db_table,
    )
    skip = f"s.id NOT IN ({_ids(overrides.note_ids)})" if overrides.note_ids else "1 = 1"
    parts = [
        f"""SELECT r.client_id, CASE r.instrument WHEN 'nrs_pain' THEN 0 WHEN 'nrs_numbness' THEN 1 ELSE 2 END,
            {_epoch("r.administered_at", dialect)}, CAST(r.total AS {real}),
            CASE WHEN r.context = 'intake' THEN 1 ELSE 3 END, 0, r.id
            FROM {r} r JOIN {cl} c ON c.id = r.client_id
            WHERE {clients} AND r.instrument IN ('nrs_pain', 'nrs_numbness', 'nrs_tingling')"""  # noqa: S608 - only ints, floats and constants are interpolated
    ]
    for m, code in MEASURE_CODES.items():
        parts.append(
            f"""SELECT k.client_id, {code}, {_epoch("k.created_at", dialect)}, CAST(k.{m} AS {real}), 2, 0, k.id
            FROM {k} k JOIN {cl} c ON c.id = k.client_id WHERE {clients} AND k.{m} IS NOT NULL"""  # noqa: S608 - only ints, floats and constants are interpolated
        )
    # The notes are read once and unpivoted (one row per rating), rather than joined once per rating.
    parts.append(
        f"""SELECT client_id, code, ts, value, 3, 1, id FROM (
              SELECT s.client_id, m.code, s.ts, s.id,
                     CASE m.code WHEN 0 THEN s.pain WHEN 1 THEN s.numbness ELSE s.tingling END AS value
              FROM sessions s CROSS JOIN (SELECT 0 AS code UNION ALL SELECT 1 UNION ALL SELECT 2) m
              WHERE {skip}
            ) AS unpivoted WHERE value IS NOT NULL"""  # noqa: S608 - only ints, floats and constants are interpolated
    )
    parts.append(
        f"SELECT client_id, -1, MIN(ts), CAST(0 AS {real}), 9, 9, 0 FROM sessions GROUP BY client_id"  # noqa: S608 - constants only
    )
    if overrides.rows:
        wanted = set(client_ids) if client_ids is not None else None
        for client_id, code, ts, value, note_id in overrides.rows:
            if wanted is None or client_id in wanted:
                parts.append(
                    f"SELECT {int(client_id)}, {int(code)}, {int(ts)}, "
                    f"CAST({float(value)!r} AS {real}), 3, 1, {int(note_id)}"
                )
    sessions = f"""SELECT n.id, n.client_id, {_epoch("a.starts_at", dialect)} AS ts,
            CAST(n.pain_before AS {real}) AS pain, CAST(n.numbness_before AS {real}) AS numbness,
            CAST(n.tingling_before AS {real}) AS tingling
        FROM {n} n JOIN {a} a ON a.id = n.appointment_id JOIN {cl} c ON c.id = n.client_id
        WHERE {clients} AND n.signed_at IS NOT NULL"""  # noqa: S608 - only ints, floats and constants are interpolated
    union = "\nUNION ALL\n".join(parts)
    return (
        f"WITH sessions AS MATERIALIZED ({sessions}),\n"
        f"obs (client_id, measure, ts, value, prio, kind_rank, oid) AS ({union})"
    )


def _series_ctes(dialect: str, window: int) -> str:
    """The CTEs after `obs`: baseline, course start, weekly values, "now" (series.py).

    Window functions and GROUP BY only, no joins: SQLite would run a join of two derived tables as a nested
    loop (clients x observations)."""
    week = _week(dialect)
    return f""",
ranked AS MATERIALIZED (
  SELECT client_id, measure, ts, value, prio,
         ROW_NUMBER() OVER (PARTITION BY client_id, measure ORDER BY prio, ts, kind_rank, oid) AS rn
  FROM obs
),
timed AS (
  SELECT client_id, measure, ts, value, prio, rn,
         COALESCE(
           MIN(CASE WHEN measure = -1 THEN ts END) OVER (PARTITION BY client_id),
           MIN(CASE WHEN measure >= 0 AND rn = 1 THEN ts END) OVER (PARTITION BY client_id)
         ) AS t0
  FROM ranked
),
fu AS (
  SELECT r.client_id, r.measure, {week} AS week, r.value
  FROM timed r
  WHERE r.measure >= 0 AND r.rn > 1 AND r.prio <> 2 AND r.ts >= r.t0
),
weekly AS MATERIALIZED (SELECT client_id, measure, week, AVG(value) AS v FROM fu GROUP BY client_id, measure, week),
wr AS (
  SELECT client_id, measure, week, v,
         ROW_NUMBER() OVER (PARTITION BY client_id, measure ORDER BY week DESC) AS k,
         COUNT(*) OVER (PARTITION BY client_id, measure) AS n_weeks
  FROM weekly
),
cur AS (
  SELECT client_id, measure, AVG(v) AS cur, MAX(n_weeks) AS n_weeks, MAX(week) AS last_week
  FROM wr WHERE k <= {int(window)} GROUP BY client_id, measure
)"""  # noqa: S608 - only ints, floats and constants are interpolated


SUMMARY_SELECT = """
SELECT client_id, measure, MAX(bval), MAX(cur), MAX(n_weeks), MAX(last_week) FROM (
  SELECT client_id, measure, value AS bval, NULL AS cur, 0 AS n_weeks, NULL AS last_week
  FROM ranked WHERE rn = 1 AND measure >= 0
  UNION ALL
  SELECT client_id, measure, NULL, cur, n_weeks, last_week FROM cur
) AS merged GROUP BY client_id, measure"""


def weekly_select(measure_code: int) -> str:
    return f"""
SELECT client_id, 0 AS week, value AS v FROM ranked WHERE rn = 1 AND measure = {int(measure_code)}
UNION ALL
SELECT client_id, week, v FROM weekly WHERE measure = {int(measure_code)}"""  # noqa: S608 - only ints, floats and constants are interpolated


def _run_db(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _dialect() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


OBS_COLUMNS = ("client_id", "measure", "ts", "value", "prio", "kind_rank", "oid")


def _duckdb_load_fetch(con: Any, sql: str) -> None:
    """Rows through the DB-API into numpy columns, registered in DuckDB (SQLite)."""
    rows = _run_db(sql)
    # One C-level conversion (every column fits a float64 exactly: ids, seconds, ratings), then typed columns.
    table = np.array(rows, dtype=np.float64).reshape(-1, 7)
    obs = {
        name: table[:, i] if name == "value" else table[:, i].astype(np.int64)
        for i, name in enumerate(OBS_COLUMNS)
    }
    con.register("obs_in", obs)


def _duckdb_load_copy(con: Any, sql: str) -> None:
    """PostgreSQL streams the rows with COPY (CSV) into a temporary file that DuckDB reads in parallel: several
    times faster than fetching millions of rows through Python."""
    connection.ensure_connection()
    types = ", ".join(f"'{c}': '{'DOUBLE' if c == 'value' else 'BIGINT'}'" for c in OBS_COLUMNS)
    with tempfile.TemporaryDirectory(prefix="nervecare-outcomes-") as folder:
        path = Path(folder) / "obs.csv"
        with (
            path.open("wb") as fh,
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy,
        ):
            for chunk in copy:
                fh.write(chunk)
        if path.stat().st_size == 0:  # nothing to read (DuckDB cannot sniff an empty file)
            con.register(
                "obs_in",
                {c: np.zeros(0, dtype=np.float64 if c == "value" else np.int64) for c in OBS_COLUMNS},
            )
            return
        read = f"read_csv('{path}', header = false, delim = ',', columns = {{{types}}})"
        con.execute("CREATE TABLE obs_in AS SELECT * FROM " + read)  # noqa: S608 - a path we made, fixed types


def _duckdb_run(
    clinic_id: int, overrides: Overrides, client_ids: list[int] | None, select: str, window: int
) -> list[tuple]:
    import duckdb

    extract = observations_sql(_dialect(), clinic_id, overrides, client_ids) + "\nSELECT * FROM obs"
    con = duckdb.connect()
    try:
        if connection.vendor == "postgresql":
            _duckdb_load_copy(con, extract)
        else:
            _duckdb_load_fetch(con, extract)
        head = "WITH obs AS (SELECT * FROM obs_in)"
        return con.execute(head + _series_ctes("duckdb", window) + select).fetchall()
    finally:
        con.close()


def _run(engine: str, clinic_id: int, client_ids: list[int] | None, select: str) -> list[tuple]:
    window = outcome_rules().data.current_window_weeks
    overrides = amendment_overrides(clinic_id, client_ids)
    if engine == "duckdb":
        return _duckdb_run(clinic_id, overrides, client_ids, select, window)
    if engine != "sql":
        raise ValueError(f"unknown engine {engine!r}")
    dialect = _dialect()
    return _run_db(
        observations_sql(dialect, clinic_id, overrides, client_ids) + _series_ctes(dialect, window) + select
    )


def client_summaries(
    clinic_id: int, *, engine: str = DEFAULT_ENGINE, client_ids: list[int] | None = None
) -> dict[tuple[int, str], tuple[float, float | None, int, int | None]]:
    """{(client id, measure): (baseline, now, weeks with a value, last week)} for the clinic's clients."""
    rows = _run(engine, clinic_id, client_ids, SUMMARY_SELECT)
    return {
        (int(c), MEASURES[int(m)]): (
            float(b),
            None if cur is None else float(cur),
            int(n),
            None if lw is None else int(lw),
        )
        for c, m, b, cur, n, lw in rows
    }


def weekly_rows(
    clinic_id: int, measure: str, *, engine: str = DEFAULT_ENGINE, client_ids: list[int] | None = None
) -> list[tuple[int, int, float]]:
    """(client id, week, value) with the baseline as week 0, for the mixed-effects model."""
    rows = _run(engine, clinic_id, client_ids, weekly_select(MEASURE_CODES[measure]))
    return [(int(c), int(w), float(v)) for c, w, v in rows]
