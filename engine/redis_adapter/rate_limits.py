"""Where the ``limits`` library keeps its counters: the process's own Redis.

On one Redis the limiter shares the app's connection pool (no second client to configure or
close); a Redis Cluster client has no single pool, so the limiter opens its own cluster client
from the same address. Sign-in throttling and the per-sitting telemetry budget both take it.
"""

from __future__ import annotations

from limits.aio.storage import RedisClusterStorage, RedisStorage, Storage
from redis.asyncio.cluster import RedisCluster

from engine.redis_adapter.connections import RedisClient


def limits_storage(redis: RedisClient, redis_url: str | None, key_prefix: str) -> Storage:
    if isinstance(redis, RedisCluster):
        return RedisClusterStorage(
            "async+redis+cluster://" + (redis_url or "").split("://", 1)[-1],
            implementation="redispy",
            key_prefix=key_prefix,
        )
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        # limits passes its options on to redis-py untyped; this one is redis-py's own pool
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        key_prefix=key_prefix,
    )
