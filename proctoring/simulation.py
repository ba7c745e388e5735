"""A simulated exam for the forensics detectors, written to be fair to a true-parameter
omega oracle (used by bench/bench_forensics.py and the simulation tests).

Answers are 3PL with distractor shares, times lognormal (van der Linden), every sitting
works through its own shuffled order from a staggered start. Schools of 300 stream their
students into rooms of 30 by ability, so honest same-room pairs are same-ability pairs;
seats are a 5 x 6 grid. Planted separately, each in its own sittings:

* copying pairs, source and copier side by side: the copier takes a random share of the
  source's answers, each 5-40 s after the source gave it (only the copied answers move);
* rapid guessers: a share of items answered in 1-3 s, right at chance;
* preknowledge groups: a leaked share of the paper, known (95%) and answered in a fifth to a
  third of the usual time;
* tampering: a share of wrong answers turned right after the fact (marked as changed).

``oracle`` is Wollack's omega with the *true* abilities, item parameters and distractor
shares over every ordered pair in one room, Bonferroni at the exam's alpha.
"""

from __future__ import annotations

import numpy as np

from grading.irt import p_correct
from proctoring.similarity import blocked_pairs, exact_p, omega_pairs, option_probabilities
from proctoring.stats import norm_sf

ROOM, SCHOOL, COLUMNS = 30, 300, 6
ALPHA = 0.001


class Sim:
    """One simulated exam: arrays, the truth, and the planted groups."""

    def __init__(
        self,
        n: int,
        n_items: int,
        k: int,
        fractions: list[float],
        seed: int,
        kinds: tuple[str, ...] = ("rapid guessing", "preknowledge", "tampering"),
    ) -> None:
        rng = np.random.default_rng(seed)
        self.n, self.n_items, self.k = n, n_items, k
        self.a = np.clip(rng.lognormal(0.0, 0.25, n_items), 0.5, 2.5)
        self.b = rng.normal(0.0, 1.0, n_items)
        self.c = np.full(n_items, 0.2)
        self.key = rng.integers(0, k, n_items)
        shares = rng.dirichlet(np.full(k, 2.0), n_items)
        shares[np.arange(n_items), self.key] = 0.0
        self.shares = shares / shares.sum(axis=1, keepdims=True)
        self.theta = rng.normal(0.0, 1.0, n)
        right = rng.random((n, n_items)) < p_correct(self.theta, self.a, self.b, self.c)
        cum = self.shares.cumsum(axis=1)
        wrong = np.minimum((rng.random((n, n_items, 1)) > cum[None, :, :]).sum(axis=2), k - 1)
        resp = np.where(right, self.key[None, :], wrong)
        beta, alpha = rng.normal(4.0, 0.3, n_items), rng.uniform(1.5, 2.5, n_items)
        tau = rng.normal(0.0, 0.25, n)
        times = np.exp(beta[None, :] - tau[:, None] + rng.normal(size=(n, n_items)) / alpha)
        changed = rng.random((n, n_items)) < 1 / 3
        # schools stream by ability: within a school, rooms of 30 in order of theta
        school = np.arange(n) // SCHOOL
        rank = np.lexsort((self.theta, school))
        slot = np.empty(n, dtype=np.int64)
        slot[rank] = np.arange(n)
        self.room, self.school = slot // ROOM, school
        seat = slot % ROOM
        self.seats = np.stack([seat // COLUMNS, seat % COLUMNS], axis=1).astype(np.float64)
        self.groups: dict[tuple[str, float], np.ndarray] = {}
        self.pairs: dict[int, int] = {}  # copier -> source
        size = max(10, n // 60)
        used = np.zeros(n, dtype=bool)
        copied_items: dict[int, np.ndarray] = {}
        by_room = [np.flatnonzero(self.room == r) for r in np.unique(self.room)]
        for f in fractions:
            copiers: list[int] = []
            while len(copiers) < size:
                members = by_room[int(rng.integers(len(by_room)))]
                # a side-by-side pair: seat s and s + 1 in one row of the room
                start = rng.integers(0, ROOM // COLUMNS) * COLUMNS + rng.integers(0, COLUMNS - 1)
                src, cop = members[seat[members] == start], members[seat[members] == start + 1]
                if src.size and cop.size and not used[src[0]] and not used[cop[0]]:
                    used[[src[0], cop[0]]] = True
                    self.pairs[int(cop[0])] = int(src[0])
                    copiers.append(int(cop[0]))
                    items = rng.choice(n_items, max(1, round(f * n_items)), replace=False)
                    resp[cop[0], items] = resp[src[0], items]
                    copied_items[int(cop[0])] = items
            self.groups[("copying", f)] = np.array(copiers)
        rest = list(rng.permutation(np.flatnonzero(~used)))
        for kind in kinds:
            for f in fractions:
                who = np.array(rest[:size])
                rest = rest[size:]
                self.groups[(kind, f)] = who
                hit = max(1, round(f * n_items))
                if kind == "rapid guessing":
                    for w in who:
                        items = rng.choice(n_items, hit, replace=False)
                        times[w, items] = rng.uniform(1.0, 3.0, hit)
                        resp[w, items] = rng.integers(0, k, hit)
                elif kind == "preknowledge":
                    leaked = rng.choice(n_items, hit, replace=False)
                    block = np.ix_(who, leaked)
                    knows = rng.random((who.size, hit)) < 0.95
                    resp[block] = np.where(knows, self.key[leaked], resp[block])
                    times[block] *= rng.uniform(0.2, 0.35, (who.size, hit))
                else:
                    for w in who:
                        wrong_items = np.flatnonzero(resp[w] != self.key)
                        items = rng.choice(wrong_items, min(hit, wrong_items.size), False)
                        resp[w, items] = self.key[items]
                        changed[w, items] = True
        start_s = rng.uniform(0, 120, n)
        order = np.argsort(rng.random((n, n_items)), axis=1)
        at = np.empty((n, n_items))
        rows = np.arange(n)[:, None]
        at[rows, order] = start_s[:, None] + np.cumsum(times[rows, order], axis=1)
        for cop, items in copied_items.items():
            at[cop, items] = at[self.pairs[cop], items] + rng.uniform(5.0, 40.0, items.size)
        self.resp, self.times, self.at, self.changed = resp, times, at, changed
        planted = np.zeros(n, dtype=bool)
        for who in self.groups.values():
            planted[who] = True
        planted[list(self.pairs.values())] = True
        self.honest = ~planted


def oracle(sim: Sim, alpha: float = ALPHA) -> set[tuple[int, int]]:
    """Unordered pairs the true-parameter omega rejects, room-blocked, Bonferroni at alpha."""
    probs = option_probabilities(sim.theta, sim.a, sim.b, sim.c, sim.key, sim.shares)
    i, j = blocked_pairs([sim.room])
    cop, src = np.concatenate([i, j]), np.concatenate([j, i])
    w, _, _ = omega_pairs(sim.resp, probs, cop, src)
    p = norm_sf(w)
    cut = alpha / cop.size
    near = np.flatnonzero(p <= cut * 1000)
    if near.size:
        p[near] = exact_p(sim.resp, probs, cop[near], src[near])
    hits = np.flatnonzero(p <= cut)
    return {(int(min(cop[h], src[h])), int(max(cop[h], src[h]))) for h in hits}
