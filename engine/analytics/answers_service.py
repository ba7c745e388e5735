"""The most common answers of an item: what students typed for a short-text or numeric item
(a key that is too strict, e.g. case-sensitive, shows here as a frequent answer not credited)."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import msgspec

from engine.analytics import repository
from engine.analytics.models import CommonAnswer, CommonAnswers, ItemStimulus
from engine.analytics.scope import exam_scope, item_order
from engine.exams.grading_spec import load_grading_spec
from engine.kernel.errors import not_found
from engine.kernel.principal import Principal
from engine.ports import WithPool
from grading.responses import Response
from grading.scoring import score_item


class Needs(WithPool, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


MOST_COMMON = 20


def answer_text(response: Response) -> str:
    """A response as one line of text, the way a teacher reads it."""
    raw: dict[str, Any] = msgspec.to_builtins(response)
    raw.pop("kind", None)
    if set(raw) == {"text"}:
        return str(raw["text"])
    if set(raw) == {"value"}:
        value = raw["value"]
        return format(value, "g") if isinstance(value, float) else str(value)
    return msgspec.json.encode(raw).decode()


async def common_answers(
    svc: Needs, principal: Principal, exam_id: uuid.UUID, item_id: str
) -> CommonAnswers:
    scope = await exam_scope(svc.pool, principal, exam_id)
    versions = {i: v for i, _, v in item_order(scope)}
    if item_id not in versions:
        raise not_found("item of this exam")
    key = (await load_grading_spec(svc.pool, str(scope.version_id))).keys[item_id]
    async with svc.pool.acquire() as conn:
        counted = await repository.common_answers(
            conn, exam_id, item_id, scope.org_filter, MOST_COMMON
        )
        contents = await repository.item_contents(
            conn, [(uuid.UUID(item_id), versions[item_id])], exam_id
        )
    answers = []
    for answer in counted.counts:
        response = msgspec.convert(answer.response, Response)
        answers.append(
            CommonAnswer(
                answer=answer_text(response),
                count=answer.count,
                credited=score_item(key, response).points > 0,
            )
        )
    return CommonAnswers(
        item_id=item_id,
        kind=key.__struct_config__.tag if isinstance(key.__struct_config__.tag, str) else "",
        answered=counted.answered,
        answers=answers,
        key=msgspec.to_builtins(key),
        stimulus=_stimulus(contents[0].content) if contents else None,
    )


def _stimulus(content: dict[str, Any]) -> ItemStimulus | None:
    found = content.get("stimulus")
    if not isinstance(found, dict):
        return None
    return ItemStimulus(str(found["id"]), str(found["title"]), str(found["body"]))
