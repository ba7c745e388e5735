"""Response times: van der Linden's lognormal model, RT person fit, effort and timestamp
synchrony of two sittings (the preknowledge test built on them is proctoring/preknowledge.py).

Lognormal model (van der Linden 2006): log T_ij ~ N(beta_i - tau_j, 1/alpha_i^2), with item
time intensity beta, item discrimination alpha and person speed tau (mean tau = 0).
Times are seconds, NaN where an item has no time.
"""

from __future__ import annotations

import msgspec
import numpy as np

from proctoring.stats import (
    FloatArray,
    binom_sf_vec,
    chi2_sf_wilson_hilferty,
)


class LognormalFit(msgspec.Struct, frozen=True):
    alpha: list[float]
    beta: list[float]


def fit_lognormal(times: FloatArray, iterations: int = 20) -> tuple[LognormalFit, FloatArray]:
    """Moment/alternating least-squares estimates of (alpha, beta) and each person's tau.

    Each step is the closed-form weighted least-squares update of one block given the other
    (tau: alpha^2-weighted mean of beta - log t; beta: mean of log t + tau; alpha: 1/residual
    sd), which converges in a handful of iterations and needs nothing beyond numpy.

    The residual sd is taken on the degrees of freedom left after each person's tau: answer
    i of person j has leverage h_ij = alpha_i^2 / sum_k alpha_k^2 on tau_j, so its squared
    residual has mean (1 - h_ij) / alpha_i^2, not 1 / alpha_i^2. Dividing by the count alone
    (as this fit did) made alpha too large by sqrt(n / (n - 1)) and every person's RT
    person-fit sum of n squared residuals average n rather than its chi-square(n - 1) mean,
    so the test flagged honest sittings at 1.5-1.9 times its level (.0016 at alpha = .001 on
    60 items, .0019 on 20; tests/unit/proctoring/test_proctoring_honest_rates.py).
    """
    mask = ~np.isnan(times) & (np.nan_to_num(times, nan=0.0) > 0)
    y = np.where(mask, np.log(np.where(mask, times, 1.0)), 0.0)
    cnt_i = np.maximum(mask.sum(axis=0), 1)
    beta = y.sum(axis=0) / cnt_i
    alpha = np.ones(times.shape[1])
    tau = np.zeros(times.shape[0])
    for _ in range(iterations):
        w = np.where(mask, alpha**2, 0.0)
        tau = np.sum(w * (beta - y), axis=1) / np.maximum(w.sum(axis=1), 1e-12)
        tau -= np.mean(tau)
        beta = np.sum(np.where(mask, y + tau[:, None], 0.0), axis=0) / cnt_i
        resid = np.where(mask, y - beta + tau[:, None], 0.0)
        leverage = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        dof = np.maximum(np.sum(np.where(mask, 1.0 - leverage, 0.0), axis=0), 1e-12)
        alpha = 1.0 / np.sqrt(np.maximum(np.sum(resid**2, axis=0) / dof, 1e-6))
    return LognormalFit(alpha=alpha.tolist(), beta=beta.tolist()), tau


def speed(times: FloatArray, fit: LognormalFit) -> FloatArray:
    """Each person's speed tau given fixed item parameters (precision-weighted mean)."""
    alpha, beta = np.asarray(fit.alpha), np.asarray(fit.beta)
    mask = ~np.isnan(times) & (np.nan_to_num(times, nan=0.0) > 0)
    y = np.where(mask, np.log(np.where(mask, times, 1.0)), 0.0)
    w = np.where(mask, alpha**2, 0.0)
    tau: FloatArray = np.sum(w * (beta - y), axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    return tau


def residuals(times: FloatArray, fit: LognormalFit, tau: FloatArray) -> FloatArray:
    """Standardised log-time residuals z_ij = alpha_i (log t_ij - (beta_i - tau_j)); <0 = fast."""
    alpha, beta = np.asarray(fit.alpha), np.asarray(fit.beta)
    with np.errstate(invalid="ignore", divide="ignore"):
        z: FloatArray = alpha * (np.log(times) - (beta - tau[:, None]))
    return z


def rt_person_fit(z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """l_t = sum_i z_ij^2 ~ chi-square(n_j - 1) with tau estimated (van der Linden & Guo
    2008; Marianti et al. 2014). Returns (l_t, df, upper-tail p via Wilson-Hilferty)."""
    mask = ~np.isnan(z)
    lt = np.sum(np.where(mask, z * z, 0.0), axis=1)
    df = np.maximum(mask.sum(axis=1) - 1, 1).astype(np.float64)
    return lt, df, chi2_sf_wilson_hilferty(lt, df)


def rapid_thresholds(times: FloatArray, fraction: float = 0.10, cap_s: float = 10.0) -> FloatArray:
    """NT10 (Wise & Ma 2012): per item, `fraction` of its mean response time, capped."""
    timed = ~np.isnan(times)
    total = np.where(timed, times, 0.0).sum(axis=0)
    # an item nobody has a time for has no rapid answers (threshold 0), not a NaN threshold
    mean = total / np.maximum(timed.sum(axis=0), 1)
    out: FloatArray = np.minimum(fraction * mean, cap_s)
    return out


def response_time_effort(times: FloatArray, thresholds: FloatArray) -> FloatArray:
    """RTE (Wise & Kong 2005): share of timed items answered at or above the rapid threshold."""
    mask = ~np.isnan(times)
    solution = np.where(mask, times >= thresholds, False)
    rte: FloatArray = solution.sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    return rte


def synchrony(
    t_a: FloatArray, t_b: FloatArray, window_s: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Timestamp synchrony for pairs of sittings (rows of t_a and t_b: answer times, seconds
    on the server clock, NaN where unanswered).

    k = items both answered within `window_s` of each other. Null rate q = share of all
    (item i of a, item i' of b) pairs within the window, i.e. how often their clocks coincide
    by chance given when each was working; Ujian shuffles item order per sitting, so honest
    neighbours answer the same item at unrelated times. p = P(Binomial(n, q) >= k) with a
    exact log-space tail (k is small and q tiny: a normal tail would be orders of magnitude too
    small). Returns (k, n*q, p).
    """
    rows = t_a.shape[0]
    both = ~np.isnan(t_a) & ~np.isnan(t_b)
    k = np.sum(both & (np.abs(np.nan_to_num(t_a) - np.nan_to_num(t_b)) <= window_s), axis=1)
    n = both.sum(axis=1)
    # all-item coincidences via one batched searchsorted: rows are shifted apart by a span
    # larger than any time difference, so row r's values only meet row r's values
    lo_t = np.nanmin(np.r_[t_a.ravel(), t_b.ravel(), 0.0])
    span = float(np.nanmax(np.r_[t_a.ravel(), t_b.ravel(), 0.0]) - lo_t) + 4 * window_s + 1
    offs = (np.arange(rows) * span)[:, None]
    bb = np.sort(np.where(np.isnan(t_b), np.inf, t_b - lo_t + offs), axis=1).ravel()
    aa = np.where(np.isnan(t_a), np.nan, t_a - lo_t + offs)
    hits = np.searchsorted(bb, aa + window_s, side="right") - np.searchsorted(
        bb, aa - window_s, side="left"
    )
    hits = np.where(np.isnan(aa), 0, hits)
    na = (~np.isnan(t_a)).sum(axis=1)
    nb = (~np.isnan(t_b)).sum(axis=1)
    q = np.clip(hits.sum(axis=1) / np.maximum(na * nb, 1), 1e-6, 1.0)
    p = binom_sf_vec(k.astype(np.float64), n.astype(np.float64), q)
    return k.astype(np.float64), n * q, p
