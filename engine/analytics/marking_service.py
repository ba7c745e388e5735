"""Essay marking: the queue of answers awaiting a mark, and applying a mark to a result."""

from __future__ import annotations

import uuid
from typing import Protocol

from engine.analytics import repository, repository_marking
from engine.analytics.models import MarkRequest, PendingMark
from engine.analytics.scope import exam_scope, item_order
from engine.kernel.errors import conflict, not_found, validation_failed
from engine.kernel.principal import Principal
from engine.ports import WithCpu, WithKeys, WithPool, WithStore
from engine.sittings.grader import regrade_sitting
from engine.sittings.models import SittingResult
from engine.sittings.service import Needs as SittingNeeds
from engine.sittings.service import result
from grading.scoring import apply_manual_mark
from grading.types import EssayKey, ManualMark


class Needs(SittingNeeds, WithCpu, WithKeys, WithPool, WithStore, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


async def pending_marks(svc: Needs, principal: Principal, exam_id: uuid.UUID) -> list[PendingMark]:
    scope = await exam_scope(svc.pool, principal, exam_id)
    spec = await svc.keys.get(str(scope.version_id))
    order = item_order(scope)
    async with svc.pool.acquire() as conn:
        awaiting = await repository_marking.awaiting_marks(conn, exam_id, scope.org_filter)
        contents = await repository.item_contents(
            conn, [(uuid.UUID(i), v) for i, _, v in order], scope.exam_id
        )
    stems = {str(c.item_id): str(c.content.get("stem", ""))[:300] for c in contents}
    pending = []
    for answer in awaiting:
        key = spec.keys.get(answer.item_id)
        response = answer.response or {}
        pending.append(
            PendingMark(
                sitting_id=answer.sitting_id,
                username=answer.username,
                item_id=answer.item_id,
                stem=stems.get(answer.item_id, ""),
                max_points=key.points if key else 0.0,
                response_text=response.get("text"),
            )
        )
    return pending


async def mark_item(
    svc: Needs, principal: Principal, sitting_id: uuid.UUID, request: MarkRequest
) -> SittingResult:
    principal.require_staff()
    async with svc.pool.acquire() as conn:
        sitting = await repository_marking.sitting_for_marking(conn, sitting_id)
    if sitting is None:
        raise not_found("sitting")
    await exam_scope(svc.pool, principal, sitting.exam_id)  # may this person see it?
    if principal.org_id not in (sitting.exam_org_id, sitting.org_id):
        raise not_found("sitting")
    if sitting.state != "graded":
        raise conflict("not_graded_yet", "This sitting is not graded yet")
    version = await _version_of(svc, sitting_id)
    key = (await svc.keys.get(version)).keys.get(request.item)
    if not isinstance(key, EssayKey):
        raise validation_failed(
            "only essay items are marked by hand",
            [{"field": "item", "message": "not an essay item of this exam"}],
        )
    mark = ManualMark(
        points=request.points, criteria=dict(request.criteria), marker=str(principal.user_id)
    )
    check_mark(key, mark)
    async with svc.pool.acquire() as conn:
        await repository_marking.save_mark(
            conn,
            sitting_id,
            request.item,
            request.points,
            dict(request.criteria),
            request.note,
            principal.user_id,
        )
        marks = await repository_marking.marks_of_sitting(conn, sitting_id)
    await regrade_sitting(svc.pool, svc.store, svc.keys, sitting_id, marks, svc.cpu)
    view = await result(svc, principal, sitting_id)
    assert view.result is not None
    return view.result


def check_mark(key: EssayKey, mark: ManualMark) -> None:
    """Refuse a mark that does not fit the item: a typo must never become a score."""
    limits = {c.id: c.max_points for c in key.rubric}
    over = [
        f"{name} (at most {limits[name]:g})"
        for name, value in mark.criteria.items()
        if name in limits and value > limits[name]
    ]
    if mark.points is not None and mark.points > key.points:
        over.append(f"points (at most {key.points:g})")
    if over:
        raise validation_failed(
            "a mark is above its maximum", [{"field": "criteria", "message": o} for o in over]
        )
    try:
        # any non-blank text: a blank essay ignores the mark and would check nothing
        apply_manual_mark(key, "answer", mark)
    except ValueError as err:
        raise validation_failed(str(err), [{"field": "criteria", "message": str(err)}]) from err


async def _version_of(svc: Needs, sitting_id: uuid.UUID) -> str:
    async with svc.pool.acquire() as conn:
        version = await repository_marking.exam_version_of_sitting(conn, sitting_id)
    return str(version)
