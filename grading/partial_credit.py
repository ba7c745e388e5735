"""The M-step of the partial credit models: GPCM (Muraki 1992) and PCM (Masters 1982).

An item with K categories has P(X = k | θ) ∝ exp(k·a·θ + d_k), d_0 = 0: the score k is the
category's weight on θ (mirt's ``gpcm`` with scoring function 0..K-1). The exponent is linear
in (a, d), so the expected complete-data log-likelihood of every item is concave and its exact
Newton step is cheap: the Hessian is -Σ_nodes n·Jᵀ(diag P - PPᵀ)J. The reported step
difficulties are b_k = -(d_k - d_{k-1}) / a, so that P(X = k) ∝ exp(Σ_{v ≤ k} a(θ - b_v)).

The PCM is fitted as its equivalent with one slope common to every item and θ ~ N(0, 1); the
caller turns that slope into the SD of θ (as for Rasch). A common slope ties the items: the
Hessian is an arrow (one slope, a block of intercepts per item), solved by its Schur complement.
"""

from __future__ import annotations

import numpy as np

from grading.irt import FloatArray, ItemParameters, category_counts

_A_RANGE = (0.02, 8.0)
# a category nobody chose pulls its intercept to -∞: keep it where the exponent stays finite
_D_LIMIT = 40.0


def _log_probs(a: float, d: FloatArray, nodes: FloatArray) -> FloatArray:
    """log P(X = k | node), shape (K, nodes), with d the K intercepts (d_0 = 0 first)."""
    z = np.arange(d.size)[:, np.newaxis] * a * nodes[np.newaxis, :] + d[:, np.newaxis]
    top = z.max(axis=0, keepdims=True)
    out: FloatArray = z - top - np.log(np.exp(z - top).sum(axis=0, keepdims=True))
    return out


def _objective(a: float, d: FloatArray, r: FloatArray, nodes: FloatArray) -> float:
    return float((r * _log_probs(a, d, nodes)).sum())


def _derivatives(
    a: float, d: FloatArray, r: FloatArray, nodes: FloatArray
) -> tuple[float, FloatArray, float, FloatArray, FloatArray]:
    """Gradient and negated Hessian of one item's objective by (a, d_1..d_{K-1}).

    Returns (g_a, g_d, h_aa, h_ad, H_dd) with the curvature as a positive (semi)definite form.
    """
    p = np.exp(_log_probs(a, d, nodes))  # (K, nodes)
    n = r.sum(axis=0)
    k = np.arange(d.size, dtype=np.float64)
    mean_k = k @ p  # expected score per node
    var_k = (k**2) @ p - mean_k**2
    # d z_k / d a = k·θ: the slope's gradient is θ·(observed - expected score)
    g_a = float(nodes @ (k @ r - n * mean_k))
    g_d = (r - n * p).sum(axis=1)[1:]
    h_aa = float((n * var_k * nodes**2).sum())
    # Cov(k, 1{X = m}) = P_m (m - E k) at each node
    h_ad = ((n * nodes)[np.newaxis, :] * p * (k[:, np.newaxis] - mean_k)).sum(axis=1)[1:]
    w = n[np.newaxis, :] * p
    h_dd = np.diag(w.sum(axis=1)) - np.einsum("kq,mq->km", w, p)
    return g_a, g_d, h_aa, h_ad, h_dd[1:, 1:] + np.eye(d.size - 1) * 1e-9


class PartialCreditItems:
    """Every item's slope and intercepts, categories 0..K-1 (K from the highest seen)."""

    def __init__(self, responses: FloatArray, common_slope: bool):
        top = np.nan_to_num(np.nanmax(np.where(np.isnan(responses), -1.0, responses), axis=0))
        self.onehot = [
            category_counts(responses[:, j], max(int(top[j]), 1) + 1)
            for j in range(responses.shape[1])
        ]
        self.common_slope = common_slope
        self.a = np.ones(len(self.onehot))
        # start: with θ ignored, d_k = log(share of k / share of 0) (half a count added)
        self.d = []
        for onehot in self.onehot:
            counts = onehot.sum(axis=0) + 0.5
            self.d.append(np.log(counts / counts[0]))

    def log_likelihood(self, nodes: FloatArray) -> FloatArray:
        ll = np.zeros((self.onehot[0].shape[0], nodes.size))
        for onehot, a, d in zip(self.onehot, self.a, self.d, strict=True):
            ll += onehot @ _log_probs(float(a), d, nodes)
        return ll

    def m_step(self, post: FloatArray, nodes: FloatArray) -> float:
        counts = [onehot.T @ post for onehot in self.onehot]
        parts = [
            _derivatives(float(a), d, r, nodes)
            for a, d, r in zip(self.a, self.d, counts, strict=True)
        ]
        # the slope step through the Schur complement of every item's intercept block
        num = np.zeros(len(parts))
        den = np.zeros(len(parts))
        for j, (g_a, g_d, h_aa, h_ad, h_dd) in enumerate(parts):
            solved_g, solved_h = np.linalg.solve(h_dd, np.column_stack([g_d, h_ad])).T
            num[j] = g_a - h_ad @ solved_g
            den[j] = h_aa - h_ad @ solved_h + 1e-12
        d_a = np.full(len(parts), num.sum() / den.sum()) if self.common_slope else num / den
        d_d = [
            np.linalg.solve(h_dd, g_d - h_ad * step)
            for (_, g_d, _, h_ad, h_dd), step in zip(parts, d_a, strict=True)
        ]
        return self._take(d_a, d_d, counts, nodes)

    def _take(
        self, d_a: FloatArray, d_d: list[FloatArray], counts: list[FloatArray], nodes: FloatArray
    ) -> float:
        """Move along the Newton step, halved until the objective does not fall.

        The objective is concave, so the full step is usually taken; halving (and the cap of
        one logit per parameter) only guards the first iterations and near-empty categories.
        With a common slope the items are judged together, since they share the move.
        """
        largest = max([float(np.max(np.abs(d_a)))] + [float(np.max(np.abs(s))) for s in d_d])
        scale = 1.0 / max(1.0, largest)

        def total(a: FloatArray, d: list[FloatArray]) -> float:
            pairs = zip(a, d, counts, strict=True)
            return sum(_objective(float(aj), dj, r, nodes) for aj, dj, r in pairs)

        before = total(self.a, self.d)
        for _ in range(30):
            a = np.clip(self.a + scale * d_a, *_A_RANGE)
            d = [
                np.concatenate([[0.0], np.clip(dj[1:] + scale * s, -_D_LIMIT, _D_LIMIT)])
                for dj, s in zip(self.d, d_d, strict=True)
            ]
            if total(a, d) >= before - 1e-10:
                change = max(
                    [float(np.max(np.abs(a - self.a)))]
                    + [float(np.max(np.abs(x - y))) for x, y in zip(d, self.d, strict=True)]
                )
                self.a, self.d = a, d
                return change
            scale /= 2.0
        return 0.0

    def items(self) -> list[ItemParameters]:
        out = []
        for a, d in zip(self.a, self.d, strict=True):
            steps = tuple(float(s) for s in -np.diff(d) / a)
            out.append(
                ItemParameters(
                    a=float(a), b=float(np.mean(steps)), thresholds=steps, partial_credit=True
                )
            )
        return out
