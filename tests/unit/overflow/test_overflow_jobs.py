"""Job envelopes: what travels to SQS, and what the sample event carries."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.overflow.jobs import (
    ENVELOPE_VERSION,
    SQS_MAX_BYTES,
    Envelope,
    ForensicsJob,
    GradeJob,
    JobTooLarge,
    PersistJob,
    decode,
    encode,
    kind_of,
)

ids = st.text(min_size=1, max_size=120)
jobs = st.one_of(
    # a grade job is one grader read: up to 50 sittings
    st.builds(GradeJob, job_id=ids, sitting_id=st.uuids(), also=st.lists(st.uuids(), max_size=49)),
    st.builds(PersistJob, job_id=ids, parcel=ids, entries=st.integers(0, 10_000)),
    st.builds(ForensicsJob, job_id=ids, exam_id=st.uuids()),
)
SAMPLE = Path(__file__).parents[3] / "overflow_lambda" / "handler_sqs_event.json"


@given(jobs, st.text(max_size=20), st.integers(1, 1024))
def test_envelopes_round_trip_and_stay_small(job: GradeJob, namespace: str, shards: int) -> None:
    envelope = Envelope(job=job, namespace=namespace, shards=shards)
    body = encode(envelope)
    assert decode(body) == envelope
    assert len(body) < 4096 < SQS_MAX_BYTES  # payloads travel by reference
    assert json.loads(body)["job"]["kind"] == kind_of(job)


def test_a_job_over_the_sqs_limit_is_refused() -> None:
    huge = GradeJob(job_id="x" * SQS_MAX_BYTES, sitting_id=uuid.uuid4())
    with pytest.raises(JobTooLarge):
        encode(Envelope(job=huge, namespace="uj", shards=16))


def test_a_newer_envelope_version_is_refused() -> None:
    body = encode(
        Envelope(
            job=GradeJob(job_id="g", sitting_id=uuid.uuid4()),
            namespace="uj",
            shards=16,
            v=ENVELOPE_VERSION + 1,
        )
    )
    with pytest.raises(msgspec.ValidationError):
        decode(body)


@given(st.binary(max_size=200))
def test_garbage_is_a_decode_error_never_a_job(body: bytes) -> None:
    try:
        decode(body)
    except msgspec.MsgspecError:
        return
    raise AssertionError("garbage decoded as a job")  # pragma: no cover


def test_the_sample_event_beside_the_handler_carries_every_job_kind() -> None:
    event = json.loads(SAMPLE.read_text())
    kinds = []
    for record in event["Records"]:
        assert record["eventSource"] == "aws:sqs"
        envelope = decode(record["body"])
        kinds.append(kind_of(envelope.job))
        assert record["messageAttributes"]["kind"]["stringValue"] == kinds[-1]
    assert sorted(kinds) == ["forensics", "grade", "persist"]
