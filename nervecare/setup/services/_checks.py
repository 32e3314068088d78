"""Checks the set-up's services share."""

from __future__ import annotations

import re
from typing import Any

_USERNAME = re.compile(r"^[\w.@+-]{3,150}$")


def _bounded(errors: dict[str, str], data: dict[str, Any], key: str, low: int, high: int, what: str) -> None:
    value = data.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[key] = f"{what} must be a whole number from {low:,} to {high:,}"
