"""All-pairs answer-similarity screen: omega for every ordered pair as matrix products.

With X the one-hot answers (persons x items*options; an omitted item is an all-zero block)
and M the option probabilities with each person's omitted items zeroed, for copier c and
source s:
    matches  H = X X^T           (identical answers, items both answered)
    expected E = M X^T           (sum over items of P_c(option s chose))
    variance V = E - (M*M) X^T   (sum of P(1 - P))
so omega = (H - E)/sqrt(V) for all N^2 ordered pairs costs three GEMMs, done in row blocks
so memory stays at a few rows x N. Multiple comparisons: Bonferroni or Benjamini-Hochberg
over the N(N-1) ordered pairs (an exam's default is Bonferroni at the screen's share of the
collusion rule's alpha, proctoring/collusion.py). Only candidates with
p <= level * max_rejections / m are kept, so 10^8 p-values are never held at once, and
their p-values are the exact Poisson-binomial tails of the match count (see similarity).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from proctoring.similarity import IntArray, PairOmega, exact_p
from proctoring.stats import FloatArray, benjamini_hochberg, bonferroni, norm_isf, norm_sf

# rows per block: 3 * 256 x N float32 products stay under ~60 MB at N = 20,000
_ROWS = 256


def _one_hot(responses: IntArray, n_options: int) -> np.ndarray:
    n, n_items = responses.shape
    x = np.zeros((n, n_items * n_options), dtype=np.float32)
    rows, cols = np.nonzero(responses >= 0)
    x[rows, cols * n_options + responses[rows, cols]] = 1.0
    return x


def screen_all_pairs(
    responses: IntArray,
    probs: FloatArray,
    level: float,
    correction: Literal["bh", "bonferroni"] = "bh",
    max_rejections: int = 100_000,
) -> tuple[PairOmega, ...]:
    """Ordered pairs whose omega survives the correction, one per unordered pair."""
    n, _, n_options = probs.shape
    if n < 2:
        return ()
    x = _one_hot(responses, n_options)
    answered = np.repeat(responses >= 0, n_options, axis=1)
    m_flat = np.where(answered, probs.reshape(n, -1), 0.0).astype(np.float32)
    m2_flat = m_flat * m_flat
    family = n * (n - 1)
    # candidate cut: any p rejected by BH is <= level * R / m with R rejections
    keep_p = level * max_rejections / family if correction == "bh" else level / family
    # the normal filter is loosened 100x: exact tails can be smaller than normal ones
    z_cut = norm_isf(min(keep_p * 100.0, 0.5))
    xt = np.ascontiguousarray(x.T)
    cand_c: list[IntArray] = []
    cand_s: list[IntArray] = []
    cand_w: list[FloatArray] = []
    cand_h: list[IntArray] = []
    cand_e: list[FloatArray] = []
    for lo in range(0, n, _ROWS):
        hi = min(n, lo + _ROWS)
        r = hi - lo
        stacked = np.concatenate([x[lo:hi], m_flat[lo:hi], m2_flat[lo:hi]]) @ xt
        h, e, e2 = stacked[:r], stacked[r : 2 * r], stacked[2 * r :]
        v = np.maximum(e - e2, 1e-6)
        w = (h - e) / np.sqrt(v)
        w[np.arange(r), np.arange(lo, hi)] = -np.inf  # a sitting does not copy itself
        rr, ss = np.nonzero(w >= z_cut)
        if rr.size:
            cand_c.append((rr + lo).astype(np.int64))
            cand_s.append(ss.astype(np.int64))
            cand_w.append(w[rr, ss].astype(np.float64))
            cand_h.append(np.rint(h[rr, ss]).astype(np.int64))
            cand_e.append(e[rr, ss].astype(np.float64))
    if not cand_c:
        return ()
    cop, src = np.concatenate(cand_c), np.concatenate(cand_s)
    w_all, h_all, e_all = np.concatenate(cand_w), np.concatenate(cand_h), np.concatenate(cand_e)
    p = norm_sf(w_all)
    for lo in range(0, cop.size, 4096):
        p[lo : lo + 4096] = exact_p(responses, probs, cop[lo : lo + 4096], src[lo : lo + 4096])
    if correction == "bh":
        reject = benjamini_hochberg(p, level, m=family)
    else:
        reject = bonferroni(p, level, m=family)
    best: dict[tuple[int, int], PairOmega] = {}
    for k in np.flatnonzero(reject):
        hit = PairOmega(
            copier=int(cop[k]),
            source=int(src[k]),
            omega=float(w_all[k]),
            p_value=float(p[k]),
            observed=int(h_all[k]),
            expected=float(e_all[k]),
        )
        pair = (min(hit.copier, hit.source), max(hit.copier, hit.source))
        if pair not in best or best[pair].omega < hit.omega:
            best[pair] = hit
    return tuple(best[k] for k in sorted(best))
