"""Item preknowledge: correct more often on one's own unexpectedly fast answers than one's
ability allows.

A person who saw items beforehand answers them fast *and* right. The test conditions on the
person's own speed, so speed alone never raises it:

1. Responses faster than the item's rapid-guess threshold (NT10, Wise & Ma 2012) are taken
   out: they are effortless guesses, not knowledge, and a rapid guesser is not a cheat.
2. On the remaining responses, the lognormal response-time model (van der Linden 2006) gives
   each person a speed tau (here the median of beta_i - log t, robust to a share of rushed
   answers) and each answer a residual z = alpha_i (log t - (beta_i - tau)).
   The person's *fast set* F is the answers with z < cut: fast for this item and this person.
3. Ability theta* is estimated from the answers outside F, as the erasure index estimates it
   from the unchanged answers (Wollack, Cohen & Eckerly 2015).
4. Under the hierarchical model speed and accuracy are independent given (theta, tau)
   (van der Linden 2007), so given F the number right on F is a sum of Bernoulli(P_i(theta)):
   Poisson-binomial. Its exact upper tail is averaged over theta ~ N(theta*, 1/I(theta*))
   (Gauss-Hermite), so the error of theta* does not make the test liberal.

Because the test conditions on F, a person who is fast everywhere and guesses gains nothing:
guesses are right at chance, below P(theta). The index does assume that, given the person,
fast answers are not more often right than slow ones; where a population works that way
(knowing an answer makes it quick) the rate on honest data should be checked on a past exam.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from grading.irt import p_correct
from proctoring.person_fit import THETA_BOUNDS, information, mle_theta
from proctoring.response_time import fit_lognormal, rapid_thresholds, residuals
from proctoring.stats import FloatArray, poisson_binomial_sf

BoolArray = npt.NDArray[np.bool_]

# probabilists' Gauss-Hermite nodes and weights for E[f(Z)], Z ~ N(0, 1): 7 points
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(7)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


class Preknowledge(NamedTuple):
    right_fast: FloatArray  # X: correct answers in the fast set
    expected: FloatArray  # sum over F of P_i(theta*)
    p_value: FloatArray  # P(X >= observed | F, theta*), 1.0 where F is empty
    fast: BoolArray  # the fast set F per person
    rapid: BoolArray  # responses taken out as rapid guesses
    expected_seconds: FloatArray  # the model's time for each answer at the person's speed


def preknowledge(
    times: FloatArray,
    scores: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    *,
    cut: float = -1.645,
    nt_fraction: float = 0.10,
    nt_cap_s: float = 10.0,
) -> Preknowledge:
    """The conditional preknowledge test per person (rows); times NaN where not timed, scores
    0/1/NaN."""
    nt = rapid_thresholds(times, nt_fraction, nt_cap_s)
    rapid = np.nan_to_num(times, nan=np.inf) < nt[None, :]
    effortful = np.where(rapid, np.nan, times)
    fit, _ = fit_lognormal(effortful)
    # speed as the median of the person's per-item speeds: answers rushed through on leaked
    # items would pull a mean towards "fast" and hide themselves inside it
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.asarray(fit.beta)[None, :] - np.log(effortful)
    timed: BoolArray = np.any(~np.isnan(own), axis=1)
    tau = np.where(timed, np.nanmedian(np.where(timed[:, None], own, 0.0), axis=1), 0.0)
    z = residuals(effortful, fit, tau)
    # once more without the fast answers: a person who rushed 40% of the paper has a median
    # pulled their way. Any rule that picks F from times alone keeps the test valid
    slow = np.where(np.nan_to_num(z, nan=0.0) < cut, np.nan, own)
    kept: BoolArray = np.any(~np.isnan(slow), axis=1)
    tau = np.where(kept, np.nanmedian(np.where(kept[:, None], slow, 0.0), axis=1), tau)
    z = residuals(effortful, fit, tau)
    usable = ~np.isnan(z) & ~np.isnan(scores)
    fast = usable & (np.nan_to_num(z, nan=0.0) < cut)
    theta_star = mle_theta(np.where(fast | rapid, np.nan, scores), a, b, c)
    info = information(np.where(usable & ~fast, 1.0, np.nan), theta_star, a, b, c)
    sd = 1.0 / np.sqrt(np.maximum(info, 1e-6))
    right = fast & (np.nan_to_num(scores) > 0.5)
    x = right.sum(axis=1)
    # compact the fast sets into (persons x largest F) so the exact tail costs |F|^2, not n^2
    width = max(1, int(fast.sum(axis=1).max(initial=0)))
    order = np.argsort(~fast, axis=1, kind="stable")[:, :width]
    inside = np.take_along_axis(fast, order, axis=1)
    lo, hi = THETA_BOUNDS
    p_value = np.zeros(times.shape[0])
    expected = np.zeros(times.shape[0])
    for node, weight in zip(_NODES, _WEIGHTS, strict=True):
        theta = np.clip(theta_star + node * sd, lo, hi)
        pc = np.take_along_axis(p_correct(theta, a, b, c), order, axis=1)
        pf = np.where(inside, pc, 0.0)
        p_value += weight * poisson_binomial_sf(pf, x.astype(np.int64))
        expected += weight * pf.sum(axis=1)
    expected_s = np.exp(np.asarray(fit.beta)[None, :] - tau[:, None])
    return Preknowledge(
        right_fast=x.astype(np.float64),
        expected=expected,
        p_value=np.where(fast.any(axis=1), np.minimum(p_value, 1.0), 1.0),
        fast=fast,
        rapid=rapid,
        expected_seconds=expected_s,
    )
