"""The M-step of the graded response model (Samejima 1969): one item at a time, Fisher scoring.

An item with K ordered categories has a slope a and K - 1 intercepts d_1 > ... > d_{K-1} with
P(X ≥ k | θ) = logistic(a·θ + d_k); the reported boundaries are b_k = -d_k / a. The E-step
hands each item its expected counts r (K x nodes); the step below raises
sum r·log P(X = k | node) with the expected information as the curvature (positive definite,
so the step always points uphill), halving it until the intercepts stay ordered and the
objective does not fall.
"""

from __future__ import annotations

import numpy as np

from grading.irt import FloatArray

_EPS = 1e-12
_A_RANGE = (0.02, 8.0)


def _cumulative(a: float, d: FloatArray, nodes: FloatArray) -> FloatArray:
    """P(X ≥ k) for k = 0..K, shape (K + 1, nodes): 1 first, 0 last."""
    inner = 0.5 * (1.0 + np.tanh(0.5 * (a * nodes[np.newaxis, :] + d[:, np.newaxis])))
    ones = np.ones((1, nodes.size))
    return np.vstack([ones, inner, 0.0 * ones])


def _objective(a: float, d: FloatArray, r: FloatArray, nodes: FloatArray) -> float:
    cumulative = _cumulative(a, d, nodes)
    probs = np.clip(cumulative[:-1] - cumulative[1:], _EPS, 1.0)
    return float((r * np.log(probs)).sum())


def graded_step(
    a: float, d: FloatArray, r: FloatArray, nodes: FloatArray
) -> tuple[float, FloatArray]:
    """One damped Fisher-scoring step of one graded item on its expected counts r (K x nodes)."""
    cumulative = _cumulative(a, d, nodes)
    probs = np.clip(cumulative[:-1] - cumulative[1:], _EPS, 1.0)
    w = cumulative * (1.0 - cumulative)  # zero in the first and last rows
    k = d.size + 1
    # jacobian of P(X = k) by (a, d_1..d_{K-1}): shape (K, nodes, K)
    jac = np.zeros((k, nodes.size, k))
    jac[:, :, 0] = nodes[np.newaxis, :] * (w[:-1] - w[1:])
    for m in range(1, k):
        jac[m, :, m] = w[m]
        jac[m - 1, :, m] = -w[m]
    grad = np.einsum("kq,kqp->p", r / probs, jac)
    n = r.sum(axis=0)
    info = np.einsum("kq,kqp,kqr->pr", n[np.newaxis, :] / probs, jac, jac)
    info += np.eye(k) * 1e-9
    step = np.linalg.solve(info, grad)
    step = step / max(1.0, float(np.max(np.abs(step))))  # at most one logit per parameter
    before = _objective(a, d, r, nodes)
    for _ in range(30):
        new_a = float(np.clip(a + step[0], *_A_RANGE))
        new_d = d + step[1:]
        if np.all(np.diff(new_d) < 0) and _objective(new_a, new_d, r, nodes) >= before - 1e-10:
            return new_a, new_d
        step = step / 2.0
    return a, d


def graded_start(onehot: FloatArray) -> tuple[float, FloatArray]:
    """Slope 1 and the intercepts that reproduce the observed cumulative proportions."""
    counts = onehot.sum(axis=0) + 0.5
    at_least = counts[::-1].cumsum()[::-1][1:] / counts.sum()
    d: FloatArray = np.log(at_least / (1.0 - at_least))
    return 1.0, d


def categories_from_points(points: FloatArray) -> FloatArray:
    """Score categories 0..K-1 per item from a persons x items matrix of points (NaN kept).

    An item's categories are the distinct point values its candidates earned, in order: an
    item marked 0, 0.5 or 1 has three, whatever its maximum, and a value nobody earned makes
    no empty category (whose boundary the likelihood could not place).
    """
    out = np.full(points.shape, np.nan)
    for j in range(points.shape[1]):
        column = points[:, j]
        seen = ~np.isnan(column)
        levels = np.unique(column[seen])
        out[seen, j] = np.searchsorted(levels, column[seen])
    return out
