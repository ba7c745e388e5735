"""The collusion rule: its two tests, their null distributions on honest simulated exams, its
family-wise error per exam, and its power beside the true-parameter omega oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proctoring.collusion import (
    _chernoff_sf,
    _poisson_sf,
    flagged_pairs,
    lagged_matches,
    pair_tests,
)
from proctoring.person_fit import mle_theta
from proctoring.similarity import (
    blocked_pairs,
    distractor_shares,
    exact_p,
    option_probabilities,
)
from proctoring.simulation import Sim, oracle
from proctoring.stats import poisson_binomial_sf


def test_lagged_matches_hand_case() -> None:
    responses = np.array([[0, 1, 2], [0, 1, 0]])
    probs = np.full((2, 3, 3), 0.25)
    probs[0, :, 0] = [0.5, 0.4, 0.3]
    probs[0, 1, 1] = 0.2
    # copier 0 answers items 0 and 1 ten seconds after source 1; item 2 matches nothing
    at = np.array([[110.0, 510.0, 900.0], [100.0, 500.0, 300.0]])
    k, lam, null = lagged_matches(responses, probs, at, np.array([0]), np.array([1]), 60.0)
    assert k[0] == 2
    # clock pairs (i, i') with 0 < t0,i - t1,i' <= 60: (110, 100) and (510, 500) -> q = 2/9
    q = 2 / 9
    assert null[0].tolist() == pytest.approx([0.5 * q, 0.2 * q, 0.3 * q])
    assert lam[0] == pytest.approx(1.0 * q)
    # the other direction: source answered before the copier, so nothing is lagged
    k_back, _, _ = lagged_matches(responses, probs, at, np.array([1]), np.array([0]), 60.0)
    assert k_back[0] == 0


def _probs(sim: Sim) -> np.ndarray:
    """What the rule works with: item parameters given, ability and distractors estimated."""
    scores = np.where(sim.resp >= 0, (sim.resp == sim.key[None, :]) * 1.0, np.nan)
    theta = mle_theta(scores, sim.a, sim.b, sim.c)
    shares = distractor_shares(sim.resp, sim.key, sim.k)
    return option_probabilities(theta, sim.a, sim.b, sim.c, sim.key, shares)


def _band(alpha: float, n: int) -> float:
    return 3.0 * math.sqrt(alpha * (1.0 - alpha) / n)


@pytest.mark.parametrize(("n_items", "seed"), [(60, 31), (150, 32)])
def test_both_tests_hold_their_level_on_honest_same_room_pairs(n_items: int, seed: int) -> None:
    # honest exam, rooms streamed by ability: every same-room pair is a same-ability pair
    sim = Sim(1800, n_items, 5, [], seed, kinds=())
    probs = _probs(sim)
    i, j = blocked_pairs([sim.room])
    cop, src = np.concatenate([i, j]), np.concatenate([j, i])
    # 20,000 of the 52,200 ordered pairs: the exact tails cost items^2 per pair
    pick = np.random.default_rng(seed).choice(cop.size, 20_000, replace=False)
    cop, src = cop[pick], src[pick]
    p_omega = exact_p(sim.resp, probs, cop, src)
    k, _, null = lagged_matches(sim.resp, probs, sim.at, cop, src, 60.0)
    p_lag = poisson_binomial_sf(null, k)
    # the tails the rule's Bonferroni cuts rely on are not liberal (pairs share sittings, so
    # the band, which treats them as independent, is if anything too narrow)
    for alpha in (0.01, 0.001):
        assert float(np.mean(p_omega <= alpha)) <= alpha + _band(alpha, cop.size)
        assert float(np.mean(p_lag <= alpha)) <= alpha + _band(alpha, cop.size)
    # omega's count is discrete and its ability estimated, so it is conservative, but not
    # so far that it rejects nothing
    assert float(np.mean(p_omega <= 0.01)) >= 0.002


def test_family_wise_error_per_exam_is_at_most_alpha() -> None:
    # at alpha = .2 the family-wise rate is measurable: 120 honest exams of 60 sittings
    alpha, exams, wrong = 0.2, 120, 0
    for e in range(exams):
        sim = Sim(60, 60, 5, [], 1000 + e, kinds=())
        i, j = blocked_pairs([sim.room])
        room = sim.room
        near = (room[i] == room[j]) & (np.max(np.abs(sim.seats[i] - sim.seats[j]), axis=1) <= 2)
        table = pair_tests(
            sim.resp,
            _probs(sim),
            sim.at,
            i,
            j,
            near,
            alpha=alpha,
            lag_s=60.0,
            neighbour_share=0.5,
            room_share=0.5,
        )
        wrong += bool(flagged_pairs(table, "bonferroni", alpha))
    assert wrong / exams <= alpha + 3.0 * math.sqrt(alpha * (1 - alpha) / exams)


@pytest.mark.parametrize(("n_items", "seed"), [(60, 41), (150, 42)])
def test_power_at_forty_percent_copying_is_not_below_the_oracle(n_items: int, seed: int) -> None:
    sim = Sim(1800, n_items, 5, [0.4], seed, kinds=())
    i, j = blocked_pairs([sim.room])
    near = np.max(np.abs(sim.seats[i] - sim.seats[j]), axis=1) <= 2
    table = pair_tests(
        sim.resp,
        _probs(sim),
        sim.at,
        i,
        j,
        near,
        alpha=0.001,
        lag_s=60.0,
        neighbour_share=0.5,
        room_share=0.4,
    )
    found = {
        (min(t.copier, t.source), max(t.copier, t.source))
        for t in flagged_pairs(table, "bonferroni", 0.001)
    }
    truth = oracle(sim, 0.001)
    planted = {(min(c, s), max(c, s)) for c, s in sim.pairs.items()}
    ours, theirs = len(found & planted) / len(planted), len(truth & planted) / len(planted)
    assert ours >= theirs and ours >= 0.9
    assert not found - planted  # no honest pair at the same family-wise level
    # the clock names the copier: the flagged direction is the planted one
    named = {t.copier for t in flagged_pairs(table, "bonferroni", 0.001) if t.by_time}
    assert named <= set(sim.pairs) and len(named) >= 0.9 * len(planted)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_items=st.integers(1, 12),
    lag=st.floats(1.0, 300.0),
    omitted=st.floats(0.0, 0.5),
)
def test_lag_count_and_null_rate_turn_round_with_the_clock(
    seed: int, n_items: int, lag: float, omitted: float
) -> None:
    # reversing time makes the source the one who answers after: the same count, the same q
    rng = np.random.default_rng(seed)
    responses = rng.integers(0, 3, (2, n_items))
    responses[rng.random((2, n_items)) < omitted] = -1
    at = rng.uniform(0.0, 600.0, (2, n_items))
    at[rng.random((2, n_items)) < omitted] = np.nan
    probs = np.full((2, n_items, 3), 1.0 / 3.0)
    one, two = np.array([0]), np.array([1])
    k, lam, null = lagged_matches(responses, probs, at, one, two, lag)
    k_rev, lam_rev, _ = lagged_matches(responses, probs, -at, two, one, lag)
    assert k[0] == k_rev[0]
    assert lam[0] == pytest.approx(lam_rev[0])
    both = (responses[0] >= 0) & (responses[1] >= 0) & ~np.isnan(at).any(axis=0)
    assert 0 <= k[0] <= int(np.sum(both & (responses[0] == responses[1])))
    assert np.all((null >= 0.0) & (null <= 1.0 / 3.0 + 1e-12))
    p = poisson_binomial_sf(null, k)
    assert 0.0 <= p[0] <= 1.0 + 1e-12


def test_the_exact_tail_candidates_are_not_lost_where_null_probabilities_are_large() -> None:
    # a lag window covering much of the sitting: per-item null probabilities of .2-.45; the
    # Poisson tail then overstates the exact one by up to 10^5-10^6 (more than the 1000x the
    # prefilter allows), the Chernoff bound by a small factor, and never understates it
    rng = np.random.default_rng(3)
    p = rng.uniform(0.2, 0.45, size=(3, 40))
    k = np.array([27, 30, 35])
    exact = poisson_binomial_sf(p, k)
    bound = _chernoff_sf(k, p)
    assert np.all(bound >= exact) and np.all(bound <= 10 * exact)
    assert _poisson_sf(k, p.sum(axis=1))[2] > 1000 * exact[2]
    # degenerate counts: nothing to exceed, or more than the items
    assert _chernoff_sf(np.array([0, 41]), p[:2]).tolist() == [1.0, 0.0]
