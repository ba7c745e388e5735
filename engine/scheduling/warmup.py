"""Paper warm-up: every pod loads each form's compiled paper into its own memory before the
session opens, so the first ``GET /paper`` of the stampede is a dictionary lookup.

Preparing a session (engine/scheduling/prepare.py) adds its forms' exam version ids to a Redis
sorted set, scored by the session's end. Each pod polls that set every few seconds and loads
what it has not loaded yet through ``PaperCache.get`` (memory ← Redis ← database). A poll
rather than pub/sub: a pod that starts (or reconnects) after the announcement still warms up,
and there is nothing to lose between a publish and a subscribe.

The same loop, in whichever pod holds a short Redis lock, prepares sessions that open within
``UJIAN_SCHEDULE_PREPARE_LEAD_S`` (pre-created sittings + the announcement), so nothing needs a
cron job. Both steps are idempotent, so a lost lock or a double run costs only time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Protocol

from engine.ports import WithPapers, WithPool, WithRedis, WithSettings
from engine.redis_adapter import paper_warmup


class Needs(WithPapers, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)


async def announce(svc: Needs, version_ids: list[str], until: datetime) -> None:
    """Ask every pod to hold these papers in memory until ``until``; warm this pod at once."""
    if not version_ids:
        return
    await paper_warmup.announce(
        svc.redis, svc.settings.redis_namespace, version_ids, until.timestamp() * 1000
    )
    for version in version_ids:
        await svc.papers.get(version)


class Warmup:
    def __init__(self, svc: Needs) -> None:
        self.svc = svc
        self.warmed: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def warm(self) -> list[str]:
        """Load every announced paper this pod has not loaded yet; returns those loaded."""
        namespace = self.svc.settings.redis_namespace
        loaded = []
        for version in await paper_warmup.announced(self.svc.redis, namespace, time.time() * 1000):
            if version in self.warmed:
                continue
            await self.svc.papers.get(version)
            self.warmed.add(version)
            loaded.append(version)
        return loaded

    async def prepare_if_leader(self) -> int:
        """Prepare due sessions if this pod wins the lock; the number prepared."""
        # imported here: prepare announces through this module
        from engine.scheduling.prepare import prepare_due

        namespace = self.svc.settings.redis_namespace
        if not await paper_warmup.take_prepare_lock(self.svc.redis, namespace):
            return 0
        try:
            return len(await prepare_due(self.svc, self.svc.settings.schedule_prepare_lead_s))
        finally:
            await paper_warmup.release_prepare_lock(self.svc.redis, namespace)

    async def tick(self) -> None:
        await self.prepare_if_leader()
        await self.warm()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad tick must not end warm-ups for the life of the pod
                log.exception("scheduling warm-up tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stop.wait(), timeout=self.svc.settings.schedule_warm_poll_s
                )

    def start(self) -> None:
        if self.svc.settings.schedule_warm_poll_s > 0:
            self._task = asyncio.create_task(self._run(), name="scheduling-warmup")

    async def close(self) -> None:
        """Stop after the current tick rather than cancel it mid-command (which would leave a
        Redis connection half-closed); cancel only a tick that hangs."""
        if self._task is not None:
            self._stop.set()
            _, late = await asyncio.wait([self._task], timeout=5.0)
            for task in late:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
