"""``ujian serve`` as a process of its own, on the test session's database and Redis namespace.

The hostile-content tests need a real server: an in-process test client would run the handler
and the probe one after the other and could not show that a request blocks the event loop.
Here a probe of ``/health/live`` races the hostile request over real sockets; the server's
memory is read from ``/proc`` (its high-water mark, VmHWM).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bench.loadgen.harness import wait_http
from engine.embedded import free_loopback_port
from engine.settings import Settings
from tests.waiting import poll_until

T = TypeVar("T")


class LiveServer:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    def memory_kib(self, field: str = "VmHWM") -> int:
        """A memory figure of the server process from /proc (VmHWM: peak resident set)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """One uvicorn process (no forked workers, so its pid is the one serving)."""
    port = free_loopback_port()
    data_dir = tempfile.mkdtemp(prefix="ujian-security-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    env.update({
        "UJIAN_DATABASE_URL": settings.database_url or "", "UJIAN_REDIS_URL": settings.redis_url
        or "", "UJIAN_REDIS_NAMESPACE": settings.redis_namespace,
        "UJIAN_JWT_SECRET": settings.jwt_secret, "UJIAN_RUN_WORKERS_IN_API": "false",
        "UJIAN_STREAM_SHARDS": str(settings.stream_shards), "UJIAN_LOG_LEVEL": "WARNING",
        "UJIAN_DATA_DIR": data_dir,
    })  # fmt: skip
    log = open(Path(data_dir) / "server.log", "ab")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--server",
            "uvicorn",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health/live", process, 90)
        yield LiveServer(process, url)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def while_probing(
    url: str, work: Awaitable[T], period_s: float = 0.02
) -> tuple[T, list[float]]:
    """Run ``work`` while ``/health/live`` is asked every ``period_s``; its result and the
    probes' latencies in seconds (each probe on a connection of its own, as a balancer's)."""
    latencies: list[float] = []
    done = asyncio.Event()
    answered = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while not done.is_set():
                started = time.perf_counter()
                r = await client.get("/health/live", headers={"Connection": "close"})
                latencies.append(time.perf_counter() - started)
                assert r.status_code == 200
                answered.set()
                await asyncio.sleep(period_s)  # the balancer's probing period

    prober = asyncio.create_task(probe())
    try:
        # the probe answers before the work starts, and is still asked after it ends
        await asyncio.wait_for(answered.wait(), timeout=30)
        result = await work
        seen = len(latencies)
        await poll_until(lambda: len(latencies) >= seen + 2, 30)
    finally:
        done.set()
        await prober
    return result, latencies


# fixtures of the modules that probe a live server: import ``live`` and ``http`` into the module
@pytest.fixture(scope="module")
def live(settings: Settings, svc: Any) -> Iterator[LiveServer]:
    """The server, once the session's database is migrated (``svc`` does that)."""
    with live_server(settings) as server:
        yield server


@pytest.fixture
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=120) as client:
        yield client
