"""The router's threshold and hysteresis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.overflow.routing import Router

utilisations = st.lists(st.floats(0.0, 1.0), max_size=200)


@given(st.floats(0.0, 0.70))
def test_at_or_below_threshold_a_local_router_stays_local(u: float) -> None:
    router = Router(0.70, 0.10)
    assert router.decide(u) == "local" and router.switches == 0


@given(st.floats(0.7001, 1.0))
def test_past_threshold_jobs_go_remote(u: float) -> None:
    assert Router(0.70, 0.10).decide(u) == "remote"


@given(st.lists(st.floats(0.60, 1.0), max_size=200))
def test_once_remote_it_stays_remote_until_below_the_release_point(us: list[float]) -> None:
    router = Router(0.70, 0.10)
    router.decide(0.9)
    assert all(router.decide(u) == "remote" for u in us)
    assert router.switches == 1
    assert router.decide(0.5999) == "local"


@given(st.lists(st.floats(0.62, 0.78), max_size=300))
def test_noise_around_the_threshold_switches_at_most_once(us: list[float]) -> None:
    # utilisation hovering ±0.08 around 0.70 never enters the release zone below 0.60
    router = Router(0.70, 0.10)
    for u in us:
        router.decide(u)
    assert router.switches <= 1


@given(utilisations)
def test_every_switch_is_justified(us: list[float]) -> None:
    router = Router(0.70, 0.10)
    for u in us:
        before = router.route
        after = router.decide(u)
        if before != after:
            assert (after == "remote" and u > 0.70) or (after == "local" and u < 0.60)


@given(utilisations)
def test_without_hysteresis_the_route_is_the_threshold_test(us: list[float]) -> None:
    router = Router(0.70, 0.0)
    for u in us:
        route = router.decide(u)
        if u > 0.70:
            assert route == "remote"
        elif u < 0.70:
            assert route == "local"


def test_hysteresis_must_fit_below_the_threshold() -> None:
    with pytest.raises(ValueError):
        Router(0.70, 0.80)
    with pytest.raises(ValueError):
        Router(0.70, -0.1)
