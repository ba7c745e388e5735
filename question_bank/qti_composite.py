"""Composite QTI 3.0 items: several interactions in one item, each with its own response.

Ujian scores one question per item, so a composite comes in as consecutive items, its *parts*:
one per block interaction, and one per block of text whose inline interactions (text entries,
inline choices) make a cloze. The text around the interactions is what the parts share: it
becomes their stimulus, shown above each part. Each part's stem is its interaction's prompt.

Splitting is faithful only when the item's response processing scores the responses apart: the
item's score is the sum of what each part earns on its own. That is not read off the rules'
shape but checked on the interpreter (ADR 0016): each part's probes are scored with the other
responses unanswered, and then beside the others' right and wrong answers; any probe whose
score is not the sum of its parts names the responses the processing scores together, and the
item is refused.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from copy import deepcopy
from typing import NamedTuple
from xml.etree.ElementTree import Element

import msgspec

from grading.qti_processing import Declaration, Rule, Value, run
from grading.qti_program import outcome_score
from question_bank.items import split_item
from question_bank.kinds import ItemCreate
from question_bank.qti_html import local
from question_bank.qti_probe import probes, qti_responses, ujian_score

INLINE = ("qti-inline-choice-interaction", "qti-text-entry-interaction")
FEEDBACK_ELEMENTS = ("qti-feedback-block", "qti-feedback-inline")
# the HTML blocks an inline interaction's text may be: the nearest one around it is its cloze
TEXT_BLOCKS = frozenset(
    {
        *("p", "div", "li", "td", "th", "dd", "dt", "pre", "blockquote", "caption"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "section", "article", "aside"),
    }
)
# "Part k", the stem of a part whose interaction has no prompt, in the item's language
PART_LABELS = {
    "en": "Part",
    "de": "Teil",
    "fr": "Partie",
    "es": "Parte",
    "it": "Parte",
    "pt": "Parte",
    "nl": "Deel",
    "id": "Bagian",
    "ms": "Bahagian",
}
TOLERANCE = 1e-9


class ItemPart(msgspec.Struct, frozen=True):
    """An imported item; a composite's part also has an identifier and title of its own (the
    item's identifier and response, the item's title and its place), for the report."""

    item: ItemCreate
    identifier: str | None = None
    title: str | None = None
    # what the report says of how the item came in (a coupled composite, ADR 0020)
    note: str | None = None


class PartBody(NamedTuple):
    responses: tuple[str, ...]  # the response identifiers the part answers
    body: Element  # a copy of the item body holding this part alone


class ReadPart(NamedTuple):
    item: ItemCreate  # the part as read (its first candidate key)
    rid: str  # the response its probes answer (a cloze's probes answer each blank)
    responses: tuple[str, ...]


class CompositeError(ValueError):
    """A composite this bank cannot split: the message says why."""


class NotSeparable(CompositeError):
    """The processing scores some responses together."""


def is_composite(interactions: Sequence[Element]) -> bool:
    """Several interactions, one a block at least: inline ones alone are one cloze item."""
    return len(interactions) > 1 and any(local(e.tag) not in INLINE for e in interactions)


def part_label(language: str | None) -> str:
    return PART_LABELS.get((language or "en").split("-")[0].lower(), PART_LABELS["en"])


def _is_interaction(element: Element) -> bool:
    name = local(element.tag)
    return name.startswith("qti-") and name.endswith("-interaction")


def _ancestors(element: Element, parents: Mapping[Element, Element]) -> Iterator[Element]:
    while element in parents:
        element = parents[element]
        yield element


def _units(body: Element, interactions: Sequence[Element]) -> dict[Element, list[Element]]:
    """The element each part is made of (a block interaction, or the text block of inline
    ones), with its interactions, in document order."""
    parents = {child: parent for parent in body.iter() for child in parent}
    tops: dict[Element, Element] = {}
    for inter in interactions:
        above = [a for a in _ancestors(inter, parents) if a is not body]
        outer = next((a for a in above if _is_interaction(a)), None)
        if outer is not None:
            raise CompositeError(f"{local(inter.tag)} inside {local(outer.tag)} is not supported")
        if local(inter.tag) not in INLINE:
            tops[inter] = inter
            continue
        tops[inter] = next((a for a in above if local(a.tag) in TEXT_BLOCKS), inter)
    # inline interactions in nested blocks of text are one cloze: the outermost block
    inline_tops = {t for i, t in tops.items() if local(i.tag) in INLINE}
    for inter, top in tops.items():
        if local(inter.tag) in INLINE:
            tops[inter] = next(
                (a for a in reversed(list(_ancestors(top, parents))) if a in inline_tops), top
            )
    for inter, top in tops.items():
        if top is inter:
            continue
        block = next(
            (e for e in top.iter() if _is_interaction(e) and local(e.tag) not in INLINE), None
        )
        if block is not None:
            raise CompositeError(
                f"{local(inter.tag)} shares its block of text with {local(block.tag)}: "
                "the parts cannot be told apart"
            )
    order = {e: n for n, e in enumerate(body.iter())}
    units: dict[Element, list[Element]] = {}
    for inter in sorted(interactions, key=order.__getitem__):
        units.setdefault(tops[inter], []).append(inter)
    return dict(sorted(units.items(), key=lambda u: order[u[0]]))


def _tag(like: Element, name: str) -> str:
    """``name`` in the namespace of ``like``."""
    return like.tag[: like.tag.index("}") + 1] + name if like.tag.startswith("{") else name


def _remove(root: Element, element: Element, text: str = "") -> None:
    """``element`` leaves ``root`` (``text`` standing in its place); the text after it stays
    where it was."""
    for parent in root.iter():
        children = list(parent)
        if element not in children:
            continue
        index = children.index(element)
        tail = text + (element.tail or "")
        if index:
            children[index - 1].tail = (children[index - 1].tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(element)
        return


def split_body(
    body: Element, interactions: Sequence[Element], label: str
) -> tuple[Element, list[PartBody]]:
    """The body with its parts and feedback taken out (the text the parts share), and each part
    alone in a body of its own. A block interaction with no prompt is given ``label k`` as one,
    so every part has a question to show."""
    units = _units(body, interactions)
    parts = []
    for k, (top, inters) in enumerate(units.items(), 1):
        alone = Element(body.tag, dict(body.attrib))
        piece = deepcopy(top)
        is_block = top is inters[0] and local(top.tag) not in INLINE
        if is_block and not any(local(c.tag) == "qti-prompt" for c in piece):
            prompt = Element(_tag(piece, "qti-prompt"))
            prompt.text = f"{label} {k}"
            piece.insert(0, prompt)
        piece.tail = None
        alone.append(piece)
        responses = tuple(i.get("response-identifier", "") for i in inters)
        parts.append(PartBody(responses, alone))
    shared = deepcopy(body)
    # the same elements in the copy: located before anything is removed from it
    everything, copied = list(body.iter()), list(shared.iter())
    gone = [copied[everything.index(top)] for top in units]
    gone += [e for e in copied if local(e.tag) in FEEDBACK_ELEMENTS]
    for element in gone:
        _remove(shared, element)
    return shared, parts


def placed_body(body: Element, interactions: Sequence[Element]) -> tuple[Element, list[str]]:
    """A copy of the body with each part (a block interaction, or the block of text of a
    cloze's inline ones) replaced by ``{{id}}``, its first response identifier, and feedback
    taken out; and the part ids in the body's order. A coupled composite's stem."""
    units = _units(body, interactions)
    placed = deepcopy(body)
    everything, copied = list(body.iter()), list(placed.iter())
    ids = [inters[0].get("response-identifier", "") for inters in units.values()]
    tops = [copied[everything.index(top)] for top in units]
    for element in [e for e in copied if local(e.tag) in FEEDBACK_ELEMENTS]:
        if not any(element is t or element in list(t.iter()) for t in tops):
            _remove(placed, element)
    for top, pid in zip(tops, ids, strict=True):
        _remove(placed, top, "{{" + pid + "}}")
    return placed, ids


def coupled_points(
    parts: Sequence[ReadPart], decls: Mapping[str, Declaration], rules: Sequence[Rule]
) -> float:
    """The best score the processing gives the probes of a coupled composite: every part's
    right answer (its own key's best probe) together, and each part's probes beside the others
    right. 0 when none scores."""
    score = _Scorer(parts, decls, rules)
    tried = [[qti_responses(p.item, p.rid, decls, x) for x in probes(p.item)] for p in parts]
    keys = [split_item("", p.item)[1] for p in parts]
    right: dict[str, Value] = {}
    for part, key, answers in zip(parts, keys, tried, strict=True):
        best = max(range(len(answers)), key=lambda i: ujian_score(key, probes(part.item)[i]))
        right.update(answers[best])
    found = [score(right)]
    for answers in tried:
        found += [score({**right, **a}) for a in answers]
    return max(0.0, *found)


def _plain(value: Value) -> object:
    if isinstance(value, frozenset):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _show(answers: Mapping[str, Value]) -> str:
    return json.dumps({k: _plain(v) for k, v in answers.items()}, ensure_ascii=False, default=str)


def _names(responses: Sequence[str]) -> str:
    if len(responses) == 1:
        return responses[0]
    return f"{', '.join(responses[:-1])} and {responses[-1]}"


class _Scorer:
    """The item's processing run on some responses, the others unanswered (NULL)."""

    def __init__(
        self, parts: Sequence[ReadPart], decls: Mapping[str, Declaration], rules: Sequence[Rule]
    ) -> None:
        self.rules, self.decls = rules, decls
        self.empty: dict[str, Value] = {r: None for p in parts for r in p.responses}
        self.base = self({})

    def __call__(self, answers: Mapping[str, Value]) -> float:
        return outcome_score(run(self.rules, self.decls, {**self.empty, **answers}))


def check_separable(
    parts: Sequence[ReadPart], decls: Mapping[str, Declaration], rules: Sequence[Rule]
) -> None:
    """Raise ``NotSeparable`` unless the item's score is the sum of its parts' on every probe:
    each part's probes beside each other part's right and wrong answer, all right, all wrong,
    and each part's probes beside all the others right."""
    score = _Scorer(parts, decls, rules)
    # each part's probes as QTI responses, and what each earns with the others unanswered
    tried = [[qti_responses(p.item, p.rid, decls, x) for x in probes(p.item)] for p in parts]
    alone = [[score(a) - score.base for a in answers] for answers in tried]
    right = [max(range(len(s)), key=s.__getitem__) for s in alone]
    # the lowest-scoring answer, an answer if there is one (probe 0 is the empty response)
    wrong = [min(range(1, len(s)) or [0], key=s.__getitem__) for s in alone]

    def differs(choice: Mapping[int, int]) -> str | None:
        answers: dict[str, Value] = {}
        for p, i in choice.items():
            answers.update(tried[p][i])
        got = score(answers)
        want = score.base + sum(alone[p][i] for p, i in choice.items())
        if abs(got - want) <= TOLERANCE:
            return None
        return (
            f"the responses {_show(answers)} score {got:g} by the item's processing, "
            f"{want:g} part by part"
        )

    together: list[int] = []
    evidence: str | None = None
    for p, q in itertools.combinations(range(len(parts)), 2):
        choices = [{p: i, q: j} for i in range(len(tried[p])) for j in {right[q], wrong[q]}]
        choices += [{p: i, q: j} for j in range(len(tried[q])) for i in {right[p], wrong[p]}]
        found = next((d for d in map(differs, choices) if d is not None), None)
        if found is not None:
            together += [x for x in (p, q) if x not in together]
            evidence = evidence or found
    if evidence is None:
        everyone = range(len(parts))
        choices = [dict(zip(everyone, right, strict=True))]
        choices.append(dict(zip(everyone, wrong, strict=True)))
        for p in everyone:
            choices += [{**choices[0], p: i} for i in range(len(tried[p]))]
        evidence = next((d for d in map(differs, choices) if d is not None), None)
        together = list(everyone)
    if evidence is not None:
        named = [r for p in sorted(together) for r in parts[p].responses]
        raise NotSeparable(
            f"composite item whose response processing scores {_names(named)} together, so "
            f"its parts cannot be scored apart: {evidence}"
        )
