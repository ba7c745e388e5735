"""A student's review of their own sitting once its results are released: every question with
its text, the student's answer, the correct answer and the explanation.

Numbered as the teacher's dashboard numbers them: by the paper as authored (sections in order),
options lettered A, B, C… in the authored order, whatever order this student saw. Each item
also says where it stood on the student's own (shuffled) paper, so the two can be matched.
"""

from __future__ import annotations

import string
import uuid
from typing import Any, Protocol

import msgspec

from engine.kernel.errors import DomainError, conflict, not_found
from engine.kernel.principal import Principal
from engine.ports import WithPapers, WithPool, WithStore
from engine.sittings.latest import latest_responses
from engine.web import review_repository as repository
from question_bank.paper import CompiledPaper, student_order


class Needs(WithPapers, WithPool, WithStore, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


# what of the authored item says which answer is right (grading/keys.py names them the same)
# (a composite's parts: each part's own, with its options, in the part's authored content)
KEY_FIELDS = (
    *("correct", "value", "tolerance", "unit", "accepted", "pairs", "blanks", "areas"),
    "parts",
)


class LetteredOption(msgspec.Struct, frozen=True):
    letter: str
    id: str
    text: str


class ReviewStimulus(msgspec.Struct, frozen=True):
    """The shared passage a question asks about, as the student saw it above the question."""

    id: str
    title: str
    body: str


def review_stimulus(content: dict[str, Any]) -> ReviewStimulus | None:
    """The stimulus of an item's student content, if it has one."""
    found = content.get("stimulus")
    if not isinstance(found, dict):
        return None
    return ReviewStimulus(str(found["id"]), str(found["title"]), str(found["body"]))


class ReviewedItem(msgspec.Struct, frozen=True):
    number: int  # in the paper as authored: the teacher's numbering
    paper_number: int  # where this student saw it (0: not on their paper)
    section: str
    kind: str
    stem: str
    options: list[LetteredOption] | None
    sources: list[LetteredOption] | None
    targets: list[LetteredOption] | None
    response: dict[str, Any] | None
    key: dict[str, Any]
    explanation: str | None
    points: float | None
    max_points: float | None
    status: str | None
    # shown once above the questions in a row that share it
    stimulus: ReviewStimulus | None = None


class SittingReview(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    points: float | None
    max_points: float | None
    items: list[ReviewedItem]


def lettered(options: list[dict[str, Any]] | None) -> list[LetteredOption] | None:
    if not options:
        return None
    letters = string.ascii_uppercase
    return [
        LetteredOption(letters[i] if i < 26 else str(i + 1), str(o["id"]), str(o["text"]))
        for i, o in enumerate(options)
    ]


def paper_numbers(paper: CompiledPaper, sitting_id: uuid.UUID) -> dict[str, int]:
    """Item id -> its number on this sitting's own paper (1-based, sections in order)."""
    numbers: dict[str, int] = {}
    for section, entries in zip(paper.sections, student_order(paper, sitting_id), strict=True):
        for index, _ in entries:
            numbers[section.items[index].id] = len(numbers) + 1
    return numbers


async def sitting_review(svc: Needs, principal: Principal, sitting_id: uuid.UUID) -> SittingReview:
    principal.require_student()
    async with svc.pool.acquire() as conn:
        sitting = await repository.own_sitting(conn, sitting_id)
        if (
            sitting is None
            or sitting.student_id != principal.user_id
            or principal.exam_id not in (None, sitting.exam_id)
        ):
            raise not_found("sitting")
        if not sitting.instant_results:
            raise DomainError(
                403,
                "results_not_released",
                "Results are not released yet",
                "your teacher will release the results of this exam",
            )
        if sitting.points is None:
            raise conflict("not_graded_yet", "This sitting is not graded yet")
        refs = [(s.title, r) for s in sitting.spec.sections for r in s.items]
        authored = await repository.authored_items(conn, [(r.id, r.version) for _, r in refs])
        answers = await repository.logged_answers(conn, sitting.exam_id, sitting_id)
    # answers the persister has not copied yet are still in the sitting's Redis session
    for item, response in latest_responses(await svc.store.latest_answers(sitting_id)).items():
        answers[item] = msgspec.to_builtins(response)
    numbers = paper_numbers(await svc.papers.get(str(sitting.exam_version_id)), sitting_id)
    scores: dict[str, Any] = sitting.items or {}
    items = []
    for number, (section, ref) in enumerate(refs, start=1):
        item_id = str(ref.id)
        found = authored.get(item_id)
        content: dict[str, Any] = dict(found.document) if found else {}
        score = scores.get(item_id) or {}
        items.append(
            ReviewedItem(
                number=number,
                paper_number=numbers.get(item_id, 0),
                section=section,
                kind=found.kind if found else "",
                stem=str(content.get("stem", "")),
                options=lettered(content.get("options")),
                sources=lettered(content.get("sources")),
                targets=lettered(content.get("targets")),
                response=answers.get(item_id),
                key={k: content[k] for k in KEY_FIELDS if k in content},
                explanation=content.get("explanation"),
                points=score.get("points"),
                max_points=score.get("max_points"),
                status=score.get("status"),
                stimulus=review_stimulus(content),
            )
        )
    return SittingReview(sitting_id, sitting.points, sitting.max_points, items)
