"""One student's sitting as their teacher reviews it: each item, in the paper's authored order
(the numbering the student's own review uses), with the answer, its score and when it was given
(the evidence an integrity flag is checked against).

Answers come from the answer log (PostgreSQL), overlaid with the sitting's latest answers in
Redis while its session is still there, so a review during the window does not wait for the
persister.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

import msgspec

from engine.analytics.scope import exam_scope, item_order
from engine.kernel.errors import not_found
from engine.kernel.principal import Principal
from engine.ports import WithPool, WithStore
from engine.sittings.latest import latest_responses
from engine.web import review_repository as repository
from engine.web.student_review import ReviewStimulus, review_stimulus
from engine.web.timeline import timeline


class Needs(WithPool, WithStore, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


class ReviewOption(msgspec.Struct, frozen=True):
    id: str
    text: str


class ReviewItem(msgspec.Struct, frozen=True):
    item_id: str
    position: int
    section: str
    kind: str
    stem: str
    response: dict[str, Any] | None
    points: float | None
    max_points: float | None
    status: str | None
    # the options in the authored order (their letters: A, B, C...), for choice items
    options: list[ReviewOption] | None = None
    answered_at: datetime | None = None
    seconds: float | None = None
    changes: int = 0
    # the shared passage the question asks about, as the student saw it above the question
    stimulus: ReviewStimulus | None = None


class StudentReview(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    username: str
    display_name: str
    state: str
    points: float | None
    max_points: float | None
    percent: float | None
    items: list[ReviewItem]
    started_at: datetime | None = None
    submitted_at: datetime | None = None


async def student_review(
    svc: Needs, principal: Principal, exam_id: uuid.UUID, sitting_id: uuid.UUID
) -> StudentReview:
    scope = await exam_scope(svc.pool, principal, exam_id)
    order = item_order(scope)
    async with svc.pool.acquire() as conn:
        sitting = await repository.sitting_for_review(conn, sitting_id, exam_id)
        if sitting is None or (scope.org_filter is not None and sitting.org_id != scope.org_filter):
            raise not_found("sitting")
        answers = await repository.logged_answers(conn, exam_id, sitting_id)
        events = await repository.answer_events(conn, exam_id, sitting_id)
        by_id = await repository.item_contents(conn, [(uuid.UUID(i), v) for i, _, v in order])
    for item, response in latest_responses(await svc.store.latest_answers(sitting_id)).items():
        answers[item] = msgspec.to_builtins(response)
    timing = timeline(events, sitting.started_at)
    scores: dict[str, Any] = sitting.items or {}
    items = []
    for position, (item_id, section, _) in enumerate(order, start=1):
        content = by_id.get(item_id)
        score = scores.get(item_id) or {}
        when = timing.get(item_id)
        options = content.document.get("options") if content else None
        items.append(
            ReviewItem(
                item_id=item_id,
                position=position,
                section=section,
                kind=content.kind if content else "",
                stem=str(content.document.get("stem", "")) if content else "",
                response=answers.get(item_id),
                points=score.get("points"),
                max_points=score.get("max_points"),
                status=score.get("status"),
                options=[ReviewOption(o["id"], o["text"]) for o in options] if options else None,
                answered_at=when.last_at if when else None,
                seconds=when.seconds if when else None,
                changes=when.changes if when else 0,
                stimulus=review_stimulus(content.document) if content else None,
            )
        )
    return StudentReview(
        sitting_id=sitting_id,
        username=sitting.username,
        display_name=sitting.display_name,
        state=sitting.state,
        points=sitting.points,
        max_points=sitting.max_points,
        percent=sitting.percent,
        items=items,
        started_at=sitting.started_at,
        submitted_at=sitting.submitted_at,
    )
