"""Answer stream entries (engine/sittings/answer_stream.py): what the answer script writes is
read back event for event, entries of the format before batches read the same, and the copies
the integrity consumer gets carry the same answers."""

from __future__ import annotations

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from engine.integrity.stream import AnswerCopy, answer_batch_copies, parse
from engine.sittings.answer_stream import batches, log_record
from engine.sittings.models import AnswerEvent, StoredAnswer
from engine.workers.consumer import Entry
from grading.responses import NumericResponse, ShortTextResponse, SingleChoiceResponse
from grading.types import Response

_enc = msgspec.msgpack.Encoder()

text = st.text(min_size=1, max_size=64)  # quotes, backslashes and any Unicode included
responses = st.one_of(
    st.none(),
    st.builds(SingleChoiceResponse, choice=text),
    st.builds(ShortTextResponse, text=st.text(max_size=200)),
    st.builds(NumericResponse, value=st.floats(allow_nan=False, allow_infinity=False)),
)


@st.composite
def answer_batches(draw: st.DrawFn) -> list[AnswerEvent]:
    first = draw(st.integers(1, 2**40))
    size = draw(st.integers(1, 5))
    return [
        AnswerEvent(
            seq=first + n,
            item=draw(text),
            response=draw(responses),
            client_ts=draw(st.integers(0, 2**53)),
        )
        for n in range(size)
    ]


def scripted_entry(sitting: str, version: str, now_ms: int, events: list[AnswerEvent]) -> Entry:
    """The fields lua/answer.lua writes: the records the API sent, joined into one array."""
    joined = b"[" + b",".join(log_record(e) for e in events) + b"]"
    return b"1-0", {
        b"s": sitting.encode(),
        b"x": version.encode(),
        b"t": str(now_ms).encode(),
        b"e": joined,
    }


def legacy_entries(
    sitting: str, version: str, now_ms: int, events: list[AnswerEvent]
) -> list[Entry]:
    """One entry per event, as the answer script wrote them before batches."""
    return [
        (
            b"1-0",
            {
                b"s": sitting.encode(),
                b"x": version.encode(),
                b"q": str(e.seq).encode(),
                b"i": e.item.encode(),
                b"t": str(now_ms).encode(),
                b"p": msgspec.json.encode(
                    {"seq": e.seq, "response": e.response, "client_ts": e.client_ts}
                ),
            },
        )
        for e in events
    ]


def _response(raw: msgspec.Raw) -> Response | None:
    return msgspec.json.decode(bytes(raw), type=Response | None)  # type: ignore[arg-type]


@given(answer_batches(), st.integers(0, 2**45))
def test_an_entry_reads_back_event_for_event(events: list[AnswerEvent], now_ms: int) -> None:
    (batch,) = batches([scripted_entry("s-1", "v-1", now_ms, events)])
    assert (batch.sitting, batch.exam_version, batch.server_ms) == ("s-1", "v-1", now_ms)
    assert [(e.seq, e.item, _response(e.response), e.client_ts) for e in batch.events] == [
        (e.seq, e.item, e.response, e.client_ts) for e in events
    ]


@given(answer_batches(), st.integers(0, 2**45))
def test_entries_of_the_format_before_batches_read_the_same(
    events: list[AnswerEvent], now_ms: int
) -> None:
    (new,) = batches([scripted_entry("s-1", "v-1", now_ms, events)])
    old = list(batches(legacy_entries("s-1", "v-1", now_ms, events)))
    assert [e for b in old for e in b.events] == new.events
    assert {(b.sitting, b.exam_version, b.server_ms) for b in old} == {("s-1", "v-1", now_ms)}


@given(answer_batches(), st.integers(0, 2**45), st.booleans())
def test_integrity_copies_carry_the_stored_answers(
    events: list[AnswerEvent], now_ms: int, legacy: bool
) -> None:
    entries = (
        legacy_entries("s-1", "v-1", now_ms, events)
        if legacy
        else [scripted_entry("s-1", "v-1", now_ms, events)]
    )
    copies = parse({b"k": b"b", b"m": _enc.encode(answer_batch_copies(entries))})
    assert isinstance(copies, list)
    assert [(c.sitting, c.version, c.seq, c.item, c.ts) for c in copies] == [
        ("s-1", "v-1", e.seq, e.item, now_ms) for e in events
    ]
    # the live analyser reads each copy's payload as the stored answer
    stored = [msgspec.json.decode(c.payload, type=StoredAnswer) for c in copies]
    assert stored == [StoredAnswer(e.seq, e.response, e.client_ts, e.item) for e in events]


def test_copies_made_before_batches_still_parse() -> None:
    old = [AnswerCopy("s-1", "v-1", 3, "q1", b'{"seq":3,"response":null}', 5)]
    assert parse({b"k": b"a", b"m": _enc.encode(old)}) == old
