"""A real `ujian serve` process (its own interpreter, its own memo and revocation mirror) on
the test session's PostgreSQL and Redis, next to the in-process app of the integration
fixtures: what one process revokes, the other must refuse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.loadgen.harness import wait_http
from engine.embedded import free_loopback_port
from engine.settings import Settings


@contextmanager
def serve(settings: Settings, **env: str) -> Iterator[str]:
    """``ujian serve`` with the same database, namespace and secret as ``settings``; yields
    its base URL."""
    port = free_loopback_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    environ.update({
        "UJIAN_DATABASE_URL": settings.database_url or "", "UJIAN_REDIS_URL":
        settings.redis_url or "", "UJIAN_REDIS_NAMESPACE": settings.redis_namespace,
        "UJIAN_STREAM_SHARDS": str(settings.stream_shards), "UJIAN_JWT_SECRET":
        settings.jwt_secret, "UJIAN_RUN_WORKERS_IN_API": "false", "UJIAN_LOG_LEVEL": "WARNING",
        "UJIAN_SCHEDULE_WARM_POLL_S": "0", **env,
    })  # fmt: skip
    log = tempfile.NamedTemporaryFile(prefix="ujian-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--server", "uvicorn"],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/health/live", process, 90)
        yield base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)
