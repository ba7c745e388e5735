"""The integrity Lua scripts, registered once per Redis client.

Optimistic updates go through compare-and-set scripts rather than WATCH/MULTI, so the same
code runs on a single Redis and on Redis Cluster (whose client refuses WATCH and MGET in
pipelines); every key of a call carries one shard's hash tag, so each call is one slot.
"""

from __future__ import annotations

from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.scripts import lua_source


def _text(name: str) -> str:
    return lua_source(name)


class IntegrityScripts:
    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self.read = redis.register_script(_text("read"))
        self.swap = redis.register_script(_text("swap"))


_BY_REDIS: dict[int, IntegrityScripts] = {}


def scripts_for(redis: RedisClient) -> IntegrityScripts:
    found = _BY_REDIS.get(id(redis))
    if found is None or found.redis is not redis:
        found = _BY_REDIS[id(redis)] = IntegrityScripts(redis)
    return found
