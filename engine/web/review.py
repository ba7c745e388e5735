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
from typing import Any

import msgspec

from engine.analytics.repository import ITEM_CONTENTS
from engine.analytics.scope import exam_scope, item_order
from engine.auth.principal import Principal
from engine.problems import not_found
from engine.services import Services
from engine.sittings.latest import latest_responses
from engine.web.timeline import AnswerEvent, timeline

SITTING_FOR_REVIEW = """
SELECT s.id, s.exam_id, s.org_id, s.state, s.started_at, s.submitted_at, u.username,
       u.display_name, r.points, r.max_points, r.items, (r.outcome ->> 'percent')::float AS percent
FROM sittings s JOIN users u ON u.id = s.student_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.id = $1 AND s.exam_id = $2
"""
LATEST_ANSWERS = """
SELECT DISTINCT ON (item_id) item_id, response FROM answer_log
WHERE exam_id = $1 AND sitting_id = $2 ORDER BY item_id, seq DESC
"""
ANSWER_EVENTS = """
SELECT seq, item_id, server_ts AS at FROM answer_log
WHERE exam_id = $1 AND sitting_id = $2 ORDER BY seq
"""


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
    svc: Services, principal: Principal, exam_id: uuid.UUID, sitting_id: uuid.UUID
) -> StudentReview:
    scope = await exam_scope(svc.pool, principal, exam_id)
    order = item_order(scope)
    async with svc.pool.acquire() as conn:
        row = await conn.fetchrow(SITTING_FOR_REVIEW, sitting_id, exam_id)
        if row is None or (scope.org_filter is not None and row["org_id"] != scope.org_filter):
            raise not_found("sitting")
        logged = await conn.fetch(LATEST_ANSWERS, exam_id, sitting_id)
        events = await conn.fetch(ANSWER_EVENTS, exam_id, sitting_id)
        contents = await conn.fetch(
            ITEM_CONTENTS,
            [uuid.UUID(i) for i, _, _ in order],
            [v for _, _, v in order],
            scope.exam_id,
        )
    answers: dict[str, Any] = {r["item_id"]: r["response"] for r in logged}
    for item, response in latest_responses(await svc.store.latest_answers(sitting_id)).items():
        answers[item] = msgspec.to_builtins(response)
    by_id = {str(r["item_id"]): r for r in contents}
    timing = timeline(
        (AnswerEvent(r["seq"], r["item_id"], r["at"]) for r in events), row["started_at"]
    )
    scores: dict[str, Any] = row["items"] or {}
    items = []
    for position, (item_id, section, _) in enumerate(order, start=1):
        content = by_id.get(item_id)
        score = scores.get(item_id) or {}
        when = timing.get(item_id)
        options = content["content"].get("options") if content else None
        items.append(
            ReviewItem(
                item_id=item_id,
                position=position,
                section=section,
                kind=content["kind"] if content else "",
                stem=str(content["content"].get("stem", "")) if content else "",
                response=answers.get(item_id),
                points=score.get("points"),
                max_points=score.get("max_points"),
                status=score.get("status"),
                options=[ReviewOption(o["id"], o["text"]) for o in options] if options else None,
                answered_at=when.last_at if when else None,
                seconds=when.seconds if when else None,
                changes=when.changes if when else 0,
            )
        )
    return StudentReview(
        sitting_id=sitting_id,
        username=row["username"],
        display_name=row["display_name"],
        state=row["state"],
        points=row["points"],
        max_points=row["max_points"],
        percent=row["percent"],
        items=items,
        started_at=row["started_at"],
        submitted_at=row["submitted_at"],
    )
