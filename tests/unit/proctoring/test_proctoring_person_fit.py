"""lz, lz* (Snijders 2001), the ML ability they need, and the erasure detection index."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grading.irt import NORMAL_OGIVE_D, D, p_correct
from proctoring.person_fit import erasure_index, lz_star, lz_star_p, mle_theta


def test_lz_two_item_hand_case() -> None:
    # 2PL items with P = .8 and P = .2 at theta = 0; pattern (wrong, right) is the odd one.
    b = np.array([-math.log(4) / D, math.log(4) / D])
    a, c = np.ones(2), np.zeros(2)
    x = np.array([[0.0, 1.0]])
    lz, lzs = lz_star(x, np.zeros(1), a, b, c)
    # W = (0-.8) ln4 + (1-.2)(-ln4) = -1.6 ln4 ; Var = 2 * .16 * ln4^2 ; lz = -1.6 / sqrt(.32)
    assert lz[0] == pytest.approx(-1.6 / math.sqrt(0.32))
    # c_n = sum P'w / sum P'r = (D.16 ln4 - D.16 ln4) / (2 D^2 .16) = 0, so lz* = lz here
    assert lzs[0] == pytest.approx(lz[0])
    assert lz_star_p(lzs)[0] == pytest.approx(0.5 * math.erfc(1.6 / math.sqrt(0.32) / 2**0.5))


def _lz_star_reference(
    x: list[float], theta: float, a: list[float], b: list[float], c: list[float]
) -> float:
    """Snijders (2001) written out item by item, for the ML estimator (r_0 = 0)."""
    w_sum = num = den = 0.0
    terms = []
    for xi, ai, bi, ci in zip(x, a, b, c, strict=True):
        p = ci + (1 - ci) / (1 + math.exp(-D * ai * (theta - bi)))
        q = 1 - p
        dp = D * ai * (p - ci) * q / (1 - ci)
        w = math.log(p / q)
        r = dp / (p * q)
        w_sum += (xi - p) * w
        num += dp * w
        den += dp * r
        terms.append((w, r, p, q))
    cn = num / den
    tau2 = sum((w - cn * r) ** 2 * p * q for w, r, p, q in terms)
    return w_sum / math.sqrt(tau2)


def test_lz_star_matches_published_formula_with_correction() -> None:
    a = [0.8, 1.4, 1.0, 2.0, 0.6, 1.2]
    b = [-1.5, -0.5, 0.0, 0.4, 1.0, 2.0]
    c = [0.2, 0.25, 0.0, 0.2, 0.1, 0.2]
    x = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    arr = (np.array(a), np.array(b), np.array(c))
    theta = mle_theta(np.array([x]), *arr)
    _, lzs = lz_star(np.array([x]), theta, *arr)
    assert lzs[0] == pytest.approx(_lz_star_reference(x, float(theta[0]), a, b, c), rel=1e-9)


def test_mle_solves_the_likelihood_equation() -> None:
    rng = np.random.default_rng(2)
    a, b, c = rng.uniform(0.6, 2, 40), rng.normal(size=40), np.full(40, 0.2)
    x = (rng.random((50, 40)) < p_correct(rng.normal(size=50), a, b, c)).astype(float)
    theta = mle_theta(x, a, b, c)
    p = p_correct(theta, a, b, c)
    dp = D * a * (p - c) * (1 - p) / (1 - c)
    score = np.sum((x - p) * dp / (p * (1 - p)), axis=1)
    inner = (theta > -3.99) & (theta < 3.99)
    assert np.abs(score[inner]).max() < 1e-4


def test_lz_star_is_standard_normal_for_fitting_data_and_low_for_misfit() -> None:
    rng = np.random.default_rng(5)
    n, k = 3000, 100
    a, b, c = rng.uniform(0.7, 1.8, k), rng.normal(size=k), np.full(k, 0.2)
    theta = rng.normal(size=n)
    x = (rng.random((n, k)) < p_correct(theta, a, b, c)).astype(float)
    # 20 sittings that got the 30 hardest items right and the 30 easiest wrong
    order = np.argsort(b)
    x[:20, order[-30:]] = 1.0
    x[:20, order[:30]] = 0.0
    est = mle_theta(x, a, b, c)
    _, lzs = lz_star(x, est, a, b, c)
    null = lzs[20:]
    assert abs(float(np.nanmean(null))) < 0.1
    assert abs(float(np.nanstd(null)) - 1.0) < 0.1
    assert np.all(lz_star_p(lzs[:20]) < 0.001)


def test_edi_hand_computed_and_detects_tampering() -> None:
    rng = np.random.default_rng(8)
    k = 80
    # slopes on the logit scale (as calibrated): the normal-ogive 0.7-1.8 times D
    a = rng.uniform(0.7, 1.8, k) * NORMAL_OGIVE_D
    b, c = rng.normal(size=k), np.full(k, 0.2)
    theta = rng.normal(size=400)
    theta[0] = -1.0  # a weak candidate, so there are wrong answers left to "fix"
    x = (rng.random((400, k)) < p_correct(theta, a, b, c)).astype(float)
    changed = rng.random((400, k)) < 0.2
    fixed = np.flatnonzero(x[0] == 0.0)[:20]
    x[0, fixed], changed[0, fixed] = 1.0, True  # wrong answers "fixed" after the fact
    edi, p, obs, exp = erasure_index(x, changed, a, b, c)
    # by hand for row 0: theta* from unchanged items, then (X - E - .5)/sqrt(V + TS term)
    theta_star = mle_theta(np.where(changed[:1], np.nan, x[:1]), a, b, c)
    pr = p_correct(theta_star, a, b, c)[0]
    on = changed[0]
    dp = D * a * (pr - c) * (1 - pr) / (1 - c)
    info = np.sum((dp * dp / (pr * (1 - pr)))[~on])
    var = np.sum((pr * (1 - pr))[on]) + np.sum(dp[on]) ** 2 / info
    assert obs[0] == x[0, on].sum()
    assert exp[0] == pytest.approx(pr[on].sum())
    assert edi[0] == pytest.approx((obs[0] - exp[0] - 0.5) / math.sqrt(var))
    assert p[0] < 0.001
    assert float(np.mean(p[1:] < 0.01)) < 0.03
