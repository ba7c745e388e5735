"""A load run: every student of the plan at once (each on its own little schedule), a live
progress line, then the summary and the integrity check."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec

from .client import Api
from .integrity import Integrity, check
from .seed import Plan
from .stats import RunSummary, Stats
from .student import Ledger, Scenario, StudentFailed, run_student

TELEMETRY_PATH = "/v1/sittings/{sitting_id}/telemetry"
HEARTBEAT_PATH = "/v1/sittings/{sitting_id}/heartbeat"

Progress = Callable[[Stats, Ledger, int], None]


class Report(msgspec.Struct, frozen=True):
    summary: RunSummary
    students: int
    students_failed: int
    failures: list[str]
    integrity: Integrity | None


async def server_paths(api: Api) -> set[str]:
    """The paths the server's OpenAPI document names (an older server has fewer)."""
    reply = await api.call("schema", "GET", "/schema/openapi.json")
    return set(reply.json().get("paths", {})) if reply.ok else set()


async def _student(
    api: Api, plan: Plan, username: str, scenario: Scenario, ledger: Ledger, seed: int
) -> None:
    try:
        await run_student(
            api, plan.exam_id, username, plan.password, scenario, ledger, random.Random(seed)
        )
        ledger.students_done += 1
    except StudentFailed as err:
        ledger.students_failed += 1
        if len(ledger.failures) < 20:
            ledger.failures.append(f"{username}: {err}")


@contextlib.asynccontextmanager
async def _ticking(every_s: float, tick: Callable[[], None] | None) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(every_s)
            assert tick is not None
            tick()

    task = asyncio.create_task(loop()) if tick else None
    try:
        yield
    finally:
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def run(
    base_url: str,
    plan: Plan,
    scenario: Scenario,
    *,
    dsn: str | None,
    progress: Progress | None = None,
    during: Awaitable[None] | None = None,
    students: int | None = None,
    seed: int = 1,
) -> tuple[Report, Ledger]:
    """Run every student of ``plan`` (or the first ``students``); ``during`` runs alongside
    (the fault tests inject their faults there)."""
    stats, ledger = Stats(), Ledger()
    names = plan.students[:students] if students else plan.students
    api = Api(base_url, stats, connections=min(1024, max(64, len(names))))
    try:
        paths = await server_paths(api)
        if not scenario.telemetry:
            scenario.telemetry = TELEMETRY_PATH in paths
        if HEARTBEAT_PATH not in paths:  # a server from before the heartbeat
            scenario.conversation = "legacy"
        stats.reset()
        tick = (lambda: progress(stats, ledger, len(names))) if progress else None
        async with _ticking(0.5, tick):
            work: list[Awaitable[None]] = [
                _student(api, plan, name, scenario, ledger, seed * 1_000_003 + n)
                for n, name in enumerate(names)
            ]
            if during is not None:
                work.append(during)
            await asyncio.gather(*work)
        summary = stats.summary()
    finally:
        await api.close()
    integrity = await check(dsn, plan.exam_id, ledger) if dsn else None
    report = Report(summary, len(names), ledger.students_failed, ledger.failures, integrity)
    return report, ledger
