"""Grading benchmark on the WORKLOAD.md exam: 150 items (120 single choice with 5 options,
15 multiple response, 10 numeric, 5 short text).

Prints sittings graded per second per core (raw paper score, and the full exam outcome with
sections and negative marking, side by side in one run), then the time to calibrate item
parameters (MML-EM) on a persons x 150 matrix, re-score every sitting by EAP and compute the
item and test statistics.

    python bench/bench_grading.py --sittings 20000 --calibration-persons 100000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading.calibration import calibrate
from grading.irt import IRT_MODELS, ScoreScale, p_correct, parameter_arrays, score_abilities
from grading.outcomes import NegativeMarking, ScoringPolicy, Section, score_exam
from grading.scoring import score_paper
from grading.statistics import exam_statistics
from grading.types import (
    ItemKey,
    MultipleResponseKey,
    MultipleResponseResponse,
    NumericKey,
    NumericResponse,
    Response,
    ShortTextKey,
    ShortTextResponse,
    SingleChoiceKey,
    SingleChoiceResponse,
)

OPTIONS = ("A", "B", "C", "D", "E")


def build_exam() -> dict[str, ItemKey]:
    keys: dict[str, ItemKey] = {}
    for i in range(120):
        keys[f"sc{i}"] = SingleChoiceKey(OPTIONS[i % 5])
    for i in range(15):
        keys[f"mr{i}"] = MultipleResponseKey(
            frozenset(OPTIONS[j] for j in range(5) if (i >> j) & 1 or j == i % 5),
            points=2.0,
            partial_credit=i % 2 == 0,
        )
    for i in range(10):
        keys[f"num{i}"] = NumericKey(float(i) * 1.5 + 0.25, absolute_tolerance=0.01)
    for i in range(5):
        keys[f"st{i}"] = ShortTextKey((f"Jawaban {i}", f"jawab {i}"), ignore_diacritics=True)
    return keys


def simulate_sitting(keys: dict[str, ItemKey], rng: random.Random) -> dict[str, Response | None]:
    """About 65% right, 5% blank, the rest wrong."""
    ability = rng.random() * 0.5 + 0.4
    out: dict[str, Response | None] = {}
    for item_id, key in keys.items():
        u = rng.random()
        if u < 0.05:
            out[item_id] = None
            continue
        right = u < ability
        match key:
            case SingleChoiceKey():
                out[item_id] = SingleChoiceResponse(key.correct if right else rng.choice(OPTIONS))
            case MultipleResponseKey():
                picks = key.correct if right else frozenset(rng.sample(OPTIONS, rng.randint(1, 3)))
                out[item_id] = MultipleResponseResponse(picks)
            case NumericKey():
                out[item_id] = NumericResponse(key.value if right else key.value + 1.0)
            case ShortTextKey():
                out[item_id] = ShortTextResponse(f" JAWABAN {item_id[-1]} " if right else "tidak")
            case _:
                out[item_id] = None
    return out


POLICY = ScoringPolicy(
    sections=(
        Section("s1", tuple(f"sc{i}" for i in range(60))),
        Section("s2", tuple(f"sc{i}" for i in range(60, 120)), weight=1.5),
        Section(
            "s3",
            tuple(
                [f"mr{i}" for i in range(15)]
                + [f"num{i}" for i in range(10)]
                + [f"st{i}" for i in range(5)]
            ),
            weight=2.0,
        ),
    ),
    negative_marking=NegativeMarking(4.0, -1.0, 0.0),
)


def grade_chunk(args: tuple[int, int, int]) -> tuple[float, float, int]:
    """(seconds for score_paper, seconds for score_exam, sittings) on one core."""
    seed, count, repeat = args
    keys = build_exam()
    rng = random.Random(seed)
    sittings = [simulate_sitting(keys, rng) for _ in range(count)]
    best_paper = best_exam = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for responses in sittings:
            score_paper(keys, responses)
        t1 = time.perf_counter()
        for responses in sittings:
            score_exam(keys, responses, POLICY)
        t2 = time.perf_counter()
        best_paper, best_exam = min(best_paper, t1 - t0), min(best_exam, t2 - t1)
    return best_paper, best_exam, count


def bench_scoring(sittings: int, workers: int, repeat: int) -> None:
    per = max(1, sittings // workers)
    jobs = [(seed, per, repeat) for seed in range(workers)]
    if workers == 1:
        results = [grade_chunk(jobs[0])]
    else:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(grade_chunk, jobs))
    # per core: every worker is one core, so the mean of their own rates
    paper = sum(n / tp for tp, _, n in results) / workers
    exam = sum(n / te for _, te, n in results) / workers
    print(f"sittings graded: {per * workers} x 150 items, {workers} worker(s), best of {repeat}")
    print(f"score_paper_sittings_per_core_s: {paper:,.0f}")
    print(f"score_exam_sittings_per_core_s: {exam:,.0f}  (sections + negative marking)")
    print(f"exam_over_paper_ratio: {exam / paper:.3f}")


def bench_calibration(persons: int, items: int, model: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=persons)
    a = rng.lognormal(0.0, 0.3, items)
    b = rng.normal(size=items)
    c = rng.uniform(0.1, 0.25, items) if model == "3PL" else np.zeros(items)
    x = (rng.random((persons, items)) < p_correct(theta, a, b, c)).astype(np.float64)
    t0 = time.perf_counter()
    result = calibrate(x, model)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    estimates, _ = score_abilities(x, result.items, ScoreScale())
    t2 = time.perf_counter()
    exam_statistics(x, np.ones(items))
    t3 = time.perf_counter()
    est_a, est_b, _ = parameter_arrays(result.items)
    print(f"calibration: {persons:,} persons x {items} items, {model}")
    print(
        f"calibration_s: {t1 - t0:.2f}  (iterations {result.iterations}, "
        f"converged {result.converged}, {(t1 - t0) / result.iterations * 1000:.0f} ms/iteration)"
    )
    print(f"rescore_eap_s: {t2 - t1:.2f}")
    print(f"statistics_s: {t3 - t2:.2f}")
    print(
        f"recovery: r(b)={np.corrcoef(est_b, b)[0, 1]:.4f} r(a)={np.corrcoef(est_a, a)[0, 1]:.4f}"
        f" r(theta)={np.corrcoef(estimates.theta, theta)[0, 1]:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sittings", type=int, default=20_000)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes grading at once (one per core); default 1"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calibration-persons", type=int, default=100_000)
    parser.add_argument("--calibration-items", type=int, default=150)
    parser.add_argument("--model", choices=IRT_MODELS, default="2PL")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"cores available: {os.cpu_count()}")
    bench_scoring(args.sittings, args.workers, args.repeat)
    if args.calibration_persons > 0:
        bench_calibration(args.calibration_persons, args.calibration_items, args.model, args.seed)


if __name__ == "__main__":
    main()
