"""A paper's ``sections`` as ready-to-send pieces, plain and gzipped, joined per sitting.

A piece is one item with its options in one order (and with or without the comma before it),
kept per (item, option code; question_bank/paper_order.py) the first time a sitting needs it:
a sitting's sections are its section heads and one piece per item, joined, with no encoding
and no per-option work.

For gzip (RFC 1952) each piece is also kept as raw deflate ending in a sync flush: a run of
whole blocks, byte-aligned, that refers to nothing before it, so any sequence of them is a
valid deflate stream. A sitting's gzipped paper is then the gzip header, the request's own
bytes before the sections as a block of their own, the sections' deflated pieces in the
sitting's order, the bytes after them, an empty final block, and the CRC-32 and length of the
plain body: a join, not a compression per request (the sections' CRC is kept per sitting and
combined with the CRCs of the bytes around them: question_bank/crc32_combine.py).

The price is the ratio: a piece cannot refer to text of another item, so the paper
compresses to about half of its plain size instead of a sixth (measured in the README's paper
benchmark line).
"""

from __future__ import annotations

import struct
import uuid
import zlib
from array import array
from operator import itemgetter

import msgspec
import numpy as np

from question_bank.crc32_combine import crc32_combine
from question_bank.paper import CompiledPaper, render_sections
from question_bank.paper_order import Shape, codable, option_order, student_codes

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime
FINAL_BLOCK = b"\x03\x00"  # an empty last block (fixed codes, end of block at once)
GZIP_MIN_BYTES = 1400  # about one TCP segment: a smaller body is sent as it is
STORED_MAX = 1024  # dynamic bytes up to this size are sent as a stored block: not worth zlib
# a process keeps at most this many pieces per paper; past it they are made again
MAX_PIECES = 100_000
# and the piece keys of at most this many sittings per paper (~1.2 KB each for 150 items), as
# the answer checks keep a linear paper's places: a sitting's second fetch (a reload without
# the device's copy, the content after a new version) does not compute its order again
MAX_REMEMBERED_ORDERS = 20_000

_json = msgspec.json.Encoder()


def deflate_piece(data: bytes, level: int = 9) -> bytes:
    """Raw deflate of ``data`` alone, ending byte-aligned (sync flush), not final."""
    if not data:
        return b""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)


def dynamic_block(data: bytes) -> bytes:
    """A request's own bytes as deflate blocks: stored when small, else compressed (fast)."""
    if not data:
        return b""
    if len(data) > STORED_MAX:
        return deflate_piece(data, 1)
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


def gzip_frame(blocks: list[bytes], crc: int, size: int) -> bytes:
    """A gzip member around deflate ``blocks`` of a body whose CRC-32 and length are given."""
    return b"".join((GZIP_HEADER, *blocks, FINAL_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)))


def worth_gzip(body: bytes) -> bool:
    return len(body) > GZIP_MIN_BYTES


def gzip_small(body: bytes) -> bytes:
    """A body with no pieces (the answers and the clock alone) gzipped."""
    return gzip_frame([dynamic_block(body)], zlib.crc32(body), len(body))


class PaperWire:
    """One exam version's pieces, made as sittings need them, kept for the process."""

    def __init__(self, paper: CompiledPaper) -> None:
        self.paper = paper
        self.coded = codable(paper)
        self._shape = Shape(paper)
        self._items = [item for section in paper.sections for item in section.items]
        self._stride = 2 * len(self._items)
        # section heads: key -1 - 2s, -2 - 2s (with the comma after the previous section)
        heads: dict[int, bytes] = {}
        for s_index, section in enumerate(paper.sections):
            head = b'{"title":' + _json.encode(section.title) + b',"items":['
            heads[-1 - 2 * s_index] = head
            heads[-2 - 2 * s_index] = b"]}," + head
        self._plain = dict(heads)
        self._packed = {key: deflate_piece(head) for key, head in heads.items()}
        self._open = (b"[", deflate_piece(b"["))
        self._close = (b"]}]", deflate_piece(b"]}]"))
        # sitting -> its piece keys, and the CRC-32 and length of its plain sections
        self._orders: dict[uuid.UUID, tuple[array[int], int, int]] = {}

    def _keys(self, sitting_id: uuid.UUID) -> tuple[list[int], int, int]:
        """The sitting's pieces in order (section heads negative, then item pieces) and the
        CRC-32 and length of the plain sections they make."""
        known = self._orders.get(sitting_id)
        if known is not None:
            return known[0].tolist(), known[1], known[2]
        keys = self._order_keys(sitting_id)
        plain = b"".join([b"[", *self._pieces(keys, False), b"]}]"])
        if len(self._orders) >= MAX_REMEMBERED_ORDERS:
            self._orders.clear()
        self._orders[sitting_id] = (array("q", keys), zlib.crc32(plain), len(plain))
        return keys, zlib.crc32(plain), len(plain)

    def _order_keys(self, sitting_id: uuid.UUID) -> list[int]:
        keys: list[int] = []
        for s_index, (order, codes) in enumerate(student_codes(self._shape, sitting_id)):
            keys.append(-1 - 2 * s_index if s_index == 0 else -2 - 2 * s_index)
            if not order:
                continue
            flat = np.array(order, dtype=np.int64) + self._shape.starts[s_index]
            item_keys = codes * self._stride + 2 * flat + 1
            item_keys[0] -= 1  # the first item of a section: no comma before it
            keys += item_keys.tolist()
        return keys

    def _make(self, key: int) -> None:
        code, rest = divmod(key, self._stride)
        item = self._items[rest // 2]
        parts = [b"," if rest % 2 else b"", item.head]
        if item.options:
            order = option_order(len(item.options), code)
            parts.append(b",".join(item.options[o] for o in order))
        parts.append(item.tail)
        plain = b"".join(parts)
        if len(self._plain) >= MAX_PIECES:  # start over, keeping the section heads
            self._plain = {k: v for k, v in self._plain.items() if k < 0}
            self._packed = {k: v for k, v in self._packed.items() if k < 0}
        self._plain[key] = plain
        self._packed[key] = deflate_piece(plain)

    def _pieces(self, keys: list[int], packed: bool) -> tuple[bytes, ...]:
        take = itemgetter(*keys, -1)  # one more key: always a tuple back (dropped below)
        try:
            return take(self._packed if packed else self._plain)[:-1]  # type: ignore[no-any-return]
        except KeyError:
            for k in keys:
                if k not in self._plain:
                    self._make(k)
            return take(self._packed if packed else self._plain)[:-1]  # type: ignore[no-any-return]

    def sections(self, sitting_id: uuid.UUID) -> bytes:
        """The sitting's ``sections`` JSON array."""
        if not self.coded or not self.paper.sections:
            return render_sections(self.paper, sitting_id)
        keys = self._keys(sitting_id)[0]
        return b"".join([b"[", *self._pieces(keys, False), b"]}]"])

    def gzipped(self, sitting_id: uuid.UUID, before: bytes, after: bytes) -> bytes:
        """``before`` + the sitting's sections + ``after``, as one gzip member."""
        if not self.coded or not self.paper.sections:
            return gzip_small(before + render_sections(self.paper, sitting_id) + after)
        keys, sections_crc, sections_size = self._keys(sitting_id)
        packed = self._pieces(keys, True)
        # the sections' CRC is kept per sitting: only the request's own bytes are read here
        crc = crc32_combine(zlib.crc32(before), sections_crc, sections_size)
        crc = zlib.crc32(after, crc)
        blocks = [dynamic_block(before), self._open[1], *packed, self._close[1]]
        blocks.append(dynamic_block(after))
        return gzip_frame(blocks, crc, len(before) + sections_size + len(after))
