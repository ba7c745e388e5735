"""The answers of one room of an exam, written before anyone sits it (seeded): who answers
what, in which batch, and who copies whom.

Profiles are the room's students by role, not by account: the test hands each profile to the
student the allocator seated where the role needs it. Every student answers its own shuffled
paper ``PER_BATCH`` items at a time; a copier looks at its source's screen and gives the
source's answer (right or wrong) to a random share of the items one or two batches after the
source gave it, and answers the rest itself.
"""

from __future__ import annotations

import math
import random

import msgspec

ROWS, COLUMNS = 8, 8
STUDENTS = ROWS * COLUMNS
N_ITEMS = 40
OPTIONS = "abcde"
PER_BATCH = 2

# the roles; every other profile is an honest student of ability N(0, 1)
SOURCE, COPIER, NEIGHBOUR, SOURCE2, COPIER2 = range(5)
ABILITY = {SOURCE: 0.3, COPIER: -1.0, NEIGHBOUR: 0.3, SOURCE2: 0.0, COPIER2: -0.5}
COPIES = {COPIER: (SOURCE, 0.6), COPIER2: (SOURCE2, 0.9)}  # copier: (source, share copied)


class Item(msgspec.Struct, frozen=True):
    key: str
    a: float
    b: float
    distractors: dict[str, float]  # wrong option -> weight


class Answer(msgspec.Struct, frozen=True):
    batch: int
    profile: int
    item: int
    choice: str


def items(rng: random.Random) -> list[Item]:
    out = []
    for _ in range(N_ITEMS):
        key = rng.choice(OPTIONS)
        # distractors are not equally attractive: one is usually the common mistake
        weights = {o: rng.uniform(0.2, 1.0) ** 2 for o in OPTIONS if o != key}
        out.append(Item(key, rng.uniform(0.8, 1.6), rng.uniform(-1.5, 1.5), weights))
    return out


def _own(rng: random.Random, item: Item, theta: float) -> str:
    p = 0.2 + 0.8 / (1.0 + math.exp(-1.7 * item.a * (theta - item.b)))
    if rng.random() < p:
        return item.key
    wrong = list(item.distractors)
    return rng.choices(wrong, weights=[item.distractors[o] for o in wrong])[0]


def answers(rng: random.Random, paper: list[Item]) -> list[Answer]:
    """Every profile's answers, in the order the room sends them: by batch, then by profile."""
    n = len(paper)
    chosen: dict[int, dict[int, str]] = {}
    batch_of: dict[int, dict[int, int]] = {}
    for p in range(STUDENTS):
        theta = ABILITY.get(p, rng.gauss(0.0, 1.0))
        chosen[p] = {i: _own(rng, paper[i], theta) for i in range(n)}
        order = rng.sample(range(n), n)
        batch_of[p] = {i: k // PER_BATCH for k, i in enumerate(order)}
    for copier, (source, share) in COPIES.items():
        for i in rng.sample(range(n), round(share * n)):
            chosen[copier][i] = chosen[source][i]
            batch_of[copier][i] = batch_of[source][i] + rng.choice((1, 2))
    out = [Answer(batch_of[p][i], p, i, chosen[p][i]) for p in range(STUDENTS) for i in range(n)]
    return sorted(out, key=lambda x: (x.batch, x.profile, x.item))


# seats (1-based, reading order, rows of COLUMNS): the copier right beside its source, an
# honest student of the source's ability right behind it, a second pair far apart; "apart"
# moves only the copier, to the far corner (and whoever sat there to the copier's seat)
NEAR = {SOURCE: 19, COPIER: 20, NEIGHBOUR: 27, SOURCE2: 8, COPIER2: 57}
APART = {**NEAR, COPIER: 64}


def seating(roles: dict[int, int]) -> dict[int, int]:
    """Profile -> seat for the whole room: the roles where given, the rest in seat order."""
    free = iter(s for s in range(1, STUDENTS + 1) if s not in roles.values())
    return {p: roles[p] if p in roles else next(free) for p in range(STUDENTS)}
