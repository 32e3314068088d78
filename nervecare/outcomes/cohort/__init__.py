"""The clinic's outcomes: every client's baseline and "now" in bulk, responder rates with Wilson intervals,
mean changes with t intervals, attendance, drop-out and adverse events beside them, by neuropathy type,
cause, modality, therapist and sessions attended; and a mixed-effects model of ratings over weeks.

The per-client numbers follow series.py exactly (a test compares them client by client). Two engines
compute them, chosen by measuring (bench/outcomes_bench.py):
- "sql": the whole computation runs in the database (SQLite or PostgreSQL window functions);
- "duckdb": the observations are read out of the database and the same SQL runs in DuckDB (in memory).

`clients` (each client's attributes for grouping), `groups` (group statistics and the filters) and `clinic`
(the comparison over the summary table, and the mixed-effects model)."""

from nervecare.outcomes.cohort.clients import ClientRow, client_rows
from nervecare.outcomes.cohort.clinic import (
    OBSERVATIONAL_NOTE,
    clinic_mixed_model,
    clinic_outcomes,
)
from nervecare.outcomes.cohort.groups import (
    DIMENSIONS,
    CohortFilters,
    clinic_outcomes_from_scratch,
    group_from_sums,
    group_stats,
)

__all__ = [
    "DIMENSIONS",
    "OBSERVATIONAL_NOTE",
    "ClientRow",
    "CohortFilters",
    "client_rows",
    "clinic_mixed_model",
    "clinic_outcomes",
    "clinic_outcomes_from_scratch",
    "group_from_sums",
    "group_stats",
]
