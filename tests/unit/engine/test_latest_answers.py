"""The answers hash's values (engine/sittings/latest.py): small enough for a listpack, read
back as the page and the grader always saw them, and the previous release's JSON still read."""

from __future__ import annotations

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from engine.sittings.answer_stream import log_record
from engine.sittings.latest import answers_json, decode_latest, latest_responses, latest_value
from engine.sittings.models import AnswerEvent, StoredAnswer
from grading.types import (
    EssayResponse,
    MultipleResponseResponse,
    NumericResponse,
    Response,
    ShortTextResponse,
    SingleChoiceResponse,
    TrueFalseResponse,
)

ITEM = "0c06fd36-c546-46a5-9fd1-e8814fd6d709"
NOW_MS = 1_796_460_165_943  # a Date.now() of 2026
# Redis's default hash-max-listpack-value
LISTPACK_VALUE = 64

responses = st.one_of(
    st.none(),
    st.builds(SingleChoiceResponse, choice=st.text(max_size=64)),
    st.builds(ShortTextResponse, text=st.text(max_size=300)),
    st.builds(EssayResponse, text=st.text(max_size=300)),
    st.builds(NumericResponse, value=st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(MultipleResponseResponse, choices=st.frozensets(st.text(max_size=8), max_size=6)),
    st.builds(TrueFalseResponse, value=st.booleans()),
)
events = st.builds(
    AnswerEvent,
    seq=st.integers(1, 2**53),
    item=st.text(min_size=1, max_size=64),
    response=responses,
    client_ts=st.integers(0, 2**53),
)


def _old_paper_answers(values: dict[bytes, bytes]) -> bytes:
    """How the paper joined the stored JSON records before (engine/sittings/service.py)."""
    enc = msgspec.json.Encoder()
    return b"{" + b",".join(enc.encode(k.decode()) + b":" + v for k, v in values.items()) + b"}"


@given(events)
def test_a_value_reads_back_as_the_event_stored(event: AnswerEvent) -> None:
    latest = decode_latest(latest_value(event))
    assert (latest.seq, latest.response, latest.client_ts) == (
        event.seq,
        event.response,
        event.client_ts,
    )
    # the previous release's value, the stream record, reads back the same
    assert decode_latest(log_record(event)) == latest


@given(st.lists(events, max_size=5, unique_by=lambda e: e.item))
def test_the_paper_is_given_what_the_json_records_gave_it(stored: list[AnswerEvent]) -> None:
    old = {e.item.encode(): log_record(e) for e in stored}
    new = {e.item.encode(): latest_value(e) for e in stored}
    expected = msgspec.json.decode(_old_paper_answers(old), type=dict[str, StoredAnswer])
    assert msgspec.json.decode(answers_json(new), type=dict[str, StoredAnswer]) == expected
    assert msgspec.json.decode(answers_json(old), type=dict[str, StoredAnswer]) == expected
    assert latest_responses(new) == {e.item: e.response for e in stored}


def test_a_legacy_value_is_passed_to_the_page_unchanged() -> None:
    event = AnswerEvent(7, ITEM, SingleChoiceResponse("c"), NOW_MS)
    values = {ITEM.encode(): log_record(event)}
    assert answers_json(values) == _old_paper_answers(values)


WORKLOAD_ANSWERS: list[Response | None] = [
    SingleChoiceResponse("e"),
    MultipleResponseResponse(frozenset("abc")),
    NumericResponse(14.27),
    NumericResponse(-1234.5678),
    ShortTextResponse("jawaban 9"),
    TrueFalseResponse(value=True),
    None,
]


def test_the_workloads_answers_fit_a_listpack_under_redis_defaults() -> None:
    for response in WORKLOAD_ANSWERS:
        value = latest_value(AnswerEvent(200, ITEM, response, NOW_MS))
        assert len(value) <= LISTPACK_VALUE, (response, len(value))
    # the JSON record it replaces did not fit: every value made the hash a hashtable
    assert len(log_record(AnswerEvent(200, ITEM, SingleChoiceResponse("e"), NOW_MS))) > 64
