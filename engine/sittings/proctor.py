"""Proctor actions for a room (a class sitting an exam): who is online, pause/resume a sitting
or the whole room, extra time, device-lock reset. Each is atomic in Redis
(engine/sittings/proctor_store.py), recorded as a sitting event and audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from engine.accounts import audit
from engine.accounts.audit import Actor
from engine.accounts.exam_access import exam_in_reach
from engine.accounts.models import ProctorOutcome, Room, RoomOutcome, Seat
from engine.accounts.people import class_in_scope
from engine.accounts.scope import require_org
from engine.kernel.errors import conflict, not_found, validation_failed
from engine.kernel.sql import Connection
from engine.ports import WithKeySpace, WithPool, WithRedis, WithSettings
from engine.sittings import repository_access as sql
from engine.sittings.proctor_store import ActionReply, proctor_store


class Needs(WithKeySpace, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


async def _sitting(conn: Connection, actor: Actor, sitting_id: uuid.UUID) -> sql.SittingTime:
    found = await sql.sitting_time(conn, sitting_id)
    if found is None:
        raise not_found("sitting")
    await require_org(conn, actor.principal, found.org_id, "sitting")
    return found


async def _log(
    conn: Connection, actor: Actor, sitting: sql.ProctoredSitting, kind: str, detail: dict[str, Any]
) -> None:
    await sql.insert_sitting_event(
        conn,
        sql.SittingEvent(
            sitting.id,
            sitting.exam_id,
            sitting.org_id,
            sitting.student_id,
            kind,
            actor.principal.user_id,
            detail,
        ),
    )
    await audit.record(
        conn, actor, f"sitting.{kind}", org_id=sitting.org_id, target=sitting.id, detail=detail
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


async def room(svc: Needs, actor: Actor, exam_id: uuid.UUID, class_id: uuid.UUID) -> Room:
    async with svc.pool.acquire() as conn:
        await exam_in_reach(conn, actor.principal, exam_id)
        await class_in_scope(conn, actor.principal, class_id)
        students = await sql.room_seats(conn, exam_id, class_id)
    ids = [r.sitting_id for r in students if r.sitting_id is not None]
    now_ms, live = await proctor_store(svc.redis, svc.keyspace).seats(ids)
    by_id = dict(zip(ids, live, strict=True))
    window_ms = svc.settings.online_window_s * 1000
    seats = []
    for r in students:
        state = by_id.get(r.sitting_id) if r.sitting_id else None
        live_state = state if state is not None and state.state == "active" else None
        seats.append(
            Seat(
                student_id=r.student_id,
                username=r.username,
                display_name=r.display_name,
                sitting_id=r.sitting_id,
                state=r.state,
                online=live_state is not None and now_ms - live_state.last_seen_ms <= window_ms,
                paused=state is not None and state.paused_since_ms is not None,
                remaining_ms=None
                if live_state is None
                else max(0, live_state.deadline_ms - (live_state.paused_since_ms or now_ms)),
                device_locked=state is not None and state.device is not None,
            )
        )
    return Room(exam_id, class_id, now_ms, seats)


async def pause(svc: Needs, actor: Actor, sitting_id: uuid.UUID) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        sitting = await _sitting(conn, actor, sitting_id)
        [reply] = await proctor_store(svc.redis, svc.keyspace).pause([sitting_id])
        _refuse(reply)
        if reply.status == "paused":
            await _log(conn, actor, sitting, "paused", {"paused_at_ms": reply.value})
    return _outcome(reply, True)


async def resume(svc: Needs, actor: Actor, sitting_id: uuid.UUID) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        sitting = await _sitting(conn, actor, sitting_id)
        [reply] = await proctor_store(svc.redis, svc.keyspace).resume([sitting_id])
        _refuse(reply)
        if reply.status == "resumed":
            await sql.set_deadline(conn, sitting_id, _dt(reply.deadline_ms))
            await _log(
                conn,
                actor,
                sitting,
                "resumed",
                {"paused_for_ms": reply.value, "deadline_ms": reply.deadline_ms},
            )
    return _outcome(reply, False)


async def extra_time(
    svc: Needs, actor: Actor, sitting_id: uuid.UUID, seconds: int
) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        sitting = await _sitting(conn, actor, sitting_id)
        # grants add up: in all, at most the exam's own limit again (a room's power cut, not a
        # second exam), however many times a proctor presses the button
        granted = sitting.extra_time_s or 0
        if granted + seconds > sitting.time_limit_s:
            raise validation_failed(
                "extra time in all may not exceed the exam's own time limit",
                [
                    {
                        "field": "seconds",
                        "message": f"at most {sitting.time_limit_s - granted} s "
                        "more for this sitting",
                    }
                ],
            )
        reply = await proctor_store(svc.redis, svc.keyspace).extend(sitting_id, seconds * 1000)
        _refuse(reply)
        await sql.add_extra_time(conn, sitting_id, _dt(reply.deadline_ms), seconds)
        await _log(
            conn,
            actor,
            sitting,
            "extra_time",
            {"seconds": seconds, "deadline_ms": reply.deadline_ms},
        )
    return _outcome(reply, reply.value == 1)


async def reset_device(svc: Needs, actor: Actor, sitting_id: uuid.UUID) -> ProctorOutcome:
    async with svc.pool.acquire() as conn:
        sitting = await _sitting(conn, actor, sitting_id)
        reply = await proctor_store(svc.redis, svc.keyspace).reset_device(sitting_id)
        if reply.status == "no_session":
            raise conflict("sitting_not_started", "This sitting has not started")
        await _log(conn, actor, sitting, "device_reset", {"device": reply.other_device})
    return ProctorOutcome(sitting_id, "ok", 0, False)


async def room_action(
    svc: Needs, actor: Actor, exam_id: uuid.UUID, class_id: uuid.UUID, action: str
) -> RoomOutcome:
    """Pause or resume every running sitting of a room at once (a power cut, a fire drill)."""
    if action not in ("pause", "resume"):
        raise not_found("room action")
    store = proctor_store(svc.redis, svc.keyspace)
    async with svc.pool.acquire() as conn:
        await exam_in_reach(conn, actor.principal, exam_id)
        await class_in_scope(conn, actor.principal, class_id)
        running = {r.id: r for r in await sql.running_sittings_of_room(conn, exam_id, class_id)}
        ids = list(running)
        replies = await (store.pause(ids) if action == "pause" else store.resume(ids))
        outcomes = []
        for reply in replies:
            changed = reply.status in ("paused", "resumed")
            if action == "resume" and changed:
                await sql.set_deadline(conn, reply.sitting_id, _dt(reply.deadline_ms))
            if changed:
                await _log(
                    conn,
                    actor,
                    running[reply.sitting_id],
                    "paused" if action == "pause" else "resumed",
                    {"room": str(class_id), "value_ms": reply.value},
                )
            outcomes.append(_outcome(reply, reply.status in ("paused", "already_paused")))
    return RoomOutcome(exam_id, class_id, outcomes)
