"""What the live heuristics need per exam version: thresholds, item contexts and keys.

Cached in the process for ``ttl_s`` (thresholds may be edited during an exam; item timings
sharpen as sittings finish). Item contexts come from the version's own finished sittings, at
least ``MIN_SITTINGS`` of them per item; until then an item has no context and the timing
rules (rapid guessing, fast-correct-on-hard) stay silent for it rather than guess.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from engine.integrity import repository
from engine.kernel.errors import DomainError
from engine.kernel.sql import Connection, Pool
from grading.types import ItemKey
from proctoring.heuristics import ItemContext
from proctoring.thresholds import DEFAULT_THRESHOLDS, Thresholds

MIN_SITTINGS = 20
SAMPLE_SITTINGS = 2000


class VersionContext(msgspec.Struct, frozen=True, kw_only=True):
    exam_id: uuid.UUID
    thresholds: Thresholds
    items: dict[str, ItemContext]
    keys: dict[str, ItemKey]


async def exam_thresholds(conn: Connection, exam_id: uuid.UUID) -> Thresholds:
    stored = await repository.exam_thresholds(conn, exam_id)
    return DEFAULT_THRESHOLDS if stored is None else stored


async def item_contexts(
    conn: Connection, version_id: uuid.UUID, exam_id: uuid.UUID
) -> dict[str, ItemContext]:
    timings = await repository.item_timings(conn, version_id, exam_id, SAMPLE_SITTINGS)
    facility = {
        f.item_id: float(f.p)
        for f in await repository.item_facility(conn, version_id, SAMPLE_SITTINGS)
        if f.n >= MIN_SITTINGS
    }
    return {
        t.item_id: ItemContext(
            mean_time_s=float(t.mean_s),
            median_time_s=float(t.median_s),
            # unknown facility: 1.0, so no item counts as "hard" on a guess
            p_value=facility.get(t.item_id, 1.0),
        )
        for t in timings
        if t.n >= MIN_SITTINGS
    }


class ContextCache:
    def __init__(
        self, pool: Pool, keys: Callable[[str], Awaitable[Any]], ttl_s: float = 120.0
    ) -> None:
        self.pool = pool
        self._keys = keys  # KeysCache.get: version -> GradingSpec
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, VersionContext]] = {}

    async def get(self, version: str) -> VersionContext | None:
        hit = self._cache.get(version)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        # the keys first, outside this connection: their loader takes a connection of its own,
        # and holding two at once across many consumers can drain the pool and deadlock it
        try:
            keys = (await self._keys(version)).keys
        except DomainError:
            return None  # no such exam version
        async with self.pool.acquire() as conn:
            exam_id = await repository.exam_of_version(conn, uuid.UUID(version))
            if exam_id is None:
                return None
            ctx = VersionContext(
                exam_id=exam_id,
                thresholds=await exam_thresholds(conn, exam_id),
                items=await item_contexts(conn, uuid.UUID(version), exam_id),
                keys=keys,
            )
        self._cache[version] = (time.monotonic(), ctx)
        return ctx
