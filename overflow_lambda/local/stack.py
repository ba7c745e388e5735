"""The whole local overflow: SQS (a moto server on loopback, a queue with its DLQ and redrive
policy), the Runtime API, the function instances and the event source mapping."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from overflow_lambda.local.functions import FunctionInstances, function_environment
from overflow_lambda.local.poller import EventSourceMapping
from overflow_lambda.local.runtime_api import RuntimeApi

REGION = "ap-southeast-3"
# moto accepts any signature; real credentials must never be needed (or sent) here
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class LocalOverflow:
    def __init__(
        self,
        database_url: str,
        redis_url: str,
        *,
        instances: int = 2,
        visibility_timeout_s: int = 30,
        max_receive_count: int = 5,
        function_timeout_s: float = 60.0,
        poll_wait_s: int = 1,
        port: int = 0,
        log: Path | None = None,
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.instances = instances
        self.visibility_timeout_s = visibility_timeout_s
        self.max_receive_count = max_receive_count
        self.poll_wait_s = poll_wait_s
        self.log = log
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.runtime = RuntimeApi(timeout_s=function_timeout_s, region=REGION)
        self.endpoint_url = self.queue_url = self.dlq_url = ""
        self.client: Any = None
        self.functions: FunctionInstances | None = None
        self.mapping: EventSourceMapping | None = None

    def sqs(self) -> Any:
        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def _queues(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        dlq_url = self.client.create_queue(QueueName=f"ujian-overflow-dlq-{suffix}")["QueueUrl"]
        dlq_arn = self.client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": self.max_receive_count}
        self.queue_url = self.client.create_queue(
            QueueName=f"ujian-overflow-{suffix}",
            Attributes={
                "VisibilityTimeout": str(self.visibility_timeout_s),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        self.dlq_url = dlq_url

    def start(self) -> LocalOverflow:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per SQS call is noise
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.client = self.sqs()
        self._queues()
        self.runtime.start()
        self.functions = FunctionInstances(
            self.instances,
            function_environment(self.runtime.address, self.database_url, self.redis_url),
            log=self.log,
        )
        self.functions.start()
        self.mapping = EventSourceMapping(
            self.client,
            self.queue_url,
            self.runtime.invoke,
            concurrency=self.instances,
            wait_s=self.poll_wait_s,
            region=REGION,
        )
        self.mapping.start()
        return self

    def engine_environment(self) -> dict[str, str]:
        """What an engine process needs to send its overflow here."""
        return {
            "UJIAN_OVERFLOW_QUEUE_URL": self.queue_url,
            "UJIAN_OVERFLOW_DLQ_URL": self.dlq_url,
            "UJIAN_OVERFLOW_ENDPOINT_URL": self.endpoint_url,
            "UJIAN_AWS_REGION": REGION,
            **LOCAL_CREDENTIALS,
        }

    def stop(self) -> None:
        if self.mapping:
            self.mapping._stop.set()
        self.runtime.abort_all()
        if self.mapping:
            self.mapping.stop()
        if self.functions:
            self.functions.stop()
        self.runtime.stop()
        self.moto.stop()

    def __enter__(self) -> LocalOverflow:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
