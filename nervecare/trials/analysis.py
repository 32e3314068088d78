"""One trial's analysis: the phases and their ratings, the randomisation test, the effect with its interval,
and the result in plain words with its honest limits (SCRIBE 2016: design, randomisation, analysis, limits).

Pure computation on plain values (no database): selectors.py gathers the ratings, the pages and the API
render what this returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nervecare.core.lazy import lazy_module
from nervecare.trials.design import Schedule, admissible_schedules
from nervecare.trials.randomisation import RandomisationResult, randomisation_test, schedule_masks
from nervecare.trials.regression import Ar1Effect, ar1_effect
from nervecare.trials.rules import comparison, trial_rules

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported on first use: a web worker that runs no trial maths skips it

MEASURE_LABELS = {"pain": "pain", "numbness": "numbness", "tingling": "tingling"}

CAVEATS = [
    "This is one person's trial: it says whether the difference showed in this client's ratings during these "
    "weeks, not whether it would for anyone else.",
    "Not blinded: the client knew which weeks were which, so expectations can move the ratings (and the "
    "test cannot tell an expectation effect from a physical one).",
    "Something else that changed with the phases (season, medicines, activity) could explain a difference; "
    "the random schedule makes a coincidence unlikely, not impossible.",
    "The p-value comes from the random draw of the schedule alone (randomisation test); the interval assumes "
    "the ratings follow a line-plus-AR(1) model and is approximate with few weeks.",
]

CAVEATS_PLAIN = [
    "This was a test of one person: you. It tells us about your ratings during these weeks, not about other "
    "people.",
    "You knew which weeks were which. What we expect can change how we feel and rate, so part of any "
    "difference may come from that.",
    "Other things in your life could have changed at the same time. The random order makes a coincidence "
    "unlikely, but not impossible.",
]


@dataclass(frozen=True)
class TrialSpec:
    """What the analysis needs of a trial (from the model, or built directly in tests and the bench)."""

    comparison: str
    measure: str
    start: dt.date
    weeks_total: int
    phases: int
    min_phase_weeks: int
    randomise_first: bool
    schedule_index: int
    alternative: str
    alpha: float

    def schedules(self) -> list[Schedule]:
        return admissible_schedules(
            weeks_total=self.weeks_total,
            phases=self.phases,
            min_phase_weeks=self.min_phase_weeks,
            randomise_first=self.randomise_first,
        )

    @property
    def end(self) -> dt.date:
        """The last day of the trial."""
        return self.start + dt.timedelta(days=7 * self.weeks_total - 1)


def series(spec: TrialSpec, ratings: Mapping[dt.date, float]) -> np.ndarray:
    """One value per trial day (NaN for a day without a rating)."""
    y = np.full(7 * spec.weeks_total, np.nan)
    for day, value in ratings.items():
        i = (day - spec.start).days
        if 0 <= i < y.size and value is not None:
            y[i] = float(value)
    return y


def randomisation_and_effect(
    spec: TrialSpec, y_by_day: np.ndarray, schedules: list[Schedule] | None = None
) -> tuple[RandomisationResult, Ar1Effect | None]:
    """The randomisation test over every admissible schedule, and (with `effect`) the AR(1) effect."""
    schedules = schedules if schedules is not None else spec.schedules()
    days = np.stack([s.day_conditions() for s in schedules])
    observed = np.flatnonzero(~np.isnan(y_by_day))
    masks = schedule_masks(days, observed)
    test = randomisation_test(y_by_day[observed], masks, spec.schedule_index, spec.alternative)  # type: ignore[arg-type]
    return test, ar1_effect(y_by_day, days[spec.schedule_index])


def analyse(spec: TrialSpec, ratings: Mapping[dt.date, float], *, final: bool) -> dict[str, Any]:
    """The trial's phases with their ratings; with `final` (the whole planned schedule has run), the test,
    the effect and the result in words. Before that only the phases and their means: testing early and
    stopping when it looks good would inflate the error rate."""
    comp = comparison(spec.comparison)
    schedules = spec.schedules()
    schedule = schedules[spec.schedule_index]
    y = series(spec, ratings)
    phases = []
    for phase in schedule.phases(spec.start):
        lo = (phase["start"] - spec.start).days
        values = y[lo : lo + 7 * phase["weeks"]]
        values = values[~np.isnan(values)]
        phases.append(
            {
                **phase,
                "label": comp["a"] if phase["condition"] == "A" else comp["b"],
                "n": int(values.size),
                "mean": float(values.mean()) if values.size else None,
            }
        )
    by_condition: dict[str, Any] = {}
    b_days = schedule.day_conditions()
    for cond, flag in (("A", 0), ("B", 1)):
        values = y[(b_days == flag) & ~np.isnan(y)]
        by_condition[cond] = {
            "label": comp["a" if cond == "A" else "b"],
            "n": int(values.size),
            "mean": float(values.mean()) if values.size else None,
        }
    result: dict[str, Any] = {
        "comparison": spec.comparison,
        "conditions": {"A": comp["a"], "B": comp["b"]},
        "measure": spec.measure,
        "start": spec.start,
        "end": spec.end,
        "schedule": schedule.as_dict(),
        "n_schedules": len(schedules),
        "phases": phases,
        "by_condition": by_condition,
        "alternative": spec.alternative,
        "alpha": spec.alpha,
        "final": False,
        "test": None,
        "effect": None,
        "caveats": CAVEATS,
        "caveats_plain": CAVEATS_PLAIN,
        "sources": trial_rules()["sources"],
    }
    too_few = [p for p in phases if p["n"] < 3]
    if not final:
        return result
    if too_few:
        result["final"] = True
        result["not_analysable"] = (
            f"{len(too_few)} phase(s) have fewer than 3 ratings: the result cannot be read (at least 3, "
            "better 5, per phase)."
        )
        result["plain"] = (
            "There were too few diary ratings in some of the weeks to tell whether there was a difference."
        )
        return result
    test, effect = randomisation_and_effect(spec, y, schedules)
    result["final"] = True
    result["test"] = {
        "statistic": test.statistic,
        "p_value": test.p_value,
        "alternative": test.alternative,
        "n_schedules": test.n_schedules,
        "n_as_extreme": test.n_as_extreme,
        "significant": test.p_value <= spec.alpha,
        "method": test.method,
    }
    if effect is not None:
        result["effect"] = {
            "estimate": effect.estimate,
            "low": effect.low,
            "high": effect.high,
            "phi": effect.phi,
            "n": effect.n,
            "converged": effect.converged,
            "note": effect.note,
            "method": effect.method,
        }
    result["plain"] = plain_result(result, comp)
    result["summary"] = clinician_summary(result)
    return result


def _pts(x: float) -> str:
    return f"{abs(x):.1f} point{'' if round(abs(x), 1) == 1 else 's'}"


def plain_result(result: dict[str, Any], comp: dict[str, Any]) -> str:
    """The result for the client, in plain words (no p-values or Greek letters; the numbers rounded)."""
    measure = MEASURE_LABELS.get(result["measure"], result["measure"])
    test = result["test"]
    effect = result["effect"] or {}
    diff = test["statistic"]
    if abs(diff) < 0.05:
        size = f"Your {measure} rating was about the same in {comp['b_plain']} as in {comp['a_plain']}."
    else:
        way = "lower" if diff < 0 else "higher"
        size = f"Your {measure} rating was on average {_pts(diff)} {way} in {comp['b_plain']} than in {comp['a_plain']}"
        if effect.get("low") is not None:
            size += f" (allowing for chance, the true difference is likely between {_range(effect['low'], effect['high'])})."
        else:
            size += "."
    chance = (
        f"Out of {test['n_schedules']} possible orders of the weeks we could have drawn, "
        f"{test['n_as_extreme']} would have shown a difference at least this {'large' if test['alternative'] == 'two-sided' else 'favourable'} "
        "if the treatment made no difference."
    )
    if test["significant"]:
        verdict = "That is unlikely to be chance alone, so the difference probably is real for you during these weeks."
        if result["alternative"] == "less" and diff < 0 and abs(diff) < 2:
            verdict += " It is smaller than the 2 points that people usually notice as a clear change."
    else:
        verdict = (
            "That could easily be chance, so this trial cannot show a difference for you. That is not proof "
            "that there is none: a small difference may need a longer trial."
        )
    return f"{size} {chance} {verdict}"


def _range(low: float, high: float) -> str:
    def word(x: float) -> str:
        if abs(x) < 0.05:
            return "no difference"
        return f"{abs(x):.1f} {'lower' if x < 0 else 'higher'}"

    return f"{word(low)} and {word(high)}"


def clinician_summary(result: dict[str, Any]) -> str:
    """One line for the therapist: the statistic, p-value and interval with their methods named."""
    test = result["test"]
    effect = result["effect"] or {}
    line = (
        f"Mean difference B - A {test['statistic']:+.2f} points; randomisation test p = {test['p_value']:.3f} "
        f"({test['alternative']}, {test['n_as_extreme']}/{test['n_schedules']} schedules at least as extreme; "
        f"alpha {result['alpha']})"
    )
    if effect.get("low") is not None:
        line += (
            f"; AR(1) regression estimate {effect['estimate']:+.2f} (95% CI {effect['low']:+.2f} to "
            f"{effect['high']:+.2f}; phi {effect['phi']:.2f})"
        )
    return line + "."
