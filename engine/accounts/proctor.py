"""Proctor actions for a room (a class sitting an exam): who is online, pause/resume a sitting
or the whole room, extra time, device-lock reset. Each is atomic in Redis
(engine/sittings/proctoring_actions.py), recorded as a sitting event and audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from engine.accounts import audit
from engine.accounts.audit import Actor
from engine.accounts.exam_access import exam_in_reach
from engine.accounts.models import ProctorOutcome, Room, RoomOutcome, Seat
from engine.accounts.people import class_in_scope
from engine.accounts.scope import require_org
from engine.accounts.sitting_access import INSERT_EVENT
from engine.kernel.errors import conflict, not_found, validation_failed
from engine.services import Services
from engine.sittings.proctoring_actions import ActionReply, proctor_store

SITTING = """
SELECT s.id, s.org_id, s.exam_id, s.student_id, s.state, s.extra_time_s, v.time_limit_s
FROM sittings s JOIN exam_versions v ON v.id = s.exam_version_id WHERE s.id = $1
"""
ROOM = """
SELECT u.id AS student_id, u.username, u.display_name, s.id AS sitting_id,
       coalesce(s.state, 'not_started') AS state
FROM users u LEFT JOIN sittings s ON s.student_id = u.id AND s.exam_id = $1
WHERE u.class_id = $2 AND u.role = 'student'
ORDER BY u.display_name, u.username
"""
ROOM_SITTINGS = """
SELECT s.id, s.org_id, s.exam_id, s.student_id FROM sittings s JOIN users u ON u.id = s.student_id
WHERE s.exam_id = $1 AND u.class_id = $2 AND s.state IN ('created', 'active')
"""
SET_DEADLINE = "UPDATE sittings SET deadline = $2 WHERE id = $1 AND state = 'active'"
ADD_EXTRA = """
UPDATE sittings SET deadline = $2, extra_time_s = extra_time_s + $3 WHERE id = $1
"""


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


async def _sitting(conn: Any, actor: Actor, sitting_id: uuid.UUID) -> Any:
    row = await conn.fetchrow(SITTING, sitting_id)
    if row is None:
        raise not_found("sitting")
    await require_org(conn, actor.principal, row["org_id"], "sitting")
    return row


async def _log(conn: Any, actor: Actor, row: Any, kind: str, detail: dict[str, Any]) -> None:
    await conn.execute(
        INSERT_EVENT,
        row["id"],
        row["exam_id"],
        row["org_id"],
        row["student_id"],
        kind,
        actor.principal.user_id,
        detail,
    )
    await audit.record(
        conn, actor, f"sitting.{kind}", org_id=row["org_id"], target=row["id"], detail=detail
    )


def _refuse(reply: ActionReply) -> None:
    match reply.status:
        case "no_session":
            raise conflict(
                "sitting_not_started",
                "This sitting has not started",
                "there is no clock to stop or extend yet",
            )
        case "submitted" | "graded":
            raise conflict("sitting_submitted", "This sitting is already submitted")
        case "time_expired":
            raise conflict("time_expired", "Time is up", "too late to pause this sitting")


def _outcome(reply: ActionReply, paused: bool) -> ProctorOutcome:
    return ProctorOutcome(reply.sitting_id, reply.status, reply.deadline_ms, paused)


async def room(svc: Services, actor: Actor, exam_id: uuid.UUID, class_id: uuid.UUID) -> Room:
    async with svc.pool.acquire() as conn:
        await exam_in_reach(conn, actor.principal, exam_id)
        await class_in_scope(conn, actor.principal, class_id)
        rows = await conn.fetch(ROOM, exam_id, class_id)
    ids = [r["sitting_id"] for r in rows if r["sitting_id"] is not None]
    now_ms, live = await proctor_store(svc.redis, svc.keyspace).seats(ids)
    by_id = dict(zip(ids, live, strict=True))
    window_ms = svc.settings.online_window_s * 1000
    seats = []
    for r in rows:
        state = by_id.get(r["sitting_id"]) if r["sitting_id"] else None
        live_state = state if state is not None and state.state == "active" else None
        seats.append(
            Seat(
                student_id=r["student_id"],
                username=r["username"],
                display_name=r["display_name"],
                sitting_id=r["sitting_id"],
                state=r["state"],
                online=live_state is not None and now_ms - live_state.last_seen_ms <= window_ms,
                paused=state is not None and state.paused_since_ms is not None,
                remaining_ms=None
                if live_state is None
                else max(0, live_state.deadline_ms - (live_state.paused_since_ms or now_ms)),
                device_locked=state is not None and state.device is not None,
            )
        )
    return Room(exam_id, class_id, now_ms, seats)


async def pause(svc: Services, actor: Actor, sitting_id: uuid.UUID) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        row = await _sitting(conn, actor, sitting_id)
        [reply] = await proctor_store(svc.redis, svc.keyspace).pause([sitting_id])
        _refuse(reply)
        if reply.status == "paused":
            await _log(conn, actor, row, "paused", {"paused_at_ms": reply.value})
    return _outcome(reply, True)


async def resume(svc: Services, actor: Actor, sitting_id: uuid.UUID) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        row = await _sitting(conn, actor, sitting_id)
        [reply] = await proctor_store(svc.redis, svc.keyspace).resume([sitting_id])
        _refuse(reply)
        if reply.status == "resumed":
            await conn.execute(SET_DEADLINE, sitting_id, _dt(reply.deadline_ms))
            await _log(
                conn,
                actor,
                row,
                "resumed",
                {"paused_for_ms": reply.value, "deadline_ms": reply.deadline_ms},
            )
    return _outcome(reply, False)


async def extra_time(
    svc: Services, actor: Actor, sitting_id: uuid.UUID, seconds: int
) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        row = await _sitting(conn, actor, sitting_id)
        # grants add up: in all, at most the exam's own limit again (a room's power cut, not a
        # second exam), however many times a proctor presses the button
        granted = row["extra_time_s"] or 0
        if granted + seconds > row["time_limit_s"]:
            raise validation_failed(
                "extra time in all may not exceed the exam's own time limit",
                [
                    {
                        "field": "seconds",
                        "message": f"at most {row['time_limit_s'] - granted} s "
                        "more for this sitting",
                    }
                ],
            )
        reply = await proctor_store(svc.redis, svc.keyspace).extend(sitting_id, seconds * 1000)
        _refuse(reply)
        await conn.execute(ADD_EXTRA, sitting_id, _dt(reply.deadline_ms), seconds)
        await _log(
            conn, actor, row, "extra_time", {"seconds": seconds, "deadline_ms": reply.deadline_ms}
        )
    return _outcome(reply, reply.value == 1)


async def reset_device(svc: Services, actor: Actor, sitting_id: uuid.UUID) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        row = await _sitting(conn, actor, sitting_id)
        reply = await proctor_store(svc.redis, svc.keyspace).reset_device(sitting_id)
        if reply.status == "no_session":
            raise conflict("sitting_not_started", "This sitting has not started")
        await _log(conn, actor, row, "device_reset", {"device": reply.other_device})
    return ProctorOutcome(sitting_id, "ok", 0, False)


async def room_action(
    svc: Services, actor: Actor, exam_id: uuid.UUID, class_id: uuid.UUID, action: str
) -> RoomOutcome:
    """Pause or resume every running sitting of a room at once (a power cut, a fire drill)."""
    if action not in ("pause", "resume"):
        raise not_found("room action")
    store = proctor_store(svc.redis, svc.keyspace)
    async with svc.pool.acquire() as conn:
        await exam_in_reach(conn, actor.principal, exam_id)
        await class_in_scope(conn, actor.principal, class_id)
        rows = {r["id"]: r for r in await conn.fetch(ROOM_SITTINGS, exam_id, class_id)}
        ids = list(rows)
        replies = await (store.pause(ids) if action == "pause" else store.resume(ids))
        outcomes = []
        for reply in replies:
            changed = reply.status in ("paused", "resumed")
            if action == "resume" and changed:
                await conn.execute(SET_DEADLINE, reply.sitting_id, _dt(reply.deadline_ms))
            if changed:
                await _log(
                    conn,
                    actor,
                    rows[reply.sitting_id],
                    "paused" if action == "pause" else "resumed",
                    {"room": str(class_id), "value_ms": reply.value},
                )
            outcomes.append(_outcome(reply, reply.status in ("paused", "already_paused")))
    return RoomOutcome(exam_id, class_id, outcomes)
