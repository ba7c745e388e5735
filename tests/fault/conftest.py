"""A whole Ujian in processes of its own (PostgreSQL, Redis with AOF, ``ujian serve`` with two
server processes, two ``ujian worker``s), so the fault tests can kill and restart any part."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.loadgen.harness import Cluster, Proc


class Running:
    def __init__(self, cluster: Cluster, api: Proc, workers: list[Proc]) -> None:
        self.cluster = cluster
        self.api = api
        self.workers = workers


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    base = Path(tempfile.mkdtemp(prefix="ujian-fault-"))
    # a dead worker's unacknowledged entries are taken over after 2 s instead of 30 s, so a
    # test sees the takeover within its run
    cluster = Cluster(
        base, env_overrides={"UJIAN_CONSUMER_CLAIM_IDLE_MS": "2000", "UJIAN_STREAM_SHARDS": "4"}
    )
    try:
        cluster.start_stores()
        api = cluster.start_api(workers=2)
        workers = [cluster.start_worker(), cluster.start_worker()]
        yield Running(cluster, api, workers)
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
