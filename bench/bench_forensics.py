"""Simulation bench for the cross-sitting detectors: false-positive rate and power, beside a
true-parameter omega oracle, on 60- and 150-item papers.

The simulation (proctoring/simulation.py) is written to be fair to the oracle: rooms
streamed by ability, copiers copying a random 10/20/40% of a neighbour's answers 5-40 s after
them, rapid guessers, preknowledge groups and tampering planted separately. The oracle is
Wollack's omega with the *true* abilities, item parameters and distractor shares over every
ordered pair in one room, Bonferroni at alpha = .001 per exam; the detectors get the true item
parameters and estimate everything else. FPR is the share of honest sittings flagged
(sittings in no planted group); power the share of a planted group flagged (a copier counts
when flagged with its own source).

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

from proctoring.flags import PairEvidence
from proctoring.forensics import ForensicsReport, analyse_exam
from proctoring.simulation import ALPHA, ROOM, SCHOOL, Sim, oracle

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
