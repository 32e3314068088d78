"""The trial rules (data/trial_rules.yaml): stability, design limits and the comparisons, with their sources."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES_PATH = Path(__file__).parent / "data" / "trial_rules.yaml"


@cache
def trial_rules() -> dict[str, Any]:
    """The rules file as read (cached: it is data shipped with the code)."""
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


def comparison(code: str) -> dict[str, Any]:
    """One comparison's labels, which phase is a pause (if any) and the test's direction."""
    return trial_rules()["comparisons"][code]


def comparison_choices() -> list[tuple[str, str]]:
    return [(code, f"{c['b']} vs {c['a']}") for code, c in trial_rules()["comparisons"].items()]
