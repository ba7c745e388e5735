"""The event source mapping: long-polls SQS, invokes the function with batches of up to 10
records, deletes what succeeded.

As on AWS with ``ReportBatchItemFailures``: records named in ``batchItemFailures`` stay in the
queue and come back after the visibility timeout; a failed invocation (error or timeout) leaves
the whole batch; SQS itself moves a message to the DLQ after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overflow_lambda.local.runtime_api import Invocation

log = logging.getLogger(__name__)

Invoke = Callable[[dict[str, Any]], Invocation]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda builds from received messages."""
    records = []
    for m in messages:
        body = m["Body"]
        attributes = {k: v for k, v in m.get("Attributes", {}).items()}
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": body,
                "attributes": attributes,
                "messageAttributes": {
                    name: {
                        "stringValue": a.get("StringValue"),
                        "binaryValue": a.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": a["DataType"],
                    }
                    for name, a in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


@dataclass
class Stats:
    batches: int = 0
    received: int = 0
    deleted: int = 0
    item_failures: int = 0
    function_errors: int = 0


class EventSourceMapping:
    def __init__(
        self,
        client: Any,
        queue_url: str,
        invoke: Invoke,
        *,
        concurrency: int = 1,
        batch_size: int = 10,
        wait_s: int = 1,
        region: str = "ap-southeast-3",
    ) -> None:
        self.client = client
        self.queue_url = queue_url
        self.invoke = invoke
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.wait_s = wait_s
        self.region = region
        self.queue_arn = client.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.stats = Stats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.concurrency):
            thread = threading.Thread(target=self._run, daemon=True, name=f"esm-{n}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_s + 10)
        self._threads.clear()

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self.stats, name, getattr(self.stats, name) + delta)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                log.warning("event source mapping: poll failed", exc_info=True)
                self._stop.wait(1.0)

    def poll_once(self) -> int:
        reply = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = reply.get("Messages", [])
        if not messages:
            return 0
        self._count(batches=1, received=len(messages))
        try:
            invocation = self.invoke(sqs_event(messages, self.queue_arn, self.region))
        except Exception:
            log.warning(
                "invocation failed; the batch returns after its visibility timeout", exc_info=True
            )
            self._count(function_errors=1)
            return len(messages)
        if not invocation.ok or not isinstance(invocation.payload, dict):
            log.warning("function error: %s", invocation.payload)
            self._count(function_errors=1)
            return len(messages)
        failed = {f["itemIdentifier"] for f in invocation.payload.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                ],
            )
        self._count(deleted=len(done), item_failures=len(failed))
        return len(messages)
