"""Calibrating item parameters from an exam's responses: marginal maximum likelihood by EM.

Bock & Aitkin (1981): θ is integrated out over a fixed normal quadrature, the E-step turns
every person's posterior over the nodes into expected counts per item and node (two
matmuls), and the M-step fits each item to its counts, all items at once with a vectorised
Newton step. The 3PL guessing parameter is estimated by the usual latent "knew it / guessed"
split, with a Beta prior so that easy items cannot drift to c = 1.
"""

from __future__ import annotations

import msgspec
import numpy as np

from grading.irt import (
    D,
    FloatArray,
    IrtModel,
    ItemParameters,
    log_likelihood_parts,
    normal_grid,
    split_missing,
)


class CalibrationResult(msgspec.Struct, frozen=True):
    model: IrtModel
    items: tuple[ItemParameters, ...]
    iterations: int
    converged: bool
    # marginal log-likelihood at the final parameters
    log_likelihood: float


# the scale is fixed by the N(0, 1) ability prior; slopes and difficulties are kept in ranges
# where a single odd item (everyone right, say) cannot make the Newton step run away
_A_RANGE = (0.05, 4.0)
_B_RANGE = (-6.0, 6.0)


def _newton_logistic(
    alpha: FloatArray,
    beta: FloatArray,
    r: FloatArray,
    n: FloatArray,
    nodes: FloatArray,
    fixed_slope: bool,
) -> tuple[FloatArray, FloatArray]:
    """One Newton step per item of the binomial logistic fit r ~ Bin(n, logistic(alpha·θ + beta)).

    Items x nodes counts; concave in (alpha, beta), so plain Newton with a damped step is safe.
    """
    z = alpha[:, np.newaxis] * nodes[np.newaxis, :] + beta[:, np.newaxis]
    s = 1.0 / (1.0 + np.exp(-z))
    resid = r - n * s
    wgt = n * s * (1.0 - s) + 1e-12
    g_b = resid.sum(axis=1)
    h_bb = wgt.sum(axis=1)
    if fixed_slope:
        return alpha, beta + np.clip(g_b / h_bb, -1.0, 1.0)
    g_a = (resid * nodes).sum(axis=1)
    h_aa = (wgt * nodes**2).sum(axis=1)
    h_ab = (wgt * nodes).sum(axis=1)
    det = h_aa * h_bb - h_ab**2 + 1e-12
    d_a = (h_bb * g_a - h_ab * g_b) / det
    d_b = (h_aa * g_b - h_ab * g_a) / det
    return alpha + np.clip(d_a, -1.0, 1.0), beta + np.clip(d_b, -1.0, 1.0)


def _start(filled: FloatArray, presented: FloatArray) -> FloatArray:
    """Starting difficulties from the proportion correct (a logit, shrunk to the slope)."""
    p = (filled.sum(axis=0) + 0.5) / (presented.sum(axis=0) + 1.0)
    b: FloatArray = np.clip(-np.log(p / (1.0 - p)) / D, *_B_RANGE)
    return b


def calibrate(
    responses: FloatArray,
    model: IrtModel = "2PL",
    *,
    n_points: int = 41,
    max_iter: int = 500,
    tol: float = 1e-4,
    guess_prior: tuple[float, float] = (5.0, 17.0),
) -> CalibrationResult:
    """Item parameters by MML-EM from a persons x items matrix (1/0, NaN = not presented).

    ``guess_prior`` is the Beta(a, b) prior on the 3PL c (default mean ≈ 0.23, right for
    five-option items). Persons who saw no item carry no information and are harmless.
    """
    filled, presented, missing = split_missing(np.asarray(responses, dtype=np.float64))
    n_items = filled.shape[1]
    nodes, weights = normal_grid(n_points, span=5.0)
    a = np.ones(n_items)
    b = _start(filled, presented)
    c = np.full(n_items, 0.2 if model == "3PL" else 0.0)
    log_w = np.log(weights)[np.newaxis, :]
    converged = False
    iterations = 0
    marginal = -np.inf
    for _ in range(max_iter):
        iterations += 1
        # E-step: posterior weight of every node for every person
        log_post = log_likelihood_parts(filled, presented, missing, a, b, c, nodes) + log_w
        top = log_post.max(axis=1, keepdims=True)
        post = np.exp(log_post - top)
        total = post.sum(axis=1, keepdims=True)
        marginal = float((np.log(total) + top).sum())
        post /= total
        r = filled.T @ post  # expected right answers per item and node
        n = presented.T @ post if missing else np.broadcast_to(post.sum(axis=0), r.shape)
        # M-step
        alpha, beta = D * a, -D * a * b
        if model == "3PL":
            s = 1.0 / (1.0 + np.exp(-(alpha[:, None] * nodes[None, :] + beta[:, None])))
            p = c[:, None] + (1.0 - c[:, None]) * s
            knew = r * s / np.maximum(p, 1e-12)  # right answers that were not guesses
            g_a, g_b = guess_prior
            c_new = ((r - knew).sum(axis=1) + g_a - 1.0) / (
                (n - knew).sum(axis=1) + g_a + g_b - 2.0
            )
            r_fit = knew
        else:
            c_new = c
            r_fit = r
        alpha, beta = _newton_logistic(alpha, beta, r_fit, n, nodes, model == "1PL")
        a_new = np.clip(alpha / D, *_A_RANGE) if model != "1PL" else a
        b_new = np.clip(-beta / (D * a_new), *_B_RANGE)
        change = max(
            float(np.max(np.abs(a_new - a))),
            float(np.max(np.abs(b_new - b))),
            float(np.max(np.abs(c_new - c))),
        )
        a, b, c = a_new, b_new, np.clip(c_new, 0.0, 0.5)
        if change < tol:
            converged = True
            break
    items = tuple(
        ItemParameters(a=float(ai), b=float(bi), c=float(ci))
        for ai, bi, ci in zip(a, b, c, strict=True)
    )
    return CalibrationResult(model, items, iterations, converged, marginal)
