"""The load generator's own rules: what a simulated student sends, and how a run is judged."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.loadgen.integrity import compare
from bench.loadgen.stats import Stats, percentiles
from bench.loadgen.student import Ledger, Scenario, _schedule
from bench.loadgen.workload import (
    Event,
    batches,
    conversation_mix,
    page_conversation,
    plan_events,
    response_for,
    workload_items,
)

KINDS = ("single_choice", "multiple_response", "numeric", "short_text")


def _paper(n: int) -> list[dict[str, Any]]:
    options = [{"id": c, "text": c} for c in "abcde"]
    return [{"id": f"i{k}", "kind": KINDS[k % 4], "options": options} for k in range(n)]


def test_the_workload_exam_is_the_one_workload_md_names() -> None:
    items = workload_items()
    kinds = [i["kind"] for i in items]
    assert len(items) == 150
    assert [kinds.count(k) for k in KINDS] == [120, 15, 10, 5]
    assert all(len(i["options"]) == 5 for i in items if i["kind"] == "single_choice")


@given(n=st.integers(1, 160), seed=st.integers(0, 2**32))
def test_every_item_once_then_a_third_again_with_contiguous_seqs(n: int, seed: int) -> None:
    paper = _paper(n)
    events = plan_events(paper, random.Random(seed))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len(events) == n + n // 3
    first_seen: dict[str, int] = {}
    for e in events:
        first_seen.setdefault(e.item, e.seq)
    assert set(first_seen) == {i["id"] for i in paper}
    # first answers follow the paper's order; a change always comes after the first answer
    assert sorted(first_seen, key=first_seen.__getitem__) == [i["id"] for i in paper]
    kinds = {i["id"]: i["kind"] for i in paper}
    assert all(e.response is not None and e.response["kind"] == kinds[e.item] for e in events)


@given(n=st.integers(1, 300), seed=st.integers(0, 2**32))
def test_batches_are_one_to_five_and_keep_every_event_in_order(n: int, seed: int) -> None:
    events = [Event(k + 1, "x", None) for k in range(n)]
    split = batches(events, random.Random(seed))
    assert all(1 <= len(b) <= 5 for b in split)
    assert [e for b in split for e in b] == events


@given(seed=st.integers(0, 2**32))
def test_answers_of_a_multiple_response_item_are_options_of_it(seed: int) -> None:
    item = _paper(2)[1]
    response = response_for(item, random.Random(seed))
    assert 1 <= len(response["choices"]) <= 3
    assert set(response["choices"]) <= set("abcde")


@given(
    n_batches=st.integers(1, 80),
    window=st.floats(1, 600),
    seed=st.integers(0, 2**32),
    conversation=st.sampled_from(["page", "legacy"]),
)
def test_schedule_sends_every_batch_within_the_window(
    n_batches: int, window: float, seed: int, conversation: str
) -> None:
    events = [Event(k + 1, "x", None) for k in range(n_batches * 2)]
    split = [events[k : k + 2] for k in range(0, len(events), 2)]
    scenario = Scenario(answer_window_s=window, telemetry=True, conversation=conversation)
    plan = _schedule(split, scenario, random.Random(seed))
    times = [at for at, _, _, _ in plan]
    assert times == sorted(times) and all(0 <= t <= window for t in times)
    answers = [upto for _, kind, upto, _ in plan if kind == "answers"]
    assert answers == sorted(answers) and answers[-1] == len(events)
    kinds = {kind for _, kind, _, _ in plan}
    legacy = {"answers", "timer", "telemetry"}
    assert kinds <= ({"answers", "heartbeat"} if conversation == "page" else legacy)


@given(
    gaps=st.lists(st.floats(0.01, 200), min_size=1, max_size=60),
    window_after=st.floats(0, 200),
    beat=st.floats(1, 60),
)
def test_the_page_sends_a_heartbeat_only_after_a_beat_of_silence(
    gaps: list[float], window_after: float, beat: float
) -> None:
    """The page's conversation (engine/web/static/student.js): every answer batch, and a
    heartbeat exactly when ``beat`` seconds passed since the last request; the page is never
    silent longer; the first request carries the telemetry queued as the paper opened, and with
    the telemetry tick equal to the beat every heartbeat carries some."""
    at, answers = 0.0, []
    for k, gap in enumerate(gaps):
        at += gap
        answers.append((at, k + 1))
    window = at + window_after
    page = page_conversation(answers, window, beat, beat)
    assert [r.upto for r in page if r.kind == "answers"] == [u for _, u in answers]
    times = [0.0, *(r.at for r in page)]
    assert all(b - a <= beat + 1e-6 for a, b in itertools.pairwise(times))
    assert window - times[-1] <= beat + 1e-6
    for before, request in zip(times[:-1], page, strict=True):
        if request.kind == "heartbeat":
            assert request.at - before == pytest.approx(beat)
            assert request.telemetry
    assert page[0].telemetry


def test_the_page_mix_is_answer_batches_and_heartbeats() -> None:
    """The steady-state mix bench_workload.py measures: ~67 answer batches (about half carry
    telemetry) and a heartbeat for every 30 s without a request, ~393 requests per student in
    180 minutes, against 607 in the page's conversation before the heartbeat."""
    mix = conversation_mix(students=100)
    assert set(mix) == {"answers", "answers_telemetry", "heartbeat_telemetry"}
    assert 60 <= mix["answers"] + mix["answers_telemetry"] <= 75
    assert 300 <= mix["heartbeat_telemetry"] <= 350
    assert sum(mix.values()) < 0.7 * (67 + 360 + 180)


@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=200))
def test_percentiles_are_ordered_and_bounded(values: list[float]) -> None:
    p50, p95, p99, top = percentiles(values)
    assert min(values) <= p50 <= p95 <= p99 <= top == max(values)


def test_stats_count_errors_by_endpoint_and_code() -> None:
    stats = Stats()
    stats.record("answers", 0.010, True)
    stats.record("answers", 0.020, False, "503 internal_error")
    stats.record("timer", 0.001, False, "connection ClientOSError")
    summary = stats.summary()
    assert summary.requests == 3
    assert summary.errors == {"answers 503 internal_error": 1, "timer connection ClientOSError": 1}
    answers = next(e for e in summary.endpoints if e.endpoint == "answers")
    assert (answers.requests, answers.ok) == (2, 1)


def test_stats_rates_over_the_seconds_given() -> None:
    """A bench phase that alternates with another reports its rate over its own seconds."""
    stats = Stats()
    for _ in range(30):
        stats.record("answers", 0.002, True)
    own = stats.summary(seconds=3.0)
    assert own.rate_s == 10.0
    assert own.endpoints[0].rate_s == 10.0
    # without them, over the time since the run began (far less than 3 s here)
    assert stats.summary().rate_s > own.rate_s


def test_integrity_counts_lost_wrong_and_duplicated_rows() -> None:
    choice = {"kind": "single_choice", "choice": "a"}
    ledger = Ledger(
        events={
            "s1": [
                Event(1, "i1", choice),
                Event(2, "i2", None),
                Event(3, "i3", choice),
                Event(4, "i4", choice),
            ]
        },
        acked={"s1": 3},
    )
    rows = [
        {"sitting_id": "s1", "seq": 1, "item_id": "i1", "response": choice},
        {"sitting_id": "s1", "seq": 1, "item_id": "i1", "response": choice},  # twice
        {
            "sitting_id": "s1",
            "seq": 2,
            "item_id": "i2",
            "response": {"kind": "single_choice", "choice": "b"},
        },  # not what was sent
        # seq 3 missing: acknowledged and lost; seq 4 was never acknowledged
    ]
    assert compare(ledger, rows) == (3, 1, 1, 1)
    # multiple-response choices are a set: stored in another order is the same answer
    mr = {"kind": "multiple_response", "choices": ["a", "c"]}
    ledger = Ledger(events={"s": [Event(1, "i", mr)]}, acked={"s": 1})
    stored = {"kind": "multiple_response", "choices": ["c", "a"]}
    assert compare(ledger, [{"sitting_id": "s", "seq": 1, "item_id": "i", "response": stored}]) == (
        1,
        0,
        0,
        0,
    )
