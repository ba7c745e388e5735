"""Sitting keys (engine/redis_adapter/keys.py): ids carry their shard, shards spread evenly over the
cluster's slots whatever their number, and every key of a sitting shares one slot."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from engine.redis_adapter.keys import CLUSTER_SLOTS, MAX_SHARDS, KeySpace, new_sitting_id, shard_of


@given(st.integers(1, MAX_SHARDS), st.integers(1, MAX_SHARDS))
def test_a_minted_id_keeps_its_shard_whatever_the_count_later(minted: int, later: int) -> None:
    sitting = new_sitting_id(minted)
    assert sitting.version == 8 and sitting.variant == uuid.RFC_4122
    assert shard_of(sitting, later) == shard_of(sitting, minted) < minted


def test_ids_minted_before_are_placed_as_they_were() -> None:
    old = uuid.uuid4()
    assert shard_of(old, 16) == old.int % 16


@pytest.mark.parametrize("shards", [1, 2, 3, 4, 6, 8, 16, 48, 64, 100, 256, 1024])
def test_the_first_n_shards_spread_over_the_slot_space(shards: int) -> None:
    ks = KeySpace("uj", shards)
    slots = sorted(key_slot(ks.answer_stream(n).encode()) for n in range(shards))
    assert len(set(slots)) == shards
    # split the slots into three even ranges, as a three-primary cluster does: each range
    # holds its share of the shards, exactly for a power of two (give or take the one the
    # division leaves over), within a few for other counts (bit-reversed order has a
    # discrepancy of the order of log2 N)
    thirds = [sum(lo <= s < lo + CLUSTER_SLOTS // 3 + 1 for s in slots) for lo in (0, 5462, 10923)]
    power_of_two = shards & (shards - 1) == 0
    assert max(thirds) - min(thirds) <= (1 if power_of_two else shards.bit_length())


@given(st.integers(1, 64))
def test_every_key_of_a_sitting_is_in_its_shards_slot(shards: int) -> None:
    ks = KeySpace("uj", shards)
    sitting = new_sitting_id(shards)
    keys = ks.for_sitting(sitting)
    slots = {key_slot(k.encode()) for k in (keys.session, keys.answers, keys.stream)}
    slots |= {key_slot(k.encode()) for k in (keys.deadlines, keys.grading)}
    assert slots == {key_slot(ks.telemetry_stream(shard_of(sitting, shards)).encode())}


@pytest.mark.parametrize("shards", [0, MAX_SHARDS + 1])
def test_a_shard_count_out_of_range_is_refused(shards: int) -> None:
    with pytest.raises(ValueError, match="shards"):
        KeySpace("uj", shards)
