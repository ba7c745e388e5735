"""The paper as pieces: the same order as paper.student_order, the same bytes as
paper.render_sections, and a gzip body that decompresses to exactly the plain body."""

from __future__ import annotations

import gzip
import random
import uuid
import zlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank import paper_wire
from question_bank.crc32_combine import crc32_combine
from question_bank.items import ItemCreate, split_item
from question_bank.paper import (
    CompiledItem,
    CompiledPaper,
    CompiledSection,
    compile_paper,
    render_sections,
    student_order,
)
from question_bank.paper_order import Shape, option_order, randoms, student_codes
from question_bank.paper_wire import PaperWire, dynamic_block, gzip_small
from tests.unit.question_bank.item_strategies import stored_items


def _item(n: int, options: int) -> CompiledItem:
    if not options:
        return CompiledItem(f"i{n}", "numeric", b'{"id":"i%d"}' % n, [], b"")
    head = b'{"id":"i%d","options":[' % n
    return CompiledItem(
        f"i{n}", "single_choice", head, [b'{"id":"o%d"}' % o for o in range(options)], b"]}"
    )


@st.composite
def papers(draw: st.DrawFn) -> CompiledPaper:
    """Papers of every shape the order cares about: empty sections, items without options,
    one option, many, pools, shuffled or not, and options past what a code holds (13)."""
    sections = []
    n = 0
    for s in range(draw(st.integers(0, 4))):
        counts = draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 13]), max_size=25))
        items = [_item(n + i, k) for i, k in enumerate(counts)]
        n += len(counts)
        draw_k = draw(st.sampled_from([0, 0, 1, 3, 10])) if counts else 0
        sections.append(CompiledSection(f"section {s}", items, draw_k))
    return CompiledPaper("v", "t", draw(st.booleans()), sections)


@given(st.uuids(), st.integers(0, 2000))
def test_randoms_are_what_random_gives(sitting: uuid.UUID, count: int) -> None:
    rng = random.Random(sitting.int)
    assert randoms(sitting, count).tolist() == [rng.random() for _ in range(count)]


@given(papers(), st.uuids())
@settings(max_examples=300)
def test_codes_give_the_order_of_student_order(paper: CompiledPaper, sitting: uuid.UUID) -> None:
    if any(len(i.options) > 12 for s in paper.sections for i in s.items):
        paper = CompiledPaper(
            "v",
            "t",
            paper.shuffle,
            [
                CompiledSection(s.title, [i for i in s.items if len(i.options) <= 12], s.draw)
                for s in paper.sections
            ],
        )
    coded = [
        [
            (index, option_order(len(section.items[index].options), int(code)))
            for index, code in zip(order, codes, strict=True)
        ]
        for section, (order, codes) in zip(
            paper.sections, student_codes(Shape(paper), sitting), strict=True
        )
    ]
    assert coded == student_order(paper, sitting)


@given(papers(), st.lists(st.uuids(), min_size=1, max_size=4), st.binary(max_size=3000))
@settings(max_examples=200)
def test_pieces_join_to_the_rendered_paper_and_gzip_to_the_same_bytes(
    paper: CompiledPaper, sittings: list[uuid.UUID], noise: bytes
) -> None:
    wire = PaperWire(paper)
    before = b'{"x":"' + noise.hex().encode() + b'","sections":'
    after = b',"answers":{}}'
    for sitting in sittings:  # pieces made by one sitting are reused by the next
        plain = render_sections(paper, sitting)
        assert wire.sections(sitting) == plain
        body = wire.gzipped(sitting, before, after)
        assert gzip.decompress(body) == before + plain + after
        # what a browser's inflater sees: one gzip member, nothing after it
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert inflater.decompress(body) == before + plain + after
        assert inflater.eof and not inflater.unused_data


@given(st.lists(stored_items(with_stimuli=True), min_size=1, max_size=8), st.uuids())
@settings(max_examples=60)
def test_real_items_gzip_to_their_rendered_paper(
    authored: list[ItemCreate], sitting: uuid.UUID
) -> None:
    students = [split_item(f"i{n}", item)[0] for n, item in enumerate(authored)]
    paper = compile_paper("v", "t", True, [("A", students[:3]), ("B", students[3:])])
    wire = PaperWire(paper)
    assert (
        gzip.decompress(wire.gzipped(sitting, b"[", b"]"))
        == b"[" + render_sections(paper, sitting) + b"]"
    )


@given(st.binary(max_size=70_000))
@settings(max_examples=50)
def test_small_bodies_and_dynamic_blocks_round_trip(body: bytes) -> None:
    assert gzip.decompress(gzip_small(body)) == body
    raw = zlib.decompressobj(-15)
    assert raw.decompress(dynamic_block(body) + b"\x03\x00") == body


def test_pieces_are_kept_per_item_and_option_order() -> None:
    paper = CompiledPaper("v", "t", True, [CompiledSection("A", [_item(n, 3) for n in range(4)])])
    wire = PaperWire(paper)
    for n in range(200):
        wire.sections(uuid.UUID(int=n))
    # 4 items x 3! option orders x (first of its section or not), and the section head
    assert len(wire._plain) <= 4 * 6 * 2 + 2


def test_a_sittings_order_is_remembered_within_bounds(monkeypatch: Any) -> None:
    monkeypatch.setattr(paper_wire, "MAX_REMEMBERED_ORDERS", 3)
    paper = CompiledPaper("v", "t", True, [CompiledSection("A", [_item(n, 4) for n in range(9)])])
    wire = PaperWire(paper)
    sittings = [uuid.UUID(int=n) for n in range(7)]
    for sitting in sittings:
        first = wire.sections(sitting)
        assert wire.sections(sitting) == first == render_sections(paper, sitting)
        assert len(wire._orders) <= 3


@given(st.binary(max_size=500), st.binary(max_size=5000))
def test_crc32_combine_is_the_crc_of_the_concatenation(first: bytes, second: bytes) -> None:
    combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)
