"""The mixed-effects model of ratings over weeks (statsmodels MixedLM), on plain arrays: no Django here, so
the benchmark can fit it in a separate process with a time limit."""

from __future__ import annotations

import random
import time
import warnings
from typing import TYPE_CHECKING, Any

from nervecare.core.lazy import lazy_module
from nervecare.outcomes import stats

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

# The optimiser sees weeks in tens of weeks: a per-week random-slope variance is tiny next to the intercept's,
# and statsmodels then warns that "the MLE may be on the boundary" even when it is not. The fit is
# equivariant to this rescaling; every estimate is reported per week.
WEEK_SCALE = 10.0


def sample_clients(client_ids: list[int], limit: int, seed: int = 20261126) -> list[int]:
    """A reproducible random sample (the same clients each time for the same set)."""
    ids = sorted(client_ids)
    if len(ids) <= limit:
        return ids
    return sorted(random.Random(seed).sample(ids, limit))  # noqa: S311 - a reproducible sample, not a secret


def mixed_model_fit(
    client: np.ndarray, week: np.ndarray, value: np.ndarray, *, max_iterations: int = 200
) -> dict[str, Any]:
    """Ratings over weeks: fixed intercept and slope, a random intercept and slope per client (statsmodels
    MixedLM, REML). If that fit does not converge (or its random-effects covariance is singular), fall back
    to a random intercept only and say so. Slopes and their SD are per week."""
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    n_clients = int(np.unique(client).size)
    base = {"clients": n_clients, "observations": int(value.size)}
    if n_clients < 3 or value.size < 6:
        return base | {
            "fitted": False,
            "note": "Too few clients or ratings for a mixed-effects model (needs at least 3 clients).",
        }
    if float(np.ptp(week)) == 0.0:
        return base | {"fitted": False, "note": "All ratings are from the same week: no trend to model."}
    exog = np.column_stack([np.ones_like(week, dtype=float), week.astype(float) / WEEK_SCALE])
    attempts = [("random intercept and slope", exog), ("random intercept only (fallback)", None)]
    problems: list[str] = []
    started = time.perf_counter()
    for label, exog_re in attempts:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = MixedLM(value.astype(float), exog, groups=client, exog_re=exog_re)
                result = model.fit(reml=True, method=["lbfgs"], maxiter=max_iterations)
                bse = np.asarray(result.bse_fe, dtype=float)  # NaN when the Hessian is not positive definite
                cov_re = np.atleast_2d(np.asarray(result.cov_re, dtype=float))
                ci = np.asarray(result.conf_int(alpha=0.05), dtype=float)[:2]
            except (np.linalg.LinAlgError, ValueError) as exc:
                problems.append(f"{label}: {exc}")
                continue
        convergence_warnings = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
        singular = bool(np.any(np.linalg.eigvalsh(cov_re) <= 1e-8)) if cov_re.size else True
        converged = bool(result.converged) and not convergence_warnings and bool(np.all(np.isfinite(bse)))
        if not converged or singular:
            why = (
                "did not converge"
                if not converged
                else "random-effects covariance is singular (on the boundary)"
            )
            problems.append(
                f"{label}: {why}" + (f" ({convergence_warnings[0]})" if convergence_warnings else "")
            )
            if exog_re is not None:
                continue
        fe = np.asarray(result.fe_params, dtype=float)
        return base | {
            "fitted": True,
            "model": label,
            "converged": converged and not singular,
            "fallback": exog_re is None,
            "problems": problems,
            "intercept": stats.Estimate(
                float(fe[0]), float(ci[0][0]), float(ci[0][1]), n=n_clients, method="MixedLM"
            ),
            "slope": stats.Estimate(
                float(fe[1]) / WEEK_SCALE,
                float(ci[1][0]) / WEEK_SCALE,
                float(ci[1][1]) / WEEK_SCALE,
                n=n_clients,
                method="MixedLM",
            ),
            "random_intercept_sd": float(np.sqrt(max(cov_re[0, 0], 0.0))),
            "random_slope_sd": (
                float(np.sqrt(max(cov_re[1, 1], 0.0))) / WEEK_SCALE if cov_re.shape[0] > 1 else None
            ),
            "residual_sd": float(np.sqrt(result.scale)),
            "seconds": time.perf_counter() - started,
        }
    return base | {"fitted": False, "note": "The model did not converge.", "problems": problems}
