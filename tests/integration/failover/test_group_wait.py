"""The WAIT behind a durable script (engine/redis_adapter/durability.py) on a real primary and
its replica: a reply returns only once the replica holds the write, one WAIT answers for many
scripts, a stalled replica turns into NotDurable, and a script the node lost is loaded again."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.app import connect_redis
from engine.embedded import EmbeddedRedis
from engine.redis_adapter.connections import PipelinedRedis
from engine.redis_adapter.durability import Durability, NotDurable
from tests.waiting import poll_until

SET_SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1]"


class Pair:
    def __init__(self, primary: EmbeddedRedis, replica: EmbeddedRedis) -> None:
        self.primary, self.replica = primary, replica


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    base = Path(tempfile.mkdtemp(prefix="ujian-wait-"))
    primary = EmbeddedRedis(base / "primary", extra_args=["--appendonly", "no"])
    replica = EmbeddedRedis(base / "replica", extra_args=["--appendonly", "no"])
    try:
        primary.start()
        replica.extra_args += ["--replicaof", "127.0.0.1", str(primary.port)]
        replica.start()
        yield Pair(primary, replica)
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
async def clients(pair: Pair) -> AsyncIterator[tuple[Any, Any]]:
    primary, replica = connect_redis(pair.primary.url), connect_redis(pair.replica.url)

    async def linked() -> bool:
        info = await replica.info("replication")
        return info.get("master_link_status") == "up"

    await poll_until(linked, 15)
    yield primary, replica
    await primary.aclose()
    await replica.aclose()


async def _waits(primary: Any) -> int:
    stats = await primary.info("commandstats")
    return int(stats.get("cmdstat_wait", {}).get("calls", 0))


async def test_a_durable_reply_returns_once_the_replica_holds_the_write(
    clients: tuple[Any, Any],
) -> None:
    primary, replica = clients
    pipelined = PipelinedRedis(primary, Durability("replica", 1, 2000))
    script = primary.register_script(SET_SCRIPT)
    await script(keys=["warm-up"], args=["x"])  # loaded, so every call below is one EVALSHA
    waits_before = await _waits(primary)
    prefix = uuid.uuid4().hex

    async def write_then_read_replica(n: int) -> bytes | None:
        key = f"{prefix}:{n}"
        await pipelined.run_script(script, [key], [str(n)], durable=True)
        value: bytes | None = await replica.get(key)  # at once: no waiting for replication
        return value

    values = await asyncio.gather(*(write_then_read_replica(n) for n in range(300)))
    assert values == [str(n).encode() for n in range(300)]
    # 300 scripts pipelined on one connection: each WAIT covered every script before it
    # (2 measured: the first script's, and one for the 299 written while it was in flight)
    assert await _waits(primary) - waits_before < 30
    await pipelined.close()


async def test_a_stalled_replica_refuses_the_write_and_the_resend_is_acknowledged(
    pair: Pair, clients: tuple[Any, Any]
) -> None:
    primary, replica = clients
    pipelined = PipelinedRedis(primary, Durability("replica", 1, 300))
    script = primary.register_script(SET_SCRIPT)
    key = f"stall:{uuid.uuid4().hex}"
    assert pair.replica.process is not None
    os.kill(pair.replica.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(NotDurable, match="WAIT counted 0"):
            await pipelined.run_script(script, [key], ["v1"], durable=True)
        assert 0.25 < time.monotonic() - started < 3
        # the primary holds it; what was refused is the acknowledgement
        assert await primary.get(key) == b"v1"
    finally:
        os.kill(pair.replica.process.pid, signal.SIGCONT)
    assert await pipelined.run_script(script, [key], ["v1"], durable=True) == b"v1"
    assert await replica.get(key) == b"v1"
    await pipelined.close()


async def test_a_script_the_node_lost_is_loaded_again_and_still_waited_for(
    clients: tuple[Any, Any],
) -> None:
    primary, replica = clients
    pipelined = PipelinedRedis(primary, Durability("replica", 1, 2000))
    script = primary.register_script(SET_SCRIPT + " -- lost")
    await script(keys=["warm-up"], args=["x"])
    await primary.script_flush()  # as a promoted replica or a restarted node has no scripts
    key = f"lost:{uuid.uuid4().hex}"
    assert await pipelined.run_script(script, [key], ["v"], durable=True) == b"v"
    assert await replica.get(key) == b"v"
    await pipelined.close()


async def test_without_a_replica_a_durable_write_is_never_acknowledged(
    clients: tuple[Any, Any],
) -> None:
    primary, _ = clients
    # two replicas asked of a primary that has one
    pipelined = PipelinedRedis(primary, Durability("replica", 2, 200))
    script = primary.register_script(SET_SCRIPT)
    with pytest.raises(NotDurable, match="2 replica"):
        await pipelined.run_script(script, [f"two:{uuid.uuid4().hex}"], ["v"], durable=True)
    # a call that asks for nothing is not held back
    assert await pipelined.run_script(script, [f"one:{uuid.uuid4().hex}"], ["v"]) == b"v"
    await pipelined.close()


async def test_a_redis_without_the_command_asked_for_refuses_to_start(
    clients: tuple[Any, Any],
) -> None:
    primary, _ = clients
    await Durability("replica", 1).check_server(primary)  # WAIT: every Redis has it
    version = (await primary.info("server"))["redis_version"]
    if tuple(int(p) for p in version.split(".")[:2]) >= (7, 2):
        await Durability("aof", 1).check_server(primary)
        return
    with pytest.raises(RuntimeError, match=r"WAITAOF: Redis 7\.2 or later"):
        await Durability("aof", 1).check_server(primary)
