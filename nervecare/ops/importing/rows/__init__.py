"""Reading a CSV file and checking every row against the clinic: the dry run. Nothing here writes.

Each problem names the row as a spreadsheet shows it (the header is row 1), the file's column and the field in
the user's words. The same checks run again inside the import's transaction, so what the dry run passed is
what gets written, and a booking made in between is caught rather than double-booked.

`file` (reading the file and checking the mapping), `values` (one row's values), `result` (the dry run's
result), `clients` and `appointments` (each kind's checks)."""

from __future__ import annotations

from typing import Any

from nervecare.ops.importing.rows.appointments import check_appointments
from nervecare.ops.importing.rows.clients import check_clients
from nervecare.ops.importing.rows.file import ImportFileError, check_mapping, decode, read, sha256_of
from nervecare.ops.importing.rows.result import Checked, Problem
from nervecare.ops.importing.rows.values import DATE_FORMAT_LABELS

__all__ = [
    "DATE_FORMAT_LABELS",
    "Checked",
    "ImportFileError",
    "Problem",
    "check",
    "check_appointments",
    "check_clients",
    "check_mapping",
    "decode",
    "read",
    "sha256_of",
]


def check(kind: str, **kwargs: Any) -> Checked:
    return (check_clients if kind == "clients" else check_appointments)(**kwargs)
