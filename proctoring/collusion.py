"""The collusion rule: answer copying between sittings that sat near each other, at a
family-wise error rate per exam.

Two tests per ordered pair (copier c, source s), both conditioned on the copier's ability:

* **omega** (Wollack 1997): identical answers h against the model's expectation; exact
  Poisson-binomial tail of h (proctoring/similarity.py).
* **lagged matches** (directional, from the answer clock): K = identical answers that c gave
  0 < t_c - t_s <= lag seconds after s gave them. Ujian serves every sitting its own item
  order, so without copying the moment c answers item i says nothing about when s answered
  it: the chance that c's answer to an item falls in the window after s's answer to the
  same item is the share q of *all* item pairs (i, i') of the two clocks that do, and K is
  Poisson-binomial with P_c(i, u_si) * q per item. A copier looks at the source's screen
  and answers after it, so K also names the direction: omega's oracle cannot.

Blocked multiple comparisons (weighted Bonferroni, Holm-free so each flag's threshold is
fixed in advance): the exam's alpha is split into shares for seat neighbours, for the rest
of the pairs in one room (or behind one address), and (in proctoring/forensics.py) for the
all-pairs screen; inside a block each of the m ordered pairs' t tests gets
alpha * share / (m t). The family-wise error over everything tested is at most alpha.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from proctoring.similarity import IntArray, exact_p, omega_pairs
from proctoring.stats import FloatArray, benjamini_hochberg, norm_sf, poisson_binomial_sf

Block = Literal["neighbour", "room", "screen"]
_CHUNK = 20_000  # ordered pairs per chunk: (pairs x items) arrays of a few tens of MB
_LOOSE = 1000.0  # approximate tails decide only who gets an exact one, 1000x looser


class PairTest(msgspec.Struct, frozen=True, kw_only=True):
    """Both tests of one ordered pair, and the block whose share of alpha it spends."""

    copier: int
    source: int
    block: Block
    omega: float
    matches: int
    expected: float
    p_omega: float
    lagged: int  # identical answers the copier gave 0 < lag <= window after the source
    lagged_expected: float
    p_lag: float  # 1.0 where the clocks are unknown
    cut: float  # the p-value at or below which one test of this pair rejects

    @property
    def p_value(self) -> float:
        return min(self.p_omega, self.p_lag)

    @property
    def by_time(self) -> bool:
        return self.p_lag <= self.p_omega


def lagged_matches(
    responses: IntArray,
    probs: FloatArray,
    answered_at: FloatArray,
    copiers: IntArray,
    sources: IntArray,
    lag_s: float,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """(K, E[K], per-item null probabilities) per ordered pair, vectorised.

    The null rate q per pair counts, over all (i, i') with both answered, the clock pairs
    with 0 < t_c,i - t_s,i' <= lag: one batched searchsorted on rows shifted apart.
    """
    n_items = responses.shape[1]
    cols = np.arange(n_items)[None, :]
    uc, us = responses[copiers], responses[sources]
    tc, ts = answered_at[copiers], answered_at[sources]
    both = (uc >= 0) & (us >= 0) & ~np.isnan(tc) & ~np.isnan(ts)
    d = np.where(both, np.nan_to_num(tc) - np.nan_to_num(ts), np.nan)
    in_window = both & (np.nan_to_num(d, nan=0.0) > 0.0) & (np.nan_to_num(d) <= lag_s)
    k = np.sum(in_window & (uc == us), axis=1).astype(np.int64)
    rows = copiers.shape[0]
    finite = np.r_[tc[~np.isnan(tc)], ts[~np.isnan(ts)], 0.0]
    lo_t, hi_t = float(finite.min()), float(finite.max())
    span = hi_t - lo_t + 4.0 * lag_s + 1.0
    offs = (np.arange(rows) * span)[:, None]
    sb = np.sort(np.where(np.isnan(ts), np.inf, ts - lo_t + offs), axis=1).ravel()
    ac = np.where(np.isnan(tc), np.nan, tc - lo_t + offs)
    # t_s' in [t_c - lag, t_c): strictly before c's answer, at most lag earlier
    hits = np.searchsorted(sb, ac, side="left") - np.searchsorted(sb, ac - lag_s, side="left")
    hits = np.where(np.isnan(ac), 0, hits)
    nc, ns = (~np.isnan(tc)).sum(axis=1), (~np.isnan(ts)).sum(axis=1)
    q = hits.sum(axis=1) / np.maximum(nc * ns, 1)
    pm = np.where(both, probs[copiers[:, None], cols, np.maximum(us, 0)], 0.0)
    null = pm * q[:, None]
    return k, null.sum(axis=1), null


def _poisson_sf(k: IntArray, lam: FloatArray) -> FloatArray:
    """P(Poisson(lam) >= k) from 64 log-space terms; used only to pick exact candidates,
    where k is above the mean and the terms fall off at once."""
    j = k[:, None] + np.arange(64)[None, :]
    table = np.array([math.lgamma(x + 1.0) for x in range(int(j.max(initial=0)) + 1)])
    logpmf = j * np.log(np.maximum(lam, 1e-300))[:, None] - lam[:, None] - table[j]
    out: FloatArray = np.minimum(1.0, np.exp(logpmf).sum(axis=1))
    return np.where(k <= 0, 1.0, out)


def _chernoff_sf(k: IntArray, probs: FloatArray) -> FloatArray:
    """An upper bound on P(K >= k), K a sum of Bernoulli(probs[r, i]) per row: the Chernoff
    bound min_t E[e^{tK}] e^{-tk}, t by bisection (any t >= 0 gives a valid bound).

    The Poisson tail alone overstates by far more than _LOOSE where the per-item null
    probabilities are large (a lag window covering much of the sitting): pairs then missed
    their exact tail and the rule lost power. This bound stays within a small factor."""
    on = probs > 0.0
    p = np.clip(probs, 1e-12, 1.0 - 1e-12)
    logit = np.log(p) - np.log1p(-p)
    kk = k.astype(np.float64)[:, None]
    lo, hi = np.zeros_like(kk), np.full_like(kk, 40.0)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        mean = np.sum(np.where(on, 1.0 / (1.0 + np.exp(-(mid + logit))), 0.0), axis=1)
        below = mean[:, None] < kk
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    t = hi
    log_mgf = np.where(on, np.log1p(-p) + np.logaddexp(0.0, t + logit), 0.0).sum(axis=1)
    bound = np.exp(np.minimum(0.0, log_mgf - t[:, 0] * k))
    return np.where(k > on.sum(axis=1), 0.0, np.where(k <= 0, 1.0, bound))


class PairTable(NamedTuple):
    """Both tests of every ordered pair tested, as arrays (one row per ordered pair)."""

    copier: IntArray
    source: IntArray
    neighbour: npt.NDArray[np.bool_]
    omega: FloatArray
    matches: IntArray
    expected: FloatArray
    p_omega: FloatArray
    lagged: IntArray
    lagged_expected: FloatArray
    p_lag: FloatArray
    cut: FloatArray

    def row(self, n: int) -> PairTest:
        return PairTest(
            copier=int(self.copier[n]),
            source=int(self.source[n]),
            block="neighbour" if self.neighbour[n] else "room",
            omega=float(self.omega[n]),
            matches=int(self.matches[n]),
            expected=float(self.expected[n]),
            p_omega=float(self.p_omega[n]),
            lagged=int(self.lagged[n]),
            lagged_expected=float(self.lagged_expected[n]),
            p_lag=float(self.p_lag[n]),
            cut=float(self.cut[n]),
        )


def pair_tests(
    responses: IntArray,
    probs: FloatArray,
    answered_at: FloatArray | None,
    i: IntArray,
    j: IntArray,
    neighbour: np.ndarray,
    *,
    alpha: float,
    lag_s: float,
    neighbour_share: float,
    room_share: float,
) -> PairTable:
    """Both tests for both directions of each unordered pair (i, j); returns every ordered
    pair with its cut, so callers (and tests) can see how close each came."""
    cop, src = np.concatenate([i, j]), np.concatenate([j, i])
    near = np.concatenate([neighbour, neighbour]).astype(bool)
    timed = answered_at is not None and bool(np.any(~np.isnan(answered_at)))
    n_tests = 2 if timed else 1
    m_near, m_room = int(near.sum()), int((~near).sum())
    has_near = m_near > 0
    share_near = neighbour_share if has_near else 0.0
    share_room = room_share + (0.0 if has_near else neighbour_share)
    cut = np.where(
        near,
        alpha * share_near / max(m_near * n_tests, 1),
        alpha * share_room / max(m_room * n_tests, 1),
    )
    w, h, e = omega_pairs(responses, probs, cop, src)
    p_omega = norm_sf(w)
    close = np.flatnonzero(p_omega <= cut * _LOOSE)
    for lo in range(0, close.size, 4096):
        sel = close[lo : lo + 4096]
        p_omega[sel] = exact_p(responses, probs, cop[sel], src[sel])
    k = np.zeros(cop.size, dtype=np.int64)
    lam = np.zeros(cop.size)
    p_lag = np.ones(cop.size)
    if timed and answered_at is not None:
        for lo in range(0, cop.size, _CHUNK):
            cc, ss = cop[lo : lo + _CHUNK], src[lo : lo + _CHUNK]
            kk, ll, null = lagged_matches(responses, probs, answered_at, cc, ss, lag_s)
            k[lo : lo + _CHUNK], lam[lo : lo + _CHUNK] = kk, ll
            rough = np.where(kk > ll, np.minimum(_poisson_sf(kk, ll), _chernoff_sf(kk, null)), 1.0)
            pick = np.flatnonzero(rough <= cut[lo : lo + _CHUNK] * _LOOSE)
            if pick.size:
                p_lag[lo + pick] = poisson_binomial_sf(null[pick], kk[pick])
            rest = np.setdiff1d(np.arange(cc.size), pick)
            p_lag[lo + rest] = rough[rest]
    return PairTable(cop, src, near, w, h, e, p_omega, k, lam, p_lag, cut)


def flagged_pairs(
    table: PairTable, correction: Literal["bh", "bonferroni"], level: float
) -> tuple[PairTest, ...]:
    """The rejected pairs, one per unordered pair, in the direction with more evidence.

    Bonferroni: each ordered pair's tests against its block's cut. BH (an organiser's
    choice, false-discovery rate rather than family-wise): all tests of all pairs in one
    step-up at ``level``, the blocks' weights dropped.
    """
    if table.copier.size == 0:
        return ()
    if correction == "bh":
        ps = np.stack([table.p_omega, table.p_lag], axis=1).ravel()
        reject = benjamini_hochberg(ps, level).reshape(-1, 2).any(axis=1)
    else:
        reject = np.minimum(table.p_omega, table.p_lag) <= table.cut
    best: dict[tuple[int, int], PairTest] = {}
    for n in np.flatnonzero(reject):
        t = table.row(int(n))
        pair = (min(t.copier, t.source), max(t.copier, t.source))
        if pair not in best or _stronger(t, best[pair]):
            best[pair] = t
    return tuple(best[key] for key in sorted(best))


def _stronger(t: PairTest, other: PairTest) -> bool:
    # the answer clock names the copier when it can (who answered after whom); else omega,
    # which conditions on the copier's ability
    if t.p_lag != other.p_lag:
        return t.p_lag < other.p_lag
    return t.p_omega < other.p_omega
