"""What "acknowledged" means for a write (settings ``redis_ack_*``, ADR 0019).

Redis replicates asynchronously: a script's reply says the primary holds the write, not that
its replica does, and a primary killed before its replica had the write loses it when the
replica is promoted. ``WAIT n t`` (the replicas hold it) or ``WAITAOF 1 n t`` (Redis 7.2+: the
primary's AOF and n replicas' AOF have it fsynced) sent on the *same connection* after the
write blocks until that is true, counting every write made on that connection before it.

The shared connection pipelines many requests' scripts, so one WAIT answers for all of them:
``GroupWait`` keeps at most one WAIT in flight per connection, and a script written while one
is in flight is covered by the next, written when it answers. Redis does not read a blocked
client's further commands anyway, so a second WAIT in flight would only queue behind the first.
Under load the cost per request is one replication round trip, shared (group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal, Protocol

import hiredis
import msgspec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError


class Durability(msgspec.Struct, frozen=True):
    # none: the primary holds it (today's Redis default); replica: ``replicas`` replicas hold it
    # (WAIT); aof: the primary's AOF and ``replicas`` replicas' AOF have it on disk (WAITAOF)
    mode: Literal["none", "replica", "aof"] = "none"
    replicas: int = 1
    timeout_ms: int = 500

    def __post_init__(self) -> None:
        # a timeout of 0 would wait for ever; WAIT for 0 replicas would wait for nothing (the
        # AOF's local fsync alone is a choice: it survives a restart, not a failover)
        if self.on and (self.timeout_ms < 1 or self.replicas < (self.mode == "replica")):
            raise ValueError(
                "redis_ack_timeout_ms must be at least 1, and redis_ack_replicas at least 1 "
                "with replica (at least 0 with aof)"
            )

    @property
    def on(self) -> bool:
        return self.mode != "none"

    def command(self) -> tuple[Any, ...]:
        if self.mode == "aof":
            return ("WAITAOF", 1, self.replicas, self.timeout_ms)
        return ("WAIT", self.replicas, self.timeout_ms)

    async def check_server(self, client: Any) -> None:
        """Refuse to start on a Redis without WAITAOF (it came with 7.2) when it is asked for:
        every acknowledgement would fail otherwise, one request at a time."""
        if self.mode != "aof":
            return  # WAIT: every Redis has it
        try:
            await client.execute_command("WAITAOF", 0, 0, 1)  # asks for nothing: answers at once
        except ResponseError as err:
            if "unknown command" not in str(err).lower():
                raise
            raise RuntimeError(
                "UJIAN_REDIS_ACK_DURABILITY=aof needs the Redis command WAITAOF, which this "
                "Redis does not have (WAITAOF: Redis 7.2 or later)"
            ) from err

    def held(self, reply: Any) -> bool:
        """Whether the reply of ``command()`` says the writes before it are held as asked."""
        if self.mode == "aof":
            local, replicas = reply
            return int(local) >= 1 and int(replicas) >= self.replicas
        return int(reply) >= self.replicas


NO_DURABILITY = Durability()


class NotDurable(RedisTimeoutError):
    """The primary stored the write but it is not (yet) held where ``Durability`` asks within
    its timeout: not acknowledged. Sending the same request again is safe (the scripts are
    idempotent) and is acknowledged once the write is held, or stored again on a promoted
    replica that never had it. A Redis timeout, so whatever retries those retries this."""


class _Writer(Protocol):
    """The shared connection's socket: commands written so far, and one more written."""

    sent: int

    @property
    def usable(self) -> bool: ...

    def send(self, packed: bytes) -> asyncio.Future[Any]: ...


def _retrieve(future: asyncio.Future[Any]) -> None:
    # a WAIT whose callers all gave up (their script failed): its error is nobody's to raise
    if not future.cancelled():
        future.exception()


class GroupWait:
    """One connection's WAITs: each covers every command written on it before it."""

    def __init__(self, durability: Durability) -> None:
        self.durability = durability
        self._packed = hiredis.pack_command(durability.command())
        self._inflight: asyncio.Future[Any] | None = None
        # the number of the command the WAIT in flight is: it covers every command below it
        self._covers = 0

    def follow(self, connection: _Writer) -> None:
        """Right after a command is written: a WAIT behind it now, unless one is in flight (the
        next is written when that one answers)."""
        if self._inflight is None or self._inflight.done():
            self._write(connection)

    def _write(self, connection: _Writer) -> None:
        self._covers = connection.sent
        self._inflight = connection.send(self._packed)
        self._inflight.add_done_callback(_retrieve)

    async def held(self, connection: _Writer, number: int) -> None:
        """Returns once a WAIT written after command ``number`` says it is held; raises
        ``NotDurable`` when that WAIT counts too few, or the connection's error."""
        while True:
            inflight = self._inflight
            if inflight is not None and self._covers > number:
                reply = await asyncio.shield(inflight)
                break
            if inflight is None or inflight.done():
                if not connection.usable:
                    raise RedisConnectionError("connection to Redis lost before its WAIT")
                self._write(connection)
                continue
            with contextlib.suppress(Exception):
                await asyncio.shield(inflight)  # the one before ours: then ours is written
        if not self.durability.held(reply):
            d = self.durability
            raise NotDurable(
                f"{d.command()[0]} counted {reply!r} within {d.timeout_ms} ms, "
                f"{d.replicas} replica(s) asked"
            )
