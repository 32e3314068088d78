"""Statistics for outcomes, on plain numbers (no Django): means and changes with t intervals, trends with
OLS, proportions with Wilson intervals, responder classification.

Every function returns an Estimate that carries its own explanation when an interval cannot be given
(too few values, values that do not vary), so the pages never show a made-up interval or divide by zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from nervecare.core.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
    from scipy import special
else:
    np = lazy_module("numpy")
    special = lazy_module("scipy.special")


CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A number with its interval (low, high) when one can be given, and why not when it cannot."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    method: str = ""
    note: str = ""  # why there is no value or no interval

    @property
    def has_ci(self) -> bool:
        return self.low is not None and self.high is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def t_interval(confidence: float, df: int, loc: float, scale: float) -> tuple[float, float]:
    """SciPy's `stats.t.interval(confidence, df, loc=loc, scale=scale)` for scale > 0: the same quantile
    function (special.stdtrit) and the same arithmetic in the same order, so the very same floats, without
    the distribution machinery's per-call argument handling (most of the time of a client's outcomes)."""
    q1 = (1.0 - confidence) / 2
    q2 = (1.0 + confidence) / 2
    return float(special.stdtrit(df, q1) * scale + loc), float(special.stdtrit(df, q2) * scale + loc)


def t_quantile(q: float, df: int) -> float:
    """SciPy's `stats.t.ppf(q, df)` (the same function underneath, the same float)."""
    return float(special.stdtrit(df, q))


def paired_t_interval(diff: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """SciPy's `stats.ttest_rel(a, b).confidence_interval(confidence)` for diff = a - b (finite, n >= 2,
    varying): its steps in its order (mean, mean squared deviation times n / (n - 1), standard error, the
    two t quantiles), so the very same floats, without the array-API and NaN-policy wrappers."""
    n = diff.shape[0]
    mean = np.mean(diff, axis=0)
    var = np.mean((diff - np.mean(diff, axis=0, keepdims=True)) ** 2, axis=0)
    nf = np.asarray(n, dtype=diff.dtype)
    var *= nf / (nf - 1)
    denom = np.sqrt(var / n)
    tail = (1 - np.asarray(confidence, dtype=diff.dtype)) / 2
    ci = special.stdtrit(n - 1, np.stack((tail, 1 - tail)))
    return float(ci[0] * denom + mean), float(ci[1] * denom + mean)


def linear_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """SciPy's `stats.linregress(x, y)` (two-sided) for finite x and y of n >= 2 values, x varying: (slope,
    intercept, p value, standard error of the slope). Its steps in its order (np.cov, the clamped r, the t
    statistic and its p value), so the very same floats, without the array-API and NaN-policy wrappers."""
    tiny = 1.0e-20
    n = len(x)
    xmean = np.mean(x, None)
    ymean = np.mean(y, None)
    ssxm, ssxym, _, ssym = np.cov(x, y, bias=1).flat
    if ssxm == 0.0 or ssym == 0.0:
        r = np.asarray(np.nan if ssxym == 0 else 0.0)[()]
    else:
        r = ssxym / np.sqrt(ssxm * ssym)
        if r > 1.0:
            r = 1.0
        elif r < -1.0:
            r = -1.0
    slope = ssxym / ssxm
    intercept = ymean - slope * xmean
    if n == 2:
        return float(slope), float(intercept), 1.0 if y[0] == y[1] else 0.0, 0.0
    df = n - 2
    t = r * np.sqrt(df / ((1.0 - r + tiny) * (1.0 + r + tiny)))
    prob = 2 * special.stdtr(df, -np.abs(t))
    slope_stderr = np.sqrt((1 - r**2) * ssym / ssxm / df)
    return float(slope), float(intercept), float(prob), float(slope_stderr)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Estimate:
    """Mean with a one-sample t interval (SciPy). One value: no interval; identical values: no interval."""
    arr = _clean(values)
    n = int(arr.size)
    if n == 0:
        return Estimate(None, n=0, method="mean", note="No values.")
    mean = float(arr.mean())
    if n == 1:
        return Estimate(mean, n=1, method="mean", note="Only one value: no interval can be given.")
    sd = float(arr.std(ddof=1))
    if sd == 0.0:
        return Estimate(
            mean,
            n=n,
            method="mean",
            note="All values are the same (no variation), so no interval can be given.",
        )
    sem = sd / math.sqrt(n)
    low, high = t_interval(confidence, n - 1, mean, sem)
    return Estimate(mean, float(low), float(high), n=n, method="one-sample t")


def change_from_baseline(baseline: float, values: Sequence[float] | np.ndarray) -> Estimate:
    """Mean of (value - baseline) with a one-sample t interval.

    The baseline is one rating, so the interval reflects how the ratings after it vary, not uncertainty in
    the baseline itself."""
    arr = _clean(values)
    est = mean_ci(arr - baseline)
    return Estimate(est.value, est.low, est.high, est.n, "one-sample t against the baseline", est.note)


def paired_change(before: Sequence[float], after: Sequence[float]) -> Estimate:
    """Mean of (after - before) over pairs with both values, with a paired t interval (SciPy)."""
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = int(a.size)
    if n == 0:
        return Estimate(
            None, n=0, method="paired t", note="No session has both a before and an after rating."
        )
    diff = a - b
    mean = float(diff.mean())
    if n == 1:
        return Estimate(mean, n=1, method="paired t", note="Only one session: no interval can be given.")
    if float(diff.std(ddof=1)) == 0.0:
        return Estimate(
            mean,
            n=n,
            method="paired t",
            note="The change was the same in every session (no variation), so no interval can be given.",
        )
    low, high = paired_t_interval(diff)
    return Estimate(mean, low, high, n=n, method="paired t")


@dataclass(frozen=True)
class Trend:
    slope: Estimate  # points per week
    intercept: float | None
    p_value: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"slope": self.slope.as_dict(), "intercept": self.intercept, "p_value": self.p_value}


def ols_trend(weeks: Sequence[float], values: Sequence[float]) -> Trend:
    """Least-squares slope (points per week) with a t interval on n - 2 degrees of freedom."""
    x = np.asarray(weeks, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 2:
        return Trend(Estimate(None, n=n, method="OLS", note="Fewer than two points: no trend."), None, None)
    if float(np.ptp(x)) == 0.0:
        return Trend(
            Estimate(None, n=n, method="OLS", note="All ratings are from the same week: no trend yet."),
            None,
            None,
        )
    if float(np.ptp(y)) == 0.0:
        return Trend(
            Estimate(
                0.0,
                n=n,
                method="OLS",
                note="The ratings did not change at all (no variation), so no interval can be given.",
            ),
            float(y[0]),
            None,
        )
    slope, intercept, p_value, stderr = linear_fit(x, y)
    if n < 3:
        return Trend(
            Estimate(slope, n=n, method="OLS", note="Only two points: a line fits exactly; no interval."),
            intercept,
            None,
        )
    half = t_quantile(0.5 + CONFIDENCE / 2, n - 2) * stderr
    return Trend(Estimate(slope, slope - half, slope + half, n=n, method="OLS"), intercept, p_value)


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> Estimate:
    """A proportion with its Wilson score interval (statsmodels)."""
    if n <= 0:
        return Estimate(None, n=0, method="Wilson", note="No clients to count.")
    # Imported here: statsmodels brings pandas and scipy.stats, ~100 MiB every worker would otherwise carry
    # from start-up whether or not it ever computes a proportion (issue 20).
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return Estimate(successes / n, float(low), float(high), n=n, method="Wilson")


def mean_ci_from_sums(n: int, total: float, squares: float, confidence: float = CONFIDENCE) -> Estimate:
    """mean_ci from the count, sum and sum of squares of the values (grouped in a database): the same
    estimate, interval and notes. A spread below 1e-12 of the values' scale counts as none (rounding)."""
    n = int(n)
    if n == 0:
        return Estimate(None, n=0, method="mean", note="No values.")
    mean = total / n
    if n == 1:
        return Estimate(mean, n=1, method="mean", note="Only one value: no interval can be given.")
    variance = (squares - total * total / n) / (n - 1)
    if variance <= 1e-12 * max(1.0, squares / n):
        return Estimate(
            mean,
            n=n,
            method="mean",
            note="All values are the same (no variation), so no interval can be given.",
        )
    low, high = t_interval(confidence, n - 1, mean, math.sqrt(variance) / math.sqrt(n))
    return Estimate(mean, float(low), float(high), n=n, method="one-sample t")


def summary_ci(n: int, mean: float, sd: float, confidence: float = CONFIDENCE) -> Estimate:
    """A t interval from summary numbers (n, mean, SD), for groups aggregated elsewhere."""
    if n <= 0:
        return Estimate(None, n=0, method="mean", note="No values.")
    if n == 1:
        return Estimate(mean, n=1, method="mean", note="Only one value: no interval can be given.")
    if not math.isfinite(sd) or sd <= 1e-12:
        return Estimate(
            mean, n=n, method="mean", note="All values are the same, so no interval can be given."
        )
    low, high = t_interval(confidence, n - 1, mean, sd / math.sqrt(n))
    return Estimate(mean, float(low), float(high), n=n, method="one-sample t")


# --- Responder classification (shared by one client's page and the clinic's cohort) -------------------------

NO_DATA = "no_data"
INSUFFICIENT = "insufficient"
NOT_APPLICABLE = "not_applicable"
RESPONDER = "responder"
WORSE = "worse"
BELOW_THRESHOLD = "below_threshold"

STATUS_LABELS = {
    NO_DATA: "No rating yet",
    INSUFFICIENT: "Not enough data yet",
    NOT_APPLICABLE: "Not applicable (baseline 0)",
    RESPONDER: "Clinically important improvement",
    WORSE: "Worse than at intake",
    BELOW_THRESHOLD: "Change below the clinically important threshold",
}

_EPS = 1e-9


def classify(
    baseline: float | None,
    current: float | None,
    n_weeks: int,
    *,
    points: float,
    percent: float,
    worse_points: float,
    min_weeks: int,
    rule: str = "either",
) -> str:
    """Responder status of one 0-10 rating, by the thresholds in outcome_rules.yaml.

    current is the mean of the latest weekly values after baseline; n_weeks how many weeks have a value."""
    if baseline is None:
        return NO_DATA
    if current is None or n_weeks < min_weeks:
        return INSUFFICIENT
    reduction = baseline - current
    if -reduction >= worse_points - _EPS:
        return WORSE
    if baseline <= 0:
        return NOT_APPLICABLE
    by_points = reduction >= points - _EPS
    by_percent = reduction * 100 >= percent * baseline - _EPS
    if (by_points or by_percent) if rule == "either" else (by_points and by_percent):
        return RESPONDER
    return BELOW_THRESHOLD


def classify_arrays(
    baseline: np.ndarray,
    current: np.ndarray,
    n_weeks: np.ndarray,
    *,
    points: float,
    percent: float,
    worse_points: float,
    min_weeks: int,
    rule: str = "either",
) -> np.ndarray:
    """classify() over many clients at once (NaN = missing); returns an array of status strings."""
    baseline = np.asarray(baseline, dtype=float)
    current = np.asarray(current, dtype=float)
    n_weeks = np.asarray(n_weeks, dtype=float)
    out = np.full(baseline.shape, BELOW_THRESHOLD, dtype=object)
    reduction = baseline - current
    by_points = reduction >= points - _EPS
    by_percent = reduction * 100 >= percent * baseline - _EPS
    responder = (by_points | by_percent) if rule == "either" else (by_points & by_percent)
    with np.errstate(invalid="ignore"):
        out[responder] = RESPONDER
        out[baseline <= 0] = NOT_APPLICABLE
        out[-reduction >= worse_points - _EPS] = WORSE
    out[np.isnan(current) | (n_weeks < min_weeks)] = INSUFFICIENT
    out[np.isnan(baseline)] = NO_DATA
    return out


def percent_change(baseline: float | None, value: float | None) -> float | None:
    """(value - baseline) / baseline in percent; None when the baseline is 0 or missing (undefined)."""
    if baseline is None or value is None or baseline == 0:
        return None
    return (value - baseline) / baseline * 100.0
