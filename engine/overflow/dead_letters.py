"""The dead-letter queue: poison jobs that failed ``maxReceiveCount`` times, for a human."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import msgspec

from engine.overflow import metrics
from engine.overflow.jobs import decode, kind_of

log = logging.getLogger(__name__)


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    job_id: str | None
    kind: str | None
    receive_count: int
    body_bytes: int


class DeadLetters(msgspec.Struct, frozen=True, kw_only=True):
    configured: bool
    messages: int = 0
    sample: list[DeadLetter] = []


def depth(client: Any, dlq_url: str) -> int:
    reply = client.get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    count = int(reply["Attributes"]["ApproximateNumberOfMessages"])
    metrics.DEAD_LETTERS.set(count)
    return count


def _describe(message: dict[str, Any]) -> DeadLetter:
    body = message.get("Body", "")
    job_id = kind = None
    with contextlib.suppress(msgspec.MsgspecError):
        envelope = decode(body)
        job_id, kind = envelope.job.job_id, kind_of(envelope.job)
    return DeadLetter(
        message_id=message["MessageId"],
        job_id=job_id,
        kind=kind,
        receive_count=int(message.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
        body_bytes=len(body.encode()),
    )


def inspect(client: Any, dlq_url: str | None, sample: int = 10) -> DeadLetters:
    """The DLQ's depth and a peek at up to ``sample`` messages (left in the queue)."""
    if not dlq_url:
        return DeadLetters(configured=False)
    count = depth(client, dlq_url)
    seen: list[DeadLetter] = []
    if count:
        reply = client.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, sample),
            WaitTimeSeconds=0,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["All"],
        )
        seen = [_describe(m) for m in reply.get("Messages", [])]
    return DeadLetters(configured=True, messages=count, sample=seen)


async def watch(client: Any, dlq_url: str, stop: asyncio.Event, interval_s: float = 15.0) -> None:
    """Keeps the dead-letter gauge current."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(depth, client, dlq_url)
        except Exception:
            log.warning("could not read the dead-letter queue's depth", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
