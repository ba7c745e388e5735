"""One forensics run per exam at a time: a Redis lock (redis-py's ``Lock``) with a TTL and a
token.

The token is the run's job id, which travels with the job, so whichever process runs it (this
pod, another pod, the overflow Lambda) releases the lock when the run ends; a run that dies
without releasing frees it after ``LOCK_TTL_S`` (longer than any run: a Lambda stops at 15
minutes). A second request while the lock is held is answered ``409 forensics_running`` with
the running run's id: joining it would hide that its figures predate the request.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from redis.exceptions import LockNotOwnedError

from engine.redis_adapter.connections import RedisClient

LOCK_TTL_S = 30 * 60


def _lock(redis: RedisClient, namespace: str, exam_id: uuid.UUID) -> Any:
    # thread_local=False: the token is handed from the request to the job, not kept per thread
    return redis.lock(
        f"{namespace}:forensics-lock:{exam_id}", timeout=LOCK_TTL_S, thread_local=False
    )


async def acquire(redis: RedisClient, namespace: str, exam_id: uuid.UUID, job_id: str) -> bool:
    """True when this job now holds the exam's forensics lock."""
    acquired: bool = await _lock(redis, namespace, exam_id).acquire(blocking=False, token=job_id)
    return acquired


async def holder(redis: RedisClient, namespace: str, exam_id: uuid.UUID) -> uuid.UUID | None:
    """The run holding the exam's lock (its job id ends with the run id), if any."""
    token = await redis.get(_lock(redis, namespace, exam_id).name)
    if token is None:
        return None
    text = token.decode() if isinstance(token, bytes) else str(token)
    try:
        return uuid.UUID(hex=text.rsplit(":", 1)[-1])
    except ValueError:
        return None  # a job id of another shape


async def release(redis: RedisClient, namespace: str, exam_id: uuid.UUID, job_id: str) -> None:
    """Release the lock if this job still holds it (after the TTL someone else may)."""
    with contextlib.suppress(LockNotOwnedError):
        await _lock(redis, namespace, exam_id).do_release(job_id.encode())
