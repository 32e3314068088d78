"""The trial consent text (data/trial_consent.yaml), filled in for one trial."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from nervecare.trials.models import Trial
from nervecare.trials.rules import comparison

PATH = Path(__file__).parent / "data" / "trial_consent.yaml"


@cache
def _raw() -> dict[str, Any]:
    return yaml.safe_load(PATH.read_text(encoding="utf-8"))


def consent_text(trial: Trial) -> dict[str, str]:
    """{"version", "title", "body"}: the words the client agrees to, for this trial."""
    raw = _raw()
    comp = comparison(trial.comparison)
    body = raw["body"].format(
        a=comp["a"].lower(),
        b=comp["b"].lower(),
        weeks=trial.weeks_total,
        start=f"{trial.start_date:%A %-d %B %Y}",
        phases=trial.phases,
        measure=trial.get_measure_display().lower(),
        every="every day" if trial.rating_every_days == 1 else "every other day",
        pause_words=raw["pause_words"] if comp["pause"] else "",
    )
    return {"version": str(raw["version"]), "title": raw["title"], "body": body}
