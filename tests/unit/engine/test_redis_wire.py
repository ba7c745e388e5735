"""What the Redis code builds and parses itself: large commands packed byte for byte as
hiredis packs them, and XREADGROUP replies read the same whether hiredis or redis-py parsed
them (engine/redis_adapter/connections.py, engine/redis_adapter/stream_consumer.py)."""

from __future__ import annotations

from typing import Any

import hiredis
from hypothesis import given
from hypothesis import strategies as st

from engine.redis_adapter.streams import stream_entries
from engine.redis_adapter.wire import pack_bulky

arguments = st.one_of(
    st.text(max_size=40), st.binary(max_size=300), st.integers(-(2**63), 2**63 - 1)
)


@given(st.lists(arguments, min_size=1, max_size=12))
def test_bulky_packing_is_what_hiredis_sends(command: list[Any]) -> None:
    assert pack_bulky(tuple(command)) == hiredis.pack_command(tuple(command))


def test_bulky_packing_carries_a_large_argument_whole() -> None:
    blob = bytes(range(256)) * 2000
    command = ("XADD", "s:{1}:telemetry", "*", b"m", blob)
    assert pack_bulky(command) == hiredis.pack_command(command)
    reader = hiredis.Reader()
    reader.feed(pack_bulky(command))  # a request is an array of bulk strings, as a reply is
    assert reader.gets() == [b"XADD", b"s:{1}:telemetry", b"*", b"m", blob]


fields = st.dictionaries(
    st.binary(min_size=1, max_size=8), st.binary(max_size=30), min_size=1, max_size=6
)
entries = st.lists(st.tuples(st.binary(min_size=3, max_size=20), st.none() | fields), max_size=20)


@given(entries)
def test_stream_replies_read_the_same_from_hiredis_and_redis_py(
    written: list[tuple[bytes, dict[bytes, bytes] | None]],
) -> None:
    flat = [[i, None if f is None else [x for pair in f.items() for x in pair]] for i, f in written]
    by_hiredis = [[b"stream", flat]]
    by_redis_py = [[b"stream", [(i, f or {}) for i, f in written]]]
    expected = [(i, f) for i, f in written if f]  # entries deleted since are left out
    assert stream_entries(by_hiredis) == expected
    assert stream_entries(by_redis_py) == expected


def test_no_reply_is_no_entries() -> None:
    assert stream_entries(None) == []
    assert stream_entries([]) == []
