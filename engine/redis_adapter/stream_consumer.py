"""A consumer-group reader for one Redis stream, shared by the persister and the grader.

Entries are read with XREADGROUP, handled, then XACKed and deleted (with a copy of the batch
written in the same script, when the consumer makes one). An entry read by a consumer
that dies before acknowledging it stays pending; any live consumer takes it over with
XAUTOCLAIM once it has been idle for ``claim_idle_ms``. Handlers must therefore be idempotent.

A consumer whose handler failed (PostgreSQL restarting, Redis gone for a moment) retries its own
pending entries first, at once, instead of waiting ``claim_idle_ms`` for them to go stale: the
service recovers as soon as its servers do, without anyone restarting it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError

from engine.redis_adapter.connections import PipelinedRedis, RedisClient, SharedConnection
from engine.redis_adapter.scripts import lua_source
from engine.redis_adapter.streams import CopyOnAck, Entry, stream_entries

log = logging.getLogger(__name__)

Handler = Callable[[list[Entry]], Awaitable[None]]


_ACKNOWLEDGE = lua_source("acknowledge")
_acknowledge_scripts: dict[int, Any] = {}


def _acknowledge_script(redis: RedisClient) -> Any:
    """lua/acknowledge.lua, registered once per client (redis-py keeps its SHA and loads it)."""
    script = _acknowledge_scripts.get(id(redis))
    if script is None or script.registered_client is not redis:
        script = _acknowledge_scripts[id(redis)] = redis.register_script(_ACKNOWLEDGE)
    return script


@dataclass
class StreamConsumer:
    redis: RedisClient
    stream: str
    group: str
    consumer: str
    handler: Handler
    batch_size: int = 1000
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    # set after a failure: re-read this consumer's own pending entries before new ones
    retry_own: bool = False
    # acknowledgements of a thousand ids at once are packed in C on the hot lane
    # (engine/redis_adapter/connections.py) rather than argument by argument by redis-py
    pipelined: PipelinedRedis | None = None
    # a copy of each batch, written by the script that acknowledges it
    copy_on_ack: CopyOnAck | None = None
    # read the next batch while this one is handled (the persister: its handler waits on
    # PostgreSQL, and Redis can prepare the next thousand entries meanwhile)
    read_ahead: bool = False
    # acknowledge by trimming what the group has stored (lua/acknowledge.lua) rather than
    # deleting each id: only for a stream read by this one group
    trim_stored: bool = False
    _ahead: asyncio.Future[list[Entry]] | None = None
    _next_claim: float = 0.0
    # with a hot lane, reads go over this consumer's own lane connection: hiredis parses a
    # thousand entries in C where redis-py spent as much CPU as storing them in PostgreSQL
    # (bench/bench_persist.py), and a read blocked on an empty stream holds up no one else
    _reader: SharedConnection | None = None

    def __post_init__(self) -> None:
        if self.pipelined is not None and self.pipelined.shared is not None:
            self._reader = SharedConnection.for_client(self.redis)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    async def read_new(self) -> list[Entry]:
        return await self._read(">", block=True)

    async def read_own_pending(self) -> list[Entry]:
        """Entries this consumer read earlier and has not acknowledged (id "0", not ">")."""
        return await self._read("0", block=False)

    async def _read(self, after: str, *, block: bool) -> list[Entry]:
        if self._reader is None:
            reply = await self.redis.xreadgroup(
                self.group,
                self.consumer,
                {self.stream: after},
                count=self.batch_size,
                block=self.block_ms if block else None,
            )
        else:
            waits = ("BLOCK", self.block_ms) if block else ()
            reply = await self._reader.execute(
                "XREADGROUP",
                "GROUP",
                self.group,
                self.consumer,
                "COUNT",
                self.batch_size,
                *waits,
                "STREAMS",
                self.stream,
                after,
                key=self.stream,
            )
        return stream_entries(reply)

    async def claim_stale(self) -> list[Entry]:
        """Entries a dead consumer read but never acknowledged."""
        _, entries, *_ = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id="0-0",
            count=self.batch_size,
        )
        # entries deleted meanwhile come back without fields; nothing is left to do for them
        return [e for e in entries if e[1]]

    async def acknowledge(self, entries: list[Entry]) -> None:
        """Acknowledge ``entries`` and let the stream drop them, with their copy if any: one
        script (lua/acknowledge.lua), one round trip."""
        ids = [entry_id for entry_id, _ in entries]
        if not ids:
            return
        copy = self.copy_on_ack(entries) if self.copy_on_ack is not None else None
        keys = [self.stream, self.stream if copy is None else copy.stream]
        copy_fields = () if copy is None else copy.fields
        args = [
            self.group,
            b"trim" if self.trim_stored else b"delete",
            len(copy_fields),
            *copy_fields,
            *ids,
        ]
        script = _acknowledge_script(self.redis)
        if self.pipelined is not None:
            # packed in C on the hot lane; a copy carries whole batches (bulky)
            await self.pipelined.run_script(script, keys, args, bulky=copy is not None)
        else:
            await script(keys=keys, args=args)

    async def process(self, entries: list[Entry]) -> int:
        if entries:
            await self.handler(entries)
            await self.acknowledge(entries)
        return len(entries)

    async def run_once(self) -> int:
        """Own pending entries after a failure, else stale ones of dead consumers (looked for
        every half ``claim_idle_ms``, not on every read), else new ones; handle and acknowledge."""
        if self.retry_own:
            own = await self.read_own_pending()
            if own:
                return await self.process(own)
            self.retry_own = False
        now = time.monotonic()
        if now >= self._next_claim:
            stale = await self.claim_stale()
            if stale:
                return await self.process(stale)
            self._next_claim = now + self.claim_idle_ms / 2000
        if not self.read_ahead:
            return await self.process(await self.read_new())
        entries = await (self._ahead or self.read_new())
        self._ahead = None
        if entries:
            # entries read ahead are pending to this consumer like any others: if this batch
            # fails they are re-read with it (retry_own), if the process dies they are claimed
            self._ahead = asyncio.ensure_future(self.read_new())
        return await self.process(entries)

    async def run(self, stop: asyncio.Event) -> None:
        # Redis may be down when the process starts: keep trying rather than die
        while not stop.is_set():
            try:
                await self.ensure_group()
                break
            except (asyncio.CancelledError, ResponseError):
                raise
            except Exception as err:
                log.warning("consumer %s cannot reach %s yet (%s)", self.consumer, self.stream, err)
                await asyncio.sleep(1.0)
        while not stop.is_set():
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                # the entries stay pending and this consumer retries them; back off so a broken
                # database does not turn into a busy loop
                self._drop_read_ahead()
                log.warning(
                    "consumer %s on %s failed (%s: %s); retrying",
                    self.consumer,
                    self.stream,
                    type(err).__name__,
                    err,
                )
                self.retry_own = True
                await asyncio.sleep(1.0)
                if isinstance(err, ResponseError) and "NOGROUP" in str(err):
                    # the stream or its group is gone (a Redis that lost its data): recreate
                    await self._ensure_group_quietly()

    def _drop_read_ahead(self) -> None:
        """Forget a read in flight: what it read stays pending and is read again as this
        consumer's own (``retry_own``)."""
        if self._ahead is not None:
            ahead, self._ahead = self._ahead, None
            if ahead.done():
                ahead.exception()  # retrieved, so asyncio does not log it as lost
            else:
                ahead.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def close(self) -> None:
        """Stop a read ahead: what it read waits, pending, for a claim by a live consumer."""
        if self._ahead is not None:
            self._ahead.cancel()
            await asyncio.gather(self._ahead, return_exceptions=True)
            self._ahead = None
        if self._reader is not None:
            await self._reader.close()

    async def _ensure_group_quietly(self) -> None:
        try:
            await self.ensure_group()
        except Exception as err:
            log.warning("could not recreate group %s on %s: %s", self.group, self.stream, err)
