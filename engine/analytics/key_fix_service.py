"""Fix an item's key for one exam and re-grade every sitting of it, in one transaction.

Only the exam's own organisation fixes its keys (an assigned school reads the analysis but
does not change everyone's results), and only once the exam is over: while a sitting is still
open or awaiting grading, a grader elsewhere could still score it with the old key.
Afterwards the statistics cache is moved on (engine/redis_adapter/results_version.py) and this
process forgets the version's keys; every re-grade reads keys afresh (engine/sittings/grader.py).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import msgspec

from engine.accounts import audit
from engine.analytics import repository_key_fix
from engine.analytics.key_fix import KeyFixError, corrected_key, rescore_item
from engine.analytics.models import KeyFixOutcome, KeyFixRequest
from engine.analytics.scope import exam_scope, item_order
from engine.exams.grading_spec import load_grading_spec
from engine.kernel.errors import DomainError, conflict, forbidden, not_found
from engine.kernel.sql import Connection
from engine.ports import WithKeys, WithPool, WithRedis, WithSettings
from engine.redis_adapter import results_version
from engine.sittings.grader import outcome_summary
from grading.keys import ItemKey
from grading.responses import Response
from grading.types import ItemScore


class Needs(WithKeys, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


_item_scores = msgspec.json.Decoder(dict[str, ItemScore])


def _invalid(err: KeyFixError) -> DomainError:
    return DomainError(
        422,
        err.code,
        "The key cannot be changed this way",
        f"{err.field}: {err.message}",
        extra={"errors": [{"field": err.field, "message": err.message}]},
    )


async def fix_key(
    svc: Needs, actor: audit.Actor, exam_id: uuid.UUID, item_id: str, request: KeyFixRequest
) -> KeyFixOutcome:
    scope = await exam_scope(svc.pool, actor.principal, exam_id)
    if scope.org_filter is not None:
        raise forbidden("only the exam's own organisation fixes its keys")
    version = {i: v for i, _, v in item_order(scope)}.get(item_id)
    if version is None:
        raise not_found("item of this exam")
    spec = await load_grading_spec(svc.pool, str(scope.version_id))
    async with svc.pool.acquire() as conn, conn.transaction():
        await repository_key_fix.lock_exam_keys(conn, exam_id)
        if not await repository_key_fix.exam_is_over(conn, exam_id):
            raise conflict(
                "exam_not_over",
                "The exam is not over yet",
                "keys are fixed after the window (and its grace period) has closed",
            )
        if await repository_key_fix.unfinished_sittings(conn, exam_id):
            raise conflict(
                "sittings_not_graded",
                "Some sittings are not graded yet",
                "wait until every submitted sitting is graded, then fix the key",
            )
        item = await repository_key_fix.item_for_key_fix(conn, uuid.UUID(item_id), version, exam_id)
        # the key as graded now, read under the lock (a fix that just committed included)
        previous = msgspec.convert(item.fixed_key or item.answer_key, ItemKey)
        try:
            key, changes = corrected_key(
                item.authored, item.content, previous, item.changes or {}, request.changes
            )
        except KeyFixError as err:
            raise _invalid(err) from err
        outcome = await _regrade(conn, exam_id, item_id, key, spec.policy)
        await repository_key_fix.save_key_correction(
            conn,
            exam_id,
            item_id,
            key=msgspec.to_builtins(key),
            previous_key=item.answer_key,
            changes=changes,
            reason=request.reason,
            corrected_by=actor.principal.user_id,
        )
        result = KeyFixOutcome(
            exam_id=exam_id,
            item_id=item_id,
            previous_key=msgspec.to_builtins(previous),
            key=msgspec.to_builtins(key),
            **outcome,
        )
        await audit.record(
            conn,
            actor,
            "analytics.key_fixed",
            org_id=scope.org_id,
            target=exam_id,
            detail={**msgspec.to_builtins(result), "reason": request.reason, "changes": changes},
        )
    # after the commit: this process's keys and everyone's statistics follow the new key
    svc.keys.forget(str(scope.version_id))
    await results_version.bump(svc.redis, svc.settings.redis_namespace, exam_id)
    return result


async def _regrade(
    conn: Connection, exam_id: uuid.UUID, item_id: str, key: ItemKey, policy: Any
) -> dict[str, int]:
    graded = await repository_key_fix.graded_with_answer(conn, exam_id, item_id)
    ids, points, items, outcomes = [], [], [], []
    gained = lost = 0
    for sitting in graded:
        stored = _item_scores.decode(msgspec.json.encode(sitting.items))
        response = msgspec.convert(sitting.response, Response | None)
        outcome = rescore_item(stored, item_id, key, response, policy)
        before, after = stored.get(item_id), outcome.items[item_id]
        if before is not None and before == after:
            continue
        old = before.points if before is not None else 0.0
        gained += after.points > old
        lost += after.points < old
        ids.append(sitting.sitting_id)
        points.append(outcome.score)
        items.append(msgspec.to_builtins(outcome.items))
        outcomes.append(outcome_summary(outcome))
    if ids:
        await repository_key_fix.store_regraded(conn, ids, points, items, outcomes)
    return {
        "sittings_regraded": len(graded),
        "results_changed": len(ids),
        "points_gained": gained,
        "points_lost": lost,
    }
