"""The cluster's utilisation board: each process's latest share in one hash-tagged hash, and
the operator's override beside it in the same slot (engine/overflow/utilisation.py samples and
routes; this is how the board is kept in Redis, by ``lua/publish.lua`` and ``lua/cluster.lua``).
"""

from __future__ import annotations

import msgspec

from engine.redis_adapter.connections import RedisClient
from engine.redis_adapter.scripts import lua_source


def utilisation_key(namespace: str) -> str:
    # one hash-tagged key: one Cluster slot, read whole by one script
    return f"{namespace}:{{overflow}}:utilisation"


def override_key(namespace: str) -> str:
    # the same hash tag: read by the same script in the same slot
    return f"{namespace}:{{overflow}}:forced"


class BoardReading(msgspec.Struct, frozen=True):
    processes: int
    mean: float  # the operator's override while one is set
    forced: bool


async def force(redis: RedisClient, namespace: str, value: float, for_s: int) -> None:
    await redis.set(override_key(namespace), f"{value:.4f}", px=for_s * 1000)


async def release(redis: RedisClient, namespace: str) -> None:
    await redis.delete(override_key(namespace))


class UtilisationBoard:
    def __init__(self, redis: RedisClient, namespace: str) -> None:
        self.redis = redis
        self.key = utilisation_key(namespace)
        self.override = override_key(namespace)
        self._publish = redis.register_script(lua_source("publish"))
        self._read = redis.register_script(lua_source("cluster"))

    async def publish(self, process: str, share: float, keep_ms: int) -> None:
        """This process's share; a process silent for ``keep_ms`` is dropped from the board."""
        await self._publish(keys=[self.key], args=[process, f"{share:.4f}", keep_ms])

    async def leave(self, process: str) -> None:
        await self.redis.hdel(self.key, process)

    async def read(self, fresh_ms: int) -> BoardReading:
        """The mean of the shares published within ``fresh_ms`` (or the override)."""
        processes, mean, forced = await self._read(keys=[self.key, self.override], args=[fresh_ms])
        return BoardReading(int(processes), float(mean), forced in (b"1", "1"))
