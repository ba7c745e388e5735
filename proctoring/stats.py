"""Small, vectorised tail probabilities and multiple-comparison corrections.

proctoring may not import scipy. Scalar p-values use ``math.erfc``; arrays (10^8 pair
statistics in the all-pairs screen) use a Chebyshev fit of erfc, since ``np.vectorize`` over
``math.erfc`` would be far too slow and ``1 - erf`` loses the far tail where flags are decided.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_SQRT2 = math.sqrt(2.0)


def _erfc(x: FloatArray) -> FloatArray:
    """erfc for arrays with fractional error < 1.2e-7 everywhere (Numerical Recipes' erfcc),
    including the far tail, which is what a p-value of 1e-10 needs."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t
                        * (
                            0.27886807
                            + t
                            * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                        )
                    )
                )
            )
        )
    )
    ans = t * np.exp(poly)
    return np.where(x >= 0.0, ans, 2.0 - ans)


def norm_sf(z: FloatArray | float) -> FloatArray:
    """Upper tail P(Z > z) of the standard normal."""
    arr = np.asarray(z, dtype=np.float64)
    return 0.5 * _erfc(arr / _SQRT2)


def norm_cdf(z: FloatArray | float) -> FloatArray:
    """Lower tail P(Z <= z) of the standard normal."""
    arr = np.asarray(z, dtype=np.float64)
    return 0.5 * _erfc(-arr / _SQRT2)


def norm_sf_scalar(z: float) -> float:
    """Exact (math.erfc) upper tail for one value, used where a single p-value is reported."""
    return 0.5 * math.erfc(z / _SQRT2)


def norm_isf(p: float) -> float:
    """z with P(Z > z) = p, by bisection on math.erfc (thresholds are computed once per exam)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be in (0, 1)")
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if norm_sf_scalar(mid) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def chi2_sf_wilson_hilferty(x: FloatArray, df: FloatArray | float) -> FloatArray:
    """Upper tail of chi-square(df) by the Wilson-Hilferty cube-root normal approximation.

    Good to about two significant digits of p for df >= 10, which is what a response-time
    person-fit test over a paper of 20+ timed items needs; no incomplete gamma without scipy.
    """
    k = np.asarray(df, dtype=np.float64)
    v = 2.0 / (9.0 * k)
    z = (np.cbrt(np.maximum(x, 0.0) / k) - (1.0 - v)) / np.sqrt(v)
    return norm_sf(z)


def benjamini_hochberg(p: FloatArray, q: float, m: int | None = None) -> npt.NDArray[np.bool_]:
    """Benjamini-Hochberg step-up: which hypotheses are rejected at FDR ``q``.

    ``m`` is the size of the whole family; it may exceed ``len(p)`` when only the candidates
    below some cut were kept (the all-pairs screen keeps p <= q·r_max/m): the rejected set is
    the same as on the full family as long as fewer than r_max hypotheses are rejected.
    """
    n = p.shape[0]
    family = n if m is None else m
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    crit = q * np.arange(1, n + 1, dtype=np.float64) / family
    below = np.nonzero(ranked <= crit)[0]
    out = np.zeros(n, dtype=np.bool_)
    if below.size:
        out[order[: below[-1] + 1]] = True
    return out


def bonferroni(p: FloatArray, alpha: float, m: int | None = None) -> npt.NDArray[np.bool_]:
    """Bonferroni: reject when p <= alpha / m (family-wise error rate control)."""
    family = p.shape[0] if m is None else m
    return np.asarray(p <= alpha / max(family, 1), dtype=np.bool_)


def poisson_binomial_sf(probs: FloatArray, k: npt.NDArray[np.int64]) -> FloatArray:
    """P(K >= k) for K a sum of independent Bernoulli(probs[r, i]) per row r, exactly.

    Dynamic programming over items, vectorised over rows: O(rows · items²) but items ≤ ~200.
    Used where counts are small and the normal approximation would over-flag (skewed tails).
    """
    rows, n = probs.shape
    dist = np.zeros((rows, n + 1), dtype=np.float64)
    dist[:, 0] = 1.0
    for i in range(n):
        p = probs[:, i : i + 1]
        shifted = np.zeros_like(dist)
        shifted[:, 1:] = dist[:, :-1]
        dist = dist * (1.0 - p) + shifted * p
    # tail sums: cum[:, j] = P(K >= j)
    cum = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]
    idx = np.clip(k, 0, n)
    out = cum[np.arange(rows), idx]
    return np.where(k > n, 0.0, np.where(k <= 0, 1.0, out))


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exact (n is a paper length, at most a few hundred)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    total = 0.0
    for j in range(k, n + 1):
        total += math.comb(n, j) * p**j * (1.0 - p) ** (n - j)
    return min(1.0, total)


def binom_sf_vec(k: FloatArray, n: FloatArray, q: FloatArray) -> FloatArray:
    """Vectorised exact P(X >= k), X ~ Binomial(n, q), summing pmf terms in log space.

    n is at most a paper length, so a table of log-factorials from math.lgamma covers it;
    summing the tail directly keeps p-values of 1e-12 exact (1 - cdf would round to 0).
    """
    kk = np.asarray(k, dtype=np.int64)
    nn = np.asarray(n, dtype=np.int64)
    qq = np.clip(np.asarray(q, dtype=np.float64), 1e-300, 1.0 - 1e-16)
    top = int(nn.max(initial=0))
    logfact = np.array([math.lgamma(j + 1.0) for j in range(top + 1)])
    j = np.arange(top + 1)[None, :]
    nc = nn[:, None]
    valid = (j >= kk[:, None]) & (j <= nc)
    jc = np.minimum(j, nc)
    logpmf = (
        logfact[nc]
        - logfact[jc]
        - logfact[nc - jc]
        + jc * np.log(qq)[:, None]
        + (nc - jc) * np.log1p(-qq)[:, None]
    )
    out: FloatArray = np.minimum(1.0, np.sum(np.where(valid, np.exp(logpmf), 0.0), axis=1))
    return np.where(kk <= 0, 1.0, out)
