"""The local overflow (moto SQS, Runtime API, awslambdaric functions, event source mapping) and
small engine "clusters", each in a Redis namespace of its own so the utilisation one of them
publishes is the only one its dispatcher sees."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from engine.app import create_app, open_services
from engine.job_runner import execute
from engine.overflow.process_overflow import Overflow
from engine.overflow.transport import SqsTransport
from engine.overflow.utilisation import force_utilisation
from engine.redis_adapter.stream_consumer import StreamConsumer
from engine.services import Services
from engine.settings import Settings
from engine.workers.runner import Workers
from overflow_lambda.local.stack import LOCAL_CREDENTIALS, LocalOverflow
from tests.conftest import ServerUrls
from tests.integration.conftest import RIGHT_ANSWERS, Api

MAX_RECEIVES = 3


@pytest.fixture(scope="session")
def local_overflow(
    server_urls: ServerUrls, database_url: str, svc: Services
) -> Iterator[LocalOverflow]:
    # svc first: the functions connect to a migrated database
    saved = {k: os.environ.get(k) for k in LOCAL_CREDENTIALS}
    os.environ.update(LOCAL_CREDENTIALS)
    log = Path(tempfile.mkdtemp(prefix="ujian-overflow-")) / "functions.log"
    stack = LocalOverflow(
        database_url,
        server_urls.redis,
        instances=2,
        visibility_timeout_s=2,
        max_receive_count=MAX_RECEIVES,
        log=log,
    )
    with stack:
        yield stack
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@dataclass
class Cluster:
    settings: Settings
    svc: Services
    overflow: Overflow
    workers: Workers
    api: Api

    def grading_consumers(self) -> list[StreamConsumer]:
        return [c for c in self.workers.consumers() if c.stream.endswith(":grading")]

    def answer_consumers(self) -> list[StreamConsumer]:
        return [c for c in self.workers.consumers() if c.stream.endswith(":answers")]


@asynccontextmanager
async def cluster(
    base: Settings,
    *,
    utilisation: float,
    stack: LocalOverflow | None,
    transport: SqsTransport | None = None,
) -> AsyncIterator[Cluster]:
    overflow_settings: dict[str, Any] = {}
    if stack is not None:
        overflow_settings = {
            "overflow_queue_url": stack.queue_url,
            "overflow_dlq_url": stack.dlq_url,
            "overflow_endpoint_url": stack.endpoint_url,
            "aws_region": "ap-southeast-3",
        }
    if "schedule_warm_poll_s" in base.__struct_fields__:
        # the scheduling warm-up is cancelled mid-command at shutdown, leaving a Redis
        # connection half-closed; these short-lived apps have nothing to warm
        overflow_settings["schedule_warm_poll_s"] = 0
    settings = msgspec.structs.replace(
        base,
        redis_namespace=f"ovf{uuid.uuid4().hex[:8]}",
        **overflow_settings,
    )
    async with open_services(settings) as svc, AsyncTestClient(app=create_app(settings)) as client:
        overflow = Overflow(svc, run_job=partial(execute, svc), transport=transport)
        # every process of the test routes on this, as an operator's drill would set it
        await force_utilisation(svc.redis, settings.redis_namespace, utilisation, 3600)
        await overflow.publisher.publish_once()
        yield Cluster(settings, svc, overflow, Workers(svc, overflow=overflow), Api(client))


async def drain(consumers: list[StreamConsumer]) -> int:
    total = 0
    for consumer in consumers:
        await consumer.ensure_group()
        consumer.block_ms = 10
        while (n := await consumer.run_once()) > 0:
            total += n
    return total


async def eventually(check: Any, what: str, limit_s: float = 60.0) -> Any:
    """Polls ``check`` until it returns something truthy; fails after ``limit_s``."""
    waited = 0.0
    while waited < limit_s:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.2)
        waited += 0.2
    raise AssertionError(f"timed out waiting for {what}")


def items_in_order(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in paper["sections"] for item in section["items"]]


async def submitted_sittings(
    api: Api, teacher: str, students: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """An exam (results not instant, so grading is a queued job) and one submitted sitting per
    student, each answering differently."""
    exam = await api.exam(teacher, instant=False)
    sittings = []
    for n, student in enumerate(students):
        sitting = await api.start(student, exam["id"])
        items = items_in_order(await api.paper(student, sitting["id"]))
        right = {
            i["stem"]: r
            for i, r in zip(sorted(items, key=lambda i: i["stem"]), _right_by_stem(), strict=True)
        }
        events = [
            {"seq": k + 1, "item": item["id"], "response": right[item["stem"]]}
            for k, item in enumerate(items)
            if (k + n) % 3 != 0
        ]  # varied gaps
        r = await api.answer(student, sitting["id"], events)
        assert r.status_code == 200, r.text
        r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
        assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
        sittings.append(sitting["id"])
    return exam, sittings


def _right_by_stem() -> list[dict[str, Any]]:
    stems = ["2 + 2 = ?", "Even numbers?", "π to two decimals", "First president of Indonesia"]
    return [r for _, r in sorted(zip(stems, RIGHT_ANSWERS, strict=True))]
