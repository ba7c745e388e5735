"""The Redis side of a sitting: one script call per operation, one slot per call."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

import msgspec

from engine.redis_adapter.connections import PipelinedRedis, RedisClient
from engine.redis_adapter.keys import KeySpace
from engine.redis_adapter.replies import (
    AnswerReply,
    HeartbeatReply,
    StartReply,
    SubmitReply,
    reply,
    text,
)
from engine.redis_adapter.scripts import lua_source
from engine.sittings.answer_stream import log_record
from engine.sittings.latest import LatestFormat, latest_value
from engine.sittings.models import AnswerEvent


class AnswerBudget(msgspec.Struct, frozen=True):
    """A sitting's write budget (settings.answer_budget_*): two token buckets the answer
    script keeps in the session hash; either rate 0 turns it off."""

    events_per_min: int = 0
    events_burst: int = 0
    bytes_per_min: int = 0
    bytes_burst: int = 0


NO_BUDGET = AnswerBudget()


class SessionView(msgspec.Struct, frozen=True):
    state: str
    exam_version_id: str
    student_id: str
    deadline_ms: int
    last_seq: int
    now_ms: int
    answers: dict[bytes, bytes]
    # while paused the clock stands still at this instant (0: running)
    paused_at_ms: int = 0
    # linear navigation: the furthest place in the student's order answered (-1: none yet)
    furthest: int = -1
    # answers still count this long after the deadline (the page says so, item by item)
    grace_ms: int = 0

    @property
    def clock_ms(self) -> int:
        """The instant the sitting's remaining time is counted at."""
        return self.paused_at_ms or self.now_ms


def _seq(event: AnswerEvent) -> int:
    return event.seq


def _first_seq(pair: tuple[AnswerEvent, int]) -> int:
    return pair[0].seq


class SittingStore:
    def __init__(
        self,
        redis: RedisClient,
        keys: KeySpace,
        pipelined: PipelinedRedis | None = None,
        budget: AnswerBudget = NO_BUDGET,
        latest_format: LatestFormat = "msgpack",
    ) -> None:
        self.redis = redis
        # "json": the answers hash keeps the stream record, the value the previous release
        # reads (a rolling upgrade's first step: engine/sittings/latest.py)
        self._latest_is_record = latest_format == "json"
        # the answer script's budget arguments, encoded once; either rate 0 turns it off
        on = budget.events_per_min > 0 and budget.bytes_per_min > 0
        self._budget = tuple(
            str(v if on else 0).encode()
            for v in (
                budget.events_per_min,
                budget.events_burst,
                budget.bytes_per_min,
                budget.bytes_burst,
            )
        )
        # the scripts of the answer, timer and paper paths: engine/redis_adapter/connections.py
        self.pipelined = pipelined or PipelinedRedis(redis)
        self.keys = keys
        self._start = redis.register_script(lua_source("start"))
        self._answer = redis.register_script(lua_source("answer"))
        self._submit = redis.register_script(lua_source("submit"))
        self._view = redis.register_script(lua_source("view"))
        self._heartbeat = redis.register_script(lua_source("heartbeat"))

    async def start(
        self,
        sitting_id: uuid.UUID,
        *,
        exam_version_id: str,
        student_id: str,
        limit_ms: int,
        extra_ms: int,
        window_open_ms: int,
        window_close_ms: int,
        grace_ms: int,
        known_started_ms: int = 0,
        known_deadline_ms: int = 0,
    ) -> StartReply:
        k = self.keys.for_sitting(sitting_id)
        raw = await self.pipelined.run_script(
            self._start,
            [k.session, k.deadlines],
            [
                str(sitting_id),
                exam_version_id,
                student_id,
                limit_ms,
                extra_ms,
                window_open_ms,
                window_close_ms,
                grace_ms,
                known_started_ms,
                known_deadline_ms,
            ],
            durable=True,
        )
        return reply(StartReply, [text(raw[0]), int(raw[1] or 0), int(raw[2] or 0), int(raw[3])])

    async def record_answers(
        self,
        sitting_id: uuid.UUID,
        student_id: str,
        events: list[AnswerEvent],
        device: str = "",
        places: Sequence[int] | None = None,
    ) -> AnswerReply:
        """Store the events, or none of them when the script refuses the batch (time, budget,
        linear navigation). ``places``: on a linear paper, each event's item place in the
        student's order, in the order of ``events``."""
        k = self.keys.for_sitting(sitting_id)
        tail: Sequence[int] = ()
        if places is None:
            ordered = sorted(events, key=_seq)
        else:
            pairs = sorted(zip(events, places, strict=True), key=_first_seq)
            ordered, tail = [e for e, _ in pairs], [p for _, p in pairs]
        records = [log_record(e) for e in ordered]
        args: list[Any] = [
            str(sitting_id),
            student_id,
            len(events),
            device,  # the device lock (engine/accounts/devices.py); '' checks nothing
            sum(map(len, records)),
            *self._budget,
            b"0" if places is None else b"1",
        ]
        for event, record in zip(ordered, records, strict=True):
            value = record if self._latest_is_record else latest_value(event)
            args.extend((event.seq, event.item, record, value))
        args.extend(tail)
        # acknowledged only once held as settings.redis_ack_durability asks (ADR 0019)
        raw = await self.pipelined.run_script(
            self._answer, [k.session, k.answers, k.stream], args, durable=True
        )
        return reply(
            AnswerReply, [text(raw[0]), int(raw[1]), int(raw[2]), *(int(v) for v in raw[3:5])]
        )

    async def submit(self, sitting_id: uuid.UUID, student_id: str, reason: str) -> SubmitReply:
        k = self.keys.for_sitting(sitting_id)
        raw = await self.pipelined.run_script(
            self._submit,
            [k.session, k.deadlines, k.grading],
            [str(sitting_id), student_id, reason],
            durable=True,
        )
        return reply(
            SubmitReply, [text(raw[0]), int(raw[1] or 0), int(raw[2] if len(raw) > 2 else 0)]
        )

    async def view(self, sitting_id: uuid.UUID, *, with_answers: bool) -> SessionView | None:
        """Session fields, the server clock and (optionally) the latest answers: one round trip."""
        k = self.keys.for_sitting(sitting_id)
        raw = await self.pipelined.run_script(
            self._view, [k.session, k.answers], ["1" if with_answers else "0"]
        )
        if not raw or raw[0] is None:
            return None
        flat = raw[9:]
        return SessionView(
            state=text(raw[0]),
            exam_version_id=text(raw[1]),
            student_id=text(raw[2]),
            deadline_ms=int(raw[3]),
            last_seq=int(raw[4]),
            now_ms=int(raw[5]),
            answers=dict(zip(flat[::2], flat[1::2], strict=True)),
            paused_at_ms=int(raw[6]),
            furthest=int(raw[7]),
            grace_ms=int(raw[8]),
        )

    async def heartbeat(
        self, sitting_id: uuid.UUID, student_id: str, device: str = ""
    ) -> HeartbeatReply:
        """The clock of the student's own sitting, marking it seen (lua/heartbeat.lua)."""
        k = self.keys.for_sitting(sitting_id)
        raw = await self.pipelined.run_script(self._heartbeat, [k.session], [student_id, device])
        if len(raw) == 1:
            return reply(HeartbeatReply, [text(raw[0])])
        head, tail = [text(v) for v in raw[:3]], [int(v) for v in raw[3:7]]
        return reply(HeartbeatReply, [*head, *tail, bool(raw[7]), int(raw[8])])

    async def session_fields(self, sitting_id: uuid.UUID, *names: str) -> list[str | None]:
        k = self.keys.for_sitting(sitting_id)
        values = await self.redis.hmget(k.session, *names)
        return [None if v is None else text(v) for v in values]

    async def sessions_fields(
        self, sitting_ids: list[uuid.UUID], *names: str
    ) -> list[list[str | None]]:
        """``session_fields`` of many sittings in one pipeline."""
        pipe = self.redis.pipeline(transaction=False)
        for sitting_id in sitting_ids:
            pipe.hmget(self.keys.for_sitting(sitting_id).session, *names)
        found = await pipe.execute()
        return [[None if v is None else text(v) for v in values] for values in found]

    async def many_latest_answers(
        self, sitting_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, dict[bytes, bytes]]:
        """``latest_answers`` of many sittings in one pipeline."""
        pipe = self.redis.pipeline(transaction=False)
        for sitting_id in sitting_ids:
            pipe.hgetall(self.keys.for_sitting(sitting_id).answers)
        return dict(zip(sitting_ids, await pipe.execute(), strict=True))

    async def expire_many(self, sitting_ids: list[uuid.UUID], seconds: int) -> None:
        """``expire`` for many sittings in one pipeline."""
        if not sitting_ids:
            return
        pipe = self.redis.pipeline(transaction=False)
        for sitting_id in sitting_ids:
            k = self.keys.for_sitting(sitting_id)
            pipe.expire(k.session, seconds)
            pipe.expire(k.answers, seconds)
        await pipe.execute()

    async def latest_answers(self, sitting_id: uuid.UUID) -> dict[bytes, bytes]:
        answers = cast(
            dict[bytes, bytes],
            await self.redis.hgetall(self.keys.for_sitting(sitting_id).answers),
        )
        return answers

    async def expire(self, sitting_id: uuid.UUID, seconds: int) -> None:
        """Let a graded sitting's keys go; PostgreSQL holds everything from here on."""
        k = self.keys.for_sitting(sitting_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.expire(k.session, seconds)
        pipe.expire(k.answers, seconds)
        await pipe.execute()

    async def due(self, shard: int, now_ms: int, limit: int) -> list[uuid.UUID]:
        """Sittings of ``shard`` whose deadline (plus grace) is at or before ``now_ms``."""
        raw = cast(
            list[bytes],
            await self.redis.zrangebyscore(
                self.keys.deadline_set(shard), "-inf", now_ms, start=0, num=limit
            ),
        )
        return [uuid.UUID(value.decode()) for value in raw]

    async def forget_due(self, shard: int, sitting_id: uuid.UUID) -> None:
        """Take a sitting out of its shard's deadline set (submitted, or its session gone)."""
        await self.redis.zrem(self.keys.deadline_set(shard), str(sitting_id))
