"""The revocation markers of sign-ins, kept in one sorted set per deployment namespace: each
member a subject (a user, a device, an exam card), its score the instant (ms) before which that
subject's tokens are void (engine/auth/revocation.py keeps every process's copy of them).
"""

from __future__ import annotations

from typing import cast

from engine.redis_adapter.connections import RedisClient

BATCH = 1000


def revocation_key(namespace: str) -> str:
    return f"{namespace}:auth:revoked"


async def markers_since(redis: RedisClient, key: str, since_ms: int) -> list[tuple[str, int]]:
    """Every (subject, revoked-before ms) marked at or after ``since_ms``."""
    rows = cast(
        list[tuple[bytes, float]],
        await redis.zrangebyscore(key, max(0, since_ms), "+inf", withscores=True),
    )
    return [
        (member.decode() if isinstance(member, bytes) else str(member), int(score))
        for member, score in rows
    ]


async def mark(
    redis: RedisClient, key: str, subjects: list[str], at_ms: int, forget_before_ms: int
) -> None:
    """Mark the subjects revoked at ``at_ms`` (a later marker is kept: ``GT``) and drop the
    markers older than any token that could still be alive."""
    for start in range(0, len(subjects), BATCH):
        await redis.zadd(key, dict.fromkeys(subjects[start : start + BATCH], at_ms), gt=True)
    await redis.zremrangebyscore(key, 0, forget_before_ms)
