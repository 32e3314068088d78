"""One client's outcomes: trajectories, immediate vs lasting effect, change from baseline with intervals,
trend, responder status, and the suggestion at each re-evaluation point of the plan.

Input is ClientData (selectors.py); output is plain data (dicts, dates, numbers) for the page, the API, the
CSV and the PDF. No cure is ever claimed: the words describe change in the client's own ratings only.

`labels` (words and number formatting), `measures` (one rating), `instruments` (screening totals, PGIC,
soreness), `attendance` (attendance, drop-out, adverse events) and `client` (the whole picture).
"""

from nervecare.outcomes.analysis.attendance import dropped_out
from nervecare.outcomes.analysis.client import (
    client_outcomes,
    client_outcomes_for_user,
    plain_summary,
    primary_measure,
)
from nervecare.outcomes.analysis.labels import CAVEAT, MEASURE_LABELS, fmt

__all__ = [
    "CAVEAT",
    "MEASURE_LABELS",
    "client_outcomes",
    "client_outcomes_for_user",
    "dropped_out",
    "fmt",
    "plain_summary",
    "primary_measure",
]
