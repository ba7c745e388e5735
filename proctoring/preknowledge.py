"""Item preknowledge: correct more often on one's own unexpectedly fast answers than one's
ability allows.

A person who saw items beforehand answers them fast *and* right. The test conditions on the
person's own speed, so speed alone never raises it:

1. Responses faster than the item's rapid-guess threshold (NT10, Wise & Ma 2012) are taken
   out: they are effortless guesses, not knowledge, and a rapid guesser is not a cheat.
2. On the remaining responses, the lognormal response-time model (van der Linden 2006) gives
   each person a speed tau (here fitted to the answers that are not fast, so that rushed
   answers do not set the pace) and each answer a residual z = alpha_i (log t - (beta_i -
   tau)).
   The person's *fast set* F is the answers with z < cut: fast for this item and this person.
3. Ability theta* is estimated from the answers outside F, as the erasure index estimates it
   from the unchanged answers (Wollack, Cohen & Eckerly 2015).
4. Under the hierarchical model speed and accuracy are independent given (theta, tau)
   (van der Linden 2007), so given F the number right on F is a sum of Bernoulli(P_i(theta)):
   Poisson-binomial; its exact upper tail at theta* is the p-value. The error of theta*
   would make a continuous test slightly liberal; this count is small and discrete, and on
   honest simulated papers the test runs well below its level all the same (averaging the
   tail over theta's uncertainty made it more conservative still, and cost a third of the
   power at 10-20% leaked items).

Because the test conditions on F, a person who is fast everywhere and guesses gains nothing:
guesses are right at chance, below P(theta). The index does assume that, given the person,
fast answers are not more often right than slow ones; where a population works that way
(knowing an answer makes it quick) the rate on honest data should be checked on a past exam.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from grading.irt import p_correct
from proctoring.person_fit import mle_theta
from proctoring.response_time import fit_lognormal, rapid_thresholds, residuals
from proctoring.stats import FloatArray, norm_sf_scalar, poisson_binomial_sf

BoolArray = npt.NDArray[np.bool_]

_PACE_STEPS = 8  # fixed-point steps for the pace; it settles in three or four


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
    # speed from the answers that are not fast: start at the median of the per-answer speeds
    # beta_i - log t, then repeatedly fit the pace to the answers at or above the cut, as a
    # normal truncated there (E[z | z >= cut] = phi(cut) / (1 - Phi(cut))). Answers rushed
    # through on leaked items fall below the cut and stop pulling the pace their way; a mean
    # or a median would follow them and hide them. (Any rule that picks F from the times alone
    # keeps the test valid; this one only makes F find the rushed answers.)
    alpha = np.asarray(fit.alpha)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.asarray(fit.beta)[None, :] - np.log(effortful)
    timed: BoolArray = np.any(~np.isnan(own), axis=1)
    tau = np.where(timed, np.nanmedian(np.where(timed[:, None], own, 0.0), axis=1), 0.0)
    kept_mean = math.exp(-0.5 * cut * cut) / math.sqrt(2.0 * math.pi) / norm_sf_scalar(cut)
    for _ in range(_PACE_STEPS):
        z = residuals(effortful, fit, tau)
        kept = ~np.isnan(z) & (np.nan_to_num(z, nan=-np.inf) >= cut)
        weight = np.sum(np.where(kept, alpha, 0.0), axis=1)
        lag = np.sum(np.where(kept, alpha * np.nan_to_num(-own), 0.0), axis=1)
        moved = (kept_mean * kept.sum(axis=1) - lag) / np.maximum(weight, 1e-12)
        tau = np.where(weight > 0.0, moved, tau)
    z = residuals(effortful, fit, tau)
    usable = ~np.isnan(z) & ~np.isnan(scores)
    fast = usable & (np.nan_to_num(z, nan=0.0) < cut)
    theta_star = mle_theta(np.where(fast | rapid, np.nan, scores), a, b, c)
    right = fast & (np.nan_to_num(scores) > 0.5)
    x = right.sum(axis=1)
    # compact the fast sets into (persons x largest F) so the exact tail costs |F|^2, not n^2
    width = max(1, int(fast.sum(axis=1).max(initial=0)))
    order = np.argsort(~fast, axis=1, kind="stable")[:, :width]
    inside = np.take_along_axis(fast, order, axis=1)
    pc = np.take_along_axis(p_correct(theta_star, a, b, c), order, axis=1)
    pf = np.where(inside, pc, 0.0)
    p_value = poisson_binomial_sf(pf, x.astype(np.int64))
    expected = pf.sum(axis=1)
    expected_s = np.exp(np.asarray(fit.beta)[None, :] - tau[:, None])
    return Preknowledge(
        right_fast=x.astype(np.float64),
        expected=expected,
        p_value=np.where(fast.any(axis=1), np.minimum(p_value, 1.0), 1.0),
        fast=fast,
        rapid=rapid,
        expected_seconds=expected_s,
    )
