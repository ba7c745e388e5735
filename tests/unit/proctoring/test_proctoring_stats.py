"""Tail probabilities and multiple-comparison corrections against hand-computed values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from proctoring.stats import (
    benjamini_hochberg,
    binom_sf,
    binom_sf_vec,
    bonferroni,
    chi2_sf_wilson_hilferty,
    norm_cdf,
    norm_isf,
    norm_sf,
    poisson_binomial_sf,
)


@pytest.mark.parametrize("z", [-4.0, -1.0, 0.0, 0.5, 1.645, 3.0, 6.0, 9.0])
def test_normal_tails_match_erfc(z: float) -> None:
    exact = 0.5 * math.erfc(z / math.sqrt(2.0))
    assert float(norm_sf(z)) == pytest.approx(exact, rel=2e-7)
    assert float(norm_cdf(-z)) == pytest.approx(exact, rel=2e-7)


def test_norm_isf_known_quantiles() -> None:
    assert norm_isf(0.05) == pytest.approx(1.644854, abs=1e-6)
    assert norm_isf(0.001) == pytest.approx(3.090232, abs=1e-6)
    with pytest.raises(ValueError):
        norm_isf(0.0)


def test_benjamini_hochberg_hand_case() -> None:
    # sorted p: .005 .01 .03 .50 ; critical k*q/m with q=.05, m=4: .0125 .025 .0375 .05
    p = np.array([0.03, 0.005, 0.50, 0.01])
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True, False, True]
    # step-up: .03 is above its own line (.025 at rank 2) but rank 3 (.036 <= .0375) pulls it in
    p2 = np.array([0.001, 0.036, 0.03, 0.9])
    assert benjamini_hochberg(p2, 0.05).tolist() == [True, True, True, False]


def test_benjamini_hochberg_with_larger_family() -> None:
    # the same candidates judged as part of a family of 1000: lines are k * .05 / 1000
    p = np.array([1e-5, 9e-5, 2e-4])
    assert benjamini_hochberg(p, 0.05, m=1000).tolist() == [True, True, False]
    assert benjamini_hochberg(np.zeros(0), 0.05).tolist() == []


def test_bonferroni() -> None:
    p = np.array([0.001, 0.02, 0.0124])
    assert bonferroni(p, 0.05, m=4).tolist() == [True, False, True]


def test_poisson_binomial_matches_enumeration() -> None:
    probs = np.array([[0.1, 0.5, 0.7, 0.95], [0.3, 0.3, 0.3, 0.3]])
    for row in range(2):
        for k in range(6):
            total = 0.0
            for bits in itertools.product([0, 1], repeat=4):
                if sum(bits) >= k:
                    total += math.prod(
                        p if b else 1 - p for p, b in zip(probs[row], bits, strict=True)
                    )
            got = poisson_binomial_sf(probs[row : row + 1], np.array([k]))[0]
            assert got == pytest.approx(total, abs=1e-12)


def test_binomial_tails() -> None:
    # P(X >= 2), X ~ Bin(3, .2) = 3 * .04 * .8 + .008 = .104
    assert binom_sf(2, 3, 0.2) == pytest.approx(0.104)
    got = binom_sf_vec(np.array([2.0, 0.0, 4.0]), np.array([3.0, 3.0, 3.0]), np.full(3, 0.2))
    assert got.tolist() == pytest.approx([0.104, 1.0, 0.0])


def test_wilson_hilferty_close_to_chi_square_table() -> None:
    # chi-square(30) upper 5% point is 43.773; chi-square(100) upper 1% point is 135.807
    assert float(chi2_sf_wilson_hilferty(np.array([43.773]), 30)[0]) == pytest.approx(
        0.05, abs=5e-4
    )
    assert float(chi2_sf_wilson_hilferty(np.array([135.807]), 100)[0]) == pytest.approx(
        0.01, abs=2e-4
    )
