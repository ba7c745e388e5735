"""A counter of result changes per exam, and the statistics cached under it.

Every change to an exam's results bumps the counter *after* its transaction commits: grading a
sitting (engine/sittings/grader.py, here or on the Lambda), re-scoring it with an essay mark,
a calibration's new abilities. Statistics are cached under (exam, scope, counter), so a second
``GET statistics`` without a new result reads the cache, and any new result makes the next one
compute afresh. Bumping after the commit matters: a computation that started before the bump
is stored under the old counter, which no reader asks for any more.

Both live in Redis, so every pod shares them and a Redis that lost its data loses the two
together (a counter back at 0 never meets a cache entry of the old 0). Choices and times come
from the answer log, which the persister fills a moment after grading: a cache entry also
expires after ``CACHE_TTL_S`` so those catch up.
"""

from __future__ import annotations

import uuid
from typing import cast

import msgspec

from engine.analytics.models import ExamStatisticsView
from engine.redis_lane import RedisClient

CACHE_TTL_S = 300

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ExamStatisticsView)


def _version_key(namespace: str, exam_id: uuid.UUID) -> str:
    return f"{namespace}:results-version:{exam_id}"


def _cache_key(
    namespace: str, exam_id: uuid.UUID, org_filter: uuid.UUID | None, version: int
) -> str:
    return f"{namespace}:statistics:{exam_id}:{org_filter or 'all'}:{version}"


async def bump(redis: RedisClient, namespace: str, exam_id: uuid.UUID) -> int:
    version: int = await redis.incr(_version_key(namespace, exam_id))
    return version


async def current(redis: RedisClient, namespace: str, exam_id: uuid.UUID) -> int:
    raw = await redis.get(_version_key(namespace, exam_id))
    return 0 if raw is None else int(raw)


async def cached(
    redis: RedisClient,
    namespace: str,
    exam_id: uuid.UUID,
    org_filter: uuid.UUID | None,
    version: int,
) -> ExamStatisticsView | None:
    raw = await redis.get(_cache_key(namespace, exam_id, org_filter, version))
    return (
        None if raw is None else _decoder.decode(cast(bytes, raw))
    )  # the client decodes no replies: bytes


async def store(
    redis: RedisClient,
    namespace: str,
    exam_id: uuid.UUID,
    org_filter: uuid.UUID | None,
    version: int,
    view: ExamStatisticsView,
) -> None:
    await redis.set(
        _cache_key(namespace, exam_id, org_filter, version), _encoder.encode(view), ex=CACHE_TTL_S
    )
