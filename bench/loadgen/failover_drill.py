"""The failover drill the test and the bench run while students send answers: the primary's
replica falls behind (cut off for ``behind_s``), the primary is killed, the replica is
promoted, and the dead primary's host comes back as its replica (as an orchestrator replaces
a crashed node)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.loadgen.redis_cluster import ReplicatedCluster


@dataclass
class Drill:
    # from the kill: the replica promoted (every live node says the cluster is ok), then the
    # old primary back and synced as the new primary's replica
    promoted_after_s: float
    rejoined_after_s: float


async def fail_over(
    cluster: ReplicatedCluster,
    victim: int,
    *,
    behind_s: float = 0.5,
    on_promotion: Callable[[], None] | None = None,
) -> Drill:
    if behind_s > 0:
        cluster.cut_off_replica(victim)
        await asyncio.sleep(behind_s)
    cluster.kill(victim)
    killed = time.monotonic()
    if behind_s > 0:
        cluster.resume(cluster.replica_of(victim))
    await asyncio.to_thread(cluster.wait_promoted, victim)
    promoted = time.monotonic() - killed
    if on_promotion is not None:
        on_promotion()
    await asyncio.to_thread(cluster.restart, victim)
    return Drill(promoted, time.monotonic() - killed)
