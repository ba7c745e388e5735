"""Telemetry schema and the ingest step: examples plus Hypothesis properties."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proctoring.telemetry import (
    MAX_BATCH_BYTES,
    MAX_EVENTS_PER_BATCH,
    Blur,
    ClientEvent,
    ContextMenu,
    Copy,
    Cut,
    Device,
    Focus,
    FullscreenEnter,
    FullscreenExit,
    Heartbeat,
    IngestLimits,
    IngestState,
    Network,
    Paste,
    Resize,
    TelemetryBatch,
    TelemetryTooLarge,
    Visibility,
    admit,
    decode_batch,
)

ts = st.integers(0, 10**13)
items = st.sampled_from(["q1", "q2", "sec-2.q17"]) | st.none()
lengths = st.integers(0, 10_000_000)
events: st.SearchStrategy[ClientEvent] = st.one_of(
    st.builds(Focus, ts=ts),
    st.builds(Blur, ts=ts),
    st.builds(Visibility, ts=ts, state=st.sampled_from(["visible", "hidden"])),
    st.builds(FullscreenEnter, ts=ts),
    st.builds(FullscreenExit, ts=ts),
    st.builds(Copy, ts=ts, length=lengths, item=items),
    st.builds(Cut, ts=ts, length=lengths, item=items),
    st.builds(Paste, ts=ts, length=lengths, item=items),
    st.builds(ContextMenu, ts=ts),
    st.builds(Resize, ts=ts, width=st.integers(0, 100_000), height=st.integers(0, 100_000)),
    st.builds(
        Device,
        ts=ts,
        fingerprint=st.sampled_from(["fp_aaaaaaaa", "fp-bbbbbbbb"]),
        user_agent=st.text(max_size=40),
        timezone=st.sampled_from(["", "Asia/Jakarta"]),
    ),
    st.builds(Heartbeat, ts=ts),
    st.builds(Network, ts=ts, online=st.booleans()),
)
batches = st.builds(
    TelemetryBatch,
    session=st.sampled_from(["tab00001", "tab-0002"]),
    batch_seq=st.integers(0, 1000),
    sent_at=ts,
    events=st.lists(events, min_size=1, max_size=30).map(tuple),
)


def _raw(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "session": "tab00001",
        "batch_seq": 1,
        "sent_at": 5000,
        "events": [{"type": "paste", "ts": 4000, "length": 42, "item": "q7"}],
    }
    body.update(overrides)
    return msgspec.json.encode(body)


def test_decodes_a_batch_into_tagged_structs() -> None:
    batch = decode_batch(_raw())
    match batch.events[0]:
        case Paste(length=n, item=item):
            assert (n, item) == (42, "q7")
        case _:
            pytest.fail("expected a paste")


@pytest.mark.parametrize(
    "body",
    [
        _raw(events=[{"type": "paste", "ts": 1, "length": 3, "text": "secret answer"}]),
        _raw(events=[{"type": "keylogger", "ts": 1}]),
        _raw(events=[{"type": "ip", "ts": 1, "ip": "10.0.0.1"}]),  # server-only event
        _raw(events=[]),
        _raw(events=[{"type": "heartbeat", "ts": 1}] * (MAX_EVENTS_PER_BATCH + 1)),
        _raw(events=[{"type": "copy", "ts": -5, "length": 3}]),
        _raw(session="x"),
        _raw(extra=1),
    ],
)
def test_rejects_what_the_schema_does_not_allow(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_batch(body)


def test_rejects_oversized_body_before_decoding() -> None:
    with pytest.raises(TelemetryTooLarge):
        decode_batch(b" " * (MAX_BATCH_BYTES + 1))


@given(batches)
@settings(max_examples=150, deadline=None)
def test_round_trip(batch: TelemetryBatch) -> None:
    raw = msgspec.json.encode(batch)
    if len(raw) <= MAX_BATCH_BYTES:
        assert decode_batch(raw) == batch


@given(
    st.binary(max_size=300)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
    ).map(msgspec.json.encode)
)
@settings(max_examples=200, deadline=None)
def test_garbage_only_raises_schema_errors(raw: bytes) -> None:
    try:
        out = decode_batch(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return
    assert isinstance(out, TelemetryBatch)  # anything accepted is a well-formed batch


@given(st.lists(batches, min_size=1, max_size=6), st.integers(0, 10**13))
@settings(max_examples=150, deadline=None)
def test_admit_invariants(seq: list[TelemetryBatch], now: int) -> None:
    lim = IngestLimits(events_per_minute=60.0, burst=40.0)
    state = IngestState()
    accepted_total = 0
    for batch in seq:  # all at one instant: the bucket cannot refill
        before = state
        state, adm = admit(state, batch, now, lim)
        if adm.duplicate:
            assert state == before and adm.events == ()
            continue
        assert len(adm.events) + adm.dropped_rate + adm.dropped_clock == len(batch.events)
        stamps = [e.ts for e in adm.events]
        assert stamps == sorted(stamps)
        assert all(s >= before.last_server_ts for s in stamps)
        assert 0.0 <= state.tokens <= lim.burst
        assert state.last_batch_seq == batch.batch_seq
        accepted_total += len(adm.events)
    assert accepted_total <= lim.burst


def test_admit_maps_page_clock_onto_server_clock_and_drops_replays() -> None:
    batch = decode_batch(_raw(sent_at=5000))  # page clock 5 s; server clock 1,000,000
    state, adm = admit(IngestState(), batch, 1_000_000)
    assert [e.ts for e in adm.events] == [999_000]
    _, again = admit(state, batch, 1_000_100)
    assert again.duplicate
