"""Redis's clock: the one every deadline is kept by (the sitting scripts read ``TIME`` too)."""

from __future__ import annotations

from engine.redis_adapter.connections import RedisClient


async def server_now_ms(redis: RedisClient) -> int:
    """Now, in milliseconds since the epoch, as the Redis server (or cluster node) sees it."""
    seconds, micros = await redis.time()
    return int(seconds) * 1000 + int(micros) // 1000
