"""The pure parts of the engine's integrity adapter: stream entries, the redelivery-safe fold
and the forensics matrices."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.integrity import repository_forensics
from engine.integrity.context import VersionContext
from engine.integrity.live import LiveState, fold
from engine.integrity.matrices import assemble, labels
from engine.integrity.models import AnswerEvent, FinishedSitting
from engine.integrity.stream import AnswerCopy, TelemetryEntry, parse, telemetry_fields
from grading.keys import SingleChoiceKey
from proctoring.heuristics import SittingState
from proctoring.telemetry import Blur, Focus, IpObserved, Paste, Visibility
from proctoring.thresholds import DEFAULT_THRESHOLDS

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CTX = VersionContext(
    exam_id=uuid.uuid4(),
    thresholds=DEFAULT_THRESHOLDS,
    items={},
    keys={f"q{i}": SingleChoiceKey(correct="a") for i in range(4)},
)

events = st.one_of(
    st.builds(Blur, ts=st.integers(0, 10**7)),
    st.builds(Focus, ts=st.integers(0, 10**7)),
    st.builds(Visibility, ts=st.integers(0, 10**7), state=st.sampled_from(["visible", "hidden"])),
    st.builds(
        Paste,
        ts=st.integers(0, 10**7),
        length=st.integers(0, 500),
        item=st.sampled_from([None, "q0", "q1"]),
    ),
    st.builds(IpObserved, ts=st.integers(0, 10**7), ip=st.sampled_from(["10.0.0.1", "10.0.0.2"])),
)
telemetry = st.builds(
    TelemetryEntry,
    sitting=st.just("s1"),
    version=st.just("v1"),
    session=st.sampled_from(["page-aaaa", "page-bbbb"]),
    batch_seq=st.integers(0, 5),
    received_ms=st.integers(0, 10**7),
    events=st.lists(events, max_size=5).map(tuple),
)
answers = st.builds(
    AnswerCopy,
    sitting=st.just("s1"),
    version=st.just("v1"),
    seq=st.integers(1, 30),
    item=st.sampled_from(["q0", "q1", "q2", "q3"]),
    payload=st.sampled_from(
        [
            b'{"seq":1,"response":{"kind":"single_choice","choice":"a"}}',
            b'{"seq":1,"response":{"kind":"single_choice","choice":"b"}}',
            b'{"seq":1,"response":null}',
        ]
    ),
    ts=st.integers(0, 10**7),
)


@given(telemetry)
def test_telemetry_entries_round_trip(entry: TelemetryEntry) -> None:
    assert parse(telemetry_fields(entry)) == entry


def test_unknown_entry_kinds_are_skipped() -> None:
    assert parse({b"k": b"z", b"m": b""}) is None


@settings(max_examples=150)
@given(st.lists(st.one_of(telemetry, answers), max_size=12))
def test_folding_the_same_entries_twice_changes_nothing(
    work: list[TelemetryEntry | AnswerCopy],
) -> None:
    start = LiveState(state=SittingState(sitting="s1"))
    once, _ = fold(start, work, CTX)
    twice, fired_again = fold(once, work, CTX)
    assert fired_again == 0
    assert msgspec.msgpack.encode(twice) == msgspec.msgpack.encode(once)
    # and the state survives its trip through Redis
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(once), type=LiveState) == once


def test_answer_correctness_comes_from_the_keys() -> None:
    hidden = TelemetryEntry(
        sitting="s1",
        version="v1",
        session="page-aaaa",
        batch_seq=0,
        received_ms=0,
        events=(Visibility(ts=10, state="hidden"),),
    )
    right = AnswerCopy(
        "s1", "v1", 1, "q0", b'{"seq":1,"response":{"kind":"single_choice","choice":"a"}}', 20
    )
    wrong = AnswerCopy(
        "s1", "v1", 2, "q1", b'{"seq":2,"response":{"kind":"single_choice","choice":"c"}}', 30
    )
    live, fired = fold(LiveState(state=SittingState(sitting="s1")), [hidden, right, wrong], CTX)
    assert fired == 1 and live.answer_seq == 2
    (flagged,) = live.state.fired
    assert flagged == "answer_while_hidden"
    ev = live.state.evidence["answer_while_hidden"]
    assert [(e.item, e.correct) for e in ev] == [("q0", True), ("q1", False)]  # type: ignore[union-attr]


def _rows(
    answers: list[tuple[str, int, str, str | None, int]], start: datetime
) -> list[AnswerEvent]:
    return [
        AnswerEvent(
            sitting_id=s,  # type: ignore[arg-type]  # ids as short text, read back as text
            seq=q,
            item_id=i,
            response=None if c is None else {"kind": "single_choice", "choice": c},
            client_ts=t,
            server_ts=start + timedelta(seconds=q * 10),
        )
        for s, q, i, c, t in answers
    ]


def _sitting(sid: str, org: str, klass: str | None, **seat: Any) -> FinishedSitting:
    return FinishedSitting(sid, org, klass, T0, **seat)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statement", "struct"),
    [
        (repository_forensics.FINISHED_SITTINGS, FinishedSitting),
        (repository_forensics.FINISHED_ANSWERS, AnswerEvent),
    ],
)
def test_the_large_reads_select_their_structs_fields_in_order(statement: str, struct: type) -> None:
    """The repository builds these Structs from each row by position."""
    selected = statement.split("SELECT", 1)[1].split("\nFROM", 1)[0]
    columns = [re.split(r"\s+AS\s+|\.", c.strip())[-1] for c in selected.split(",")]
    assert columns == [f.name for f in msgspec.structs.fields(struct)]


def test_matrices_by_hand() -> None:
    t0 = T0
    sittings = [_sitting("s1", "A", "c1"), _sitting("s2", "A", None)]
    rows = _rows(
        [
            ("s1", 1, "q1", "b", 5_000),
            ("s1", 2, "q2", "c", 35_000),
            ("s1", 3, "q1", "a", 36_000),  # changed b → a, 1 s more on q1
            ("s2", 1, "q2", "x", 0),
        ],
        t0,
    )  # an option the item does not have
    arrays = assemble(
        {"q1": ["a", "b", "c"], "q2": ["c", "a"], "q3": ["a"]},
        {"q1": "a", "q2": "a", "q3": "a"},
        sittings,
        rows,
        {"s1": "10.1.2.3", "s2": "10.1.2.99"},
    )
    assert arrays is not None
    assert arrays.items == ["q1", "q2", "q3"] and arrays.n_options == 3
    assert arrays.key.tolist() == [0, 1, 0]
    assert arrays.responses.tolist() == [[0, 0, -1], [-1, -1, -1]]
    assert arrays.changed.tolist() == [[True, False, False], [False, False, False]]
    # s1: q1 = 10 s from the start (server clock) + 1 s (page clock); q2 = 30 s (page clock)
    assert arrays.times[0, :2].tolist() == [11.0, 30.0] and np.isnan(arrays.times[1]).all()
    assert arrays.answered_at[0, 0] == (t0 + timedelta(seconds=30)).timestamp()
    assert arrays.blocks["school"].tolist() == [0, 0]
    assert arrays.blocks["room"].tolist() == [0, -1]
    assert arrays.blocks["ip"].tolist() == [0, 1]
    assert arrays.blocks["subnet"].tolist() == [0, 0]
    assert arrays.options["q2"] == ["c", "a"]
    assert arrays.seats is not None and np.isnan(arrays.seats).all()  # nobody was seated


def test_matrices_take_the_allocated_room_and_seat() -> None:
    t0 = T0
    # s1 and s3 are seated in lab L (rows of 6) in the morning session; s2 is not seated (its
    # class, named like the lab, is its block); s4 sits in lab L in the afternoon session
    lab = {"seat_room": "L", "seat_columns": 6, "seat_room_name": "Lab 1"}
    sittings = [
        _sitting("s1", "A", "c1", seat=8, seat_session="am", **lab),
        _sitting("s2", "A", "L"),
        _sitting("s3", "A", "c2", seat=6, seat_session="am", **lab),
        _sitting("s4", "A", "c1", seat=7, seat_session="pm", **lab),
    ]
    rows = _rows(
        [
            ("s1", 1, "q1", "a", 0),
            ("s2", 1, "q1", "a", 0),
            ("s3", 1, "q2", "a", 0),
            ("s4", 1, "q2", "a", 0),
        ],
        t0,
    )
    arrays = assemble(
        {"q1": ["a", "b"], "q2": ["a", "b"]}, {"q1": "a", "q2": "b"}, sittings, rows, {}
    )
    assert arrays is not None and arrays.seats is not None
    room = arrays.blocks["room"].tolist()
    # the morning's two together; the unseated class and the afternoon's sitting apart, though
    # the afternoon's seat 7 is right beside the morning's seat 8
    assert room[0] == room[2] and len({room[0], room[1], room[3]}) == 3
    # seat 8 of rows of 6 is row 1, column 1; seat 6 is row 0, column 5
    assert arrays.seats[0].tolist() == [1.0, 1.0] and arrays.seats[2].tolist() == [0.0, 5.0]
    assert np.isnan(arrays.seats[1]).all()
    # the seats in words, as the room list prints them
    assert arrays.places == [("R2-C2", "Lab 1"), None, ("R1-C6", "Lab 1"), ("R2-C1", "Lab 1")]


@given(st.lists(st.one_of(st.none(), st.sampled_from("abc")), max_size=30))
def test_labels_group_equal_values_and_leave_unknowns_alone(values: list[str | None]) -> None:
    lab = labels(values)
    assert all((lab[i] == -1) == (v is None) for i, v in enumerate(values))
    for i, v in enumerate(values):
        for j, w in enumerate(values):
            if v is not None and w is not None:
                assert (lab[i] == lab[j]) == (v == w)
