"""The design of a single-client trial: the admissible schedules, the one drawn, and the days of each phase.

A schedule is an A-B-A-B (or A-B-A-B-A-B) sequence of phases of whole weeks, the phase lengths drawn at random
among every composition of the trial's weeks into that many phases of at least `min_phase_weeks` each, and,
when both conditions are treatments, which condition comes first. This is the random assignment of phase-change
moments of Onghena (1992) and the SCRT package's "ABAB" design (Bulté & Onghena 2008), with weeks as the unit
so a pause phase can be planned with the diary; the randomisation test (randomisation.py) uses exactly the set
of schedules the real one was drawn from.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nervecare.core.errors import FieldErrors
from nervecare.core.lazy import lazy_module
from nervecare.trials.rules import trial_rules

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported on first use: a web worker that runs no trial maths skips it


@dataclass(frozen=True)
class Schedule:
    """One admissible schedule: which condition comes first, and each phase's length in weeks."""

    first: str  # "A" or "B"
    weeks: tuple[int, ...]

    @property
    def labels(self) -> list[str]:
        other = "B" if self.first == "A" else "A"
        return [self.first if i % 2 == 0 else other for i in range(len(self.weeks))]

    def as_dict(self) -> dict[str, Any]:
        return {"first": self.first, "weeks": list(self.weeks)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        return cls(first=str(data["first"]), weeks=tuple(int(w) for w in data["weeks"]))

    def day_conditions(self) -> np.ndarray:
        """1 for a B day, 0 for an A day, one entry per day of the trial."""
        return np.concatenate(
            [
                np.full(7 * w, 1 if label == "B" else 0, dtype=np.int8)
                for w, label in zip(self.weeks, self.labels, strict=True)
            ]
        )

    def phases(self, start: dt.date) -> list[dict[str, Any]]:
        """Each phase with its condition and its first and last day."""
        out = []
        day = start
        for i, (w, label) in enumerate(zip(self.weeks, self.labels, strict=True)):
            end = day + dt.timedelta(days=7 * w - 1)
            out.append({"index": i + 1, "condition": label, "weeks": w, "start": day, "end": end})
            day = end + dt.timedelta(days=1)
        return out


def compositions(total: int, parts: int, minimum: int) -> list[tuple[int, ...]]:
    """Every way to write `total` as an ordered sum of `parts` whole numbers of at least `minimum`."""
    spare = total - parts * minimum
    if spare < 0:
        return []
    out = []
    # Stars and bars: choose where the parts - 1 bars go among the spare units.
    for bars in itertools.combinations(range(spare + parts - 1), parts - 1):
        edges = (-1, *bars, spare + parts - 1)
        out.append(tuple(minimum + edges[i + 1] - edges[i] - 1 for i in range(parts)))
    return out


def admissible_schedules(
    *, weeks_total: int, phases: int, min_phase_weeks: int, randomise_first: bool
) -> list[Schedule]:
    """The set the schedule is drawn from, in a fixed order (the randomisation test enumerates it)."""
    firsts = ("A", "B") if randomise_first else ("A",)
    return [
        Schedule(first=f, weeks=w) for f in firsts for w in compositions(weeks_total, phases, min_phase_weeks)
    ]


def validate_design(
    *, weeks_total: Any, phases: Any, min_phase_weeks: Any, rating_every_days: Any, randomise_first: bool
) -> list[Schedule]:
    """The admissible schedules of a design the rules allow; FieldErrors naming each field otherwise."""
    rules = trial_rules()["design"]
    errors: dict[str, str] = {}
    if phases not in rules["phases_allowed"]:
        errors["phases"] = "choose 4 (A-B-A-B) or 6 (A-B-A-B-A-B) phases"
    if (
        not isinstance(weeks_total, int)
        or not rules["weeks_total_min"] <= weeks_total <= rules["weeks_total_max"]
    ):
        errors["weeks_total"] = f"choose from {rules['weeks_total_min']} to {rules['weeks_total_max']} weeks"
    if not isinstance(min_phase_weeks, int) or not (
        rules["min_phase_weeks_min"] <= min_phase_weeks <= rules["min_phase_weeks_max"]
    ):
        errors["min_phase_weeks"] = (
            f"choose from {rules['min_phase_weeks_min']} to {rules['min_phase_weeks_max']} weeks"
        )
    if rating_every_days not in rules["rating_every_days"]:
        errors["rating_every_days"] = "choose every day (1) or every other day (2)"
    if errors:
        raise FieldErrors(errors)
    if 7 * min_phase_weeks // rating_every_days < rules["min_ratings_per_phase"]:
        raise FieldErrors(
            {
                "min_phase_weeks": f"a phase this short holds fewer than {rules['min_ratings_per_phase']} "
                "ratings: make phases longer or rate every day"
            }
        )
    if phases * min_phase_weeks > weeks_total:
        raise FieldErrors(
            {"weeks_total": f"{phases} phases of at least {min_phase_weeks} weeks need more weeks"}
        )
    schedules = admissible_schedules(
        weeks_total=weeks_total,
        phases=phases,
        min_phase_weeks=min_phase_weeks,
        randomise_first=randomise_first,
    )
    if len(schedules) < rules["min_admissible"]:
        raise FieldErrors(
            {
                "weeks_total": f"only {len(schedules)} possible schedules: the test needs at least "
                f"{rules['min_admissible']} to reach p = {rules['alpha']} (add weeks or shorten the minimum "
                "phase)"
            }
        )
    return schedules


def draw(schedules: list[Schedule]) -> int:
    """The index of the schedule used, drawn with the operating system's random source (not reproducible
    on purpose: nobody can choose the schedule; the draw is recorded with the trial)."""
    return secrets.randbelow(len(schedules))


def stability(ratings: list[float], days: list[int]) -> dict[str, Any]:
    """Is the baseline stable? Ratings and their day offsets over the window before the proposal.

    Returns the numbers, each rule's verdict and the reasons, for the therapist and the trial's record."""
    rules = trial_rules()["stability"]
    n = len(ratings)
    out: dict[str, Any] = {"n": n, "sd": None, "slope_per_week": None, "mean": None, "reasons": []}
    if n < rules["min_ratings"]:
        out["reasons"].append(
            f"only {n} diary ratings in the last {rules['baseline_days']} days (at least {rules['min_ratings']})"
        )
        out["stable"] = False
        return out
    y = np.asarray(ratings, dtype=float)
    x = np.asarray(days, dtype=float)
    out["mean"] = float(y.mean())
    out["sd"] = float(y.std(ddof=1))
    slope = float(np.polyfit(x, y, 1)[0]) * 7 if np.ptp(x) > 0 else 0.0
    out["slope_per_week"] = slope
    if out["sd"] > rules["max_sd"]:
        out["reasons"].append(f"the ratings vary too much (SD {out['sd']:.1f}, at most {rules['max_sd']})")
    if abs(slope) > rules["max_slope_per_week"]:
        way = "rising" if slope > 0 else "falling"
        out["reasons"].append(
            f"the ratings are {way} by {abs(slope):.1f} points a week (at most {rules['max_slope_per_week']})"
        )
    out["stable"] = not out["reasons"]
    return out
