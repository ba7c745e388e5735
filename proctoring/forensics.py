"""Cross-sitting forensics over one exam: every statistic, turned into flags with evidence.

Inputs are plain numpy arrays the engine assembles after the window closes (the rules live
in the sibling modules; this one only wires them together and writes the evidence).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import msgspec
import numpy as np
import numpy.typing as npt

from grading.irt import p_correct
from proctoring import collusion, person_fit, response_time, similarity
from proctoring.collusion import PairTest
from proctoring.flags import (
    AnswerEvidence,
    Evidence,
    Flag,
    PairEvidence,
    RiskSummary,
    Rule,
    summarise,
)
from proctoring.pair_flags import pair_flags
from proctoring.screen import screen_all_pairs
from proctoring.similarity import IntArray, PairOmega
from proctoring.stats import FloatArray, benjamini_hochberg, bonferroni
from proctoring.thresholds import DEFAULT_THRESHOLDS, Thresholds
from proctoring.time_flags import time_flags

_TOP = 20  # evidence items per flag: enough to judge, short enough to read


class ForensicsReport(msgspec.Struct, frozen=True, kw_only=True):
    flags: tuple[Flag, ...]
    summaries: tuple[RiskSummary, ...]
    seconds: dict[str, float]  # wall time per detector, for capacity planning


def analyse_exam(
    *,
    sittings: Sequence[str],
    item_ids: Sequence[str],
    responses: IntArray,
    key: IntArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    n_options: int,
    times: FloatArray | None = None,
    answered_at: FloatArray | None = None,
    own_item_order: bool = True,
    changed: np.ndarray | None = None,
    blocks: Mapping[str, IntArray] | None = None,
    sync_blocks: Sequence[str] = ("room", "ip"),
    near_blocks: Sequence[str] = ("room", "ip"),
    seats: FloatArray | None = None,
    theta: FloatArray | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    screen: bool = True,
) -> ForensicsReport:
    """Run every cross-sitting detector the inputs allow and return flags plus summaries.

    responses: option index per sitting x item (-1 omitted); times: seconds on each item;
    answered_at: server-clock seconds of each final answer; own_item_order: every sitting
    had its own (shuffled) item order, which the clock-based pair tests (the collusion rule's
    lag test, synchrony) take as their null: without it they are not run; changed: answer
    changed at least
    once; blocks: label arrays per blocking kind ("school", "room", "ip", "subnet");
    near_blocks: the blocks whose pairs the collusion rule tests; seats: (row, column) of
    each sitting's seat in its room (NaN unknown), for the neighbours' share of alpha.
    """
    th = thresholds
    # in one shared item order honest neighbours answer item i at about the same time
    pair_clock = answered_at if own_item_order else None
    spent: dict[str, float] = {}
    flags: list[Flag] = []
    labels = [str(i) for i in item_ids]
    names = list(sittings)
    scores = np.where(responses >= 0, (responses == key[None, :]).astype(np.float64), np.nan)

    def timed(name: str, fn: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        fn()
        spent[name] = time.perf_counter() - t0

    est = theta if theta is not None else person_fit.mle_theta(scores, a, b, c)
    shares = similarity.distractor_shares(responses, key, n_options)
    probs = similarity.option_probabilities(est, a, b, c, key, shares)
    pc = p_correct(est, a, b, c)

    def add_pairs(hits: tuple[PairTest, ...], rule: Rule, shared: str) -> None:
        flags.extend(
            pair_flags(
                hits,
                rule=rule,
                names=names,
                labels=labels,
                responses=responses,
                key=key,
                probs=probs,
                shared=shared,
                level=th.similarity_level,
                correction=th.similarity_correction,
                lag_s=th.collusion_lag_s,
            )
        )

    blocked_i = blocked_j = np.zeros(0, dtype=np.int64)

    def run_blocked() -> None:
        nonlocal blocked_i, blocked_j
        chosen = [k for k in near_blocks if blocks and k in blocks]
        if not blocks or not chosen:
            return
        blocked_i, blocked_j = similarity.blocked_pairs([blocks[k] for k in chosen])
        room = blocks.get("room")
        close = (
            _neighbours(seats, room, blocked_i, blocked_j, th.neighbour_seats)
            if seats is not None and room is not None
            else np.zeros(blocked_i.size, dtype=bool)
        )
        table = collusion.pair_tests(
            responses,
            probs,
            pair_clock,
            blocked_i,
            blocked_j,
            close,
            alpha=th.similarity_level,
            lag_s=th.collusion_lag_s,
            neighbour_share=th.neighbour_share,
            room_share=1.0 - th.neighbour_share - (th.screen_share if screen else 0.0),
        )
        hits = collusion.flagged_pairs(table, th.similarity_correction, th.similarity_level)
        add_pairs(hits, "answer_similarity", "+".join(chosen))

    def run_screen() -> None:
        bonferroni = th.similarity_correction == "bonferroni"
        level = th.similarity_level * th.screen_share if bonferroni else th.similarity_level
        family = max(len(names) * (len(names) - 1), 1)
        cut = level / family if bonferroni else float("nan")
        hits = screen_all_pairs(
            responses,
            probs,
            level,
            th.similarity_correction,
            th.screen_max_rejections,
        )
        # a pair found both ways keeps both flags: two independent routes to the same pair
        # (its room, and the whole exam) is itself information for the reviewer
        add_pairs(
            tuple(_screened(h, cut) for h in hits),
            "answer_similarity_screen",
            "screen",
        )

    def run_person_fit() -> None:
        # lz*'s correction is the ML estimator's: a theta given from elsewhere is not used
        ml = est if theta is None else person_fit.mle_theta(scores, a, b, c)
        lzs, p = person_fit.lz_star_tail(scores, ml, a, b, c)
        for n in np.flatnonzero(np.nan_to_num(p, nan=1.0) < th.lz_alpha):
            flags.append(
                Flag(
                    sitting=names[n],
                    rule="person_misfit",
                    kind="test",
                    statistic=float(lzs[n]),
                    threshold=th.lz_alpha,
                    direction="below",
                    p_value=float(p[n]),
                    evidence=_surprises(labels, scores[n], pc[n]),
                    note=(
                        f"answer pattern unlikely for this student's ability: lz* = "
                        f"{lzs[n]:.2f} (p = {p[n]:.2g}); wrong on easy items and right on hard "
                        f"ones, listed least likely first"
                    ),
                )
            )

    def run_erasures() -> None:
        if changed is None:
            return
        edi, p, right, expected = person_fit.erasure_index(scores, changed, a, b, c)
        for n in np.flatnonzero(np.nan_to_num(p, nan=1.0) < th.edi_alpha):
            items = np.flatnonzero(changed[n] & (scores[n] == 1.0))[:_TOP]
            n_changed = int(np.sum(changed[n] & ~np.isnan(scores[n])))
            flags.append(
                Flag(
                    sitting=names[n],
                    rule="erasure_index",
                    kind="test",
                    statistic=float(edi[n]),
                    threshold=th.edi_alpha,
                    p_value=float(p[n]),
                    evidence=tuple(AnswerEvidence(labels[i], correct=True) for i in items),
                    note=(
                        f"right on {int(right[n])} of {n_changed} changed answers, where "
                        f"ability on the unchanged ones predicts {expected[n]:.1f} "
                        f"(EDI {edi[n]:.2f}, p = {p[n]:.2g})"
                    ),
                )
            )

    def run_times() -> None:
        if times is None:
            return
        flags.extend(time_flags(names, labels, times, scores, (a, b, c), th))

    def run_synchrony() -> None:
        if pair_clock is None or not blocks:
            return
        chosen = [blocks[k] for k in sync_blocks if k in blocks]
        i, j = similarity.blocked_pairs(chosen) if chosen else (blocked_i, blocked_j)
        if i.size == 0:
            return
        k, mean, p = response_time.synchrony(pair_clock[i], pair_clock[j], th.synchrony_window_s)
        lvl = th.synchrony_level
        rej = benjamini_hochberg(p, lvl) if th.similarity_correction == "bh" else bonferroni(p, lvl)
        for r in np.flatnonzero(rej):
            for me, other in ((i[r], j[r]), (j[r], i[r])):
                flags.append(
                    Flag(
                        sitting=names[me],
                        rule="timestamp_synchrony",
                        kind="test",
                        statistic=float(k[r]),
                        threshold=lvl,
                        p_value=float(p[r]),
                        correction=th.similarity_correction,
                        evidence=(
                            PairEvidence(
                                names[other], float(k[r]), float(mean[r]), "+".join(sync_blocks)
                            ),
                        ),
                        note=(
                            f"answered {int(k[r])} items within {th.synchrony_window_s:.0f} s "
                            f"of {names[other]}, {mean[r]:.2f} expected by chance "
                            f"(p = {p[r]:.2g})"
                        ),
                    )
                )

    timed("similarity_blocked", run_blocked)
    if screen:
        timed("similarity_screen", run_screen)
    timed("person_fit", run_person_fit)
    timed("erasures", run_erasures)
    timed("response_times", run_times)
    timed("synchrony", run_synchrony)
    flagged = sorted({f.sitting for f in flags})
    return ForensicsReport(
        flags=tuple(flags), summaries=tuple(summarise(s, flags) for s in flagged), seconds=spent
    )


def _neighbours(
    seats: FloatArray, room: IntArray, i: IntArray, j: IntArray, reach: int
) -> npt.NDArray[np.bool_]:
    """Pairs in one room whose seats are at most ``reach`` rows and columns apart."""
    apart = np.max(np.abs(seats[i] - seats[j]), axis=1)
    close: npt.NDArray[np.bool_] = (
        (room[i] == room[j]) & (room[i] >= 0) & (np.nan_to_num(apart, nan=np.inf) <= reach)
    )
    return close


def _screened(h: PairOmega, cut: float) -> PairTest:
    """A screen hit as a pair test (omega only; the screen does not read the clock)."""
    return PairTest(
        copier=h.copier,
        source=h.source,
        block="screen",
        omega=h.omega,
        matches=h.observed,
        expected=h.expected,
        p_omega=h.p_value,
        lagged=0,
        lagged_expected=0.0,
        p_lag=1.0,
        cut=cut,
    )


def _surprises(labels: list[str], x: FloatArray, p: FloatArray) -> tuple[Evidence, ...]:
    """The answers the model found least likely: wrong on easy items, right on hard ones."""
    like = np.where(x == 1.0, p, 1.0 - p)
    like = np.where(np.isnan(x), np.inf, like)
    return tuple(
        AnswerEvidence(labels[i], correct=bool(x[i] == 1.0)) for i in np.argsort(like)[:_TOP]
    )
