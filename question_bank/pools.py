"""Per-student forms from pools: a section of N items of which each sitting gets k.

At exam creation the pool is put in strata order — by topic, then difficulty (easiest first),
then id — and a sitting's k items are one from each of k consecutive, near-equal slices of that
order. Every paper thus covers the topics in proportion and spans the difficulties from easy
to hard, while two students rarely get the same set. The draw is a pure function of the pool
size, k, the section and the sitting id: the paper, the answer checks and the grader compute
it independently and agree, and nothing is stored per sitting.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Sequence

from question_bank.kinds import ItemMeta


def strata_order(metas: Sequence[tuple[str, ItemMeta]]) -> list[str]:
    """The pool's item ids in strata order: topic, difficulty (unknown in the middle), id.

    ``difficulty`` is the classical p-value (1 = everyone passes), so easy items come first.
    """
    return [
        item_id
        for item_id, meta in sorted(
            metas,
            key=lambda pair: (
                pair[1].topic or "",
                -(pair[1].difficulty if pair[1].difficulty is not None else 0.5),
                pair[0],
            ),
        )
    ]


def drawn(pool: int, draw: int, section: int, sitting_id: uuid.UUID) -> list[int]:
    """Indices (in strata order, ascending) of the ``draw`` items this sitting gets from a
    pool of ``pool``: one from each of ``draw`` consecutive slices. All of them when ``draw`` is
    0 or not below the pool size."""
    if draw <= 0 or draw >= pool:
        return list(range(pool))
    digest = hashlib.blake2b(f"pool:{section}:{sitting_id}".encode(), digest_size=8).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    bounds = [k * pool // draw for k in range(draw + 1)]
    return [bounds[k] + int(rng.random() * (bounds[k + 1] - bounds[k])) for k in range(draw)]


def drawn_ids(sections: Sequence[tuple[Sequence[str], int]], sitting_id: uuid.UUID) -> set[str]:
    """The item ids of every section (its pool in strata order, its draw) this sitting gets."""
    out: set[str] = set()
    for index, (items, draw) in enumerate(sections):
        out.update(items[i] for i in drawn(len(items), draw, index, sitting_id))
    return out
