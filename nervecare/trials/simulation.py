"""Simulated trials with a known effect: what the simulation tests and bench/trial_power.py run.

Each simulated trial draws its schedule at random among the admissible ones (as a real trial does), simulates
daily ratings with AR(1) day-to-day carry-over around a level that shifts by `effect` in the B phases, keeps
every `every`-th day and drops a share of them at random (a diary with gaps), rounds to the 0-10 scale, and
analyses them as a real trial would."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nervecare.core.lazy import lazy_module
from nervecare.trials.analysis import TrialSpec, randomisation_and_effect
from nervecare.trials.design import Schedule, admissible_schedules
from nervecare.trials.randomisation import randomisation_test, schedule_masks

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported on first use: a web worker that runs no trial maths skips it

# The analysis needs a start date; the simulation does not care which.
_START = dt.date(2026, 1, 5)


@dataclass(frozen=True)
class Scenario:
    weeks_total: int = 12
    phases: int = 4
    min_phase_weeks: int = 2
    every: int = 1
    effect: float = -2.0  # B - A, points (negative: B lowers the rating)
    sd: float = 1.5  # the day-to-day innovation SD
    phi: float = 0.3  # AR(1) carry-over
    missing: float = 0.1  # share of rating days without a rating
    level: float = 5.0
    alternative: str = "less"
    alpha: float = 0.05


def simulate_ratings(rng: np.random.Generator, s: Scenario, schedule: Schedule) -> np.ndarray:
    b = schedule.day_conditions().astype(float)
    e = np.empty(b.size)
    e[0] = rng.normal(0, s.sd / np.sqrt(1 - s.phi**2))
    shocks = rng.normal(0, s.sd, b.size)
    for t in range(1, b.size):
        e[t] = s.phi * e[t - 1] + shocks[t]
    y = np.clip(np.round(s.level + s.effect * b + e), 0, 10)
    keep = (np.arange(b.size) % s.every == 0) & (rng.random(b.size) >= s.missing)
    y[~keep] = np.nan
    return y


@dataclass
class Runs:
    p_values: np.ndarray
    estimates: np.ndarray
    covered: np.ndarray  # the AR(1) interval contains the true effect (NaN when not fitted)

    def rejection_rate(self, alpha: float) -> float:
        return float(np.mean(self.p_values <= alpha))


def run(s: Scenario, n: int, seed: int, *, with_regression: bool = False) -> Runs:
    """`n` simulated trials of the scenario; the regression (slow: ~50 ms a fit) only when asked."""
    rng = np.random.default_rng(seed)
    schedules = admissible_schedules(
        weeks_total=s.weeks_total, phases=s.phases, min_phase_weeks=s.min_phase_weeks, randomise_first=False
    )
    days = np.stack([sch.day_conditions() for sch in schedules])
    p = np.empty(n)
    est = np.full(n, np.nan)
    cov = np.full(n, np.nan)
    for i in range(n):
        index = int(rng.integers(len(schedules)))
        y = simulate_ratings(rng, s, schedules[index])
        observed = np.flatnonzero(~np.isnan(y))
        if with_regression:
            spec = TrialSpec(
                "sessions_vs_pause",
                "pain",
                _START,
                s.weeks_total,
                s.phases,
                s.min_phase_weeks,
                False,
                index,
                s.alternative,
                s.alpha,
            )
            test, effect = randomisation_and_effect(spec, y, schedules)
            if effect is not None and effect.low is not None and effect.high is not None:
                est[i] = effect.estimate
                cov[i] = float(effect.low <= s.effect <= effect.high)
        else:
            test = randomisation_test(y[observed], schedule_masks(days, observed), index, s.alternative)  # type: ignore[arg-type]
        p[i] = test.p_value
    return Runs(p, est, cov)
