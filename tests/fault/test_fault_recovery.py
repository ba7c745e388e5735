"""Faults during a load run: the service recovers by itself and no acknowledged answer is lost.

Each test seeds its own students and exam, runs a short load (the load generator,
``bench.loadgen``) against the real processes and, a few seconds in, kills or restarts one
part. The students retry what a page retries (no reply, 5xx); afterwards every acknowledged
answer must be in PostgreSQL's answer log exactly once, and be what the student sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bench.loadgen.balancer import Balancer
from bench.loadgen.client import Api
from bench.loadgen.harness import Proc
from bench.loadgen.runner import Report, run
from bench.loadgen.seed import seed
from bench.loadgen.stats import Stats
from bench.loadgen.student import Scenario
from tests.fault.conftest import Running

STUDENTS = 16


async def _run_with_fault(
    running: Running,
    fault: Callable[[], None],
    at_s: float = 3.0,
    *,
    base_url: str | None = None,
    answer_window_s: float = 8.0,
) -> Report:
    base_url = base_url or running.api.url
    seeding = Api(base_url, Stats())
    try:
        plan = await seed(seeding, running.cluster.database_url, STUDENTS)
    finally:
        await seeding.close()
    faulted = asyncio.Event()

    async def inject() -> None:
        await asyncio.sleep(at_s)
        await asyncio.to_thread(fault)
        faulted.set()

    scenario = Scenario(answer_window_s=answer_window_s, ramp_s=1.0, give_up_s=45.0)
    report, ledger = await run(
        base_url, plan, scenario, dsn=running.cluster.database_url, during=inject()
    )
    assert faulted.is_set()
    assert report.students_failed == 0, report.failures
    integrity = report.integrity
    assert integrity is not None
    # every student answered every item (150) and changed a third again (50)
    assert integrity.acked == STUDENTS * 200
    assert integrity.acked_lost == 0
    assert integrity.wrong_stored == 0
    assert integrity.duplicated == 0
    assert len(ledger.acked) == STUDENTS
    # what clients saw were retryable failures only: no reply, or a server error
    for error in report.summary.errors:
        endpoint, _, rest = error.partition(" ")
        retryable = rest.startswith(("connection", "5")) or (
            endpoint == "telemetry" and rest.startswith("429")
        )
        assert retryable, f"a client saw a non-retryable error: {error}"
    return report


def _wait_ready(url: str, timeout_s: float = 30) -> None:
    from bench.loadgen.harness import wait_http

    wait_http(url + "/health/ready", None, timeout_s)


async def test_kill_9_of_an_api_process(running: Running) -> None:
    victims = running.api.children()
    assert len(victims) >= 2, "ujian serve --workers 2 runs two server processes"

    def kill_one() -> None:
        running.cluster.kill9(victims[0])

    await _run_with_fault(running, kill_one)
    # the server replaced its dead process and keeps both (respawned within a second)
    assert victims[0] not in running.api.children()
    assert len(running.api.children()) >= 2


async def test_kill_9_of_a_worker(running: Running) -> None:
    victim = running.workers[0]

    def kill_worker() -> None:
        running.cluster.kill9(victim.process.pid)

    await _run_with_fault(running, kill_worker)
    assert victim.process.wait(5) != 0
    running.workers.remove(victim)
    running.cluster.procs.remove(victim)
    assert all(w.process.poll() is None for w in running.workers)


async def test_redis_restart_keeps_every_acknowledged_answer(running: Running) -> None:
    before = running.cluster.redis.process
    assert before is not None

    def restart() -> None:
        running.cluster.restart_redis()

    await _run_with_fault(running, restart)
    assert running.cluster.redis.process is not None
    assert running.cluster.redis.process.pid != before.pid
    assert (running.cluster.redis.data_dir / "appendonlydir").is_dir()
    _wait_ready(running.api.url)


async def test_postgres_restart(running: Running) -> None:
    pid_file = running.cluster.postgres.data_dir / "postmaster.pid"
    before = pid_file.read_text().split()[0]

    def restart() -> None:
        running.cluster.restart_postgres()

    await _run_with_fault(running, restart)
    assert pid_file.read_text().split()[0] != before
    _wait_ready(running.api.url)


async def test_a_rolling_restart_of_the_api_costs_the_students_only_retries(
    running: Running,
) -> None:
    """Two ``ujian serve`` processes behind a balancer (as pods behind a Service), replaced
    one at a time under load: a new one started and taking connections, then the old one
    taken out and stopped (SIGTERM: it finishes what it serves)."""
    apis = [running.cluster.start_api(), running.cluster.start_api()]
    first_pids = {api.process.pid for api in apis}
    balancer = Balancer([_port(api) for api in apis])
    await balancer.start()

    def rolling_restart() -> None:
        for n, old in enumerate(list(apis)):
            new = running.cluster.start_api()
            _wait_ready(new.url)
            balancer.backends.append(_port(new))
            balancer.backends.remove(_port(old))
            running.cluster.stop_proc(old)
            apis[n] = new

    try:
        report = await _run_with_fault(
            running, rolling_restart, at_s=2.0, base_url=balancer.url, answer_window_s=16.0
        )
        print(
            f"\nrolling restart: {report.summary.requests} requests, "
            f"{report.integrity.acked if report.integrity else 0} answers acknowledged, "
            f"errors seen {report.summary.errors}"
        )
        assert not first_pids & {api.process.pid for api in apis}
    finally:
        await balancer.stop()
        for api in apis:
            running.cluster.stop_proc(api)


def _port(proc: Proc) -> int:
    return int(proc.url.rsplit(":", 1)[1])
