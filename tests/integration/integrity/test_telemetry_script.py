"""lua/telemetry.lua against ``proctoring.telemetry.admit``: for any batch and any state the
page's admission left before, the one script call admits, drops and re-stamps exactly what
``admit`` would at the script's clock, stores the state ``admit`` returns, and writes the
stream entry as engine/integrity/stream.py encodes it (the consumer's own decoder reads it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.integrity.stream import TelemetryEntry, parse, tag_key
from engine.integrity.telemetry_store import TelemetryStore
from engine.redis_adapter.keys import KeySpace
from engine.services import Services
from proctoring.telemetry import (
    Copy,
    Device,
    Focus,
    Heartbeat,
    IngestState,
    IpObserved,
    TelemetryBatch,
    admit,
)

SENT = 9_000_000_000  # the page's clock (pages' clocks are wrong: any value)
HOUR = 3600 * 1000


class Scripted(msgspec.Struct):
    store: TelemetryStore
    keyspace: KeySpace
    svc: Services


@pytest.fixture
async def scripted(svc: Services) -> AsyncIterator[Scripted]:
    namespace = f"telemetry-test-{uuid.uuid4().hex[:8]}"
    keyspace = KeySpace(namespace, 4)
    yield Scripted(TelemetryStore(svc.redis, keyspace, svc.pipelined), keyspace, svc)
    keys = [k async for k in svc.redis.scan_iter(match=f"{namespace}:*")]
    if keys:
        await svc.redis.delete(*keys)


def _event(kind: str, delta: int, n: int) -> Any:
    ts = max(0, SENT + delta)
    match kind:
        case "copy":
            return Copy(ts=ts, length=n, item=None if n % 2 else f"item-{n}")
        case "device":
            return Device(ts=ts, fingerprint=f"fp-{n:08d}", user_agent="é" * (n % 40))
        case "focus":
            return Focus(ts=ts)
        case _:
            return Heartbeat(ts=ts)


events = st.builds(
    _event,
    st.sampled_from(["copy", "device", "focus", "heartbeat"]),
    # mostly before sent_at; some after it, some older than the page may keep
    st.integers(-5 * HOUR, 2000),
    st.integers(0, 10_000_000),
)
# the page's state left by its earlier batches, its times around the script's clock
states = st.none() | st.builds(
    lambda seq, tokens, since, last: (seq, tokens, since, last),
    st.integers(-1, 6),
    st.sampled_from([-1.0, 0.0, 0.5, 1.0, 399.25]) | st.floats(0, 400),
    st.integers(0, 600_000),
    st.integers(-6 * HOUR, 5000),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    drawn=st.lists(events, min_size=1, max_size=30),
    seq=st.integers(0, 8),
    before=states,
)
async def test_the_script_admits_as_admit_does(
    scripted: Scripted, drawn: list[Any], seq: int, before: tuple[int, float, int, int] | None
) -> None:
    sitting, version, student = uuid.uuid4(), str(uuid.uuid4()), str(uuid.uuid4())
    redis, ks = scripted.svc.redis, scripted.keyspace
    session_key = ks.for_sitting(sitting).session
    await redis.hset(
        session_key,
        mapping={"state": "active", "exam": version, "student": student, "deadline": 1, "grace": 0},
    )
    batch = TelemetryBatch(session="page-0001", batch_seq=seq, sent_at=SENT, events=tuple(drawn))
    state_key = tag_key(ks, sitting, "ti")
    prior = IngestState()
    if before is not None:
        clock = int(time.time() * 1000)
        prior = IngestState(
            last_batch_seq=before[0],
            tokens=before[1],
            refilled_at=clock - before[2],
            last_server_ts=clock + before[3],
        )
        await redis.hset(state_key, batch.session, msgspec.msgpack.encode(prior))
    streams = [ks.telemetry_stream(s) for s in range(4)]
    lengths = [await redis.xlen(s) for s in streams]

    page = await scripted.store.call("ingest", sitting, student, "", batch, "10.0.0.9")

    assert page.status == "ok" and page.exam_version_id == version
    new_state, expected = admit(prior, batch, page.now_ms)
    written = [await redis.xlen(s) for s in streams]
    if expected.duplicate:
        assert page.telemetry == "duplicate" and written == lengths
        return
    if not expected.events and expected.dropped_rate:
        assert page.telemetry == "page_rate_limited" and written == lengths
        stored = await redis.hget(state_key, batch.session)
        assert stored == (None if before is None else msgspec.msgpack.encode(prior))
        return
    assert page.telemetry == "ok"
    assert (page.accepted, page.dropped_rate, page.dropped_clock) == (
        len(expected.events),
        expected.dropped_rate,
        expected.dropped_clock,
    )
    assert sum(written) == sum(lengths) + 1
    stream = streams[[w - n for w, n in zip(written, lengths, strict=True)].index(1)]
    [(_, fields)] = await redis.xrevrange(stream, count=1)
    assert parse(fields) == TelemetryEntry(
        sitting=str(sitting),
        version=version,
        session=batch.session,
        batch_seq=seq,
        received_ms=page.now_ms,
        events=(*expected.events, IpObserved(ts=page.now_ms, ip="10.0.0.9")),
    )
    kept = msgspec.msgpack.decode(await redis.hget(state_key, batch.session), type=IngestState)
    assert kept == new_state
