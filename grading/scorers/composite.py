"""Composite items: the item's own response processing, run on the student's responses."""

from __future__ import annotations

from collections.abc import Mapping

from grading.keys import CompositeKey
from grading.qti_processing import Value
from grading.qti_program import compile_program, program_score, qti_values
from grading.responses import PartResponse
from grading.scorers.common import blank, from_points
from grading.types import ItemScore


def score_composite(key: CompositeKey, parts: Mapping[str, PartResponse]) -> ItemScore:
    """SCORE after the program runs on the responses. Only the item's response variables are
    given: a part named otherwise (refused at the answer endpoint anyway) cannot set an
    outcome the program reads."""
    compiled = compile_program(key.program)
    responses: dict[str, Value] = {}
    for part_id, response in parts.items():
        responses.update(qti_values(part_id, response, compiled.declarations))
    answered = {
        rid: value
        for rid, value in responses.items()
        if rid in compiled.unanswered and value is not None
    }
    points = program_score(compiled, answered)
    if not answered and points == 0:
        return blank(key.points)
    return from_points(points, key.points, min(0.0, points))
