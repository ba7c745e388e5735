"""Pure parts of the overflow: SQS batching, cgroup parsing, the share window, the event shape,
the forensics assembly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.overflow.jobs import SQS_MAX_BYTES
from engine.overflow.metrics import ShareWindow
from engine.overflow.process_overflow import job_id
from engine.overflow.transport import BATCH_ENTRIES, Message, chunks
from engine.overflow.utilisation import InFlight, parse_cpu_max, parse_usage_usec
from overflow_lambda.local.poller import sqs_event


@given(st.lists(st.integers(1, 120_000), max_size=60))
def test_batches_hold_at_most_ten_entries_and_256_kb_in_order(sizes: list[int]) -> None:
    messages = [Message(b"x" * n, "grade") for n in sizes]
    groups = chunks(messages)
    assert [i for g in groups for i in g] == list(range(len(sizes)))
    for group in groups:
        assert 1 <= len(group) <= BATCH_ENTRIES
        assert sum(sizes[i] for i in group) <= SQS_MAX_BYTES


@given(st.integers(1, 10**7), st.integers(1, 10**7))
def test_cpu_max_gives_cores(quota: int, period: int) -> None:
    assert parse_cpu_max(f"{quota} {period}\n") == quota / period


@given(st.text(max_size=30))
def test_cpu_max_never_raises(text: str) -> None:
    value = parse_cpu_max(text)
    assert value is None or value > 0


def test_unlimited_cpu_max_and_cpu_stat() -> None:
    assert parse_cpu_max("max 100000") is None
    assert parse_usage_usec("usage_usec 123456\nuser_usec 1\n") == 123456
    assert parse_usage_usec("user_usec 1\n") is None


@given(st.lists(st.booleans(), max_size=300), st.integers(1, 50))
def test_share_window_is_the_remote_share_of_the_last_jobs(routes: list[bool], size: int) -> None:
    window = ShareWindow(size)
    for remote in routes:
        window.add(remote)
    recent = routes[-size:]
    assert window.value == (sum(recent) / len(recent) if recent else 0.0)


@given(st.integers(0, 100), st.integers(0, 100))
def test_in_flight_ratio_is_a_share(current: int, limit: int) -> None:
    assert 0.0 <= InFlight(limit, current).ratio() <= 1.0


def test_job_ids_come_from_the_stream_entry_and_carry_no_hash_tag() -> None:
    first = job_id("grade", "uj:{3}:grading", b"1-0")
    assert first == job_id("grade", "uj:{3}:grading", b"1-0")
    assert "{" not in first and first != job_id("grade", "uj:{3}:grading", b"1-1")


def test_sqs_event_has_the_lambda_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": "{}",
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "2"},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "grade"}},
    }
    [record] = sqs_event([message], "arn:q", "ap-southeast-3")["Records"]
    assert record["messageId"] == "m1" and record["receiptHandle"] == "r1"
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["messageAttributes"]["kind"]["stringValue"] == "grade"
    assert record["eventSourceARN"] == "arn:q" and record["eventSource"] == "aws:sqs"
