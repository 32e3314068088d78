"""The file itself: decoding (UTF-8 or Windows-1252), its fingerprint, the CSV's header and rows (separator
sniffed, size capped), and the column mapping checked against the header."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from nervecare.core.errors import FieldErrors
from nervecare.ops.importing.fields import FIELDS
from nervecare.ops.importing.rows.values import DATE_FORMAT_LABELS, DATE_FORMATS

MAX_ROWS = 200_000


class ImportFileError(FieldErrors):
    """The file itself cannot be read (encoding, no header row, too many rows): 422 naming the file."""


# --- the file -----------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without the byte-order mark Excel writes), else Windows-1252, as exports come."""
    if b"\x00" in data[:4096]:
        raise ImportFileError({"file": "This is not a CSV text file (it holds binary data)."})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(text: str) -> tuple[list[str], list[list[str]]]:
    """The header row and the data rows. Comma, semicolon or tab separated (sniffed)."""
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(
            {"file": "The file is empty: it needs a header row and one row per record."}
        ) from None
    except csv.Error as exc:
        raise ImportFileError({"file": f"The file could not be read as CSV: {exc}."}) from None
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise ImportFileError({"file": "The first row must name the columns."})
    if len({h for h in headers if h}) != len([h for h in headers if h]):
        dupes = sorted({h for h in headers if h and headers.count(h) > 1})
        raise ImportFileError({"file": f"Two columns have the same name: {', '.join(dupes)}."})
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                rows.append([])  # keeps the row numbers; skipped below
                continue
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise ImportFileError({"file": f"The file has more than {MAX_ROWS:,} rows: split it."})
    except csv.Error as exc:
        raise ImportFileError({"file": f"Row {reader.line_num}: {exc}."}) from None
    if not any(rows):
        raise ImportFileError({"file": "The file has a header row but no records."})
    return headers, rows


def check_mapping(kind: str, headers: list[str], mapping: dict[str, str], date_format: str) -> dict[str, str]:
    """Errors in the mapping itself: unknown fields or columns, a required field left unmapped."""
    errors: dict[str, str] = {}
    known = {f.name: f for f in FIELDS[kind]}
    for name, column in mapping.items():
        if name not in known:
            errors[f"mapping.{name}"] = "is not a field NerveCare imports"
        elif column and column not in headers:
            errors[f"mapping.{name}"] = f"the file has no column called “{column}”"
    for f in FIELDS[kind]:
        if f.required and not mapping.get(f.name):
            errors[f"mapping.{f.name}"] = f"{f.label}: choose the column that holds it"
    if kind == "appointments" and not (mapping.get("client_external_id") or mapping.get("client_email")):
        errors["mapping.client_external_id"] = "Choose the column with the client's id or their email"
    if date_format not in DATE_FORMATS:
        errors["date_format"] = "Choose one of: " + ", ".join(DATE_FORMAT_LABELS.values())
    return errors
