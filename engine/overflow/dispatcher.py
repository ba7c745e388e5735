"""One interface for every job kind: run it here, or send it to SQS for the Lambda.

The route is decided once per batch from cluster utilisation (``routing.Router``). A job that
goes away is acknowledged by SQS before the caller acknowledges its stream entries; a job SQS
does not take runs here, with a warning: nothing is dropped. After a failed send the dispatcher
keeps jobs home for ``cooldown_s`` rather than paying the timeouts on every batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from engine.overflow import metrics
from engine.overflow.jobs import Envelope, Job, encode, kind_of, sittings_of
from engine.overflow.routing import Route, Router
from engine.overflow.transport import Message, SqsTransport
from engine.overflow.utilisation import ClusterMonitor, InFlight

log = logging.getLogger(__name__)


@dataclass
class Task:
    """A job, and how to run it here. ``stage`` stores its payload by reference before it is
    sent; ``unstage`` removes that again when the job runs here after all."""

    job: Job
    run_local: Callable[[], Awaitable[object]]
    stage: Callable[[], Awaitable[None]] | None = None
    unstage: Callable[[], Awaitable[None]] | None = None


@dataclass
class Dispatched:
    local: int = 0
    remote: int = 0
    fallback: int = 0  # meant for SQS, ran here


class Dispatcher:
    def __init__(
        self,
        *,
        router: Router,
        monitor: ClusterMonitor,
        transport: SqsTransport | None,
        namespace: str,
        shards: int,
        in_flight: InFlight,
        cooldown_s: float = 5.0,
    ) -> None:
        self.router = router
        self.monitor = monitor
        self.transport = transport
        self.namespace = namespace
        self.shards = shards
        self.in_flight = in_flight
        self.cooldown_s = cooldown_s
        self.share = metrics.ShareWindow()
        self._home_until = float("-inf")

    async def route(self) -> Route:
        """The router's decision on the current utilisation, and where jobs really go."""
        decided = self.router.decide((await self.monitor.current()).mean)
        metrics.ROUTE_REMOTE.set(decided == "remote")
        if decided == "remote" and self.transport and time.monotonic() >= self._home_until:
            return "remote"
        return "local"

    async def dispatch(self, tasks: Sequence[Task]) -> Dispatched:
        done = Dispatched()
        if not tasks:
            return done
        tried = await self.route() == "remote"
        sent = await self._send(tasks) if tried else [False] * len(tasks)
        for task, away in zip(tasks, sent, strict=True):
            kind, jobs = kind_of(task.job), sittings_of(task.job)
            if away:
                done.remote += jobs
                metrics.JOBS.labels(kind, "remote").inc(jobs)
                continue
            await self._run_here(task)
            if tried:
                done.fallback += jobs
                metrics.JOBS.labels(kind, "fallback").inc(jobs)
            else:
                done.local += jobs
                metrics.JOBS.labels(kind, "local").inc(jobs)
        self.share.add(True, done.remote)
        self.share.add(False, done.local + done.fallback)
        return done

    async def _run_here(self, task: Task) -> None:
        self.in_flight.current += 1
        try:
            await task.run_local()
        finally:
            self.in_flight.current -= 1

    async def _send(self, tasks: Sequence[Task]) -> list[bool]:
        assert self.transport is not None
        staged: list[bool] = []
        messages: list[Message] = []
        for task in tasks:
            try:
                if task.stage:
                    await task.stage()
                staged.append(True)
            except Exception:
                log.warning("could not stage %s; it runs here", task.job.job_id, exc_info=True)
                staged.append(False)
            envelope = Envelope(job=task.job, namespace=self.namespace, shards=self.shards)
            messages.append(Message(encode(envelope), kind_of(task.job)))
        try:
            accepted = await self.transport.send(messages)
        except Exception:
            log.warning("SQS send raised", exc_info=True)
            accepted = [False] * len(tasks)
        accepted = [a and s for a, s in zip(accepted, staged, strict=True)]
        failed = accepted.count(False)
        if failed:
            metrics.SEND_FAILURES.inc(failed)
            self._home_until = time.monotonic() + self.cooldown_s
            log.warning(
                "SQS took %d of %d overflow job(s); the other %d run locally and jobs "
                "stay home for %.0f s",
                len(tasks) - failed,
                len(tasks),
                failed,
                self.cooldown_s,
            )
            for task, ok, was_staged in zip(tasks, accepted, staged, strict=True):
                if not ok and was_staged and task.unstage:
                    try:
                        await task.unstage()
                    except Exception:
                        log.warning("could not unstage %s", task.job.job_id, exc_info=True)
        return accepted
