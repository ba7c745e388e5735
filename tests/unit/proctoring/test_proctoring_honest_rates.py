"""Every detector ``analyse_exam`` runs holds its nominal false-positive rate on purely honest
simulated data, within Monte-Carlo error.

Nominal levels (proctoring/thresholds.py):

* per sitting, at most alpha of honest sittings flagged: person fit lz* (``lz_alpha``),
  response-time misfit (``rt_alpha``), the erasure index (``edi_alpha``), preknowledge
  (``preknowledge_alpha``), all .001 by default;
* per exam, family-wise: the collusion rule with its all-pairs screen flags a pair of honest
  sittings in at most ``similarity_level`` of honest exams (the screen spends its share of
  it), timestamp synchrony in at most ``synchrony_level``;
* rapid guessing is a rule, not a test (response-time effort below .90, Wise & Kong 2005):
  it has no level, so its *specificity* is checked instead, against the same .001 per
  sitting as the tests beside it.

The check is one-sided: a detector is liberal when its count of flags exceeds the .999
quantile of Binomial(n, alpha), computed exactly; a conservative detector passes. Sizes are
chosen so that a per-sitting test at twice its level fails (40,000-150,000 sittings at .001;
the response-time fit at its former 1.5-1.9 times does fail), the screen's family-wise rate
at twice its level likewise (200 exams at .2); the whole-pipeline test, 80 exams, is a check
of the wiring and catches only a gross excess. Everything is seeded. lz* and preknowledge
(rapid guessers included) are in test_proctoring_nominal_rates.py, the collusion rule's tails
in test_proctoring_collusion.py; here they appear again only through the whole pipeline.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from grading.irt import p_correct
from proctoring.forensics import analyse_exam
from proctoring.person_fit import erasure_index, mle_theta
from proctoring.response_time import (
    fit_lognormal,
    rapid_thresholds,
    residuals,
    response_time_effort,
    rt_person_fit,
    synchrony,
)
from proctoring.screen import screen_all_pairs
from proctoring.similarity import blocked_pairs, distractor_shares, option_probabilities
from proctoring.simulation import Sim
from proctoring.thresholds import DEFAULT_THRESHOLDS, Thresholds

# rapid guessing has no level; an honest sitting should meet it no more often than a test
RAPID_SPECIFICITY = 0.001


def _bound(n: int, alpha: float, q: float = 0.999) -> int:
    """The q quantile of Binomial(n, alpha): the most flags n honest sittings (or exams) may
    raise at level alpha. Exact: the pmf summed upwards in log space (no normal tail)."""
    log_a, log_b = math.log(alpha), math.log1p(-alpha)
    log_n = math.lgamma(n + 1.0)
    total = 0.0
    for k in range(n + 1):
        log_pmf = log_n - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)
        total += math.exp(log_pmf + k * log_a + (n - k) * log_b)
        if total >= q:
            return k
    return n


def test_the_bound_is_the_binomial_quantile() -> None:
    # Binomial(10, .5): P(X <= 7) = 968/1024, P(X <= 8) = 1013/1024, P(X <= 9) = 1023/1024
    assert _bound(10, 0.5) == 9
    assert _bound(10, 0.5, q=0.95) == 8
    # large n: about the normal quantile plus the skew of a rare count
    for n, alpha in ((100_000, 0.001), (4_800, 0.01), (80, 0.1)):
        mean, sd = n * alpha, math.sqrt(n * alpha * (1.0 - alpha))
        assert mean + 3.0 * sd <= _bound(n, alpha) <= mean + 3.6 * sd + 1.0


def _items(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.clip(rng.lognormal(0.0, 0.25, k), 0.5, 2.5)
    return a, rng.normal(0.0, 1.0, k), np.full(k, 0.2)


def _honest_times(rng: np.random.Generator, persons: int, n_items: int) -> np.ndarray:
    beta, alpha = rng.normal(4.0, 0.3, n_items), rng.uniform(1.5, 2.5, n_items)
    tau = rng.normal(0.0, 0.25, persons)
    return np.exp(beta[None, :] - tau[:, None] + rng.normal(size=(persons, n_items)) / alpha)


@pytest.mark.parametrize(("n_items", "persons", "seed"), [(20, 150_000, 51), (60, 80_000, 52)])
def test_response_time_misfit_and_rapid_guessing_on_honest_times(
    n_items: int, persons: int, seed: int
) -> None:
    times = _honest_times(np.random.default_rng(seed), persons, n_items)
    th = DEFAULT_THRESHOLDS
    # the same steps as proctoring/time_flags.py
    fit, tau = fit_lognormal(times)
    lt, df, p = rt_person_fit(residuals(times, fit, tau))
    # the fit leaves each person's n squared residuals their n - 1 degrees of freedom: the
    # fit it replaced left n, and the test ran at 1.9 (20 items) and 1.55 (60) times alpha
    assert abs(float(np.mean(lt - df))) < 0.05
    assert int(np.sum(p < th.rt_alpha)) <= _bound(persons, th.rt_alpha)
    assert int(np.sum(p < 0.01)) <= _bound(persons, 0.01)
    # rapid guessing, the rule's own condition: honest lognormal times hardly ever fall
    # under NT10, so RTE < .90 over 20+ items is all but impossible
    nt = rapid_thresholds(times, th.nt_fraction, th.nt_cap_s)
    rte = response_time_effort(times, nt)
    flagged = (rte < th.rte_min) & ((~np.isnan(times)).sum(axis=1) >= th.rte_min_items)
    assert int(flagged.sum()) <= _bound(persons, RAPID_SPECIFICITY)
    assert float(np.mean(times < nt)) < 1e-3


def test_erasure_index_holds_its_rate_on_honest_changes() -> None:
    # honest changes: a third of the answers changed at least once, whatever their outcome
    rng = np.random.default_rng(53)
    persons, n_items = 40_000, 60
    a, b, c = _items(rng, n_items)
    x = (rng.random((persons, n_items)) < p_correct(rng.normal(size=persons), a, b, c)) * 1.0
    changed = rng.random((persons, n_items)) < 1 / 3
    _, p, _, _ = erasure_index(x, changed, a, b, c)
    for alpha in (DEFAULT_THRESHOLDS.edi_alpha, 0.01):
        assert int(np.sum(np.nan_to_num(p, nan=1.0) < alpha)) <= _bound(persons, alpha)


@pytest.mark.parametrize(("n_items", "seed"), [(60, 54), (150, 55)])
def test_synchrony_tails_hold_on_honest_same_room_pairs(n_items: int, seed: int) -> None:
    # 26,100 same-room pairs, each sitting in its own item order from a staggered start; the
    # Bonferroni cut over an exam's pairs relies on these tails (pairs share sittings, so the
    # bound, which treats them as independent, is if anything too narrow)
    sim = Sim(1800, n_items, 5, [], seed, kinds=())
    i, j = blocked_pairs([sim.room])
    k, expected, p = synchrony(sim.at[i], sim.at[j], DEFAULT_THRESHOLDS.synchrony_window_s)
    for alpha in (0.01, 0.001):
        assert int(np.sum(p <= alpha)) <= _bound(i.size, alpha)
    # the null is the clocks' own coincidence rate: on average it predicts the count
    assert float(np.mean(k)) == pytest.approx(float(np.mean(expected)), rel=0.05)


def _probs(sim: Sim) -> np.ndarray:
    scores = np.where(sim.resp >= 0, (sim.resp == sim.key[None, :]) * 1.0, np.nan)
    theta = mle_theta(scores, sim.a, sim.b, sim.c)
    shares = distractor_shares(sim.resp, sim.key, sim.k)
    return option_probabilities(theta, sim.a, sim.b, sim.c, sim.key, shares)


def test_all_pairs_screen_family_wise_per_exam() -> None:
    # at level .2 (Bonferroni over the N(N-1) ordered pairs) the family-wise rate is
    # measurable: 200 honest exams of 60 sittings, every pair in the exam screened
    level, exams, wrong = 0.2, 200, 0
    for e in range(exams):
        sim = Sim(60, 60, 5, [], 3000 + e, kinds=())
        wrong += bool(screen_all_pairs(sim.resp, _probs(sim), level, "bonferroni"))
    assert wrong <= _bound(exams, level)


_PER_SITTING = {
    "person_misfit": "lz_alpha",
    "response_time_misfit": "rt_alpha",
    "erasure_index": "edi_alpha",
    "preknowledge": "preknowledge_alpha",
}
_PAIR_RULES = {"answer_similarity", "answer_similarity_screen"}
_DETECTORS = {
    "similarity_blocked",
    "similarity_screen",
    "person_fit",
    "erasures",
    "response_times",
    "synchrony",
}


def test_analyse_exam_on_honest_exams_holds_every_level() -> None:
    """The whole pipeline, as an organiser runs it: 80 honest exams of 60 sittings (two rooms
    of 30 streamed by ability, seats, answer clocks, honest answer changes), the pair rules'
    levels raised to .1 per exam so a family-wise rate can be seen, the per-sitting tests at
    their defaults. Each rule holds its own level, and the share of honest exams with any
    flag at all holds the union of them all (the family-wise rate of analyse_exam)."""
    th = Thresholds(similarity_level=0.1, synchrony_level=0.1)
    exams, n, n_items = 80, 60, 60
    exams_with: Counter[str] = Counter()
    sittings_with: Counter[str] = Counter()
    any_flag = 0
    for e in range(exams):
        sim = Sim(n, n_items, 5, [], 5000 + e, kinds=())
        report = analyse_exam(
            sittings=[f"s{i}" for i in range(n)],
            item_ids=[f"i{i}" for i in range(n_items)],
            responses=sim.resp,
            key=sim.key,
            a=sim.a,
            b=sim.b,
            c=sim.c,
            n_options=sim.k,
            times=sim.times,
            answered_at=sim.at,
            changed=sim.changed,
            blocks={"room": sim.room, "school": sim.school},
            seats=sim.seats,
            thresholds=th,
        )
        # a detector added to analyse_exam needs its rate tested here (or beside this test)
        assert set(report.seconds) == _DETECTORS
        rules = {f.rule for f in report.flags}
        exams_with.update(rules | ({"pairs"} if rules & _PAIR_RULES else set()))
        for rule in rules:
            sittings_with[rule] += len({f.sitting for f in report.flags if f.rule == rule})
        any_flag += bool(report.flags)
    assert exams_with["pairs"] <= _bound(exams, th.similarity_level)
    assert exams_with["timestamp_synchrony"] <= _bound(exams, th.synchrony_level)
    for rule, level in _PER_SITTING.items():
        assert sittings_with[rule] <= _bound(exams * n, getattr(th, level)), rule
    assert sittings_with["rapid_guessing"] <= _bound(exams * n, RAPID_SPECIFICITY)
    known = _PAIR_RULES | set(_PER_SITTING) | {"timestamp_synchrony", "rapid_guessing"}
    assert set(exams_with) <= known | {"pairs"}
    union = th.similarity_level + th.synchrony_level
    union += n * (sum(getattr(th, level) for level in _PER_SITTING.values()) + RAPID_SPECIFICITY)
    assert any_flag <= _bound(exams, union)
