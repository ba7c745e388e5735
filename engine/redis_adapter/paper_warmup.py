"""The papers every pod should hold in memory, and the lock of the pod that prepares sessions
(engine/scheduling/warmup.py decides when; this module is how it is kept in Redis).

The announcements are a sorted set scored by the session's end (ms), so what is past its
session falls out by score; the lock is a key set with NX and a TTL, so a pod that dies holding
it frees it by itself.
"""

from __future__ import annotations

from engine.redis_adapter.connections import RedisClient

LOCK_TTL_MS = 60_000


def warm_key(namespace: str) -> str:
    return f"{namespace}:sched:warm"


def lock_key(namespace: str) -> str:
    return f"{namespace}:sched:prepare-lock"


async def announce(
    redis: RedisClient, namespace: str, version_ids: list[str], until_ms: float
) -> None:
    """Add exam versions to the warm list until ``until_ms`` (announced again: the last end)."""
    await redis.zadd(warm_key(namespace), dict.fromkeys(version_ids, until_ms))


async def announced(redis: RedisClient, namespace: str, now_ms: float) -> list[str]:
    """The versions announced for sessions that have not ended by ``now_ms``."""
    key = warm_key(namespace)
    await redis.zremrangebyscore(key, "-inf", now_ms)
    return [
        raw.decode() if isinstance(raw, bytes) else str(raw)
        for raw in await redis.zrange(key, 0, -1)
    ]


async def take_prepare_lock(redis: RedisClient, namespace: str) -> bool:
    """True when this pod now holds the lock of preparing due sessions."""
    return bool(await redis.set(lock_key(namespace), b"1", nx=True, px=LOCK_TTL_MS))


async def release_prepare_lock(redis: RedisClient, namespace: str) -> None:
    await redis.delete(lock_key(namespace))
