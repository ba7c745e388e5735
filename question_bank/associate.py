"""The rules of an associate item: pairs drawn from one set of choices, without direction.

Checked where an authored matching item becomes a key (``items.split_item``) and again at the
answer endpoint (``answer_rules``): no choice is paired with itself, no pair is given twice
(in either order), an answer holds at most ``max_associations`` pairs and a choice stands in at
most its ``match_max`` of them, as QTI's ``qti-associate-interaction`` says. Its
``min_associations`` refuses nothing at the answer endpoint: an answer is saved as the student
builds it, and the page points out one with fewer pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from grading.keys import ValueMap
from question_bank.kinds import AssociateSpec, ChoiceOption, ItemError


def canonical(pair: tuple[str, str]) -> tuple[str, str]:
    """A pair with its ids in sorted order: (b, a) and (a, b) are one pair."""
    a, b = pair
    return (a, b) if a <= b else (b, a)


def canonical_mapping(mapping: ValueMap | None) -> ValueMap | None:
    """A mapping over "a b" keys with each key's ids in sorted order (as the key's pairs)."""
    if mapping is None:
        return None
    entries: dict[str, float] = {}
    for key, value in mapping.entries.items():
        parts = key.split()
        entries[" ".join(sorted(parts)) if len(parts) == 2 else key] = value
    return ValueMap(
        entries=entries,
        default_value=mapping.default_value,
        lower_bound=mapping.lower_bound,
        upper_bound=mapping.upper_bound,
    )


def limit(spec: AssociateSpec, choice: str) -> int:
    """In how many pairs ``choice`` may stand (0: any number)."""
    return spec.match_max.get(choice, 1)


def pairing_problem(spec: AssociateSpec, pairs: Iterable[tuple[str, str]]) -> str | None:
    """Why these pairs are no answer to the associate item (None: they are)."""
    pairs = list(pairs)
    if any(a == b for a, b in pairs):
        return "a choice is paired with itself"
    if len({canonical(p) for p in pairs}) != len(pairs):
        return "a pair is given twice"
    if spec.max_associations and len(pairs) > spec.max_associations:
        return f"{len(pairs)} pairs; this item takes at most {spec.max_associations}"
    for choice, n in Counter(c for p in pairs for c in p).items():
        most = limit(spec, choice)
        if most and n > most:
            return f"choice {choice} stands in {n} pairs; it may stand in at most {most}"
    return None


def check_associate(
    spec: AssociateSpec,
    sources: list[ChoiceOption],
    targets: list[ChoiceOption],
    pairs: list[tuple[str, str]],
) -> None:
    """Raises ItemError when the choices or the key do not make an associate item."""
    if [t.id for t in targets] != [s.id for s in sources]:
        raise ItemError("targets", "an associate item's targets are its sources, in order")
    unknown = sorted(set(spec.match_max) - {s.id for s in sources})
    if unknown:
        raise ItemError("associate.match_max", f"not a source id: {', '.join(unknown)}")
    # a minimum no answer can reach would mark every answer incomplete
    n = len(sources)
    if spec.min_associations > n * (n - 1) // 2:
        raise ItemError("associate.min_associations", "more pairs than the choices can make")
    if spec.max_associations and spec.min_associations > spec.max_associations:
        raise ItemError("associate.min_associations", "more than max_associations allows")
    problem = pairing_problem(spec, pairs)
    if problem:
        raise ItemError("pairs", problem)
