"""Answer similarity: Wollack's omega for blocked pairs.

Model (documented choice): a 3PL for the chance of the key, and the *empirical distractor
share* for the wrong options — P(option k | theta) = P3PL(theta) if k is the key, else
(1 - P3PL(theta)) * share[i, k], with share[i, k] the smoothed proportion of option k among
all wrong answers to item i. Wollack (1997) used the nominal response model; the 3PL +
distractor-share model needs only the calibration the exam already has, at the cost of
assuming the distractor pull does not depend on ability.

omega (Wollack 1997) for copier c and source s over items both answered:
    h = #{i : u_ci = u_si},  E = sum_i P_c(i, u_si),  V = sum_i P_c(i, u_si)(1 - P_c(i, u_si))
    omega = (h - E) / sqrt(V),  one-sided p = P(Z >= omega) far from the decision line, and
    the exact Poisson-binomial tail of h near it (``exact_p``).
Responses are option indices 0..K-1, with -1 for an omitted item (omits never match).
"""

from __future__ import annotations

import ipaddress
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from grading.irt import p_correct
from proctoring.stats import (
    FloatArray,
    benjamini_hochberg,
    bonferroni,
    norm_sf,
    poisson_binomial_sf,
)

IntArray = npt.NDArray[np.int64]

# pairs are scored in chunks so the gathered (pairs x items) arrays stay around 100 MB
_PAIR_CHUNK = 40_000


def distractor_shares(responses: IntArray, key: IntArray, n_options: int) -> FloatArray:
    """share[i, k]: smoothed share of option k among wrong answers to item i (0 at the key)."""
    n_items = responses.shape[1]
    counts = np.full((n_items, n_options), 0.5)  # +1/2 so an unused distractor is not impossible
    for k in range(n_options):
        counts[:, k] += np.sum(responses == k, axis=0)
    counts[np.arange(n_items), key] = 0.0
    shares: FloatArray = counts / counts.sum(axis=1, keepdims=True)
    return shares


def option_probabilities(
    theta: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    key: IntArray,
    shares: FloatArray,
) -> FloatArray:
    """P(person n picks option k on item i): shape (persons, items, options)."""
    p = p_correct(theta, a, b, c)
    probs = (1.0 - p)[:, :, None] * shares[None, :, :]
    n_items = a.shape[0]
    probs[:, np.arange(n_items), key] = p
    return probs


class PairOmega(msgspec.Struct, frozen=True, kw_only=True):
    """omega for one ordered pair: ``copier`` answering like ``source``."""

    copier: int
    source: int
    omega: float
    p_value: float
    observed: int
    expected: float


def omega_pairs(
    responses: IntArray, probs: FloatArray, copiers: IntArray, sources: IntArray
) -> tuple[FloatArray, IntArray, FloatArray]:
    """omega, observed matches and expected matches for each ordered pair (vectorised)."""
    n_items = responses.shape[1]
    cols = np.arange(n_items)[None, :]
    out_w = np.empty(copiers.shape[0])
    out_h = np.empty(copiers.shape[0], dtype=np.int64)
    out_e = np.empty(copiers.shape[0])
    for lo in range(0, copiers.shape[0], _PAIR_CHUNK):
        cc, ss = copiers[lo : lo + _PAIR_CHUNK], sources[lo : lo + _PAIR_CHUNK]
        uc, us = responses[cc], responses[ss]
        both = (uc >= 0) & (us >= 0)
        pm = np.where(both, probs[cc[:, None], cols, np.maximum(us, 0)], 0.0)
        h = np.sum(both & (uc == us), axis=1)
        e = pm.sum(axis=1)
        v = np.sum(pm * (1.0 - pm), axis=1)
        out_w[lo : lo + _PAIR_CHUNK] = (h - e) / np.sqrt(np.maximum(v, 1e-12))
        out_h[lo : lo + _PAIR_CHUNK] = h
        out_e[lo : lo + _PAIR_CHUNK] = e
    return out_w, out_h, out_e


def exact_p(
    responses: IntArray, probs: FloatArray, copiers: IntArray, sources: IntArray
) -> FloatArray:
    """Exact P(matches >= observed) under the same model omega standardises: the match count
    is a sum of independent Bernoulli(P_c(i, u_si)), i.e. Poisson-binomial.

    Used for the p-values of the few pairs near the decision line: at omega ~ 5-6 (where a
    10^8-pair family decides) the normal tail can be off by an order of magnitude.
    """
    n_items = responses.shape[1]
    cols = np.arange(n_items)[None, :]
    uc, us = responses[copiers], responses[sources]
    both = (uc >= 0) & (us >= 0)
    pm = np.where(both, probs[copiers[:, None], cols, np.maximum(us, 0)], 0.0)
    h = np.sum(both & (uc == us), axis=1).astype(np.int64)
    return poisson_binomial_sf(pm, h)


def subnet_of(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address: one school's NAT pool or Wi-Fi."""
    addr = ipaddress.ip_address(ip)
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


def blocked_pairs(labels: list[IntArray], max_group: int = 400) -> tuple[IntArray, IntArray]:
    """Unordered pairs (i < j) that share a label in any labelling (school, room, IP, subnet).

    Each labelling is an int per sitting (-1 = unknown). Groups larger than ``max_group`` are
    skipped: a whole district behind one carrier NAT says nothing about who sat together.
    """
    left: list[IntArray] = []
    right: list[IntArray] = []
    for lab in labels:
        order = np.argsort(lab, kind="stable")
        sorted_lab = lab[order]
        starts = np.flatnonzero(np.r_[True, sorted_lab[1:] != sorted_lab[:-1]])
        ends = np.r_[starts[1:], sorted_lab.shape[0]]
        for st, en in zip(starts, ends, strict=True):
            size = en - st
            if size < 2 or size > max_group or sorted_lab[st] < 0:
                continue
            members = np.sort(order[st:en])
            ii, jj = np.triu_indices(size, k=1)
            left.append(members[ii])
            right.append(members[jj])
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    i = np.concatenate(left).astype(np.int64)
    j = np.concatenate(right).astype(np.int64)
    n = int(max(i.max(), j.max())) + 1
    uniq = np.unique(i * n + j)
    return uniq // n, uniq % n


def similar_pairs(
    responses: IntArray,
    probs: FloatArray,
    i: IntArray,
    j: IntArray,
    level: float,
    correction: Literal["bh", "bonferroni"],
) -> tuple[PairOmega, ...]:
    """Test both directions of each unordered pair; return the pairs rejected after correction.

    The family is every ordered pair tested (2 per unordered pair), corrected by
    Benjamini-Hochberg (FDR ``level``) or Bonferroni (FWER ``level``). A pair rejected in both
    directions is reported once, in its stronger direction.
    """
    cop = np.concatenate([i, j])
    src = np.concatenate([j, i])
    w, h, e = omega_pairs(responses, probs, cop, src)
    p = norm_sf(w)
    # exact tails where a decision could turn on them (the normal tail is fine far above)
    near = np.flatnonzero(p <= max(level, 1e-3))
    for lo in range(0, near.size, 4096):
        sel = near[lo : lo + 4096]
        p[sel] = exact_p(responses, probs, cop[sel], src[sel])
    reject = benjamini_hochberg(p, level) if correction == "bh" else bonferroni(p, level)
    best: dict[tuple[int, int], PairOmega] = {}
    for k in np.flatnonzero(reject):
        hit = PairOmega(
            copier=int(cop[k]),
            source=int(src[k]),
            omega=float(w[k]),
            p_value=float(p[k]),
            observed=int(h[k]),
            expected=float(e[k]),
        )
        pair = (min(hit.copier, hit.source), max(hit.copier, hit.source))
        if pair not in best or best[pair].omega < hit.omega:
            best[pair] = hit
    return tuple(best[k] for k in sorted(best))
