"""Submits every sitting whose deadline (plus grace) has passed, shard by shard."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from engine import metrics
from engine.redis_adapter.clock import server_now_ms
from engine.redis_adapter.keys import KeySpace
from engine.sittings.store import SittingStore

log = logging.getLogger(__name__)


async def sweep_once(store: SittingStore, keyspace: KeySpace, limit: int = 1000) -> int:
    """Submit the sittings that are due now (by Redis's clock); returns how many."""
    now_ms = await server_now_ms(store.redis)
    submitted = 0
    for shard in range(keyspace.consumed_shards):
        for sitting_id in await store.due(shard, now_ms, limit):
            reply = await store.submit(sitting_id, "", "deadline")
            if reply.state == "submitted":
                submitted += 1
                metrics.auto_submitted.inc()
            elif reply.state != "not_due":
                # already submitted, or its session is gone: it no longer belongs in the set
                await store.forget_due(shard, sitting_id)
    return submitted


async def run_sweeper(
    store: SittingStore, keyspace: KeySpace, stop: asyncio.Event, interval_s: float = 1.0
) -> None:
    while not stop.is_set():
        try:
            count = await sweep_once(store, keyspace)
            if count:
                log.info("auto-submitted %d sittings at their deadline", count)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deadline sweep failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
