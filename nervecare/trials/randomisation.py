"""The randomisation test for a single-case design (Edgington & Onghena 2007; Onghena 1992; Bulté & Onghena
2008, the SCRT package's `pvalue.random` with the statistic "B-A").

The schedule was drawn at random from a known set of admissible schedules. Under the null hypothesis the
client's ratings would have been the same whichever schedule had been drawn, so the statistic (mean of the B
ratings minus mean of the A ratings) is computed for every admissible schedule on the same ratings; the exact
p-value is the share of schedules whose statistic is at least as extreme as the one observed (the observed
schedule included). No normality and no independence of the ratings are assumed: the validity comes from the
random draw alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nervecare.core.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported on first use: a web worker that runs no trial maths skips it


Alternative = Literal["less", "greater", "two-sided"]

# Statistics that differ by less than this are ties (floating-point sums of the same numbers in another order).
TIE = 1e-9


@dataclass(frozen=True)
class RandomisationResult:
    statistic: float  # mean(B) - mean(A) of the schedule used
    p_value: float
    alternative: str
    n_schedules: int  # admissible schedules whose statistic could be computed (both conditions rated)
    n_as_extreme: int
    method: str = (
        "Randomisation test over the admissible schedules, statistic mean(B) - mean(A), exact enumeration "
        "(Edgington & Onghena 2007; Onghena 1992; Bulté & Onghena 2008)"
    )


def mean_differences(y: np.ndarray, b_masks: np.ndarray) -> np.ndarray:
    """mean(y[B]) - mean(y[A]) for each row of `b_masks` (True = a B observation); NaN where a row leaves
    either condition without an observation."""
    masks = np.asarray(b_masks, dtype=float)
    y = np.asarray(y, dtype=float)
    n_b = masks.sum(axis=1)
    n_a = y.size - n_b
    sum_b = masks @ y
    sum_a = y.sum() - sum_b
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sum_b / n_b - sum_a / n_a
    out[(n_b == 0) | (n_a == 0)] = np.nan
    return out


def randomisation_test(
    y: np.ndarray, b_masks: np.ndarray, observed: int, alternative: Alternative = "two-sided"
) -> RandomisationResult:
    """The exact randomisation test.

    `y`: the observed ratings (no missing values); `b_masks`: one row per admissible assignment, True where
    that assignment would have put the observation in condition B; `observed`: the row actually used.
    `alternative` "less": B lowers the rating (symptoms: lower is better); "greater"; "two-sided": |B - A|."""
    stats = mean_differences(y, b_masks)
    obs = float(stats[observed])
    if np.isnan(obs):
        raise ValueError("the schedule used has no observation in one condition")
    valid = stats[~np.isnan(stats)]
    if alternative == "less":
        extreme = valid <= obs + TIE
    elif alternative == "greater":
        extreme = valid >= obs - TIE
    else:
        extreme = np.abs(valid) >= abs(obs) - TIE
    return RandomisationResult(
        statistic=obs,
        p_value=float(extreme.sum() / valid.size),
        alternative=alternative,
        n_schedules=int(valid.size),
        n_as_extreme=int(extreme.sum()),
    )


def schedule_masks(day_conditions: np.ndarray, observed_days: np.ndarray) -> np.ndarray:
    """The B-masks of the observations (rated days) under each schedule: `day_conditions` has one row per
    schedule (1 = a B day), `observed_days` the day offsets that have a rating."""
    return np.asarray(day_conditions)[:, np.asarray(observed_days, dtype=int)] == 1
