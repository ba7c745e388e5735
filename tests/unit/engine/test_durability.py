"""What a durable acknowledgement asks of Redis, read from the settings (ADR 0019)."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.redis_adapter.durability import Durability
from engine.settings import Settings


def test_the_setting_is_read_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "UJIAN_REDIS_ACK_DURABILITY": "replica",
            "UJIAN_REDIS_ACK_REPLICAS": "2",
            "UJIAN_REDIS_ACK_TIMEOUT_MS": "250",
        }
    )
    d = Durability(s.redis_ack_durability, s.redis_ack_replicas, s.redis_ack_timeout_ms)
    assert d.on and d.command() == ("WAIT", 2, 250)
    assert not Durability(Settings().redis_ack_durability).on


def test_an_unknown_mode_is_refused_at_start() -> None:
    with pytest.raises(Exception, match="redis_ack_durability"):
        Settings.from_env({"UJIAN_REDIS_ACK_DURABILITY": "quorum"})


@pytest.mark.parametrize(
    ("mode", "replicas", "timeout_ms"), [("replica", 0, 500), ("replica", 1, 0), ("aof", 0, 0)]
)
def test_a_wait_that_would_wait_for_nothing_or_for_ever_is_refused(
    mode: Literal["replica", "aof"], replicas: int, timeout_ms: int
) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Durability(mode, replicas, timeout_ms)
    Durability("none", replicas, timeout_ms)  # not asked for: not checked
    Durability("aof", 0, 500)  # the local AOF alone


@given(asked=st.integers(1, 5), counted=st.integers(0, 6))
def test_wait_holds_when_it_counts_as_many_replicas_as_asked(asked: int, counted: int) -> None:
    assert Durability("replica", asked).held(counted) is (counted >= asked)


@given(asked=st.integers(1, 5), local=st.integers(0, 1), counted=st.integers(0, 6))
def test_waitaof_needs_the_local_fsync_and_the_replicas(
    asked: int, local: int, counted: int
) -> None:
    d = Durability("aof", asked)
    assert d.command() == ("WAITAOF", 1, asked, 500)
    assert d.held([local, counted]) is (local == 1 and counted >= asked)
