"""The stream consumer on a real Redis: reading ahead while a batch is handled, failures
half-way, and the commands sent with each acknowledgement."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.exceptions import ResponseError

from engine.app import connect_redis
from engine.redis_adapter.connections import PipelinedRedis
from engine.redis_adapter.stream_consumer import StreamConsumer
from engine.redis_adapter.streams import BatchCopy, Entry
from tests.conftest import ServerUrls
from tests.waiting import idle_at_least, poll_until


@pytest.fixture
async def redis(server_urls: ServerUrls) -> AsyncIterator[Any]:
    client = connect_redis(server_urls.redis)
    yield client
    await client.aclose()


async def _fill(redis: Any, stream: str, count: int) -> list[bytes]:
    return [await redis.xadd(stream, {"n": n}) for n in range(count)]


@pytest.mark.parametrize(
    ("hot", "trim"),
    [(True, True), (True, False), (False, True)],
    ids=["lane-trim", "lane-xdel", "redis-py-trim"],
)
async def test_read_ahead_with_failures_handles_every_entry_and_leaves_nothing(
    redis: Any, hot: bool, trim: bool
) -> None:
    stream = f"consumer-test:{{{uuid.uuid4().hex}}}:answers"
    copies = stream.replace(":answers", ":copies")
    written = await _fill(redis, stream, 23)
    handled: list[bytes] = []
    calls = 0

    async def flaky(entries: list[Entry]) -> None:
        nonlocal calls
        calls += 1
        if calls in (2, 5):  # a database that fails now and then, with reads ahead in flight
            raise ConnectionError("PostgreSQL restarting")
        handled.extend(entry_id for entry_id, _ in entries)

    def copy(entries: list[Entry]) -> BatchCopy:
        return BatchCopy(copies, (b"ids", b",".join(i for i, _ in entries)))

    lane = PipelinedRedis(redis) if hot else None
    consumer = StreamConsumer(
        redis,
        stream,
        "persister",
        "c1",
        flaky,
        batch_size=4,
        block_ms=10,
        pipelined=lane,
        copy_on_ack=copy,
        read_ahead=True,
        trim_stored=trim,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        for _ in range(200):  # each failure backs off a second
            if set(handled) >= set(written) and not consumer.retry_own:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await consumer.close()
        if lane is not None:
            await lane.close()
    assert set(handled) == set(written)  # at least once each, in batches retried whole
    assert await redis.xlen(stream) == 0  # stored ones are deleted
    assert (await redis.xpending(stream, "persister"))["pending"] == 0
    # a copy per batch handled, sent with its acknowledgement: none for the failed attempts
    copied = [i for _, f in await redis.xrange(copies) for i in f[b"ids"].split(b",")]
    assert sorted(copied) == sorted(handled)
    await redis.delete(stream, copies)


async def test_a_read_ahead_stopped_with_the_consumer_is_claimed_by_another(redis: Any) -> None:
    stream = f"consumer-test:{{{uuid.uuid4().hex}}}:answers"
    written = await _fill(redis, stream, 6)
    first: list[bytes] = []

    async def record(into: list[bytes], entries: list[Entry]) -> None:
        into.extend(entry_id for entry_id, _ in entries)

    dying = StreamConsumer(
        redis,
        stream,
        "persister",
        "dying",
        lambda e: record(first, e),
        batch_size=3,
        block_ms=10,
        read_ahead=True,
    )
    await dying.ensure_group()
    assert await dying.run_once() == 3  # and the next three were read ahead

    async def read_ahead() -> bool:
        return (await redis.xpending(stream, "persister"))["pending"] == 3

    await poll_until(read_ahead, 5)
    await dying.close()
    assert (await redis.xpending(stream, "persister"))["pending"] == 3
    later: list[bytes] = []
    heir = StreamConsumer(
        redis,
        stream,
        "persister",
        "heir",
        lambda e: record(later, e),
        batch_size=10,
        block_ms=10,
        claim_idle_ms=20,
    )
    await poll_until(lambda: idle_at_least(redis, stream, "persister", 20), 5)
    while await heir.run_once():
        pass
    assert first + later == written
    assert await redis.xlen(stream) == 0
    await redis.delete(stream)


async def test_trimming_keeps_what_another_consumer_of_the_group_still_holds(redis: Any) -> None:
    stream = f"consumer-test:{{{uuid.uuid4().hex}}}:answers"
    written = await _fill(redis, stream, 9)

    async def nothing(entries: list[Entry]) -> None:
        pass

    slow = StreamConsumer(redis, stream, "persister", "slow", nothing, batch_size=3, block_ms=10)
    fast = StreamConsumer(
        redis, stream, "persister", "fast", nothing, batch_size=3, block_ms=10, trim_stored=True
    )
    await slow.ensure_group()
    held = await slow.read_new()  # the oldest three, not yet stored
    assert await fast.run_once() == 3 and await fast.run_once() == 3
    # the fast consumer's six are acknowledged, but nothing at or after what slow holds goes
    assert [i for i, _ in await redis.xrange(stream)] == written
    await slow.acknowledge(held)  # acknowledged and deleted one by one
    await _fill(redis, stream, 3)
    assert await fast.run_once() == 3  # nothing pending any more: all that is stored goes
    assert await redis.xlen(stream) == 0
    assert (await redis.xpending(stream, "persister"))["pending"] == 0
    await redis.delete(stream)


async def test_settling_after_redis_lost_its_scripts_loads_the_script(redis: Any) -> None:
    stream = f"consumer-test:{{{uuid.uuid4().hex}}}:answers"
    await _fill(redis, stream, 4)

    async def nothing(entries: list[Entry]) -> None:
        pass

    lane = PipelinedRedis(redis)
    consumer = StreamConsumer(
        redis,
        stream,
        "persister",
        "c",
        nothing,
        batch_size=2,
        block_ms=10,
        pipelined=lane,
        trim_stored=True,
    )
    await consumer.ensure_group()
    assert await consumer.run_once() == 2
    await redis.script_flush()  # as after a restart without persistence of scripts
    assert await consumer.run_once() == 2
    assert await redis.xlen(stream) == 0
    await consumer.close()
    await lane.close()
    await redis.delete(stream)


async def test_the_last_consumer_to_acknowledge_trims_what_the_others_stored(redis: Any) -> None:
    stream = f"consumer-test:{{{uuid.uuid4().hex}}}:answers"
    await _fill(redis, stream, 6)

    async def nothing(entries: list[Entry]) -> None:
        pass

    older = StreamConsumer(
        redis, stream, "persister", "older", nothing, batch_size=3, block_ms=10, trim_stored=True
    )
    newer = StreamConsumer(
        redis, stream, "persister", "newer", nothing, batch_size=3, block_ms=10, trim_stored=True
    )
    await older.ensure_group()
    held = await older.read_new()
    assert await newer.run_once() == 3  # acknowledges first, behind the older one's pending three
    assert await redis.xlen(stream) == 6
    await older.acknowledge(held)  # nothing pending now: the newer one's entries go too
    assert await redis.xlen(stream) == 0
    await redis.delete(stream)


@pytest.mark.parametrize("hot", [True, False], ids=["lane", "redis-py"])
async def test_a_batch_whose_copy_fails_is_not_acknowledged(redis: Any, hot: bool) -> None:
    """The copy and the acknowledgement are one script: when the copy cannot be written, the
    batch stays pending (to be handled again), rather than acknowledged and never copied."""
    stream = f"consumer-test:{{{uuid.uuid4().hex}}}:answers"
    broken = stream.replace(":answers", ":copies")
    await redis.set(broken, "not a stream")  # XADD to it fails with WRONGTYPE
    written = await _fill(redis, stream, 3)

    async def keep(entries: list[Entry]) -> None:
        return None

    lane = PipelinedRedis(redis) if hot else None
    consumer = StreamConsumer(
        redis,
        stream,
        "persister",
        "c1",
        keep,
        block_ms=10,
        pipelined=lane,
        copy_on_ack=lambda entries: BatchCopy(broken, (b"n", str(len(entries)).encode())),
        trim_stored=True,
    )
    await consumer.ensure_group()
    try:
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await consumer.run_once()
        pending = await redis.xpending(stream, "persister")
        assert pending["pending"] == len(written)
        assert await redis.xlen(stream) == len(written)
    finally:
        await consumer.close()
        if lane is not None:
            await lane.close()
        await redis.delete(stream, broken)
