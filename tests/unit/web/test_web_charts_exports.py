"""Server-side charts, exports and the page files: pure functions, checked over many inputs."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime

import defusedxml.ElementTree as ET
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from engine.analytics.models import ResultRow
from engine.analytics.progress import online_count
from engine.web.assets import ASSETS, STUDENT_PAGE, student_page_weight
from engine.web.charts import _nice_max, histogram_svg
from engine.web.exports import Table, results_table, to_csv, to_xlsx
from grading.statistics import Histogram

SVG = "{http://www.w3.org/2000/svg}"


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40))
def test_histogram_has_a_bar_per_bin_no_taller_than_the_axis(counts: list[int]) -> None:
    edges = tuple(float(i) * 2.5 for i in range(len(counts) + 1))
    svg = histogram_svg(Histogram(edges=edges, counts=tuple(counts)), title="<b>&</b>")
    root = ET.fromstring(svg)  # well-formed XML, the title escaped
    assert root.find(f"{SVG}title").text == "<b>&</b>"
    if sum(counts) == 0:
        assert root.find(f"{SVG}rect") is None
        return
    bars = root.findall(f"{SVG}g/{SVG}rect")
    assert len(bars) == len(counts)
    heights = [float(b.get("height")) for b in bars]
    assert max(heights) <= 260
    # taller bar ⇔ larger count
    tallest = max(range(len(counts)), key=lambda i: counts[i])
    assert heights[tallest] == max(heights)
    assert [b.find(f"{SVG}title").text.rsplit(": ", 1)[1] for b in bars] == [str(c) for c in counts]


@given(st.integers(1, 10**9))
def test_axis_maximum_is_a_1_2_5_step_at_or_above(value: int) -> None:
    top = _nice_max(value)
    assert top >= value
    assert top <= 5 or re.fullmatch(r"[125]0*", str(top))
    assert top < value * 5 or value <= 5


def test_empty_histogram_says_so() -> None:
    assert "No graded sittings yet" in histogram_svg(None)


_cell = st.one_of(
    st.none(), st.text(max_size=30), st.integers(-(10**6), 10**6), st.floats(-1e300, 1e300)
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_cell, _cell), max_size=20))
def test_csv_and_xlsx_carry_the_same_cells(cells: list[tuple[object, object]]) -> None:
    rows = [[f"r{i}", *pair] for i, pair in enumerate(cells)]
    table = Table("t", ["a", "b", "c"], rows)  # type: ignore[arg-type]
    text = to_csv(table).decode("utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert parsed[0] == ["a", "b", "c"]
    assert len(parsed) == len(rows) + 1
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == ["a", "b", "c"]
    assert [v[0] for v in values[1:]] == [r[0] for r in rows]
    for got, row in zip(values[1:], rows, strict=True):
        for value, sent in zip(got[1:], row[1:], strict=True):
            if isinstance(sent, int | float):
                assert value == pytest.approx(sent, rel=1e-14)


@given(st.text(min_size=1, max_size=20))
def test_no_exported_name_can_start_a_spreadsheet_formula(name: str) -> None:
    row = ResultRow(
        sitting_id=uuid.uuid4(),
        student_id=uuid.uuid4(),
        username=name,
        display_name=name,
        org_id=uuid.uuid4(),
        state="graded",
        started_at=datetime.now(UTC),
        submitted_at=None,
        points=1.0,
        max_points=2.0,
        percent=50.0,
        passed=None,
        scaled_score=None,
    )
    # the writers escape (engine/spreadsheet_cells.py), once, whatever the table holds
    text = to_csv(results_table([row])).decode("utf-8")[1:]
    written = list(csv.reader(io.StringIO(text, newline="")))[1]
    for cell in written[:2]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert cell in (name, "'" + name)


@given(st.integers(0, 2**40), st.lists(st.integers(0, 2**40), max_size=30), st.integers(1, 600))
def test_online_counts_only_sittings_seen_within_the_window(
    now: int, seen: list[int], window_s: int
) -> None:
    expected = sum(1 for s in seen if s and now - s <= window_s * 1000)
    assert online_count(now, seen, window_s) == expected


def test_pages_point_at_versioned_files_and_stay_small() -> None:
    for name in ("student.html", "teacher.html", "sw.js"):
        body = ASSETS[name].body.decode()
        assert "{{asset:" not in body
        for ref, version in re.findall(r"/static/([a-z.]+)\?v=([0-9a-f]+)", body):
            assert ASSETS[ref].version == version
    raw, gzipped = student_page_weight()
    assert set(STUDENT_PAGE) <= set(ASSETS)
    assert gzipped < 100 * 1024 < raw * 10
