"""The AR(1) regression's estimate against an independent exact-likelihood fit written here with SciPy, and
against ordinary least squares (statsmodels OLS) when the errors are independent."""

import numpy as np
import pytest
from scipy import optimize

from nervecare.trials.regression import ar1_effect


def _simulate(rng, b, effect, phi, sd):
    e = np.zeros(b.size)
    e[0] = rng.normal(0, sd / np.sqrt(1 - phi**2))
    for t in range(1, b.size):
        e[t] = phi * e[t - 1] + rng.normal(0, sd)
    return 5 + effect * b + e


def _exact_ar1_mle(y, b):
    """Maximise the exact Gaussian AR(1) likelihood of y = c + beta*b + e directly (Prais-Winsten form)."""
    design = np.column_stack([np.ones_like(b), b])

    def nll(theta):
        c, beta, z, log_s = theta
        phi = np.tanh(z)
        s2 = np.exp(2 * log_s)
        e = y - design @ np.array([c, beta])
        ss = (1 - phi**2) * e[0] ** 2 + np.sum((e[1:] - phi * e[:-1]) ** 2)
        return 0.5 * (y.size * np.log(2 * np.pi * s2) - np.log(1 - phi**2) + ss / s2)

    start = np.array([y.mean(), 0.0, 0.0, np.log(y.std())])
    fit = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000}
    )
    return fit.x[1], np.tanh(fit.x[2])


@pytest.mark.parametrize(("seed", "phi"), [(1, 0.3), (2, 0.6), (3, 0.0)])
def test_estimate_matches_an_independent_exact_likelihood_fit(seed, phi):
    rng = np.random.default_rng(seed)
    b = np.repeat([0, 1, 0, 1], [21, 14, 21, 28]).astype(float)
    y = _simulate(rng, b, -1.5, phi, 1.2)
    ours = ar1_effect(y, b)
    beta, phi_hat = _exact_ar1_mle(y, b)
    assert ours.converged
    assert ours.estimate == pytest.approx(beta, abs=2e-3)
    assert ours.phi == pytest.approx(phi_hat, abs=5e-3)
    assert ours.low < ours.estimate < ours.high


def test_with_independent_errors_it_is_close_to_ols():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    b = np.repeat([0, 1, 0, 1], 21).astype(float)
    y = 5 - 2 * b + rng.normal(0, 1, b.size)
    ols = sm.OLS(y, sm.add_constant(b)).fit()
    ours = ar1_effect(y, b)
    assert abs(ours.phi) < 0.25
    assert ours.estimate == pytest.approx(ols.params[1], abs=0.1)
    # The interval's width is close to OLS's when there is little autocorrelation.
    ols_low, ols_high = ols.conf_int()[1]
    assert (ours.high - ours.low) == pytest.approx(ols_high - ols_low, rel=0.3)


def test_days_without_a_rating_are_missing_not_zero():
    rng = np.random.default_rng(9)
    b = np.repeat([0, 1, 0, 1], 21).astype(float)
    y = _simulate(rng, b, -2.0, 0.3, 1.0)
    y[1::2] = np.nan  # every other day
    ours = ar1_effect(y, b)
    assert ours.n == 42
    assert ours.low < -2.0 + 1.5 and ours.high > -2.0 - 1.5
    assert ours.estimate == pytest.approx(-2.0, abs=1.0)


def test_too_few_ratings_give_no_estimate():
    y = np.full(20, np.nan)
    y[:4] = [3, 4, 3, 4]
    out = ar1_effect(y, np.repeat([0, 1], 10).astype(float))
    assert out.estimate is None and "too few" in out.note
