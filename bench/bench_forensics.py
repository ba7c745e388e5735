"""Simulation bench for the proctoring detectors: false-positive rate and power.

IRT-generated answers (grading.irt.p_correct, 3PL + distractor shares), lognormal response
times, per-sitting item order; planted copying pairs (copier and source in one room), rapid
guessers, preknowledge of leaked items and wrong-to-right tampering, each at 10/20/40% of
the items. Prints a markdown table: each detector's false-positive rate over honest sittings
at its default threshold, and its power per contamination level, plus run times.

    python bench/bench_forensics.py                      # 2,000 and 20,000 examinees
    python bench/bench_forensics.py --sizes 2000 --seed 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grading.irt import p_correct
from proctoring.forensics import analyse_exam
from proctoring.heuristics import AnswerSaved, ItemContext, SittingState, step
from proctoring.telemetry import Blur, Focus, Heartbeat
from proctoring.thresholds import DEFAULT_THRESHOLDS

ROOM, SCHOOL = 30, 300


class Sim:
    """One simulated exam: arrays plus the planted groups by behaviour and fraction."""

    def __init__(self, n: int, n_items: int, k: int, fractions: list[float], seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.n, self.n_items, self.k = n, n_items, k
        self.a = np.clip(rng.lognormal(0.0, 0.25, n_items), 0.5, 2.5)
        self.b = rng.normal(0.0, 1.0, n_items)
        self.c = np.full(n_items, 0.2)
        self.key = rng.integers(0, k, n_items)
        shares = rng.dirichlet(np.full(k, 2.0), n_items)
        shares[np.arange(n_items), self.key] = 0.0
        shares /= shares.sum(axis=1, keepdims=True)
        theta = rng.normal(0.0, 1.0, n)
        p = p_correct(theta, self.a, self.b, self.c)
        right = rng.random((n, n_items)) < p
        cum = shares.cumsum(axis=1)
        wrong = (rng.random((n, n_items, 1)) > cum[None, :, :]).sum(axis=2)
        resp = np.where(right, self.key[None, :], np.minimum(wrong, k - 1))
        # lognormal times: beta ~ 4 (≈55 s an item), alpha 1.5-2.5, speed sd 0.25
        beta, alpha = rng.normal(4.0, 0.3, n_items), rng.uniform(1.5, 2.5, n_items)
        tau = rng.normal(0.0, 0.25, n)
        times = np.exp(beta[None, :] - tau[:, None] + rng.normal(size=(n, n_items)) / alpha)
        changed = rng.random((n, n_items)) < 1 / 3  # honest changes: final answer redrawn
        perm = rng.permutation(n)  # who sits in which room
        self.room, self.school = perm // ROOM, perm // SCHOOL
        groups: dict[tuple[str, float], np.ndarray] = {}
        size = max(10, n // 200)
        free = list(rng.permutation(n))
        copy_src: dict[int, int] = {}
        by_room: dict[int, list[int]] = {}
        for person in free:
            by_room.setdefault(int(self.room[person]), []).append(person)
        used: set[int] = set()
        leaked: dict[float, np.ndarray] = {}
        for f in fractions:
            n_copied = max(1, round(f * n_items))
            copiers: list[int] = []
            for members in by_room.values():
                avail = [m for m in members if m not in used]
                if len(avail) >= 2 and len(copiers) < size:
                    src, cop = avail[0], avail[1]
                    used.update((src, cop))
                    copiers.append(cop)
                    copy_src[cop] = src
                    items = rng.choice(n_items, n_copied, replace=False)
                    resp[cop, items] = resp[src, items]
            groups[("copying", f)] = np.array(copiers)
        rest = [m for m in free if m not in used]
        for kind in ("rapid guessing", "preknowledge", "tampering"):
            for f in fractions:
                who = np.array(rest[:size])
                rest = rest[size:]
                groups[(kind, f)] = who
                n_hit = max(1, round(f * n_items))
                if kind == "rapid guessing":
                    for w in who:
                        items = rng.choice(n_items, n_hit, replace=False)
                        times[w, items] = rng.uniform(1.0, 3.0, n_hit)
                        resp[w, items] = rng.integers(0, k, n_hit)
                elif kind == "preknowledge":
                    leaked[f] = rng.choice(n_items, n_hit, replace=False)
                    knows = rng.random((who.size, n_hit)) < 0.95
                    cur = resp[np.ix_(who, leaked[f])]
                    resp[np.ix_(who, leaked[f])] = np.where(knows, self.key[leaked[f]], cur)
                    times[np.ix_(who, leaked[f])] *= rng.uniform(0.2, 0.35, (who.size, n_hit))
                else:
                    for w in who:
                        wrong_items = np.flatnonzero(resp[w] != self.key)
                        items = rng.choice(wrong_items, min(n_hit, wrong_items.size), False)
                        resp[w, items] = self.key[items]
                        changed[w, items] = True
        # answer clock: own shuffled order from a staggered start; copiers answer copied
        # items a few seconds after their source
        start = rng.uniform(0, 120, n)
        order = np.argsort(rng.random((n, n_items)), axis=1)
        at = np.empty((n, n_items))
        rows = np.arange(n)[:, None]
        at[rows, order] = start[:, None] + np.cumsum(times[rows, order], axis=1)
        for cop, src in copy_src.items():
            same = np.flatnonzero(resp[cop] == resp[src])
            copied = same[rng.random(same.size) < 0.8]
            at[cop, copied] = at[src, copied] + rng.uniform(1.0, 4.0, copied.size)
        self.resp, self.times, self.at, self.changed = resp, times, at, changed
        self.groups = groups
        planted = np.zeros(n, dtype=bool)
        for who in groups.values():
            planted[who] = True
        planted[list(copy_src.values())] = True
        self.honest = ~planted


ROWS = [
    ("answer_similarity", "copying"),
    ("answer_similarity_screen", "copying"),
    ("timestamp_synchrony", "copying"),
    ("person_misfit", "copying"),
    ("person_misfit", "preknowledge"),
    ("preknowledge", "preknowledge"),
    ("response_time_misfit", "preknowledge"),
    ("rapid_guessing", "rapid guessing"),
    ("response_time_misfit", "rapid guessing"),
    ("erasure_index", "tampering"),
]


def heuristics_rate(sim: Sim, sittings: int) -> float:
    """Events per second through the per-sitting state machine (answers + telemetry)."""
    ctx = {
        f"i{i}": ItemContext(
            mean_time_s=float(sim.times[:, i].mean()),
            median_time_s=float(np.median(sim.times[:, i])),
            p_value=0.5,
        )
        for i in range(sim.n_items)
    }
    th = DEFAULT_THRESHOLDS
    events = 0
    t0 = time.perf_counter()
    for n in range(min(sittings, sim.n)):
        st = SittingState(sitting=f"s{n}")
        order = np.argsort(sim.at[n])
        for i in order:
            ts = int(sim.at[n, i] * 1000)
            ev = AnswerSaved(
                ts=ts,
                item=f"i{i}",
                response=str(sim.resp[n, i]),
                correct=bool(sim.resp[n, i] == sim.key[i]),
            )
            st, _ = step(st, "sess0001", ev, ctx, th)
            events += 1
            if i % 10 == 0:
                for tev in (Heartbeat(ts=ts + 1), Blur(ts=ts + 2), Focus(ts=ts + 900)):
                    st, _ = step(st, "sess0001", tev, ctx, th)
                    events += 1
    return events / (time.perf_counter() - t0)


def run(n: int, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    t0 = time.perf_counter()
    sim = Sim(n, args.items, args.options, args.fractions, args.seed)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = analyse_exam(
        sittings=[f"s{i}" for i in range(n)],
        item_ids=[f"i{i}" for i in range(args.items)],
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
        screen=not args.no_screen,
    )
    total_s = time.perf_counter() - t0
    flagged: dict[str, set[int]] = {}
    for f in report.flags:
        flagged.setdefault(f.rule, set()).add(int(f.sitting[1:]))
    honest = np.flatnonzero(sim.honest)
    lines = []
    for rule, kind in ROWS:
        if rule == "answer_similarity_screen" and args.no_screen:
            continue
        hit = flagged.get(rule, set())
        fpr = np.mean([i in hit for i in honest])
        powers = [np.mean([int(i) in hit for i in sim.groups[(kind, f)]]) for f in args.fractions]
        cells = " | ".join(f"{p:.2f}" for p in powers)
        lines.append(f"| {n:,} | {rule} | {kind} | {fpr:.4f} | {cells} |")
    rate = heuristics_rate(sim, args.heuristics_sittings)
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    timing = [f"| {n:,} | {gen_s:.1f} | {total_s:.1f} | {secs} | {rate:,.0f} |"]
    return lines, timing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--items", type=int, default=150)
    ap.add_argument("--options", type=int, default=5)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.10, 0.20, 0.40])
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--no-screen", action="store_true", help="skip the all-pairs screen")
    ap.add_argument(
        "--heuristics-sittings",
        type=int,
        default=200,
        help="sittings replayed through the streaming state machine",
    )
    args = ap.parse_args()
    rows: list[str] = []
    times: list[str] = []
    for n in args.sizes:
        r, t = run(n, args)
        rows += r
        times += t
    pcts = " | ".join(f"power @{f:.0%}" for f in args.fractions)
    print(f"| examinees | detector | planted | FPR (honest) | {pcts} |")
    print("|---:|---|---|---:|" + "---:|" * len(args.fractions))
    print("\n".join(rows))
    print()
    print(
        "| examinees | simulate (s) | forensics total (s) | per detector | state machine events/s |"
    )
    print("|---:|---:|---:|---|---:|")
    print("\n".join(times))
    print(
        f"\nseed {args.seed}, {args.items} items x {args.options} options, rooms of {ROOM}, "
        f"schools of {SCHOOL}; groups of max(10, N/200) per behaviour and level"
    )


if __name__ == "__main__":
    main()
