"""The student paper: compiled once per published exam version, assembled per student.

Compilation encodes every item to JSON bytes once, without keys. Assembly only joins bytes in
the student's order, so serving a paper costs no encoding and no database read. Options are
kept as separate fragments so they can be shuffled per student by joining in another order.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence

import msgspec

from question_bank.items import StudentItem
from question_bank.pools import drawn


class CompiledItem(msgspec.Struct, frozen=True, array_like=True):
    id: str
    kind: str
    head: bytes  # the item's JSON up to its options (or all of it when it has none)
    options: list[bytes]  # one JSON object per option
    tail: bytes


class CompiledSection(msgspec.Struct, frozen=True, array_like=True):
    title: str
    items: list[CompiledItem]
    # a pool: each sitting gets this many of the items (question_bank/pools.py); 0: all.
    # Last, with a default, so that papers packed before it existed still decode
    draw: int = 0


class CompiledPaper(msgspec.Struct, frozen=True, array_like=True):
    exam_version_id: str
    title: str
    shuffle: bool
    sections: list[CompiledSection]
    # 'free' or 'linear' (in order, no going back); last, with a default, so that papers
    # packed before it existed still decode
    navigation: str = "free"


_encoder = msgspec.json.Encoder()
_packer = msgspec.msgpack.Encoder()
_unpacker = msgspec.msgpack.Decoder(CompiledPaper)


def compile_item(item: StudentItem) -> CompiledItem:
    if not item.options:
        return CompiledItem(item.id, item.kind, _encoder.encode(item), [], b"")
    bare = _encoder.encode(msgspec.structs.replace(item, options=None))
    head = bare[:-1] + b',"options":['
    return CompiledItem(item.id, item.kind, head, [_encoder.encode(o) for o in item.options], b"]}")


def compile_paper(
    exam_version_id: str,
    title: str,
    shuffle: bool,
    sections: Sequence[tuple[str, Sequence[StudentItem]]],
) -> CompiledPaper:
    return CompiledPaper(
        exam_version_id=exam_version_id,
        title=title,
        shuffle=shuffle,
        sections=[
            CompiledSection(title=t, items=[compile_item(i) for i in items])
            for t, items in sections
        ],
    )


def assemble_paper(
    exam_version_id: str,
    title: str,
    shuffle: bool,
    sections: Sequence[tuple[str, Sequence[CompiledItem]]],
    navigation: str = "free",
    draws: Sequence[int] = (),
) -> CompiledPaper:
    """A paper from already compiled item fragments (see cache.FragmentCache); ``draws`` gives
    each pooled section's per-sitting item count (none: every section is sat whole)."""
    counts = list(draws) or [0] * len(sections)
    return CompiledPaper(
        exam_version_id=exam_version_id,
        title=title,
        shuffle=shuffle,
        sections=[
            CompiledSection(title=t, items=list(items), draw=draw)
            for (t, items), draw in zip(sections, counts, strict=True)
        ],
        navigation=navigation,
    )


def pack_paper(paper: CompiledPaper) -> bytes:
    return _packer.encode(paper)


def unpack_paper(data: bytes) -> CompiledPaper:
    return _unpacker.decode(data)


def permutation(n: int, rng: random.Random) -> list[int]:
    """Fisher–Yates driven by ``random()`` only, whose sequence per seed Python keeps stable
    across versions (``shuffle`` itself carries no such promise)."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def student_order(paper: CompiledPaper, sitting_id: uuid.UUID) -> list[list[tuple[int, list[int]]]]:
    """Per section: (item index, option order) in the order this sitting sees them."""
    rng = random.Random(sitting_id.int)
    sections = []
    for s_index, section in enumerate(paper.sections):
        n = len(section.items)
        item_order = permutation(n, rng) if paper.shuffle else list(range(n))
        if section.draw:
            # a pool: this sitting's items only, in the shuffled (or authored) order
            mine = set(drawn(n, section.draw, s_index, sitting_id))
            item_order = [index for index in item_order if index in mine]
        entries = []
        for index in item_order:
            k = len(section.items[index].options)
            entries.append((index, permutation(k, rng) if paper.shuffle else list(range(k))))
        sections.append(entries)
    return sections


def render_sections(paper: CompiledPaper, sitting_id: uuid.UUID) -> bytes:
    """The ``sections`` JSON array of one sitting's paper, joined from compiled fragments."""
    parts: list[bytes] = [b"["]
    for s_index, (section, entries) in enumerate(
        zip(paper.sections, student_order(paper, sitting_id), strict=True)
    ):
        if s_index:
            parts.append(b",")
        parts.append(b'{"title":' + _encoder.encode(section.title) + b',"items":[')
        for position, (index, option_order) in enumerate(entries):
            item = section.items[index]
            if position:
                parts.append(b",")
            parts.append(item.head)
            if item.options:
                parts.append(b",".join(item.options[o] for o in option_order))
            parts.append(item.tail)
        parts.append(b"]}")
    parts.append(b"]")
    return b"".join(parts)
