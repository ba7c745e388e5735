"""The score histogram's bins, the per-question chart and an answer timeline: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import defusedxml.ElementTree as ET
from hypothesis import given
from hypothesis import strategies as st

from engine.web.charts import score_bins, score_histogram_svg
from engine.web.item_chart import ItemPoint, item_chart_svg
from engine.web.timeline import AnswerEvent, timeline

SVG = "{http://www.w3.org/2000/svg}"


@given(st.integers(1, 60), st.data())
def test_whole_scores_get_a_bar_per_score_up_to_the_maximum(top: int, data: st.DataObject) -> None:
    scores = data.draw(st.lists(st.integers(0, top), min_size=2, max_size=60))
    lefts, counts, whole = score_bins([float(s) for s in scores], float(top))
    assert whole and lefts == [float(i) for i in range(top + 1)]
    assert counts == [scores.count(i) for i in range(top + 1)]
    mean = sum(scores) / len(scores)
    svg = ET.fromstring(score_histogram_svg(scores, top, mean=mean, pass_points=top / 2))
    bars = svg.findall(f"{SVG}g/{SVG}rect")
    assert [int(b.get("data-count")) for b in bars] == counts
    assert svg.find(f"{SVG}g[@class='mean']") is not None
    assert svg.find(f"{SVG}g[@class='pass']") is not None


@given(st.lists(st.floats(0, 37.5), min_size=2, max_size=80))
def test_fractional_scores_fill_twenty_bins_top_included(scores: list[float]) -> None:
    _, counts, whole = score_bins(scores, 37.5)
    if all(s.is_integer() for s in scores):
        return
    assert not whole and len(counts) == 20 and sum(counts) == len(scores)


def test_too_few_scores_draw_no_bars() -> None:
    assert "<rect" not in score_histogram_svg([3.0], 4.0, mean=3.0, pass_points=None)
    assert "Belum cukup" in score_histogram_svg([], 4.0, mean=None, pass_points=None)
    assert "Not enough" in score_histogram_svg([], 4.0, mean=None, pass_points=None, lang="en")


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(-100, 100), st.integers(0, 4)), max_size=40))
def test_the_item_chart_has_a_dot_per_question_inside_the_frame(
    values: list[tuple[float, float, int]],
) -> None:
    points = [ItemPoint(f"i{n}", n + 1, f, d, s) for n, (f, d, s) in enumerate(values)]
    root = ET.fromstring(item_chart_svg(points))
    dots = root.findall(f"{SVG}g/{SVG}g")
    assert [d.get("data-item") for d in dots] == [p.item_id for p in points]
    for dot in dots:
        circle = dot.find(f"{SVG}circle")
        assert 0 <= float(circle.get("cx")) <= 640 and 0 <= float(circle.get("cy")) <= 360


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 600)), max_size=30))
def test_timeline_times_add_up_and_count_changes(answers: list[tuple[str, int]]) -> None:
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    at, events = start, []
    for seq, (item, gap) in enumerate(answers, start=1):
        at = at + timedelta(seconds=gap)
        events.append(AnswerEvent(seq, item, at))
    found = timeline(reversed(events), start)
    assert sum(t.seconds for t in found.values()) == sum(g for _, g in answers)
    for item in {i for i, _ in answers}:
        assert found[item].changes == sum(1 for i, _ in answers if i == item) - 1
        assert found[item].last_at == max(e.at for e in events if e.item_id == item)
