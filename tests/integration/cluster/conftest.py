"""A real three-master Redis Cluster on loopback ports, and the app running on it."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from litestar.testing import AsyncTestClient

from bench.loadgen.redis_cluster import cluster_port
from engine.app import create_app, open_services
from engine.embedded import EmbeddedRedis
from engine.services import Services
from engine.settings import Settings
from tests.conftest import ServerUrls

SLOTS = 16384


def _form_cluster(ports: list[int], timeout_s: float = 30.0) -> None:
    nodes = [redis.Redis(host="127.0.0.1", port=p) for p in ports]
    share = SLOTS // len(nodes)
    for n, node in enumerate(nodes):
        last = SLOTS if n == len(nodes) - 1 else (n + 1) * share
        node.execute_command("CLUSTER", "ADDSLOTS", *range(n * share, last))
    for node in nodes[1:]:
        node.execute_command("CLUSTER", "MEET", "127.0.0.1", ports[0])
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        infos = [node.execute_command("CLUSTER", "INFO").decode() for node in nodes]
        if all(
            "cluster_state:ok" in info and f"cluster_known_nodes:{len(nodes)}" in info
            for info in infos
        ):
            return
        time.sleep(0.2)
    raise RuntimeError("the test Redis Cluster did not form")


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    base = Path(tempfile.mkdtemp(prefix="ujian-cluster-"))
    taken: set[int] = set()
    nodes = [
        EmbeddedRedis(
            base / f"node{n}",
            port=cluster_port(taken),
            extra_args=[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "5000",
                "--appendonly",
                "no",
            ],
        )
        for n in range(3)
    ]
    try:
        for node in nodes:
            node.start()
        _form_cluster([node.port for node in nodes])
        yield nodes[0].url
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster_settings(
    server_urls: ServerUrls, database_url: str, redis_cluster_url: str
) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_cluster_url,
        redis_cluster=True,
        redis_namespace=f"c{uuid.uuid4().hex[:8]}",
        stream_shards=6,
        run_workers_in_api=False,
        jwt_secret="test-secret-" + uuid.uuid4().hex,
    )


# The sitting tests take `svc` and `client`: in this folder they are the cluster-backed ones.
@pytest.fixture(scope="session")
async def svc(cluster_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(cluster_settings) as services:
        yield services


@pytest.fixture(scope="session")
async def client(cluster_settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(cluster_settings)) as test_client:
        yield test_client
