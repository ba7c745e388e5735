"""Checking an imported item against its author's own response processing.

An item comes in as one of Ujian's kinds, whose key is scored by ``grading``. Whether that key
scores as the item's QTI response processing does is not guessed from the template's name: a
set of probe responses (the correct one, each option alone, one wrong, empty, ...) is scored
both ways, and the first candidate key that agrees on every probe is taken. When none agrees,
the item is refused with the probe that told them apart, so nothing is scored otherwise than
its author meant without a word.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from grading.keys import ItemKey
from grading.qti_processing import Declaration, Rule, Value, run
from grading.qti_program import outcome_score, qti_values
from grading.responses import (
    BlankResponse,
    ClozeResponse,
    MatchingResponse,
    MultipleResponseResponse,
    NumericResponse,
    OrderingResponse,
    Response,
    SelectPointResponse,
    ShortTextResponse,
    SingleChoiceResponse,
    TrueFalseResponse,
)
from grading.scoring import score_item
from question_bank.items import split_item
from question_bank.kinds import (
    ChoiceBlank,
    ClozeItem,
    ItemCreate,
    MatchingItem,
    MultipleResponseItem,
    NumericBlank,
    NumericItem,
    OrderingItem,
    SelectPointItem,
    ShortTextItem,
    SingleChoiceItem,
    TextBlank,
    TrueFalseItem,
)
from question_bank.scale import scale_values

Probe = Response | None
# Ujian trims the spaces around a typed answer before it is scored, a leniency kept on purpose:
# the probes therefore never differ from the correct text by surrounding spaces alone


def probes(item: ItemCreate) -> list[Probe]:
    """Responses that tell apart the scoring rules an item of this kind may have."""
    out: list[Probe] = [None]
    match item:
        case SingleChoiceItem():
            out += [SingleChoiceResponse(o.id) for o in item.options]
        case TrueFalseItem():
            out += [TrueFalseResponse(True), TrueFalseResponse(False)]
        case MultipleResponseItem():
            ids = [o.id for o in item.options]
            correct = frozenset(item.correct)
            out += [MultipleResponseResponse(frozenset({i})) for i in ids]
            out += [MultipleResponseResponse(correct), MultipleResponseResponse(frozenset(ids))]
            out += [MultipleResponseResponse(correct - {c}) for c in correct if len(correct) > 1]
            out += [MultipleResponseResponse(correct | {i}) for i in ids if i not in correct]
        case NumericItem() if item.slider is not None:
            # a slider gives only its scale's values: every one is probed, so nothing the
            # student can answer scores otherwise than the author's processing says
            out += [NumericResponse(x) for x in scale_values(item.slider)]
        case NumericItem():
            v = item.value
            out += [NumericResponse(x) for x in (v, v + 1, v - 1, v * 1.01, v + 0.001, 0.0)]
        case ShortTextItem():
            words = [*item.accepted, *item.partial]
            out += [ShortTextResponse(w) for w in words]
            out += [ShortTextResponse(w.upper()) for w in words if w.upper() != w]
            out += [ShortTextResponse(w.lower()) for w in words if w.lower() != w]
            out.append(ShortTextResponse("\u2203 no such answer"))
        case OrderingItem():
            order = tuple(item.correct)
            out += [OrderingResponse(order), OrderingResponse(order[::-1])]
            out += [OrderingResponse(order[1:2] + order[:1] + order[2:])]
            out += [OrderingResponse(order[:-2] + order[-1:] + order[-2:-1])]
        case MatchingItem():
            pairs = frozenset(item.pairs)
            out += [MatchingResponse(pairs)]
            out += [MatchingResponse(frozenset({p})) for p in sorted(pairs)]
            out += [MatchingResponse(pairs - {p}) for p in sorted(pairs) if len(pairs) > 1]
            wrong = [(s.id, t.id) for s in item.sources for t in item.targets]
            out += [MatchingResponse(frozenset({p})) for p in wrong if p not in pairs][:6]
        case ClozeItem():
            good = {bid: _blank_right(b) for bid, b in item.blanks.items()}
            bad = {bid: _blank_wrong(b) for bid, b in item.blanks.items()}
            out += [ClozeResponse(good), ClozeResponse(bad)]
            for bid in item.blanks:
                out.append(ClozeResponse({bid: good[bid]}))
                out.append(ClozeResponse({**good, bid: bad[bid]}))
        case SelectPointItem():
            for area in item.areas:
                out.append(SelectPointResponse((_centre(area.shape, area.coords),)))
            out.append(SelectPointResponse(((0.0, 0.0),)))
    return out


def _blank_right(blank: ChoiceBlank | TextBlank | NumericBlank) -> BlankResponse:
    match blank:
        case ChoiceBlank():
            return SingleChoiceResponse(blank.correct)
        case TextBlank():
            return ShortTextResponse(blank.accepted[0])
        case NumericBlank():
            return NumericResponse(blank.value)


def _blank_wrong(blank: ChoiceBlank | TextBlank | NumericBlank) -> BlankResponse:
    match blank:
        case ChoiceBlank():
            other = next((o.id for o in blank.options if o.id != blank.correct), blank.correct)
            return SingleChoiceResponse(other)
        case TextBlank():
            return ShortTextResponse("\u2203 no such answer")
        case NumericBlank():
            return NumericResponse(blank.value + 1)


def _centre(shape: str, coords: Sequence[float]) -> tuple[float, float]:
    if shape == "rect":
        return ((coords[0] + coords[2]) / 2, (coords[1] + coords[3]) / 2)
    if shape == "poly":
        xs, ys = coords[0::2], coords[1::2]
        return (sum(xs) / len(xs), sum(ys) / len(ys))
    return (coords[0], coords[1])


def qti_responses(
    item: ItemCreate, rid: str, decls: Mapping[str, Declaration], probe: Probe
) -> dict[str, Value]:
    """The QTI response variables that ``probe`` stands for."""
    if probe is None:
        # an unanswered response is NULL; left out, a numeric one would start at 0 like an
        # outcome and match a key of 0
        return {bid: None for bid in item.blanks} if isinstance(item, ClozeItem) else {rid: None}
    return qti_values(rid, probe, decls)


def qti_score(
    item: ItemCreate,
    rid: str,
    decls: Mapping[str, Declaration],
    rules: Sequence[Rule],
    probe: Probe,
    held: Mapping[str, Value] | None = None,
) -> float:
    """The item's own score of ``probe``; ``held`` gives the item's other responses (a
    composite's other parts), which the probe leaves as they are."""
    responses = {**(held or {}), **qti_responses(item, rid, decls, probe)}
    return outcome_score(run(rules, decls, responses))


def ujian_score(key: ItemKey, probe: Probe) -> float:
    return score_item(key, probe).points


def disagreement(
    item: ItemCreate,
    rid: str,
    decls: Mapping[str, Declaration],
    rules: Sequence[Rule],
    held: Mapping[str, Value] | None = None,
) -> tuple[Probe, float, float] | None:
    """The first probe the item's key scores otherwise than its QTI processing, if any."""
    key = split_item("", item)[1]
    for probe in probes(item):
        want = qti_score(item, rid, decls, rules, probe, held)
        got = ujian_score(key, probe)
        if abs(want - got) > 1e-9:
            return probe, want, got
    return None


def best_score(
    item: ItemCreate,
    rid: str,
    decls: Mapping[str, Declaration],
    rules: Sequence[Rule],
    held: Mapping[str, Value] | None = None,
) -> float:
    """The highest score the item's own processing gives any probe."""
    return max(
        itertools.chain(
            (qti_score(item, rid, decls, rules, p, held) for p in probes(item)),
            [0.0],
        )
    )
