"""The per-sitting state machine: one scenario per rule, and Hypothesis properties."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from proctoring.flags import Flag
from proctoring.heuristics import (
    AnswerSaved,
    ItemContext,
    SittingEvent,
    SittingState,
    current_flags,
    step,
)
from proctoring.telemetry import (
    Blur,
    Device,
    Focus,
    FullscreenExit,
    Heartbeat,
    IpObserved,
    Network,
    Paste,
    Visibility,
)
from proctoring.thresholds import Thresholds

TH = Thresholds()
ITEMS = {
    f"q{i}": ItemContext(mean_time_s=60.0, median_time_s=50.0, p_value=0.2 if i < 5 else 0.7)
    for i in range(40)
}


def run(
    events: list[tuple[str, SittingEvent]], th: Thresholds = TH
) -> tuple[SittingState, list[Flag]]:
    state = SittingState(sitting="s1")
    fired: list[Flag] = []
    for session, ev in events:
        state, new = step(state, session, ev, ITEMS, th)
        fired.extend(new)
    return state, fired


def rules(flags: list[Flag]) -> list[str]:
    return [f.rule for f in flags]


def test_time_away_single_absence() -> None:
    state, fired = run(
        [("tab1", Heartbeat(ts=0)), ("tab1", Blur(ts=1_000)), ("tab1", Focus(ts=71_000))]
    )
    assert rules(fired) == ["time_away"]
    assert fired[0].statistic == 70.0 and fired[0].threshold == TH.away_single_s
    assert state.away_ms == 70_000


def test_short_glances_add_up_to_time_away() -> None:
    evs: list[tuple[str, SittingEvent]] = []
    for k in range(5):  # five 25 s absences = 125 s > 120 s
        evs += [
            ("tab1", Visibility(ts=k * 100_000, state="hidden")),
            ("tab1", Visibility(ts=k * 100_000 + 25_000, state="visible")),
        ]
    state, fired = run(evs)
    assert rules(fired) == ["time_away"] and fired[0].statistic == 125.0
    assert len(fired[0].evidence) == 5 and state.longest_away_ms == 25_000


def test_paste_into_answer_needs_length_and_an_item() -> None:
    _, fired = run(
        [
            ("tab1", Paste(ts=1, length=5, item="q1")),
            ("tab1", Paste(ts=2, length=500, item=None)),
            ("tab1", Paste(ts=3, length=300, item="q2")),
        ]
    )
    assert rules(fired) == ["paste_into_answer"]
    assert fired[0].evidence[0].ts == 3  # type: ignore[union-attr]


def test_ip_and_device_changes() -> None:
    ips = [("tab1", IpObserved(ts=i, ip=f"10.0.0.{i}")) for i in range(4)]
    _, fired = run(
        [
            *ips,
            ("tab1", Device(ts=9, fingerprint="fp_aaaaaaaa")),
            ("tab1", Device(ts=10, fingerprint="fp_aaaaaaaa")),
            ("tab1", Device(ts=11, fingerprint="fp_bbbbbbbb")),
        ]
    )
    assert rules(fired) == ["ip_change", "device_change"]
    assert fired[0].statistic == 4


def test_overlapping_sessions() -> None:
    _, ok = run(
        [("tab1", Heartbeat(ts=0)), ("tab2", Heartbeat(ts=1_000)), ("tab2", Heartbeat(ts=30_000))]
    )  # a reload: the old page is gone
    assert ok == []
    _, fired = run(
        [("tab1", Heartbeat(ts=0)), ("tab2", Heartbeat(ts=1_000)), ("tab1", Heartbeat(ts=2_000))]
    )
    assert rules(fired) == ["overlapping_session"]


def test_answers_while_hidden() -> None:
    evs: list[tuple[str, SittingEvent]] = [("tab1", Visibility(ts=0, state="hidden"))]
    evs += [("tab1", AnswerSaved(ts=1_000 * i, item=f"q{i}", response="A")) for i in (1, 2)]
    _, fired = run(evs)
    assert "answer_while_hidden" in rules(fired)


def test_fullscreen_exits() -> None:
    _, fired = run([("tab1", FullscreenExit(ts=i)) for i in range(3)])
    assert rules(fired) == ["fullscreen_exit"]


def test_rapid_guessing_by_nt10_and_rte() -> None:
    # NT10 threshold = min(.1 * 60, 10) = 6 s; 4 of 20 first answers in 2 s -> RTE .8 < .9
    evs: list[tuple[str, SittingEvent]] = [("tab1", Heartbeat(ts=0))]
    t = 0
    for i in range(20):
        t += 2_000 if i % 5 == 0 else 40_000
        evs.append(("tab1", AnswerSaved(ts=t, item=f"q{i + 5}", response="B", correct=False)))
    _, fired = run(evs)
    assert rules(fired) == ["rapid_guessing"]
    assert fired[0].statistic == 0.8 and fired[0].direction == "below"


def test_fast_correct_on_hard_items() -> None:
    # q0..q4 are hard (p = .2); 10 s < .33 * 50 s median, and correct
    evs: list[tuple[str, SittingEvent]] = [("tab1", Heartbeat(ts=0))]
    evs += [
        ("tab1", AnswerSaved(ts=10_000 * (i + 1), item=f"q{i}", response="C", correct=True))
        for i in range(3)
    ]
    _, fired = run(evs)
    assert rules(fired) == ["fast_correct_hard"]


def test_wrong_to_right_changes() -> None:
    evs: list[tuple[str, SittingEvent]] = []
    for i in range(6):
        evs.append(
            ("tab1", AnswerSaved(ts=100_000 * i, item=f"q{i + 10}", response="A", correct=False))
        )
    for i in range(6):
        evs.append(
            ("tab1", AnswerSaved(ts=10**6 + i, item=f"q{i + 10}", response="D", correct=True))
        )
    state, fired = run(evs)
    assert rules(fired) == ["wrong_to_right_changes"]
    assert all(t.changes == 1 for t in state.items.values())


ts_gap = st.integers(0, 120_000)
event_kinds = st.sampled_from(
    ["blur", "focus", "hidden", "visible", "paste", "ip", "device", "answer", "net", "fs", "hb"]
)


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[str, SittingEvent]]:
    out: list[tuple[str, SittingEvent]] = []
    t = 0
    for kind in draw(st.lists(event_kinds, max_size=60)):
        t += draw(ts_gap)
        session = draw(st.sampled_from(["tab1", "tab2"]))
        item = f"q{draw(st.integers(0, 39))}"
        ev: SittingEvent
        match kind:
            case "blur":
                ev = Blur(ts=t)
            case "focus":
                ev = Focus(ts=t)
            case "hidden" | "visible":
                ev = Visibility(ts=t, state="hidden" if kind == "hidden" else "visible")
            case "paste":
                ev = Paste(ts=t, length=draw(st.integers(0, 100)), item=item)
            case "ip":
                ev = IpObserved(ts=t, ip=f"10.0.0.{draw(st.integers(0, 6))}")
            case "device":
                ev = Device(ts=t, fingerprint=f"fp_{draw(st.integers(0, 2)):08d}")
            case "answer":
                ev = AnswerSaved(
                    ts=t,
                    item=item,
                    response=draw(st.sampled_from("ABCD")),
                    correct=draw(st.booleans() | st.none()),
                )
            case "net":
                ev = Network(ts=t, online=draw(st.booleans()))
            case "fs":
                ev = FullscreenExit(ts=t)
            case _:
                ev = Heartbeat(ts=t)
        out.append((session, ev))
    return out


_state_codec = msgspec.msgpack.Decoder(SittingState)


@given(streams())
@settings(max_examples=200, deadline=None)
def test_state_machine_properties(events: list[tuple[str, SittingEvent]]) -> None:
    state, fired = run(events)
    names = rules(fired)
    assert len(names) == len(set(names))  # every rule fires at most once
    assert set(names) == set(state.fired)
    assert {f.rule for f in current_flags(state, TH)} <= state.fired
    if state.started_at is not None:
        assert 0 <= state.away_ms <= state.last_ts - state.started_at
        assert state.offline_ms <= state.last_ts - state.started_at
    assert all(len(v) <= 20 for v in state.evidence.values())
    # the state survives the trip through Redis unchanged
    assert _state_codec.decode(msgspec.msgpack.encode(state)) == state


@given(streams(), st.integers(0, 60))
@settings(max_examples=100, deadline=None)
def test_state_is_a_fold(events: list[tuple[str, SittingEvent]], cut: int) -> None:
    # resuming from a stored state mid-stream gives the same result as one pass
    whole, _ = run(events)
    first, _ = run(events[:cut])
    stored = _state_codec.decode(msgspec.msgpack.encode(first))
    for session, ev in events[cut:]:
        stored, _ = step(stored, session, ev, ITEMS, TH)
    assert stored == whole
