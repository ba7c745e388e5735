"""Nominal false-positive rates on honest simulated data, within Monte-Carlo error.

Each test simulates an honest exam from the models the detectors assume (3PL answers,
lognormal times), seeded, and checks that the share of honest sittings a detector flags at
alpha is alpha within three binomial standard errors (or below it, for a test whose count is
discrete and so conservative). Rates are per sitting, as a reviewer meets them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.irt import p_correct
from proctoring.person_fit import lz_star, lz_star_p, lz_star_tail, mle_theta
from proctoring.preknowledge import preknowledge


def _items(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.clip(rng.lognormal(0.0, 0.25, k), 0.5, 2.5)
    return a, rng.normal(0.0, 1.0, k), np.full(k, 0.2)


def _band(alpha: float, n: int) -> float:
    """Three binomial standard errors of a rate alpha over n sittings."""
    return 3.0 * math.sqrt(alpha * (1.0 - alpha) / n)


@pytest.mark.parametrize(("n_items", "persons", "seed"), [(60, 100_000, 11), (150, 50_000, 12)])
def test_lz_star_flags_honest_sittings_at_its_nominal_rate(
    n_items: int, persons: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    a, b, c = _items(rng, n_items)
    x = (rng.random((persons, n_items)) < p_correct(rng.normal(size=persons), a, b, c)) * 1.0
    theta = mle_theta(x, a, b, c)
    lzs, p = lz_star_tail(x, theta, a, b, c)
    fits = ~np.isnan(p)
    for alpha in (0.05, 0.01, 0.001):
        rate = float(np.mean(p[fits] < alpha))
        assert abs(rate - alpha) <= _band(alpha, int(fits.sum())), alpha
    # the uncorrected normal tail of the same statistic runs above the band: the check bites
    alpha = 0.001
    normal = float(np.mean(lz_star_p(lzs[fits]) < alpha))
    assert normal - alpha > _band(alpha, int(fits.sum()))
    assert np.array_equal(np.isnan(lz_star(x, theta, a, b, c)[1]), ~fits)


def _honest_times(
    rng: np.random.Generator, persons: int, n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    beta, alpha = rng.normal(4.0, 0.3, n_items), rng.uniform(1.5, 2.5, n_items)
    tau = rng.normal(0.0, 0.25, persons)
    times = np.exp(beta[None, :] - tau[:, None] + rng.normal(size=(persons, n_items)) / alpha)
    return times, beta


@pytest.mark.parametrize(("n_items", "seed"), [(60, 21), (150, 22)])
def test_preknowledge_holds_its_rate_on_honest_sittings_and_rapid_guessers(
    n_items: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    persons, guessers = 20_000, 6_000
    a, b, c = _items(rng, n_items)
    theta = rng.normal(size=persons)
    x = (rng.random((persons, n_items)) < p_correct(theta, a, b, c)) * 1.0
    times, _ = _honest_times(rng, persons, n_items)
    # rapid guessers: 10, 20 or 40% of their items answered in 1-3 s, right at chance (1/5)
    for g in range(guessers):
        share = (0.1, 0.2, 0.4)[g % 3]
        items = rng.choice(n_items, round(share * n_items), replace=False)
        times[g, items] = rng.uniform(1.0, 3.0, items.size)
        x[g, items] = (rng.random(items.size) < 0.2) * 1.0
    result = preknowledge(times, x, a, b, c)
    alpha = 0.001
    honest = float(np.mean(result.p_value[guessers:] < alpha))
    rapid = float(np.mean(result.p_value[:guessers] < alpha))
    # the count on a small fast set is discrete, so the test is at or below its level
    assert honest <= alpha + _band(alpha, persons - guessers)
    assert rapid <= alpha + _band(alpha, guessers)
    assert result.rapid[:guessers].sum() >= 0.95 * guessers * round(0.7 / 3 * n_items)
    assert float(np.mean(result.rapid[guessers:])) < 1e-3  # an honest answer is rarely that fast


def test_preknowledge_finds_leaked_items_answered_fast_and_right() -> None:
    rng = np.random.default_rng(23)
    persons, n_items, cheats = 3_000, 150, 60
    a, b, c = _items(rng, n_items)
    x = (rng.random((persons, n_items)) < p_correct(rng.normal(size=persons), a, b, c)) * 1.0
    times, _ = _honest_times(rng, persons, n_items)
    leaked = rng.choice(n_items, 60, replace=False)
    x[np.ix_(np.arange(cheats), leaked)] = 1.0
    times[np.ix_(np.arange(cheats), leaked)] *= rng.uniform(0.2, 0.35, (cheats, leaked.size))
    result = preknowledge(times, x, a, b, c)
    assert float(np.mean(result.p_value[:cheats] < 0.001)) >= 0.6
    assert np.all(result.right_fast[:cheats] > result.expected[:cheats])
    assert float(np.mean(result.p_value[cheats:] < 0.001)) <= 0.001 + _band(0.001, persons)


def test_preknowledge_hand_case_is_the_exact_tail_over_the_fast_set() -> None:
    # two persons, four items; person 0 answers items 0 and 1 in a fifth of everyone's time
    rng = np.random.default_rng(24)
    persons, n_items = 400, 4
    a, b, c = np.ones(n_items), np.zeros(n_items), np.zeros(n_items)
    times = np.exp(4.0 + rng.normal(0.0, 0.3, (persons, n_items)))
    x = (rng.random((persons, n_items)) < 0.5) * 1.0
    times[0] = [11.0, 11.0, 55.0, 55.0]
    x[0] = [1.0, 1.0, 0.0, 1.0]
    result = preknowledge(times, x, a, b, c)
    assert result.fast[0].tolist() == [True, True, False, False]
    assert result.right_fast[0] == 2.0
    # theta* from items 2 and 3 (one right of two, equal items) is 0, so P = .5 on F and the
    # exact tail is P(X >= 2) = .5^2
    assert result.p_value[0] == pytest.approx(0.25, abs=1e-6)
    assert result.expected[0] == pytest.approx(1.0, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    persons=st.integers(2, 40),
    n_items=st.integers(2, 15),
    untimed=st.floats(0.0, 0.4),
)
def test_preknowledge_is_a_probability_and_never_counts_a_rapid_guess(
    seed: int, persons: int, n_items: int, untimed: float
) -> None:
    rng = np.random.default_rng(seed)
    a, b, c = _items(rng, n_items)
    x = (rng.random((persons, n_items)) < 0.6) * 1.0
    times = rng.lognormal(3.5, 1.0, (persons, n_items))
    times[rng.random((persons, n_items)) < untimed] = np.nan
    x[rng.random((persons, n_items)) < untimed] = np.nan
    if seed % 3 == 0:
        times[:, 0] = np.nan  # an item nobody has a time for
    result = preknowledge(times, x, a, b, c)
    assert np.all((result.p_value >= 0.0) & (result.p_value <= 1.0))
    assert not np.any(result.fast & result.rapid)
    assert not np.any(result.fast & (np.isnan(times) | np.isnan(x)))
    assert np.array_equal(result.right_fast, np.sum(result.fast & (x == 1.0), axis=1))
    assert np.all(result.right_fast <= result.fast.sum(axis=1))
    assert np.all(result.p_value[~result.fast.any(axis=1)] == 1.0)
