"""Exam statistics cached under the exam's results counter (redis_adapter/results_version.py).

Statistics are cached under (exam, scope, counter), so a second ``GET statistics`` without a new
result reads the cache, and any new result makes the next one compute afresh. Choices and times
come from the answer log, which the persister fills a moment after grading: a cache entry also
expires after ``CACHE_TTL_S`` so those catch up.
"""

from __future__ import annotations

import uuid
from typing import cast

import msgspec

from engine.analytics.models import ExamStatisticsView
from engine.redis_adapter.connections import RedisClient

CACHE_TTL_S = 300

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ExamStatisticsView)


def _cache_key(
    namespace: str, exam_id: uuid.UUID, org_filter: uuid.UUID | None, version: int
) -> str:
    return f"{namespace}:statistics:{exam_id}:{org_filter or 'all'}:{version}"


async def cached(
    redis: RedisClient,
    namespace: str,
    exam_id: uuid.UUID,
    org_filter: uuid.UUID | None,
    version: int,
) -> ExamStatisticsView | None:
    raw = await redis.get(_cache_key(namespace, exam_id, org_filter, version))
    # the client decodes no replies: a value is bytes
    return None if raw is None else _decoder.decode(cast(bytes, raw))


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
