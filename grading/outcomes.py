"""Test-level outcomes: raw and weighted totals, negative marking, sections, pass mark.

The item scores come from :func:`grading.scoring.score_paper`; a policy turns them into the
exam's result. Weights and marks are per exam, so they live in the policy, never in the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

from grading.keys import ItemKey
from grading.responses import Response
from grading.scoring import score_paper
from grading.types import ItemScore, ManualMark


class NegativeMarking(msgspec.Struct, frozen=True):
    """Marks by outcome, e.g. +4 / -1 / 0: a wrong answer costs, a blank one does not.

    Partial credit earns ``correct`` times the share of the item's points, and an essay
    awaiting its mark counts 0 until it is marked.
    """

    correct: float = 4.0
    incorrect: float = -1.0
    blank: float = 0.0


class Section(msgspec.Struct, frozen=True):
    id: str
    items: tuple[str, ...]
    weight: float = 1.0
    title: str = ""


class PassMark(msgspec.Struct, frozen=True):
    value: float
    unit: Literal["percent", "points"] = "percent"


class ScoringPolicy(msgspec.Struct, frozen=True):
    """How an exam turns item scores into a result. The default is the plain raw score."""

    # item id -> weight; items not listed weigh 1
    item_weights: dict[str, float] = msgspec.field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    negative_marking: NegativeMarking | None = None
    pass_mark: PassMark | None = None


class SectionOutcome(msgspec.Struct, frozen=True):
    raw: float
    raw_max: float
    score: float
    max_score: float
    min_score: float
    correct: int
    partial: int
    incorrect: int
    blank: int
    pending_manual: int


class ExamOutcome(msgspec.Struct, frozen=True):
    raw: float
    raw_max: float
    # weighted, after negative marking: the exam's reported score
    score: float
    max_score: float
    min_score: float
    percent: float
    # None while pending essays could still change the verdict (or when there is no pass mark)
    passed: bool | None
    pending_manual: int
    sections: dict[str, SectionOutcome]
    items: dict[str, ItemScore]


def _mark(score: ItemScore, marking: NegativeMarking | None) -> tuple[float, float, float]:
    """(mark, best mark, worst mark) of one item before weights."""
    if marking is None:
        return score.points, score.max_points, score.min_points
    worst = min(marking.incorrect, marking.blank, 0.0)
    match score.status:
        case "correct" | "partial":
            share = score.points / score.max_points if score.max_points > 0 else 0.0
            return marking.correct * share, marking.correct, worst
        case "incorrect":
            return marking.incorrect, marking.correct, worst
        case "blank":
            return marking.blank, marking.correct, worst
        case "pending_manual":
            return 0.0, marking.correct, worst


def _section_of(policy: ScoringPolicy) -> dict[str, Section]:
    owner: dict[str, Section] = {}
    for section in policy.sections:
        if section.weight < 0:
            raise ValueError(f"section {section.id!r} has a negative weight")
        for item_id in section.items:
            if item_id in owner:
                raise ValueError(f"item {item_id!r} is in two sections")
            owner[item_id] = section
    return owner


def _tally(rows: list[tuple[ItemScore, float, float, float]]) -> SectionOutcome:
    statuses = [s.status for s, _, _, _ in rows]
    return SectionOutcome(
        raw=sum(s.points for s, _, _, _ in rows),
        raw_max=sum(s.max_points for s, _, _, _ in rows),
        score=sum(m for _, m, _, _ in rows),
        max_score=sum(hi for _, _, hi, _ in rows),
        min_score=sum(lo for _, _, _, lo in rows),
        correct=statuses.count("correct"),
        partial=statuses.count("partial"),
        incorrect=statuses.count("incorrect"),
        blank=statuses.count("blank"),
        pending_manual=statuses.count("pending_manual"),
    )


def _verdict(policy: ScoringPolicy, total: SectionOutcome, pending_max: float) -> bool | None:
    if policy.pass_mark is None:
        return None
    threshold = policy.pass_mark.value
    if policy.pass_mark.unit == "percent":
        threshold = threshold / 100.0 * total.max_score
    if total.score >= threshold - 1e-9:
        return True  # marks still to come can only add
    if total.score + pending_max < threshold - 1e-9:
        return False
    return None


def outcome_from_item_scores(items: Mapping[str, ItemScore], policy: ScoringPolicy) -> ExamOutcome:
    """The exam outcome of already scored items (e.g. after essays were marked)."""
    owner = _section_of(policy)
    rows: dict[str, list[tuple[ItemScore, float, float, float]]] = {}
    everything: list[tuple[ItemScore, float, float, float]] = []
    pending_max = 0.0
    for item_id, score in items.items():
        weight = policy.item_weights.get(item_id, 1.0)
        if weight < 0:
            raise ValueError(f"item {item_id!r} has a negative weight")
        section = owner.get(item_id)
        weight *= section.weight if section is not None else 1.0
        mark, best, worst = _mark(score, policy.negative_marking)
        row = (score, mark * weight, best * weight, worst * weight)
        everything.append(row)
        if section is not None:
            rows.setdefault(section.id, []).append(row)
        if score.status == "pending_manual":
            pending_max += best * weight
    total = _tally(everything)
    sections = {s.id: _tally(rows.get(s.id, [])) for s in policy.sections}
    return ExamOutcome(
        raw=total.raw,
        raw_max=total.raw_max,
        score=total.score,
        max_score=total.max_score,
        min_score=total.min_score,
        percent=100.0 * total.score / total.max_score if total.max_score > 0 else 0.0,
        passed=_verdict(policy, total, pending_max),
        pending_manual=total.pending_manual,
        sections=sections,
        items=dict(items),
    )


def score_exam(
    keys: Mapping[str, ItemKey],
    responses: Mapping[str, Response | None],
    policy: ScoringPolicy,
    manual_marks: Mapping[str, ManualMark] | None = None,
) -> ExamOutcome:
    """Score every keyed item of a sitting and apply the exam's policy."""
    paper = score_paper(keys, responses, manual_marks)
    return outcome_from_item_scores(paper.items, policy)
