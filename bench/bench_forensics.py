"""Simulation bench for the cross-sitting detectors: false-positive rate and power, beside a
true-parameter omega oracle, on 60- and 150-item papers.

The simulation is written to be fair to the oracle. Answers are 3PL with distractor shares,
times lognormal (van der Linden), every sitting works through its own shuffled order from a
staggered start. Schools of 300 stream their students into rooms of 30 by ability, so honest
same-room pairs are same-ability pairs; seats are a 5 x 6 grid. Planted separately:

* copying pairs, source and copier side by side: the copier takes a random 10/20/40% of the
  source's answers, each 5-40 s after the source gave it (only the copied answers move);
* rapid guessers: 10/20/40% of items answered in 1-3 s, right at chance;
* preknowledge groups: a leaked 10/20/40% of the paper, known (95%) and answered in a fifth to
  a third of the usual time.

The oracle is Wollack's omega with the *true* abilities, item parameters and distractor
shares, over every ordered pair in one room, Bonferroni at the exam's alpha = .001 (exact
Poisson-binomial tails near the line). The detectors get the true item parameters and
estimate everything else. FPR is the share of honest sittings flagged (sittings in no planted
group); power the share of a planted group flagged (a copier counts when flagged with its own
source).

    python bench/bench_forensics.py                      # 6,000 examinees, 60 and 150 items
    python bench/bench_forensics.py --examinees 3000 --items 60 --seed 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grading.irt import p_correct
from proctoring.flags import PairEvidence
from proctoring.forensics import ForensicsReport, analyse_exam
from proctoring.similarity import blocked_pairs, exact_p, omega_pairs, option_probabilities
from proctoring.stats import norm_sf

ROOM, SCHOOL, COLUMNS = 30, 300, 6
ALPHA = 0.001


class Sim:
    """One simulated exam: arrays, the truth, and the planted groups."""

    def __init__(self, n: int, n_items: int, k: int, fractions: list[float], seed: int) -> None:
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
        for kind in ("rapid guessing", "preknowledge", "tampering"):
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


def oracle(sim: Sim) -> set[tuple[int, int]]:
    """Unordered pairs the true-parameter omega rejects, room-blocked, Bonferroni at ALPHA."""
    probs = option_probabilities(sim.theta, sim.a, sim.b, sim.c, sim.key, sim.shares)
    i, j = blocked_pairs([sim.room])
    cop, src = np.concatenate([i, j]), np.concatenate([j, i])
    w, _, _ = omega_pairs(sim.resp, probs, cop, src)
    p = norm_sf(w)
    cut = ALPHA / cop.size
    near = np.flatnonzero(p <= cut * 1000)
    if near.size:
        p[near] = exact_p(sim.resp, probs, cop[near], src[near])
    hits = np.flatnonzero(p <= cut)
    return {(int(min(cop[h], src[h])), int(max(cop[h], src[h]))) for h in hits}


ROWS = [
    ("omega oracle (true parameters)", "copying"),
    ("answer_similarity", "copying"),
    ("answer_similarity_screen", "copying"),
    ("timestamp_synchrony", "copying"),
    ("person_misfit", "copying"),
    ("person_misfit", "preknowledge"),
    ("preknowledge", "preknowledge"),
    ("preknowledge", "rapid guessing"),
    ("response_time_misfit", "preknowledge"),
    ("rapid_guessing", "rapid guessing"),
    ("erasure_index", "tampering"),
]


def _pairs_of(report: ForensicsReport, rule: str, names: dict[str, int]) -> set[tuple[int, int]]:
    out = set()
    for f in report.flags:
        if f.rule != rule:
            continue
        other = next((e.other_sitting for e in f.evidence if isinstance(e, PairEvidence)), None)
        if other is not None:
            me, them = names[f.sitting], names[other]
            out.add((min(me, them), max(me, them)))
    return out


def run(n_items: int, args: argparse.Namespace) -> tuple[list[str], str]:
    t0 = time.perf_counter()
    sim = Sim(args.examinees, n_items, args.options, args.fractions, args.seed)
    gen_s = time.perf_counter() - t0
    sittings = [f"s{i}" for i in range(sim.n)]
    t0 = time.perf_counter()
    report = analyse_exam(
        sittings=sittings,
        item_ids=[f"i{i}" for i in range(n_items)],
        responses=sim.resp,
        key=sim.key,
        a=sim.a,
        b=sim.b,
        c=sim.c,
        n_options=args.options,
        times=sim.times,
        answered_at=sim.at,
        changed=sim.changed,
        blocks={"room": sim.room, "school": sim.school},
        sync_blocks=("room",),
        near_blocks=("room",),
        seats=sim.seats,
        screen=not args.no_screen,
    )
    total_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    truth = oracle(sim)
    oracle_s = time.perf_counter() - t0
    names = {s: i for i, s in enumerate(sittings)}
    honest = np.flatnonzero(sim.honest)
    lines = []
    for rule, kind in ROWS:
        if rule == "answer_similarity_screen" and args.no_screen:
            continue
        if kind == "copying":
            found = truth if rule.startswith("omega") else _pairs_of(report, rule, names)
            hit = {x for pair in found for x in pair}
            powers = [
                np.mean([(min(c, sim.pairs[c]), max(c, sim.pairs[c])) in found for c in who])
                for who in (sim.groups[(kind, f)] for f in args.fractions)
            ]
        else:
            hit = {names[f.sitting] for f in report.flags if f.rule == rule}
            powers = [np.mean([i in hit for i in sim.groups[(kind, f)]]) for f in args.fractions]
        fpr = np.mean(np.isin(honest, list(hit)))
        cells = " | ".join(f"{p:.2f}" for p in powers)
        lines.append(f"| {n_items} | {rule} | {kind} | {fpr:.4f} | {cells} |")
    secs = ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items())
    timing = f"| {n_items} | {gen_s:.1f} | {total_s:.1f} | {oracle_s:.1f} | {secs} |"
    return lines, timing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--examinees", type=int, default=6000)
    ap.add_argument("--items", type=int, nargs="+", default=[60, 150])
    ap.add_argument("--options", type=int, default=5)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.10, 0.20, 0.40])
    ap.add_argument("--seed", type=int, default=20261204)
    ap.add_argument("--no-screen", action="store_true", help="skip the all-pairs screen")
    args = ap.parse_args()
    rows: list[str] = []
    timings: list[str] = []
    for n_items in args.items:
        r, t = run(n_items, args)
        rows += r
        timings.append(t)
    pcts = " | ".join(f"power @{f:.0%}" for f in args.fractions)
    print(f"| items | detector | planted | FPR (honest) | {pcts} |")
    print("|---:|---|---|---:|" + "---:|" * len(args.fractions))
    print("\n".join(rows))
    print()
    print("| items | simulate (s) | detectors (s) | oracle (s) | per detector (s) |")
    print("|---:|---:|---:|---:|---|")
    print("\n".join(timings))
    size = max(10, args.examinees // 60)
    print(
        f"\nseed {args.seed}, {args.examinees:,} examinees, {args.options} options, rooms of "
        f"{ROOM} streamed by ability, schools of {SCHOOL}; {size} sittings per planted "
        f"behaviour and level; alpha = {ALPHA} per exam for the pair rules and the oracle"
    )


if __name__ == "__main__":
    main()
