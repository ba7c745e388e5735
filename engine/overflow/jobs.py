"""The jobs that travel to Lambda: msgspec Structs in a versioned envelope.

Payloads travel by reference: a grading job names a sitting, a persist job names a Redis key
holding its answer entries (a *parcel*), a forensics job names an exam. No message comes near
SQS's 256 KB limit, and ``encode`` refuses one that would.
"""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

# bumped when a field changes meaning; new fields get defaults and old readers ignore them
# 2: a grade job carries a batch of sittings (``also``), which a version-1 reader would drop
ENVELOPE_VERSION = 2
SQS_MAX_BYTES = 256 * 1024

JobKind = Literal["grade", "persist", "forensics"]


class GradeJob(msgspec.Struct, frozen=True, tag="grade", tag_field="kind"):
    """A batch of sittings to grade (one grader stream read's worth): the Lambda grades them
    in bulk like the cluster does, one message and one invocation for the lot."""

    job_id: str
    sitting_id: uuid.UUID
    also: list[uuid.UUID] = []

    @property
    def sitting_ids(self) -> list[uuid.UUID]:
        return [self.sitting_id, *self.also]


class PersistJob(msgspec.Struct, frozen=True, tag="persist", tag_field="kind"):
    job_id: str
    parcel: str  # Redis key of the msgpack-encoded stream entries
    entries: int  # how many, for logs and metrics


class ForensicsJob(msgspec.Struct, frozen=True, tag="forensics", tag_field="kind"):
    job_id: str
    exam_id: uuid.UUID


Job = GradeJob | PersistJob | ForensicsJob


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    job: Job
    # the key space the sender used, so a Lambda configured with other defaults still reads
    # the right keys (a wrong shard count would silently grade from the answer log instead)
    namespace: str
    shards: int
    v: int = ENVELOPE_VERSION


class JobTooLarge(ValueError):
    """A job that would not fit in one SQS message (a bug: payloads go by reference)."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)


def kind_of(job: Job) -> JobKind:
    match job:
        case GradeJob():
            return "grade"
        case PersistJob():
            return "persist"
        case ForensicsJob():
            return "forensics"


def sittings_of(job: Job) -> int:
    """How many jobs a message stands for: a grade job batches sittings that were one job
    each before batching, and the metrics and the overflow share count them one by one."""
    return len(job.sitting_ids) if isinstance(job, GradeJob) else 1


def encode(envelope: Envelope) -> bytes:
    body = _encoder.encode(envelope)
    if len(body) > SQS_MAX_BYTES:
        raise JobTooLarge(f"{kind_of(envelope.job)} job {envelope.job.job_id} is {len(body)} B")
    return body


def decode(body: bytes | str) -> Envelope:
    """Parse a message body; raises msgspec.ValidationError/DecodeError on a malformed one."""
    envelope = _decoder.decode(body)
    if envelope.v > ENVELOPE_VERSION:
        raise msgspec.ValidationError(f"envelope version {envelope.v} is newer than this code")
    return envelope
