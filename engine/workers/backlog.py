"""How far behind the workers are, sampled from Redis every few seconds into gauges
(the reading itself: engine/redis_adapter/backlog.py).

- stream lengths: entries in the answer, grading and telemetry streams, summed over shards;
- persister lag: the age of the oldest answer entry, by Redis's clock. The persister deletes
  entries once they are in PostgreSQL (``trim_stored``), so the oldest entry left is the oldest
  answer not yet stored; 0 when the streams are empty;
- grading queue depth: grading jobs not yet delivered to the grader group (its ``lag``) plus
  those delivered and not yet acknowledged (``pending``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from engine import metrics
from engine.redis_adapter.backlog import Backlog, sample
from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.keys import KeySpace

log = logging.getLogger(__name__)


def publish(backlog: Backlog) -> None:
    metrics.stream_length.labels("answers").set(backlog.answers)
    metrics.stream_length.labels("grading").set(backlog.grading)
    metrics.stream_length.labels("telemetry").set(backlog.telemetry)
    metrics.persister_lag.set(backlog.persister_lag_s)
    metrics.grading_queue_depth.set(backlog.grading_depth)


async def run_backlog_sampler(
    redis: RedisClient,
    keyspace: KeySpace,
    grade_group: str,
    stop: asyncio.Event,
    interval_s: float = 5.0,
) -> None:
    while not stop.is_set():
        try:
            publish(await sample(redis, keyspace, grade_group))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sampling the stream backlog failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
