"""The answer stream's entries as the answer script itself writes them (lua/answer.lua, driven
through SittingStore), read back by the persister (engine/workers/persister.py) and copied for
the integrity consumer (engine/integrity/stream.py): every stored event once, in order, with its
item, response, times, sitting and exam."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.integrity.stream import answer_batch_copies, parse
from engine.redis_adapter.connections import PipelinedRedis
from engine.redis_adapter.keys import KeySpace
from engine.redis_adapter.streams import Entry
from engine.services import Services
from engine.sittings.answer_stream import batches
from engine.sittings.models import AnswerEvent, StoredAnswer
from engine.sittings.store import SittingStore
from engine.workers.persister import rows_from_entries
from grading.responses import NumericResponse, ShortTextResponse, SingleChoiceResponse
from grading.types import Response

text = st.text(min_size=1, max_size=64)  # quotes, backslashes and any Unicode included
responses = st.one_of(
    st.none(),
    st.builds(SingleChoiceResponse, choice=text),
    st.builds(ShortTextResponse, text=st.text(max_size=200)),
    st.builds(NumericResponse, value=st.floats(allow_nan=False, allow_infinity=False)),
)
# what a page sends: batches of 1-5 events with the next seqs, any items and responses
answer_batches = st.lists(
    st.lists(st.tuples(text, responses, st.integers(0, 2**53)), min_size=1, max_size=5),
    min_size=1,
    max_size=4,
)
EXAM = uuid.uuid4()
_enc = msgspec.msgpack.Encoder()


class Written(msgspec.Struct):
    sitting: str
    version: str
    events: list[AnswerEvent]
    entries: list[Entry]


class ScriptedStream:
    def __init__(self, redis: Any, namespace: str, pipelined: PipelinedRedis) -> None:
        self.redis = redis
        # the process's shared connection, closed with it (a store of its own would leave one
        # open per test)
        self.store = SittingStore(redis, KeySpace(namespace, 2), pipelined)

    async def write(self, drawn: list[list[tuple[str, Response | None, int]]]) -> Written:
        sitting, version = uuid.uuid4(), f"version-{uuid.uuid4().hex[:6]}"
        started = await self.store.start(
            sitting,
            exam_version_id=version,
            student_id="student",
            limit_ms=3_600_000,
            extra_ms=0,
            window_open_ms=0,
            window_close_ms=2**50,
            grace_ms=0,
        )
        assert started.state == "active"
        events: list[AnswerEvent] = []
        for batch in drawn:
            sent = [
                AnswerEvent(seq=len(events) + n + 1, item=i, response=r, client_ts=t)
                for n, (i, r, t) in enumerate(batch)
            ]
            reply = await self.store.record_answers(sitting, "student", sent)
            assert (reply.status, reply.acked_seq) == ("ok", len(events) + len(sent))
            events += sent
        stream = self.store.keys.for_sitting(sitting).stream
        mine = str(sitting).encode()
        entries: list[Entry] = [
            (entry_id, fields)
            for entry_id, fields in await self.redis.xrange(stream)
            if fields[b"s"] == mine
        ]
        return Written(str(sitting), version, events, entries)


@pytest.fixture
async def scripted(svc: Services) -> AsyncIterator[ScriptedStream]:
    namespace = f"entries-test-{uuid.uuid4().hex[:8]}"
    yield ScriptedStream(svc.redis, namespace, svc.pipelined)
    keys = [k async for k in svc.redis.scan_iter(match=f"{namespace}:*")]
    if keys:
        await svc.redis.delete(*keys)


def _response(raw: msgspec.Raw) -> Response | None:
    return msgspec.json.decode(bytes(raw), type=Response | None)  # type: ignore[arg-type]


PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


@PROPERTY
@given(drawn=answer_batches)
async def test_one_entry_per_batch_reads_back_event_for_event(
    scripted: ScriptedStream, drawn: list[list[tuple[str, Response | None, int]]]
) -> None:
    written = await scripted.write(drawn)
    read = list(batches(written.entries))
    assert [len(b.events) for b in read] == [len(b) for b in drawn]
    assert {(b.sitting, b.exam_version) for b in read} == {(written.sitting, written.version)}
    assert [
        (e.seq, e.item, _response(e.response), e.client_ts) for b in read for e in b.events
    ] == [(e.seq, e.item, e.response, e.client_ts) for e in written.events]


@PROPERTY
@given(drawn=answer_batches)
async def test_the_persister_makes_one_row_per_stored_event_in_order(
    scripted: ScriptedStream, drawn: list[list[tuple[str, Response | None, int]]]
) -> None:
    written = await scripted.write(drawn)
    rows = rows_from_entries(written.entries, {written.version.encode(): EXAM})
    # every event of an entry carries the entry's server time
    stamps = [b.server_ms for b in batches(written.entries) for _ in b.events]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        (EXAM, written.sitting, e.seq, e.item, e.client_ts) for e in written.events
    ]
    assert [r[6] for r in rows] == [datetime.fromtimestamp(t / 1000, tz=UTC) for t in stamps]
    # the response goes to COPY as the JSON the API encoded, untouched
    assert [bytes(r[4]) for r in rows] == [msgspec.json.encode(e.response) for e in written.events]


@PROPERTY
@given(drawn=answer_batches)
async def test_integrity_copies_carry_the_stored_answers(
    scripted: ScriptedStream, drawn: list[list[tuple[str, Response | None, int]]]
) -> None:
    written = await scripted.write(drawn)
    copies = parse({b"k": b"b", b"m": _enc.encode(answer_batch_copies(written.entries))})
    assert isinstance(copies, list)
    assert [(c.sitting, c.version, c.seq, c.item) for c in copies] == [
        (written.sitting, written.version, e.seq, e.item) for e in written.events
    ]
    # the live analyser reads each copy's payload as the stored answer
    stored = [msgspec.json.decode(c.payload, type=StoredAnswer) for c in copies]
    assert stored == [StoredAnswer(e.seq, e.response, e.client_ts, e.item) for e in written.events]
