"""Sending jobs to SQS: ``send_message_batch`` in worker threads, never on the event loop.

Retries happen at two levels. botocore's *standard* retry mode retries a whole call that was
throttled or met a 5xx or a dropped connection, with exponential backoff and jitter. A batch
that SQS accepted in part lists the failed entries; those not the sender's fault are sent again
(tenacity, backoff) and whatever still fails is reported back, so the dispatcher runs it here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from tenacity import (
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from engine.overflow.jobs import SQS_MAX_BYTES

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

log = logging.getLogger(__name__)

BATCH_ENTRIES = 10  # SQS's maximum per send_message_batch


class Message:
    __slots__ = ("body", "kind")

    def __init__(self, body: bytes, kind: str) -> None:
        self.body = body
        self.kind = kind


def chunks(messages: Sequence[Message]) -> list[list[int]]:
    """Indices grouped into batches of at most 10 entries and 256 KB."""
    groups: list[list[int]] = []
    size = 0
    for index, message in enumerate(messages):
        n = len(message.body)
        if not groups or len(groups[-1]) == BATCH_ENTRIES or size + n > SQS_MAX_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += n
    return groups


def sqs_client(endpoint_url: str | None, region: str, max_attempts: int = 4) -> SQSClient:
    config = Config(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=2,
        read_timeout=10,
        # the dispatcher sends from a few threads at once
        max_pool_connections=16,
    )
    client: SQSClient = boto3.client(
        "sqs", endpoint_url=endpoint_url, region_name=region, config=config
    )
    return client


class SqsTransport:
    def __init__(self, queue_url: str, client: Any, *, entry_attempts: int = 3) -> None:
        self.queue_url = queue_url
        self.client = client
        self.entry_attempts = entry_attempts

    async def send(self, messages: Sequence[Message]) -> list[bool]:
        """Whether SQS accepted each message (False: the caller must run it itself)."""
        groups = chunks(messages)
        results = await asyncio.gather(
            *(asyncio.to_thread(self._send_group, [messages[i] for i in group]) for group in groups)
        )
        accepted = [False] * len(messages)
        for group, ok in zip(groups, results, strict=True):
            for index, sent in zip(group, ok, strict=True):
                accepted[index] = sent
        return accepted

    def _send_group(self, group: list[Message]) -> list[bool]:
        pending = {str(i): m for i, m in enumerate(group)}
        refused: set[str] = set()

        def attempt() -> dict[str, Message]:
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {
                    "Id": entry_id,
                    "MessageBody": m.body.decode(),
                    "MessageAttributes": {"kind": {"DataType": "String", "StringValue": m.kind}},
                }
                for entry_id, m in pending.items()
            ]
            reply = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for failure in reply.get("Failed", []):
                if failure.get("SenderFault"):
                    refused.add(failure["Id"])  # will not succeed by trying again
                    log.error("SQS refused a job: %s", failure.get("Message"))
            for ok in reply.get("Successful", []):
                pending.pop(ok["Id"], None)
            for entry_id in refused:
                pending.pop(entry_id, None)
            return pending

        retrying = Retrying(
            retry=retry_if_result(bool),
            stop=stop_after_attempt(self.entry_attempts),
            wait=wait_exponential(multiplier=0.05, max=1.0) + wait_random(0, 0.05),
            # out of attempts: report what is still pending instead of raising
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else {},
        )
        try:
            retrying(attempt)
        except (BotoCoreError, ClientError) as err:
            # botocore has already retried throttling, 5xx and connection errors
            log.warning(
                "SQS send failed (%s): %d job(s) run locally instead",
                type(err).__name__,
                len(pending),
            )
        # entries an earlier attempt delivered stay delivered
        return [str(i) not in pending and str(i) not in refused for i in range(len(group))]
