"""A counter of result changes per exam: statistics are cached under it
(engine/analytics/statistics_cache.py).

Every change to an exam's results bumps the counter *after* its transaction commits: grading a
sitting (engine/sittings/grader.py, here or on the Lambda), re-scoring it with an essay mark,
a calibration's new abilities, a key fix. Bumping after the commit matters: a computation that
started before the bump is stored under the old counter, which no reader asks for any more.
It lives in Redis beside the cache, so a Redis that lost its data loses the two together (a
counter back at 0 never meets a cache entry of the old 0).
"""

from __future__ import annotations

import uuid

from engine.redis_adapter.connections import RedisClient


def _version_key(namespace: str, exam_id: uuid.UUID) -> str:
    return f"{namespace}:results-version:{exam_id}"


async def bump(redis: RedisClient, namespace: str, exam_id: uuid.UUID) -> int:
    version: int = await redis.incr(_version_key(namespace, exam_id))
    return version


async def current(redis: RedisClient, namespace: str, exam_id: uuid.UUID) -> int:
    raw = await redis.get(_version_key(namespace, exam_id))
    return 0 if raw is None else int(raw)
