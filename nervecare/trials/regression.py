"""The effect with its uncertainty: regression of the daily rating on the condition with AR(1) errors.

    rating_t = b0 + b1 * [day t is in a B phase] + e_t,   e_t = phi * e_(t-1) + u_t,   u_t ~ N(0, sigma^2)

b1 is the mean difference B - A allowing for the day-to-day carry-over of a symptom rating (autocorrelation),
which an ordinary t interval would ignore and so be too narrow. This is the level-change part of the
piecewise regression for single-case designs (Huitema & McKean 2000), fitted by exact Gaussian maximum
likelihood in state-space form (statsmodels' ARIMA with the condition as an exogenous regressor: Box &
Jenkins' transfer-function / interrupted time-series model), so days without a rating (every-other-day
ratings, gaps) are simply missing in the series. The 95% interval is the Wald interval of b1.

statsmodels (with pandas and SciPy) is imported on first use only (outcomes/tests/test_startup_imports.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nervecare.core.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")  # imported on first use: a web worker that runs no trial maths skips it


METHOD = (
    "Regression of the daily rating on the phase condition with AR(1) errors, exact maximum likelihood "
    "(statsmodels ARIMA(1,0,0) with the condition as regressor; Huitema & McKean 2000 piecewise regression, "
    "level change), 95% Wald interval"
)


@dataclass(frozen=True)
class Ar1Effect:
    estimate: float | None  # b1: mean difference B - A
    low: float | None
    high: float | None
    phi: float | None  # the lag-1 autocorrelation of the errors
    intercept: float | None  # the A level
    n: int
    converged: bool
    note: str = ""
    method: str = METHOD


def ar1_effect(y_by_day: np.ndarray, b_by_day: np.ndarray, level: float = 0.95) -> Ar1Effect:
    """Fit the model on one value per day (NaN where there is no rating) and the day's condition (1 = B)."""
    y = np.asarray(y_by_day, dtype=float)
    b = np.asarray(b_by_day, dtype=float)
    n = int(np.count_nonzero(~np.isnan(y)))
    if n < 6 or len(set(b[~np.isnan(y)].tolist())) < 2:
        return Ar1Effect(None, None, None, None, None, n, False, "too few ratings in one of the conditions")
    from statsmodels.tsa.arima.model import ARIMA

    with warnings.catch_warnings():
        # Convergence and start-value warnings are reported through `converged`, not on the console.
        warnings.simplefilter("ignore")
        fit = ARIMA(y, exog=b, order=(1, 0, 0), trend="c").fit()
    params = np.asarray(fit.params, dtype=float)
    names = list(fit.param_names)
    ci = np.asarray(fit.conf_int(alpha=1 - level), dtype=float)
    i = names.index("x1")
    converged = bool(fit.mle_retvals.get("converged", True)) if fit.mle_retvals else True
    if not np.all(np.isfinite(ci[i])):
        return Ar1Effect(
            float(params[i]), None, None, None, None, n, converged, "no interval could be computed"
        )
    return Ar1Effect(
        estimate=float(params[i]),
        low=float(ci[i, 0]),
        high=float(ci[i, 1]),
        phi=float(params[names.index("ar.L1")]),
        intercept=float(params[names.index("const")]),
        n=n,
        converged=converged,
        note="" if converged else "the fit did not fully converge: read the interval with care",
    )
