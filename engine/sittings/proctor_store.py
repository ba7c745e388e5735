"""The Redis side of proctor actions and the device lock: one script call per sitting, each
touching one slot; a room's sittings go in one pipeline.

Pausing stops the clock (``paused`` holds when); resuming moves the deadline on by the paused
time and puts the sitting back in the deadline set; ``answer.lua`` refuses answers while paused
(``sitting_paused``) and from a device other than the lock holder (``device_replaced``).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.kernel.errors import DomainError
from engine.redis_adapter.connections import PipelinedRedis, RedisClient
from engine.redis_adapter.keys import KeySpace
from engine.redis_adapter.scripts import lua_source


def _script(name: str) -> str:
    return lua_source(name)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ActionReply(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    status: str
    deadline_ms: int
    # pause: paused since (ms); resume: paused for (ms); extend: 1 if still paused
    value: int


class DeviceReply(msgspec.Struct, frozen=True):
    status: str
    other_device: str


class SeatState(msgspec.Struct, frozen=True):
    state: str | None
    deadline_ms: int
    paused_since_ms: int | None
    device: str | None
    last_seen_ms: int


def refusal(status: str, acked_seq: int, remaining: int) -> DomainError:
    """The problem for an answer batch the script refused for a proctoring reason."""
    if status == "sitting_paused":
        return DomainError(
            409,
            "sitting_paused",
            "This sitting is paused",
            "a proctor paused the exam; the clock is stopped and nothing was stored",
            extra={"acked_seq": acked_seq, "remaining_ms": max(0, remaining)},
        )
    return DomainError(
        409,
        "device_replaced",
        "This sitting continues on another device",
        "the exam was opened on another device; nothing from this one was stored",
        extra={"acked_seq": acked_seq},
    )


class ProctorStore:
    def __init__(
        self, redis: RedisClient, keys: KeySpace, pipelined: PipelinedRedis | None = None
    ) -> None:
        self.redis = redis
        self.keys = keys
        # the device claim rides on the start's shared connection (one of the start burst's
        # three script calls); the proctors' actions are rare and use the client
        self.pipelined = pipelined or PipelinedRedis(redis)
        self._pause = redis.register_script(_script("pause"))
        self._resume = redis.register_script(_script("resume"))
        self._extend = redis.register_script(_script("extend"))
        self._device = redis.register_script(_script("device"))
        self._device_reset = redis.register_script(_script("device_reset"))

    async def _each(
        self, script: Any, sitting_ids: list[uuid.UUID], *extra: Any
    ) -> list[ActionReply]:
        pipe = self.redis.pipeline(transaction=False)
        for sid in sitting_ids:
            k = self.keys.for_sitting(sid)
            await script(keys=[k.session, k.deadlines], args=[str(sid), *extra], client=pipe)
        raws = await pipe.execute()
        return [
            ActionReply(sid, _text(r[0]), int(r[1] or 0), int(r[2] or 0))
            for sid, r in zip(sitting_ids, raws, strict=True)
        ]

    async def pause(self, sitting_ids: list[uuid.UUID]) -> list[ActionReply]:
        return await self._each(self._pause, sitting_ids)

    async def resume(self, sitting_ids: list[uuid.UUID]) -> list[ActionReply]:
        return await self._each(self._resume, sitting_ids)

    async def extend(self, sitting_id: uuid.UUID, extra_ms: int) -> ActionReply:
        return (await self._each(self._extend, [sitting_id], extra_ms))[0]

    async def claim_device(self, sitting_id: uuid.UUID, device: str, policy: str) -> DeviceReply:
        k = self.keys.for_sitting(sitting_id)
        raw = await self.pipelined.run_script(self._device, [k.session], [device, policy])
        return DeviceReply(_text(raw[0]), _text(raw[1]))

    async def reset_device(self, sitting_id: uuid.UUID) -> DeviceReply:
        k = self.keys.for_sitting(sitting_id)
        raw = await self._device_reset(keys=[k.session])
        return DeviceReply(_text(raw[0]), _text(raw[1]))

    async def seats(self, sitting_ids: list[uuid.UUID]) -> tuple[int, list[SeatState]]:
        """The server clock and each sitting's live fields: one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.time()
        for sid in sitting_ids:
            pipe.hmget(
                self.keys.for_sitting(sid).session,
                "state",
                "deadline",
                "paused",
                "device",
                "seen",
                "started",
            )
        replies = await pipe.execute()
        seconds, micros = replies[0]
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        seats = []
        for f in replies[1:]:
            seen = max(int(f[4] or 0), int(f[5] or 0))
            seats.append(
                SeatState(
                    state=None if f[0] is None else _text(f[0]),
                    deadline_ms=int(f[1] or 0),
                    paused_since_ms=None if f[2] is None else int(f[2]),
                    device=None if f[3] is None else _text(f[3]),
                    last_seen_ms=seen,
                )
            )
        return now_ms, seats


_BY_REDIS: dict[int, ProctorStore] = {}


def proctor_store(
    redis: RedisClient, keys: KeySpace, pipelined: PipelinedRedis | None = None
) -> ProctorStore:
    """One per Redis client (scripts registered once), built on first use; ``pipelined``, the
    process's shared connection to the same Redis, when the caller has it."""
    found = _BY_REDIS.get(id(redis))
    if (
        found is None
        or found.redis is not redis
        or found.keys is not keys
        or (pipelined is not None and found.pipelined is not pipelined)
    ):
        found = _BY_REDIS[id(redis)] = ProctorStore(redis, keys, pipelined)
    return found
