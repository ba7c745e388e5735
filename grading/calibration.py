"""Calibrating item parameters from responses: marginal maximum likelihood by EM.

Bock & Aitkin (1981): θ is integrated out over a fixed grid of nodes (mirt's rectangular
quadrature: 61 points over ±6), the E-step turns every person's posterior over the nodes into
expected counts per item and node (matmuls), and the M-step raises each item's expected
complete-data likelihood with one Newton (or Fisher-scoring) step, all dichotomous items at
once. The 3PL guessing parameter is estimated by the usual latent "knew it / guessed" split,
with a Beta prior so that easy items cannot drift to c = 1. Responses that are NaN (an item the
person was not given) are left out of the likelihood, so papers drawn from a pool, or forms
sharing only some items, calibrate together. Polytomous items: the graded response model's
M-step is in ``grading/graded.py``, the partial credit models' in ``grading/partial_credit.py``.

``groups`` (one integer per person, 0 the reference group) fits a multiple-group model: the
reference population is N(0, 1) and every other group's mean and SD are estimated with the
items. Forms of one event taken by different populations are put on one scale this way
(concurrent calibration), with the common items as the link.
"""

from __future__ import annotations

import msgspec
import numpy as np

from grading.graded import graded_start, graded_step
from grading.irt import (
    POLYTOMOUS_MODELS,
    FloatArray,
    IrtModel,
    ItemParameters,
    category_counts,
    graded_probabilities,
    log_likelihood_parts,
    split_missing,
)
from grading.partial_credit import PartialCreditItems


class LatentGroup(msgspec.Struct, frozen=True):
    mean: float
    sd: float


class CalibrationResult(msgspec.Struct, frozen=True):
    model: IrtModel
    items: tuple[ItemParameters, ...]
    iterations: int
    converged: bool
    # marginal log-likelihood at the final parameters
    log_likelihood: float
    # SD of θ in the reference group: estimated for Rasch and PCM (slope 1), 1 for the others
    latent_sd: float = 1.0
    # every group's θ distribution on the reported scale, the reference group first
    groups: tuple[LatentGroup, ...] = (LatentGroup(0.0, 1.0),)


# slopes and difficulties are kept in ranges where a single odd item (everyone right, say)
# cannot make the Newton step run away (logit scale)
_A_RANGE = (0.02, 8.0)
_B_RANGE = (-10.0, 10.0)


def _newton_logistic(
    alpha: FloatArray,
    beta: FloatArray,
    r: FloatArray,
    n: FloatArray,
    nodes: FloatArray,
    common_slope: bool,
) -> tuple[FloatArray, FloatArray]:
    """One Newton step of the binomial logistic fits r ~ Bin(n, logistic(alpha·θ + beta)).

    Items x nodes counts; concave in (alpha, beta). With ``common_slope`` every item shares
    alpha: the Hessian is then an arrow (one slope row, a diagonal of intercepts) and the step
    is solved through its Schur complement.
    """
    z = alpha[:, np.newaxis] * nodes[np.newaxis, :] + beta[:, np.newaxis]
    s = 1.0 / (1.0 + np.exp(-z))
    resid = r - n * s
    wgt = n * s * (1.0 - s) + 1e-12
    g_b = resid.sum(axis=1)
    g_a = (resid * nodes).sum(axis=1)
    h_bb = wgt.sum(axis=1)
    h_aa = (wgt * nodes**2).sum(axis=1)
    h_ab = (wgt * nodes).sum(axis=1)
    if common_slope:
        schur = float(h_aa.sum() - (h_ab**2 / h_bb).sum()) + 1e-12
        d_common = float(g_a.sum() - (h_ab * g_b / h_bb).sum()) / schur
        d_a = np.full_like(alpha, d_common)
        d_b = (g_b - h_ab * d_common) / h_bb
    else:
        det = h_aa * h_bb - h_ab**2 + 1e-12
        d_a = (h_bb * g_a - h_ab * g_b) / det
        d_b = (h_aa * g_b - h_ab * g_a) / det
    return alpha + np.clip(d_a, -1.0, 1.0), beta + np.clip(d_b, -1.0, 1.0)


def _group_weights(nodes: FloatArray, means: FloatArray, sds: FloatArray) -> FloatArray:
    """log prior weight of every node for every group, shape (groups, nodes)."""
    z = (nodes[np.newaxis, :] - means[:, np.newaxis]) / sds[:, np.newaxis]
    log_w = -0.5 * z**2
    log_w -= np.log(np.exp(log_w).sum(axis=1, keepdims=True))
    return log_w


class _Binary:
    """The dichotomous models' items: slope, intercept and lower asymptote per item."""

    def __init__(self, responses: FloatArray, model: IrtModel, guess_prior: tuple[float, float]):
        self.filled, self.presented, self.missing = split_missing(responses)
        self.model = model
        self.guess_prior = guess_prior
        p = (self.filled.sum(axis=0) + 0.5) / (self.presented.sum(axis=0) + 1.0)
        self.alpha = np.ones(responses.shape[1])
        self.beta = np.log(p / (1.0 - p))
        self.c = np.full(responses.shape[1], 0.2 if model == "3PL" else 0.0)

    def log_likelihood(self, nodes: FloatArray) -> FloatArray:
        a, b = self.alpha, -self.beta / self.alpha
        return log_likelihood_parts(self.filled, self.presented, self.missing, a, b, self.c, nodes)

    def m_step(self, post: FloatArray, nodes: FloatArray) -> float:
        r = self.filled.T @ post  # expected right answers per item and node
        # presented answers per item and node (everyone's, when nothing is missing)
        everyone = np.broadcast_to(post.sum(axis=0), r.shape)
        n = self.presented.T @ post if self.missing else everyone
        c_new = self.c
        if self.model == "3PL":
            s = 1.0 / (1.0 + np.exp(-(self.alpha[:, None] * nodes + self.beta[:, None])))
            p = self.c[:, None] + (1.0 - self.c[:, None]) * s
            knew = r * s / np.maximum(p, 1e-12)  # right answers that were not guesses
            g_a, g_b = self.guess_prior
            c_new = ((r - knew).sum(axis=1) + g_a - 1.0) / (
                (n - knew).sum(axis=1) + g_a + g_b - 2.0
            )
            r = knew
        common = self.model in ("Rasch", "1PL")
        alpha, beta = _newton_logistic(self.alpha, self.beta, r, n, nodes, common)
        alpha = np.clip(alpha, *_A_RANGE)
        beta = np.clip(beta, -_B_RANGE[1] * alpha, -_B_RANGE[0] * alpha)
        c_new = np.clip(c_new, 0.0, 0.5)
        change = max(
            float(np.max(np.abs(alpha - self.alpha))),
            float(np.max(np.abs(beta - self.beta))),
            float(np.max(np.abs(c_new - self.c))),
        )
        self.alpha, self.beta, self.c = alpha, beta, c_new
        return change

    def items(self) -> list[ItemParameters]:
        b = -self.beta / self.alpha
        return [
            ItemParameters(a=float(ai), b=float(bi), c=float(ci))
            for ai, bi, ci in zip(self.alpha, b, self.c, strict=True)
        ]


class _Graded:
    """Graded-response items: categories 0..K-1 per item (K from the highest seen)."""

    def __init__(self, responses: FloatArray):
        top = np.nan_to_num(np.nanmax(np.where(np.isnan(responses), -1.0, responses), axis=0))
        self.onehot = [
            category_counts(responses[:, j], max(int(top[j]), 1) + 1)
            for j in range(responses.shape[1])
        ]
        starts = [graded_start(onehot) for onehot in self.onehot]
        self.a = [a for a, _ in starts]
        self.d = [d for _, d in starts]

    def log_likelihood(self, nodes: FloatArray) -> FloatArray:
        ll = np.zeros((self.onehot[0].shape[0], nodes.size))
        for onehot, a, d in zip(self.onehot, self.a, self.d, strict=True):
            ll += onehot @ np.log(graded_probabilities(nodes, a, -d / a))
        return ll

    def m_step(self, post: FloatArray, nodes: FloatArray) -> float:
        change = 0.0
        for j, onehot in enumerate(self.onehot):
            a, d = graded_step(self.a[j], self.d[j], onehot.T @ post, nodes)
            change = max(change, abs(a - self.a[j]), float(np.max(np.abs(d - self.d[j]))))
            self.a[j], self.d[j] = a, d
        return change

    def items(self) -> list[ItemParameters]:
        out = []
        for a, d in zip(self.a, self.d, strict=True):
            thresholds = tuple(float(t) for t in -d / a)
            out.append(ItemParameters(a=a, b=float(np.mean(thresholds)), thresholds=thresholds))
        return out


def _items_for(
    x: FloatArray, model: IrtModel, guess_prior: tuple[float, float]
) -> _Binary | _Graded | PartialCreditItems:
    """The item set that fits ``model``: its start values, log-likelihood and M-step."""
    if model == "GRM":
        return _Graded(x)
    if model in POLYTOMOUS_MODELS:
        return PartialCreditItems(x, common_slope=model == "PCM")
    return _Binary(x, model, guess_prior)


def _unit_slope(item: ItemParameters, sd: float) -> ItemParameters:
    """An item of the common-slope fit re-expressed with slope 1 and θ ~ N(0, sd²)."""
    return msgspec.structs.replace(
        item, a=1.0, b=item.b * sd, thresholds=tuple(t * sd for t in item.thresholds)
    )


def calibrate(
    responses: FloatArray,
    model: IrtModel = "2PL",
    *,
    groups: FloatArray | None = None,
    n_points: int = 61,
    span: float = 6.0,
    max_iter: int = 500,
    tol: float = 1e-4,
    guess_prior: tuple[float, float] = (5.0, 17.0),
) -> CalibrationResult:
    """Item parameters by MML-EM from a persons x items matrix (NaN = not presented).

    Dichotomous models take 1/0 (or a share in [0, 1]); ``GRM``, ``GPCM`` and ``PCM`` take
    categories 0..K-1.
    ``guess_prior`` is the Beta(a, b) prior on the 3PL c (default mean ≈ 0.23, right for
    five-option items). Persons who saw no item carry no information and are harmless.
    """
    x = np.asarray(responses, dtype=np.float64)
    fit = _items_for(x, model, guess_prior)
    member = np.zeros(x.shape[0], dtype=np.int64) if groups is None else np.asarray(groups)
    n_groups = int(member.max()) + 1 if member.size else 1
    means, sds = np.zeros(n_groups), np.ones(n_groups)
    nodes = np.linspace(-span, span, n_points)
    converged = False
    iterations = 0
    marginal = -np.inf
    for _ in range(max_iter):
        iterations += 1
        # E-step: posterior weight of every node for every person, under their group's prior
        log_post = fit.log_likelihood(nodes) + _group_weights(nodes, means, sds)[member]
        top = log_post.max(axis=1, keepdims=True)
        post = np.exp(log_post - top)
        total = post.sum(axis=1, keepdims=True)
        marginal = float((np.log(total) + top).sum())
        post /= total
        change = fit.m_step(post, nodes)
        for g in range(1, n_groups):
            weight = post[member == g].sum(axis=0)
            if weight.sum() <= 0:
                continue  # a group nobody is in keeps its start: N(0, 1)
            mean = float(weight @ nodes / weight.sum())
            sd = float(np.sqrt(max(weight @ (nodes - mean) ** 2 / weight.sum(), 1e-4)))
            change = max(change, abs(mean - means[g]), abs(sd - sds[g]))
            means[g], sds[g] = mean, sd
        if change < tol:
            converged = True
            break
    items = fit.items()
    latent_sd = 1.0
    if model in ("Rasch", "PCM"):
        # the common slope is the SD of θ once the slope is fixed at 1 (b_Rasch = a·b_1PL)
        latent_sd = items[0].a
        items = [_unit_slope(p, latent_sd) for p in items]
    found = tuple(
        LatentGroup(float(m * latent_sd), float(s * latent_sd))
        for m, s in zip(means, sds, strict=True)
    )
    return CalibrationResult(model, tuple(items), iterations, converged, marginal, latent_sd, found)
