"""Flags for a pair found by the collusion rule or the screen: both sittings get one, with
the statistic that decided, its p-value, the numbers of both tests and the evidence in words.
"""

from __future__ import annotations

import numpy as np

from proctoring.collusion import PairTest
from proctoring.flags import Evidence, Flag, MatchEvidence, PairEvidence, Rule, ValueEvidence
from proctoring.similarity import IntArray
from proctoring.stats import FloatArray

_TOP = 20  # matched answers per flag: enough to judge, short enough to read

_WHERE = {
    "neighbour": "seat neighbours in one room",
    "room": "in one room or behind one address",
    "screen": "found by the all-pairs screen",
}


def _words(t: PairTest, copier: str, source: str, both: int, lag_s: float) -> str:
    said = [
        f"{copier} gave {source}'s answer on {t.matches} of {both} items both answered, "
        f"{t.expected:.1f} expected at the copier's ability (omega {t.omega:.2f}, "
        f"p = {t.p_omega:.2g})"
    ]
    if t.p_lag < 1.0:
        said.append(
            f"{t.lagged} of those answers came 0-{lag_s:.0f} s after the source's, "
            f"{t.lagged_expected:.2f} expected by chance (p = {t.p_lag:.2g})"
        )
    said.append(f"{_WHERE[t.block]}; a test rejects at p <= {t.cut:.2g}")
    return "; ".join(said)


def pair_flags(
    hits: tuple[PairTest, ...],
    *,
    rule: Rule,
    names: list[str],
    labels: list[str],
    responses: IntArray,
    key: IntArray,
    probs: FloatArray,
    shared: str,
    level: float,
    correction: str,
    lag_s: float,
) -> list[Flag]:
    out: list[Flag] = []
    for t in hits:
        same = (responses[t.copier] == responses[t.source]) & (responses[t.copier] >= 0)
        both = int(np.sum((responses[t.copier] >= 0) & (responses[t.source] >= 0)))
        idx = np.flatnonzero(same)
        mp = probs[t.copier, idx, responses[t.source, idx]]
        order = idx[np.argsort(mp)][:_TOP]  # least likely shared answers first
        matches: list[Evidence] = [
            MatchEvidence(
                item=labels[i],
                response=str(int(responses[t.source, i])),
                correct=bool(responses[t.source, i] == key[i]),
                model_probability=float(probs[t.copier, i, responses[t.source, i]]),
            )
            for i in order
        ]
        numbers: list[Evidence] = [
            ValueEvidence("omega", t.omega),
            ValueEvidence("p omega", t.p_omega),
            ValueEvidence("answers after the source within the lag", float(t.lagged)),
            ValueEvidence("expected by chance", t.lagged_expected),
            ValueEvidence("p lag", t.p_lag),
            ValueEvidence("cut", t.cut),
        ]
        by_time = t.by_time and t.p_lag < 1.0
        words = _words(t, names[t.copier], names[t.source], both, lag_s)
        for me, other in ((t.copier, t.source), (t.source, t.copier)):
            pair: Evidence = PairEvidence(names[other], t.matches, t.expected, shared)
            role = "copier" if me == t.copier else "source"
            how = "who answered after whom" if by_time else "by ability"
            note = f"{role} ({how}): {words}"
            out.append(
                Flag(
                    sitting=names[me],
                    rule=rule,
                    kind="test",
                    statistic=float(t.lagged) if by_time else t.omega,
                    threshold=level,
                    p_value=t.p_value,
                    correction="bh" if correction == "bh" else "bonferroni",
                    evidence=(pair, *numbers, *matches),
                    note=note,
                )
            )
    return out
