"""Wollack's omega, its exact tail, pair blocking and the all-pairs screen."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from grading.irt import p_correct
from proctoring.person_fit import mle_theta
from proctoring.screen import screen_all_pairs
from proctoring.similarity import (
    blocked_pairs,
    distractor_shares,
    exact_p,
    omega_pairs,
    option_probabilities,
    similar_pairs,
    subnet_of,
)
from proctoring.stats import norm_sf


def _hand_probs() -> np.ndarray:
    # persons x items x options; only the copier's row (0) matters for omega(0 <- 1)
    probs = np.full((2, 3, 3), 1.0 / 3.0)
    probs[0, 0] = [0.5, 0.3, 0.2]
    probs[0, 1] = [0.6, 0.2, 0.2]
    probs[0, 2] = [0.3, 0.3, 0.4]
    return probs


def test_omega_hand_computed() -> None:
    responses = np.array([[0, 1, 2], [0, 1, 0]])
    # matches h = 2 (items 0, 1); E = P0(0,0)+P0(1,1)+P0(2,0) = .5+.2+.3 = 1.0
    # V = .25 + .16 + .21 = .62 ; omega = (2 - 1) / sqrt(.62)
    w, h, e = omega_pairs(responses, _hand_probs(), np.array([0]), np.array([1]))
    assert h[0] == 2
    assert e[0] == pytest.approx(1.0)
    assert w[0] == pytest.approx(1.0 / math.sqrt(0.62))


def test_omega_skips_omitted_items() -> None:
    responses = np.array([[0, -1, 2], [0, 1, 0]])  # copier omitted item 1
    # items 0 and 2 only: h = 1, E = .5 + .3 = .8, V = .25 + .21 = .46
    w, h, e = omega_pairs(responses, _hand_probs(), np.array([0]), np.array([1]))
    assert (h[0], e[0]) == (1, pytest.approx(0.8))
    assert w[0] == pytest.approx(0.2 / math.sqrt(0.46))


def test_exact_p_is_poisson_binomial_of_matches() -> None:
    responses = np.array([[0, 1, 2], [0, 1, 0]])
    ps = [0.5, 0.2, 0.3]
    want = sum(
        math.prod(p if b else 1 - p for p, b in zip(ps, bits, strict=True))
        for bits in itertools.product([0, 1], repeat=3)
        if sum(bits) >= 2
    )
    got = exact_p(responses, _hand_probs(), np.array([0]), np.array([1]))
    assert got[0] == pytest.approx(want)


def test_distractor_shares_hand_case() -> None:
    # item 0 key 0: wrong answers 1,1,2 -> counts+.5 = (0, 2.5, 1.5) / 4
    responses = np.array([[1], [1], [2], [0], [-1]])
    shares = distractor_shares(responses, np.array([0]), 3)
    assert shares[0].tolist() == pytest.approx([0.0, 0.625, 0.375])


def test_option_probabilities_sum_to_one_and_key_is_3pl() -> None:
    theta = np.array([-1.0, 0.0, 2.0])
    a, b, c = np.array([1.0, 1.5]), np.array([0.0, 1.0]), np.array([0.2, 0.25])
    key = np.array([2, 0])
    shares = np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]])
    probs = option_probabilities(theta, a, b, c, key, shares)
    assert probs.sum(axis=2) == pytest.approx(np.ones((3, 2)))
    assert probs[:, [0, 1], key] == pytest.approx(p_correct(theta, a, b, c))


def test_blocked_pairs_by_any_label() -> None:
    room = np.array([0, 0, 1, 1, 1, -1])
    ip = np.array([7, -1, 7, -1, -1, -1])
    i, j = blocked_pairs([room, ip])
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (2, 3),
        (2, 4),
        (3, 4),
    ]
    i2, _ = blocked_pairs([room], max_group=2)  # the room of three is too coarse to block on
    assert i2.tolist() == [0]


def test_subnet_of() -> None:
    assert subnet_of("10.1.2.77") == "10.1.2.0/24"
    assert subnet_of("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"


class _Exam:
    """A small simulated exam; probabilities are refitted from the (possibly copied) answers,
    as the engine would: theta is the MLE of each sitting's own answers."""

    def __init__(self, n: int, n_items: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.uniform(0.7, 1.8, n_items)
        self.b = rng.normal(size=n_items)
        self.c = np.full(n_items, 0.2)
        self.key = rng.integers(0, 4, n_items)
        shares = rng.dirichlet(np.ones(4), n_items)
        shares[np.arange(n_items), self.key] = 0.0
        self.shares = shares / shares.sum(axis=1, keepdims=True)
        theta = rng.normal(size=n)
        probs = option_probabilities(theta, self.a, self.b, self.c, self.key, self.shares)
        u = rng.random((n, n_items, 1))
        self.responses = np.minimum((u > probs.cumsum(axis=2)).sum(axis=2), 3)

    def probs(self) -> np.ndarray:
        scores = (self.responses == self.key).astype(np.float64)
        theta = mle_theta(scores, self.a, self.b, self.c)
        return option_probabilities(theta, self.a, self.b, self.c, self.key, self.shares)


def test_similar_pairs_finds_a_copier_and_spares_the_rest() -> None:
    exam = _Exam(30, 80, seed=4)
    exam.responses[5, :40] = exam.responses[9, :40]  # half the paper copied
    i, j = blocked_pairs([np.zeros(30, dtype=np.int64)])
    hits = similar_pairs(exam.responses, exam.probs(), i, j, 0.01, "bh")
    assert [(min(h.copier, h.source), max(h.copier, h.source)) for h in hits] == [(5, 9)]
    assert hits[0].observed >= 40
    assert hits[0].p_value < 1e-4


def test_screen_agrees_with_pairwise_omega() -> None:
    exam = _Exam(60, 80, seed=11)
    exam.responses[3, :60] = exam.responses[40, :60]
    probs = exam.probs()
    hits = screen_all_pairs(exam.responses, probs, 0.01, "bonferroni")
    pairs = {(min(h.copier, h.source), max(h.copier, h.source)) for h in hits}
    assert pairs == {(3, 40)}
    h = hits[0]
    w, obs, exp = omega_pairs(exam.responses, probs, np.array([h.copier]), np.array([h.source]))
    assert h.omega == pytest.approx(w[0], rel=1e-4)
    assert h.observed == obs[0]
    assert h.expected == pytest.approx(exp[0], rel=1e-4)
    assert h.p_value <= float(norm_sf(3.0))
    # Bonferroni over 60*59 ordered pairs at .01 is p <= 2.8e-6
    assert h.p_value <= 0.01 / (60 * 59)
