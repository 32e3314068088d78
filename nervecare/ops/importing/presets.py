"""Shipped column presets (data: nervecare/ops/data/import_presets.yaml, each with its documentation's URL)
and the clinic's saved ones; suggesting a mapping for a file's header row."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from nervecare.ops.importing.fields import FIELDS

DATA = Path(__file__).resolve().parent.parent / "data" / "import_presets.yaml"


@cache
def shipped() -> dict[str, dict[str, dict[str, Any]]]:
    """{kind: {preset code: {label, source, verified, note, columns}}}."""
    with DATA.open(encoding="utf-8") as fh:
        data: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(fh)
    for kind, presets in data.items():
        known = {f.name for f in FIELDS[kind]}
        for code, preset in presets.items():
            unknown = set(preset["columns"]) - known
            if unknown:
                raise ValueError(f"preset {kind}/{code} names unknown fields {sorted(unknown)}")
            if not preset.get("source"):
                raise ValueError(f"preset {kind}/{code} has no source")
    return data


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lower())


def suggest(kind: str, headers: list[str], preset: str = "generic") -> dict[str, str]:
    """{field: header} for the headers a shipped preset knows, then by the field's own name or label."""
    by_norm = {_norm(h): h for h in headers if h.strip()}
    columns = shipped()[kind].get(preset, shipped()[kind]["generic"])["columns"]
    mapping: dict[str, str] = {}
    for field in FIELDS[kind]:
        candidates = [*columns.get(field.name, []), field.name, field.label]
        for candidate in candidates:
            found = by_norm.get(_norm(candidate))
            if found is not None and found not in mapping.values():
                mapping[field.name] = found
                break
    return mapping


def template_csv(kind: str) -> str:
    """The generic template's header row (and nothing else), for download."""
    return ",".join(shipped()[kind]["generic"]["columns"]) + "\r\n"
