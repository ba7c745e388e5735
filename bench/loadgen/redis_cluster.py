"""A Redis Cluster of primaries each with one replica, on loopback, for the failover test and
bench (tests/integration/failover, bench/bench_failover.py): real ``redis-server`` processes
under a folder, a short node timeout so a replica is promoted within seconds, and the means to
kill a primary or stall its replica."""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from engine.embedded import EmbeddedRedis

SLOTS = 16384


def cluster_port(taken: set[int]) -> int:
    """A free port whose cluster bus port (+10000) is a valid, free port too."""
    while True:
        port = random.randrange(20_000, 50_000)
        if port in taken or port + 10_000 in taken:
            continue
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
        taken.update({port, port + 10_000})
        return port


def _admin(node: EmbeddedRedis) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=node.port, socket_timeout=5)


def _replication(node: EmbeddedRedis) -> dict[str, Any]:
    with _admin(node) as r:
        found: dict[str, Any] = r.info("replication")
    return found


@dataclass
class ReplicatedCluster:
    base: Path
    primaries: int = 3
    # a primary unreachable this long is marked failed and its replica promoted (~1–2 s more)
    node_timeout_ms: int = 1000
    replicas: int = 1
    # index i < primaries is primary i; primaries × (1 + r) + i its replica r
    nodes: list[EmbeddedRedis] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self, timeout_s: float = 30.0) -> None:
        taken: set[int] = set()
        self.nodes = [
            EmbeddedRedis(
                self.base / f"node{n}",
                port=cluster_port(taken),
                extra_args=[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    str(self.node_timeout_ms),
                    "--appendonly",
                    "no",
                ],
            )
            for n in range((1 + self.replicas) * self.primaries)
        ]
        for node in self.nodes:
            node.start()
        share = SLOTS // self.primaries
        for n in range(self.primaries):
            last = SLOTS if n == self.primaries - 1 else (n + 1) * share
            with _admin(self.nodes[n]) as r:
                r.execute_command("CLUSTER", "ADDSLOTS", *range(n * share, last))
        for node in self.nodes[1:]:
            with _admin(node) as r:
                r.execute_command("CLUSTER", "MEET", "127.0.0.1", self.nodes[0].port)
        deadline = time.monotonic() + timeout_s
        self._until(deadline, lambda: all(self._knows_all(n) for n in self.nodes))
        for n in range(self.primaries):
            with _admin(self.nodes[n]) as r:
                primary_id = r.execute_command("CLUSTER", "MYID").decode()
            for replica in self.replicas_of(n):
                with _admin(replica) as r:
                    r.execute_command("CLUSTER", "REPLICATE", primary_id)
        self._until(deadline, self._healthy)

    def _knows_all(self, node: EmbeddedRedis) -> bool:
        return f"cluster_known_nodes:{len(self.nodes)}" in _cluster_info(node)

    def _healthy(self) -> bool:
        replicas = self.nodes[self.primaries :]
        return all("cluster_state:ok" in _cluster_info(n) for n in self.nodes) and all(
            _replication(r).get("master_link_status") == "up" for r in replicas
        )

    @staticmethod
    def _until(deadline: float, ready: Callable[[], bool]) -> None:
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError("the test Redis Cluster did not become ready")

    def primary_of(self, key: str) -> int:
        """The index of the primary holding ``key``'s slot (as formed: before any failover)."""
        with _admin(self.nodes[0]) as r:
            slot = int(r.execute_command("CLUSTER", "KEYSLOT", key))
        return min(slot // (SLOTS // self.primaries), self.primaries - 1)

    def replicas_of(self, primary: int) -> list[EmbeddedRedis]:
        return self.nodes[self.primaries + primary :: self.primaries]

    def replica_of(self, primary: int) -> EmbeddedRedis:
        """Its first replica: the one ``cut_off_replica`` cuts off."""
        return self.replicas_of(primary)[0]

    def kill(self, index: int) -> None:
        """SIGKILL: no AOF flush, no goodbye to the cluster, as a crashed host."""
        process = self.nodes[index].process
        assert process is not None
        process.kill()
        process.wait()

    def cut_off_replica(self, primary: int) -> None:
        """The primary's replica stops receiving its writes (SIGSTOP, then the primary drops
        the link, so nothing more reaches even its socket buffer): a replica fallen behind, as
        after a network hiccup or a slow disk, at the moment its primary dies. ``resume``."""
        replica = self.replica_of(primary)
        assert replica.process is not None
        os.kill(replica.process.pid, signal.SIGSTOP)
        with _admin(self.nodes[primary]) as r:
            r.execute_command("CLIENT", "KILL", "TYPE", "replica")

    def resume(self, node: EmbeddedRedis) -> None:
        assert node.process is not None
        os.kill(node.process.pid, signal.SIGCONT)

    def wait_promoted(self, primary: int, timeout_s: float = 30.0) -> None:
        """Until a replica of ``primary`` is a primary and every live node says the cluster is
        ok (with two replicas, the one further ahead is elected)."""
        alive = [n for n in self.nodes if n.process is not None and n.process.poll() is None]

        def promoted() -> bool:
            return any(
                _replication(r)["role"] == "master" for r in self.replicas_of(primary)
            ) and all("cluster_state:ok" in _cluster_info(n) for n in alive)

        self._until(time.monotonic() + timeout_s, promoted)

    def restart(self, index: int, timeout_s: float = 30.0) -> None:
        """Start a killed node again on its port and folder, as an orchestrator replaces a
        crashed one: its slots belong to its promoted replica now, so it rejoins as that
        node's replica. Returns once it has synced."""
        node = self.nodes[index]
        node.start()

        def synced() -> bool:
            found = _replication(node)
            return found["role"] == "slave" and found.get("master_link_status") == "up"

        self._until(time.monotonic() + timeout_s, synced)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                os.kill(node.process.pid, signal.SIGCONT)  # a stalled node cannot stop
            node.stop()


def _cluster_info(node: EmbeddedRedis) -> str:
    with _admin(node) as r:
        raw = r.execute_command("CLUSTER", "INFO")
    return raw.decode() if isinstance(raw, bytes) else str(raw)
