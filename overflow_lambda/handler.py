"""The overflow Lambda: SQS batches of jobs, each run by the cluster's own code.

``lambda_handler`` is the SAM template's ``overflow_lambda.handler.lambda_handler``: powertools'
``BatchProcessor`` reports failed records (``ReportBatchItemFailures``) so only they come back;
``@idempotent_function`` on Redis applies each job id once however often SQS delivers it; the
Logger's correlation id is the job id; Metrics go out as EMF; the Tracer is X-Ray (disabled
locally with ``POWERTOOLS_TRACE_DISABLED``). Clients and connections live at module level.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.cache import CachePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from engine.overflow.jobs import Envelope, decode, kind_of
from engine.settings import Settings
from overflow_lambda.services import LambdaServices

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "ujian-overflow")

logger = Logger(service=SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Ujian"), service=SERVICE
)
tracer = Tracer(service=SERVICE)
processor = BatchProcessor(event_type=EventType.SQS)

settings = Settings.from_env()
services = LambdaServices(settings)
idempotency = IdempotencyConfig(
    event_key_jmespath="job.job_id",
    # longer than the queue keeps a message (4 days), so any redelivery finds the record
    expires_after_seconds=5 * 24 * 3600,
)
persistence = CachePersistenceLayer(url=settings.redis_url or "")


@idempotent_function(  # type: ignore[untyped-decorator]  # powertools' decorator is untyped
    data_keyword_argument="envelope",
    persistence_store=persistence,
    config=idempotency,
    key_prefix=f"{settings.redis_namespace}:overflow-idem",
)
def apply_job(envelope: dict[str, Any]) -> dict[str, Any]:
    outcome = services.run(msgspec.convert(envelope, Envelope))
    metrics.add_metric(
        name="JobsApplied" if outcome.applied else "JobsAlreadyDone", unit=MetricUnit.Count, value=1
    )
    result: dict[str, Any] = msgspec.to_builtins(outcome)
    return result


@tracer.capture_method
def record_handler(record: SQSRecord) -> dict[str, Any]:
    envelope = decode(record.body)
    logger.set_correlation_id(envelope.job.job_id)
    logger.append_keys(
        kind=kind_of(envelope.job),
        message_id=record.message_id,
        receive_count=record.attributes.approximate_receive_count,
    )
    result: dict[str, Any] = apply_job(envelope=msgspec.to_builtins(envelope))
    logger.info("job done", extra={"outcome": result})
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
