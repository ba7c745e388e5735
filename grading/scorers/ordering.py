"""Ordering and matching items."""

from __future__ import annotations

from grading.keys import MatchingKey, OrderingKey
from grading.scorers.common import all_or_nothing, blank, from_credit, map_response, mapping_min
from grading.types import ItemScore


def ordering_pair_credit(correct: tuple[str, ...], order: tuple[str, ...]) -> float:
    """Share of the key's ordered pairs (i before j) that the response keeps in order.

    A pair with an element missing from the response counts as wrong, so leaving things out
    never scores better than placing them.
    """
    n = len(correct)
    if n < 2:
        return 1.0 if order == correct else 0.0
    position: dict[str, int] = {}
    for i, ident in enumerate(order):
        # a repeated id keeps its first place: repeating cannot buy extra pairs
        position.setdefault(ident, i)
    placed = [position.get(ident) for ident in correct]
    right = 0
    for i in range(n):
        pi = placed[i]
        if pi is None:
            continue
        right += sum(1 for pj in placed[i + 1 :] if pj is not None and pi < pj)
    return right / (n * (n - 1) / 2)


def score_ordering(key: OrderingKey, order: tuple[str, ...]) -> ItemScore:
    if not order:
        return blank(key.points)
    if not key.partial_credit:
        return all_or_nothing(order == key.correct, key.points)
    if order == key.correct:
        return all_or_nothing(True, key.points)
    return from_credit(ordering_pair_credit(key.correct, order), key.points)


def score_matching(key: MatchingKey, pairs: frozenset[tuple[str, str]]) -> ItemScore:
    if not pairs:
        return blank(key.points, mapping_min(key.mapping, key.points))
    if key.undirected:
        pairs = frozenset((s, t) if s <= t else (t, s) for s, t in pairs)
    if key.mapping is not None:
        return map_response(key.mapping, (f"{s} {t}" for s, t in pairs), key.points)
    if not key.partial_credit or not key.pairs:
        return all_or_nothing(pairs == key.pairs, key.points)
    # right minus wrong, as multiple response: matching everything to everything earns nothing
    right = len(pairs & key.pairs)
    wrong = len(pairs - key.pairs)
    return from_credit((right - wrong) / len(key.pairs), key.points)
