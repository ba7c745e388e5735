"""A sitting's order as codes, computed in bulk: the same order as ``paper.student_order``.

``student_order`` draws its permutations one ``random()`` at a time, about 750 Python-level
steps on a 150-item paper: half the CPU of serving a paper. Here the same draws come out of
one ``getrandbits`` call (Mersenne Twister words in the order ``random()`` would take them,
two per draw, combined as CPython does), the Fisher–Yates picks of all the items' options
are computed at once with numpy, and each item's option order is kept as one integer, its
*code*: the picks as digits of a mixed radix (k, k-1, ..., 2), each digit ``i - j`` for the
pick j at step i, so that 0 is the authored order. A paper's pieces are kept per
(item, code) (question_bank/paper_wire.py), so a code is all that assembly needs.

The order itself must not change for a live sitting (the answer checks and the grader compute
it too), so this module reproduces ``student_order`` exactly; a test compares the two over
random papers and sittings.
"""

from __future__ import annotations

import math
import random
import uuid

import numpy as np
import numpy.typing as npt

from question_bank.paper import CompiledPaper
from question_bank.pools import drawn

# items with more options than this are ordered by paper.student_order alone (a code would
# not fit the piece keys of question_bank/paper_wire.py); no item kind comes near it
MAX_CODED_OPTIONS = 12

# _RADIX[k, w]: the weight of the w-th pick of a k-option shuffle, k!/(k-w)!
_RADIX = np.zeros((MAX_CODED_OPTIONS + 1, MAX_CODED_OPTIONS + 1), dtype=np.float64)
for _k in range(MAX_CODED_OPTIONS + 1):
    for _w in range(_k):
        _RADIX[_k, _w] = math.perm(_k, _w)
_TWO_TO_26 = 67108864.0
_TWO_TO_MINUS_53 = 1.0 / 9007199254740992.0

Ints = npt.NDArray[np.int64]


def randoms(sitting_id: uuid.UUID, count: int) -> npt.NDArray[np.float64]:
    """The first ``count`` values ``random.Random(sitting_id.int).random()`` returns."""
    if count <= 0:
        return np.zeros(0, dtype=np.float64)
    bits = random.Random(sitting_id.int).getrandbits(64 * count)
    words = np.frombuffer(bits.to_bytes(8 * count, "little"), dtype="<u4")
    high = (words[0::2] >> 5).astype(np.float64)
    return (high * _TWO_TO_26 + (words[1::2] >> 6)) * _TWO_TO_MINUS_53


def option_order(k: int, code: int) -> list[int]:
    """The option order a code stands for (``paper.permutation`` with the code's picks)."""
    order = list(range(k))
    for w, i in enumerate(range(k - 1, 0, -1)):
        j = i - (code // math.perm(k, w)) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def codable(paper: CompiledPaper) -> bool:
    return all(len(i.options) <= MAX_CODED_OPTIONS for s in paper.sections for i in s.items)


class Shape:
    """What the order of a paper takes from it, built once per paper: each item's option
    count, flat over the sections, and where each section's items start in that flat list."""

    def __init__(self, paper: CompiledPaper) -> None:
        self.paper = paper
        counts = [len(i.options) for s in paper.sections for i in s.items]
        self.options = np.array(counts, dtype=np.int64)
        self.takes = np.maximum(self.options - 1, 0)
        self.starts: list[int] = []
        at = 0
        for section in paper.sections:
            self.starts.append(at)
            at += len(section.items)
        self.section_takes = [
            int(self.takes[start : start + len(s.items)].sum())
            for start, s in zip(self.starts, paper.sections, strict=True)
        ]
        self.descending = [np.arange(len(s.items), 1, -1) for s in paper.sections]
        # at most as many ``random()`` values as the order takes (a pool takes fewer)
        self.draws = int(self.takes.sum()) + sum(max(len(s.items) - 1, 0) for s in paper.sections)


def student_codes(shape: Shape, sitting_id: uuid.UUID) -> list[tuple[list[int], Ints]]:
    """Per section: the item indices in this sitting's order and each one's option code."""
    paper = shape.paper
    if not paper.shuffle:
        return [
            (order, np.zeros(len(order), dtype=np.int64))
            for order in _authored_orders(paper, sitting_id)
        ]
    r = randoms(sitting_id, shape.draws)
    at = 0
    orders: list[list[int]] = []
    flat: list[int] = []
    # where each section's option picks start in r, less the picks of the sections before it
    shift: list[int] = []
    taken_before = 0
    for s_index, section in enumerate(paper.sections):
        n = len(section.items)
        order = list(range(n))
        if n > 1:
            picks = (r[at : at + n - 1] * shape.descending[s_index]).astype(np.int64).tolist()
            at += n - 1
            for i, j in zip(range(n - 1, 0, -1), picks, strict=True):
                order[i], order[j] = order[j], order[i]
        if section.draw:
            mine = set(drawn(n, section.draw, s_index, sitting_id))
            order = [index for index in order if index in mine]
        orders.append(order)
        start = shape.starts[s_index]
        flat += [start + index for index in order]
        taken = shape.section_takes[s_index]
        if section.draw:
            taken = int(shape.takes[[start + index for index in order]].sum()) if order else 0
        shift.append(at - taken_before)
        at += taken
        taken_before += taken
    codes = _codes(shape, r, flat, [len(o) for o in orders], shift)
    out = []
    at = 0
    for order in orders:
        out.append((order, codes[at : at + len(order)]))
        at += len(order)
    return out


def _codes(
    shape: Shape, r: npt.NDArray[np.float64], flat: list[int], sizes: list[int], shift: list[int]
) -> Ints:
    """Each entry's option code: all the sections' option picks at once."""
    if not flat:
        return np.zeros(0, dtype=np.int64)
    index = np.array(flat, dtype=np.int64)
    k_all = shape.options[index]
    takes = shape.takes[index]
    total = int(takes.sum())
    if not total:
        return np.zeros(len(flat), dtype=np.int64)
    first = np.cumsum(takes) - takes + np.repeat(np.array(shift, dtype=np.int64), sizes)
    entry = np.repeat(np.arange(len(flat)), takes)
    within = np.arange(total) - (np.cumsum(takes) - takes)[entry]
    k = k_all[entry]
    picks = np.floor(r[first[entry] + within] * (k - within))
    weights = (k - within - 1 - picks) * _RADIX[k, within]
    return np.bincount(entry, weights=weights, minlength=len(flat)).astype(np.int64)


def _authored_orders(paper: CompiledPaper, sitting_id: uuid.UUID) -> list[list[int]]:
    orders = []
    for s_index, section in enumerate(paper.sections):
        n = len(section.items)
        if section.draw:
            orders.append(sorted(drawn(n, section.draw, s_index, sitting_id)))
        else:
            orders.append(list(range(n)))
    return orders
