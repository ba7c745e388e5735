"""Flags: one rule fired for one sitting, with the statistic and the evidence behind it.

A flag opens a human review; it is never a verdict. Every flag carries what a teacher needs
to judge it: the rule, its statistic and threshold, a p-value when the rule is a test, and
the evidence (events, matched answers, timings) the statistic was computed from.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Rule = Literal[
    "time_away",
    "paste_into_answer",
    "ip_change",
    "device_change",
    "overlapping_session",
    "answer_while_hidden",
    "fullscreen_exit",
    "rapid_guessing",
    "fast_correct_hard",
    "wrong_to_right_changes",
    "answer_similarity",
    "answer_similarity_screen",
    "person_misfit",
    "response_time_misfit",
    "preknowledge",
    "erasure_index",
    "timestamp_synchrony",
]

# "test": a statistical test with a p-value; "behaviour": a telemetry or timing rule
Kind = Literal["test", "behaviour"]


class EventEvidence(msgspec.Struct, frozen=True, tag="event", tag_field="kind"):
    ts: int
    event: str
    detail: str = ""


class AnswerEvidence(msgspec.Struct, frozen=True, tag="answer", tag_field="kind"):
    item: str
    response: str = ""
    correct: bool | None = None
    seconds: float | None = None
    expected_seconds: float | None = None


class MatchEvidence(msgspec.Struct, frozen=True, tag="match", tag_field="kind"):
    """An item two sittings answered identically (the matched answer of a similarity flag)."""

    item: str
    response: str
    correct: bool
    # model probability the first sitting would choose this response on its own
    model_probability: float


class PairEvidence(msgspec.Struct, frozen=True, tag="pair", tag_field="kind"):
    other_sitting: str
    observed: float
    expected: float
    shared: str = ""  # what blocked the pair: "room:12", "ip:10.0.0.7", "screen"


class ValueEvidence(msgspec.Struct, frozen=True, tag="value", tag_field="kind"):
    label: str
    value: float


Evidence = EventEvidence | AnswerEvidence | MatchEvidence | PairEvidence | ValueEvidence


class Flag(msgspec.Struct, frozen=True, kw_only=True):
    sitting: str
    rule: Rule
    kind: Kind
    statistic: float
    threshold: float
    # "above": the rule fires when statistic >= threshold; "below": when statistic <= threshold
    direction: Literal["above", "below"] = "above"
    p_value: float | None = None
    # multiple-comparison correction applied to p_value's decision, if any
    correction: Literal["none", "bh", "bonferroni"] = "none"
    evidence: tuple[Evidence, ...] = ()
    note: str = ""


class RiskSummary(msgspec.Struct, frozen=True, kw_only=True):
    sitting: str
    level: Literal["none", "low", "medium", "high"]
    score: float
    rules: tuple[Rule, ...]
    smallest_p: float | None


# why weights: independent kinds of evidence should outrank many repeats of one kind, so the
# score counts distinct rules, and tests (which control their error rate) weigh more than
# behaviour (which often has innocent causes: a phone call, a flaky network)
_WEIGHTS: dict[Kind, float] = {"test": 2.0, "behaviour": 1.0}


def summarise(sitting: str, flags: list[Flag] | tuple[Flag, ...]) -> RiskSummary:
    """Risk summary for sorting a review queue: distinct rules, weighted by kind."""
    mine = [f for f in flags if f.sitting == sitting]
    best: dict[Rule, Kind] = {}
    for f in mine:
        if best.get(f.rule) != "test":
            best[f.rule] = f.kind
    score = sum(_WEIGHTS[k] for k in best.values())
    ps = [f.p_value for f in mine if f.p_value is not None]
    level: Literal["none", "low", "medium", "high"]
    if score >= 4.0:
        level = "high"
    elif score >= 2.0:
        level = "medium"
    elif score > 0.0:
        level = "low"
    else:
        level = "none"
    return RiskSummary(
        sitting=sitting,
        level=level,
        score=score,
        rules=tuple(sorted(best)),
        smallest_p=min(ps) if ps else None,
    )
