"""Item response theory: the models, their probabilities, ability estimates.

Everything is on the **logit scale**, as ltm and mirt report it: P = c + (1 - c)·logistic(a(θ - b))
with no 1.702 scaling constant (``D`` is 1; Lord's normal-ogive metric is a_normal = a / 1.702).

- ``Rasch``: slope 1, θ ~ N(0, σ²) with σ estimated (``CalibrationResult.latent_sd``).
- ``1PL``: one slope common to every item, estimated; θ ~ N(0, 1). The same likelihood as Rasch
  re-expressed: a_1PL = σ and b_1PL = b_Rasch / σ.
- ``2PL``, ``3PL``: a slope per item (and a lower asymptote c for the 3PL); θ ~ N(0, 1).
- ``GRM``: Samejima's graded response model for items scored in ordered categories 0..K-1:
  P(X ≥ k) = logistic(a(θ - b_k)), with the K - 1 boundaries b_k in ``ItemParameters.thresholds``
  (an item with two categories is a 2PL item).
- ``GPCM``: Muraki's generalized partial credit model, categories 0..K-1, a slope per item:
  P(X = k) ∝ exp(Σ_{v ≤ k} a(θ - b_v)), with the K - 1 step difficulties b_v in
  ``ItemParameters.thresholds`` and ``partial_credit`` set. Steps need not be ordered: a step
  below the one before only means the category between them is seldom the most likely.
- ``PCM``: Masters' (Rasch) partial credit model: the GPCM with slope 1 on every item and
  θ ~ N(0, σ²), σ estimated, as for ``Rasch`` (a two-category PCM item is a Rasch item).

Dichotomous response matrices are persons x items floats: 1 right, 0 wrong, NaN not presented
(missing by design: the likelihood skips it). Partial credit may be given as a share in [0, 1];
it then enters the likelihood as a fractional Bernoulli count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IrtModel = Literal["Rasch", "1PL", "2PL", "3PL", "GRM", "GPCM", "PCM"]
IRT_MODELS: tuple[IrtModel, ...] = ("Rasch", "1PL", "2PL", "3PL", "GRM", "GPCM", "PCM")
# the models fitted to score categories 0..K-1 rather than to right/wrong
POLYTOMOUS_MODELS: tuple[IrtModel, ...] = ("GRM", "GPCM", "PCM")

# The logistic scaling constant in use: 1, the logit scale (slopes as ltm and mirt report them).
# Code that differentiates P by θ multiplies by it, so it stays correct whatever the metric.
D = 1.0
# Lord's constant that brings the logistic close to the normal ogive: a_normal = a / 1.702
NORMAL_OGIVE_D = 1.702

# probabilities are kept this far from 0 and 1 so that log-likelihoods stay finite
_EPS = 1e-9


def p_correct(theta: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """P(correct) for every person x item: shape (len(theta), len(a)).

    P = c + (1 - c) / (1 + exp(-a·(θ - b))) on the logit scale. Rasch: a = 1; 2PL: c = 0.
    """
    z = a[np.newaxis, :] * (theta[:, np.newaxis] - b[np.newaxis, :])
    return c[np.newaxis, :] + (1.0 - c[np.newaxis, :]) / (1.0 + np.exp(-z))


class ItemParameters(msgspec.Struct, frozen=True):
    """One item on the logit scale. Graded items carry their category boundaries in
    ``thresholds`` (increasing) and their mean in ``b``; dichotomous items have none.
    Partial-credit items (GPCM, PCM) carry their step difficulties there instead, and say so
    with ``partial_credit``: the same numbers mean a different curve."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    thresholds: tuple[float, ...] = ()
    partial_credit: bool = False


class ScoreScale(msgspec.Struct, frozen=True):
    """A per-exam linear reporting scale: scaled = intercept + slope·θ, clipped, rounded.

    The default maps θ in [-4, 4] onto 200-1000 (600 for an average candidate).
    """

    intercept: float = 600.0
    slope: float = 100.0
    minimum: float = 200.0
    maximum: float = 1000.0
    decimals: int = 0


class AbilityEstimates(msgspec.Struct, frozen=True):
    theta: FloatArray
    se: FloatArray


def parameter_arrays(items: Sequence[ItemParameters]) -> tuple[FloatArray, FloatArray, FloatArray]:
    a = np.array([p.a for p in items], dtype=np.float64)
    b = np.array([p.b for p in items], dtype=np.float64)
    c = np.array([p.c for p in items], dtype=np.float64)
    return a, b, c


def normal_grid(
    n_points: int = 61, mean: float = 0.0, sd: float = 1.0, span: float = 6.0
) -> tuple[FloatArray, FloatArray]:
    """Equally spaced quadrature nodes over mean ± span·sd with normal weights summing to 1.

    Even spacing (rather than Gauss-Hermite) keeps nodes where candidates are: Hermite nodes
    for 40+ points reach |θ| > 8 and waste most of the grid on nobody.
    """
    nodes = np.linspace(mean - span * sd, mean + span * sd, n_points)
    weights = np.exp(-0.5 * ((nodes - mean) / sd) ** 2)
    return nodes, weights / weights.sum()


def split_missing(responses: FloatArray) -> tuple[FloatArray, FloatArray, bool]:
    """(responses with missing as 0, presented mask as floats, whether anything is missing)."""
    presented = ~np.isnan(responses)
    filled = np.where(presented, responses, 0.0)
    return filled, presented.astype(np.float64), not bool(presented.all())


def log_likelihood_grid(
    responses: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray, nodes: FloatArray
) -> FloatArray:
    """log L(responses of each person | θ = node): shape (persons, nodes), one matmul."""
    return log_likelihood_parts(*split_missing(responses), a, b, c, nodes)


def log_likelihood_parts(
    filled: FloatArray,
    presented: FloatArray,
    missing: bool,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    nodes: FloatArray,
) -> FloatArray:
    """:func:`log_likelihood_grid` on a matrix already split by :func:`split_missing`."""
    p = np.clip(p_correct(nodes, a, b, c), _EPS, 1.0 - _EPS)
    log_p, log_q = np.log(p), np.log1p(-p)
    ll: FloatArray = filled @ (log_p - log_q).T
    if missing:
        ll += presented @ log_q.T
    else:
        # nothing missing: every person shares the same log(1 - P) total, so skip a matmul
        ll += log_q.sum(axis=1)[np.newaxis, :]
    return ll


def graded_probabilities(nodes: FloatArray, a: float, thresholds: FloatArray) -> FloatArray:
    """GRM category probabilities, shape (K, nodes): P(X = k) = P(X ≥ k) - P(X ≥ k + 1)."""
    # the logistic as 1/2 (1 + tanh(z/2)): no overflow however flat or steep the item
    z = a * (nodes[np.newaxis, :] - thresholds[:, np.newaxis])
    at_least = 0.5 * (1.0 + np.tanh(0.5 * z))
    ones = np.ones((1, nodes.size))
    cumulative = np.vstack([ones, at_least, 0.0 * ones])
    probs: FloatArray = np.clip(cumulative[:-1] - cumulative[1:], _EPS, 1.0)
    return probs


def partial_credit_probabilities(nodes: FloatArray, a: float, steps: FloatArray) -> FloatArray:
    """GPCM category probabilities, shape (K, nodes): P(X = k) ∝ exp(Σ_{v ≤ k} a(θ - b_v))."""
    # the exponent of category k is the running sum of its steps (0 for category 0)
    z = np.cumsum(a * (nodes[np.newaxis, :] - steps[:, np.newaxis]), axis=0)
    z = np.vstack([np.zeros((1, nodes.size)), z])
    # softmax with the largest exponent taken out, so no category overflows however steep
    e = np.exp(z - z.max(axis=0, keepdims=True))
    probs: FloatArray = np.clip(e / e.sum(axis=0, keepdims=True), _EPS, 1.0)
    return probs


def item_category_probabilities(item: ItemParameters, nodes: FloatArray) -> FloatArray:
    """Category probabilities (K, nodes) of a polytomous item, under its own model."""
    curve = partial_credit_probabilities if item.partial_credit else graded_probabilities
    return curve(nodes, item.a, np.asarray(item.thresholds))


def category_counts(categories: FloatArray, n_categories: int) -> FloatArray:
    """One-hot persons x K of one item's categories (NaN, not presented: a row of zeros)."""
    seen = ~np.isnan(categories)
    onehot = np.zeros((categories.size, n_categories))
    rows = np.flatnonzero(seen)
    onehot[rows, np.clip(categories[seen].astype(np.int64), 0, n_categories - 1)] = 1.0
    return onehot


def mixed_log_likelihood(
    responses: FloatArray, items: Sequence[ItemParameters], nodes: FloatArray
) -> FloatArray:
    """log L (persons x nodes) of a paper mixing dichotomous, graded and partial-credit items."""
    graded = [j for j, item in enumerate(items) if item.thresholds]
    plain = [j for j, item in enumerate(items) if not item.thresholds]
    ll = np.zeros((responses.shape[0], nodes.size))
    if plain:
        a, b, c = parameter_arrays([items[j] for j in plain])
        ll += log_likelihood_grid(responses[:, plain], a, b, c, nodes)
    for j in graded:
        log_p = np.log(item_category_probabilities(items[j], nodes))
        ll += category_counts(responses[:, j], log_p.shape[0]) @ log_p
    return ll


def posterior_summary(
    log_lik: FloatArray, nodes: FloatArray, weights: FloatArray
) -> AbilityEstimates:
    """Posterior mean and SD of θ over the nodes from log L (persons x nodes) and prior weights."""
    log_post = log_lik + np.log(weights)[np.newaxis, :]
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    post /= post.sum(axis=1, keepdims=True)
    theta = post @ nodes
    var = post @ nodes**2 - theta**2
    return AbilityEstimates(theta=theta, se=np.sqrt(np.maximum(var, 0.0)))


def eap(
    responses: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    *,
    n_points: int = 61,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
) -> AbilityEstimates:
    """Expected a posteriori θ and its posterior SD, for every person at once.

    Finite for every pattern (all right, all wrong, nothing answered: then the prior).
    """
    nodes, weights = normal_grid(n_points, prior_mean, prior_sd)
    return posterior_summary(log_likelihood_grid(responses, a, b, c, nodes), nodes, weights)


def mle(
    responses: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    *,
    bound: float = 6.0,
    max_iter: int = 60,
    tol: float = 1e-6,
) -> AbilityEstimates:
    """Maximum likelihood θ by Fisher scoring, with SE = 1/√information.

    All-right and all-wrong patterns have no finite maximum: they end at ±bound with an
    infinite SE, which callers should read as "use EAP for this person".
    """
    filled, presented, _ = split_missing(responses)
    theta = np.zeros(responses.shape[0])
    info = np.zeros_like(theta)
    for _ in range(max_iter):
        p = np.clip(p_correct(theta, a, b, c), _EPS, 1.0 - _EPS)
        # d log L / dθ and the expected information of the 3PL (Lord 1980, eq. 5.x)
        w = a[np.newaxis, :] * (p - c) / (p * (1.0 - c))
        score = ((filled - p * presented) * w).sum(axis=1)
        info = (presented * w**2 * p * (1.0 - p)).sum(axis=1)
        step = np.clip(score / np.maximum(info, 1e-12), -1.0, 1.0)
        theta = np.clip(theta + step, -bound, bound)
        if np.max(np.abs(step)) < tol:
            break
    se = np.where(info > 1e-12, 1.0 / np.sqrt(np.maximum(info, 1e-12)), np.inf)
    at_bound = np.abs(theta) >= bound
    return AbilityEstimates(theta=theta, se=np.where(at_bound, np.inf, se))


def scaled_score(theta: FloatArray, scale: ScoreScale) -> FloatArray:
    """θ on the exam's reporting scale."""
    raw = np.clip(scale.intercept + scale.slope * theta, scale.minimum, scale.maximum)
    rounded: FloatArray = np.round(raw, scale.decimals).astype(np.float64)
    return rounded


def score_abilities(
    responses: FloatArray,
    items: Sequence[ItemParameters],
    scale: ScoreScale,
    *,
    latent_sd: float = 1.0,
) -> tuple[AbilityEstimates, FloatArray]:
    """Re-score every sitting of an exam: EAP θ with SE, and the scaled score.

    Graded and partial-credit items (with ``thresholds``) take their response as a category
    0..K-1. ``latent_sd`` is the prior SD of θ: 1 for every model but Rasch and PCM, whose θ
    has its own estimated spread.
    """
    nodes, weights = normal_grid(61, 0.0, latent_sd)
    estimates = posterior_summary(mixed_log_likelihood(responses, items, nodes), nodes, weights)
    return estimates, scaled_score(estimates.theta, scale)
