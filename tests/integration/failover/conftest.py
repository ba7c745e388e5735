"""A Redis Cluster of three primaries each with a replica, fresh for each test (a test kills
one of its primaries)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.loadgen.redis_cluster import ReplicatedCluster


@pytest.fixture
def replicated_cluster() -> Iterator[ReplicatedCluster]:
    base = Path(tempfile.mkdtemp(prefix="ujian-failover-"))
    cluster = ReplicatedCluster(base, primaries=3, node_timeout_ms=1000)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
