"""The persister's COPY rows (engine/workers/persister.py): one per stored event, whatever
format each entry has, with its exam, sitting and server time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from engine.sittings.models import AnswerEvent
from engine.workers.consumer import Entry
from engine.workers.persister import rows_from_entries
from tests.unit.engine.test_answer_stream import answer_batches, legacy_entries, scripted_entry

VERSIONS = {f"v-{n}": uuid.UUID(int=n + 1) for n in range(3)}

batch_of = st.tuples(
    st.sampled_from(["s-1", "s-2", "s-3"]),
    st.sampled_from(sorted(VERSIONS)),
    st.integers(0, 2**45),
    answer_batches(),
    st.booleans(),
)


@given(st.lists(batch_of, max_size=12))
def test_every_event_of_every_entry_becomes_one_row_in_order(
    written: list[tuple[str, str, int, list[AnswerEvent], bool]],
) -> None:
    entries: list[Entry] = []
    expected = []
    for sitting, version, now_ms, events, legacy in written:
        entries += (
            legacy_entries(sitting, version, now_ms, events)
            if legacy
            else [scripted_entry(sitting, version, now_ms, events)]
        )
        when = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
        expected += [(VERSIONS[version], sitting, e.seq, e.item, e.client_ts, when) for e in events]
    exams = {v.encode(): exam for v, exam in VERSIONS.items()}
    rows = rows_from_entries(entries, exams)
    assert [(r[0], r[1], r[2], r[3], r[5], r[6]) for r in rows] == expected
    # the response goes to COPY as the JSON the API encoded, untouched
    responses = [bytes(r[4]) for r in rows]
    assert responses == [_json_of(e) for *_, events, _ in written for e in events]


def _json_of(event: AnswerEvent) -> bytes:
    return msgspec.json.encode(event.response)
