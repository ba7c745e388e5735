"""QTI 3.0 item import, with safe XML parsing.

defusedxml refuses DTDs, entity declarations (billion laughs, quadratic blow-up) and external
references before anything is expanded, so a hostile file costs a parse error, not memory or a
network fetch. The importer reads what our export writes and the common shapes of other tools'
items (standard interactions, correct responses, mappings, area mappings); anything it cannot
place is a ``QtiError`` that names the element.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from copy import deepcopy
from typing import Any
from xml.etree.ElementTree import Element

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from grading.keys import AreaMapEntry, ValueMap
from grading.qti_processing import Declaration, Rule, UnsupportedConstruct, Value
from grading.qti_program import QtiProgram
from question_bank.content import ContentError
from question_bank.items import ItemCreate, ItemError, split_item
from question_bank.kinds import ChoiceOption, ItemMeta, NumericItem, StimulusSpec
from question_bank.normalise import normalise_item
from question_bank.qti_composite import (
    FEEDBACK_ELEMENTS,
    INLINE,
    CompositeError,
    ItemPart,
    NotSeparable,
    PartBody,
    ReadPart,
    check_separable,
    coupled_points,
    is_composite,
    part_label,
    placed_body,
    split_body,
)
from question_bank.qti_gap_match import GapMatchError, read_gap_match
from question_bank.qti_hottext import PassageError, read_passage
from question_bank.qti_html import inner_html, local, q
from question_bank.qti_ids import MARK, MARKED, unprefixed
from question_bank.qti_probe import best_score, disagreement
from question_bank.qti_rules import (
    declaration_rules,
    declarations,
    processing,
    processing_element,
    to_rule,
)
from question_bank.qti_slider import key_from_processing

MAX_XML_BYTES = 2 * 1024 * 1024
INTERACTIONS = frozenset(
    {
        "qti-choice-interaction",
        "qti-text-entry-interaction",
        "qti-order-interaction",
        "qti-match-interaction",
        "qti-inline-choice-interaction",
        "qti-extended-text-interaction",
        "qti-select-point-interaction",
        "qti-slider-interaction",
        "qti-hottext-interaction",
        "qti-gap-match-interaction",
        "qti-associate-interaction",
        "qti-graphic-order-interaction",
        "qti-hotspot-interaction",
    }
)
# parts of an item this bank does not execute: refused by name, never dropped in silence
REFUSED_PARTS = {
    "qti-template-declaration": "template variables (random values) are not generated",
    "qti-template-processing": "template processing (random values) is not executed",
}
STIMULUS_REF = "qti-assessment-stimulus-ref"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class QtiError(ValueError):
    def __init__(self, message: str, *, unsafe: bool = False, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.unsafe = unsafe
        # a problem code of its own (e.g. "unsupported_pattern", "bad_package"), else the
        # generic one of QTI documents
        self.code = code


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML: no DTD, no entities, no external references, bounded size."""
    if len(data) > MAX_XML_BYTES:
        raise QtiError(f"the XML document is larger than {MAX_XML_BYTES} bytes")
    try:
        root: Element = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as err:
        raise QtiError(
            f"unsafe XML refused ({type(err).__name__}): DTDs, entity declarations "
            "and external references are not accepted",
            unsafe=True,
        ) from err
    except ParseError as err:
        raise QtiError(f"not well-formed XML: {err}") from err
    return root


def _find(parent: Element, tag: str) -> Element | None:
    return next((e for e in parent.iter() if local(e.tag) == tag), None)


def _all(parent: Element, tag: str) -> list[Element]:
    return [e for e in parent.iter() if local(e.tag) == tag]


def _extra(element: Element, name: str, default: Any = None) -> Any:
    raw = element.get("data-ujian-" + name.replace("_", "-"))
    if raw is None:
        return default
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as err:
        raise QtiError(f"data-ujian-{name} is not JSON") from err


def _number(text: str | None, what: str) -> float:
    try:
        return float(text or "")
    except ValueError as err:
        raise QtiError(f"{what} is not a number: {text!r}") from err


class _Declarations:
    def __init__(self, root: Element) -> None:
        self.by_id = {d.get("identifier", ""): d for d in _all(root, "qti-response-declaration")}

    def get(self, identifier: str) -> Element:
        decl = self.by_id.get(identifier)
        if decl is None:
            raise QtiError(f"no qti-response-declaration for {identifier!r}")
        return decl

    def correct(self, identifier: str) -> list[str]:
        values = _find(self.get(identifier), "qti-correct-response")
        return [] if values is None else [v.text or "" for v in _all(values, "qti-value")]

    def mapping(self, identifier: str) -> ValueMap | None:
        element = _find(self.get(identifier), "qti-mapping")
        if element is None:
            return None
        bounds = {
            k: _number(element.get(a), a) if element.get(a) is not None else None
            for k, a in (("lower_bound", "lower-bound"), ("upper_bound", "upper-bound"))
        }
        return ValueMap(
            entries={
                e.get("map-key", ""): _number(e.get("mapped-value"), "mapped-value")
                for e in _all(element, "qti-map-entry")
            },
            default_value=_number(element.get("default-value", "0"), "default-value"),
            **bounds,
        )


def _options(interaction: Element, tag: str) -> list[ChoiceOption]:
    return [
        ChoiceOption(e.get("identifier", ""), inner_html(e), e.get("fixed") == "true")
        for e in _all(interaction, tag)
    ]


def _shuffle(interaction: Element) -> bool:
    # QTI's default is "false": options stay in the author's order unless shuffling is asked for
    return interaction.get("shuffle", "false") == "true"


def _stem(body: Element, interaction: Element | None = None) -> str:
    """The whole item body as the stem: the interaction gives way to its prompt, feedback
    blocks (shown after the results, in the explanation) are left out."""
    own = next(
        (
            e
            for e in body.iter()
            if local(e.tag) == "div" and "ujian-stem" in (e.get("class") or "").split()
        ),
        None,
    )
    if own is not None:
        return inner_html(own)
    copy = deepcopy(body)
    # the same position in the copy: located before anything is removed from it
    target = None
    if interaction is not None:
        target = list(copy.iter())[list(body.iter()).index(interaction)]
    for element in list(copy.iter()):
        for child in list(element):
            if local(child.tag) in FEEDBACK_ELEMENTS:
                _drop(element, child)
    if target is not None:
        _replace(copy, target, _find(target, "qti-prompt"))
    return inner_html(copy)


def _drop(parent: Element, child: Element) -> None:
    _replace_in(parent, child, None)


def _replace(root: Element, element: Element, by: Element | None) -> None:
    for parent in root.iter():
        if element in list(parent):
            _replace_in(parent, element, by)
            return


def _replace_in(parent: Element, child: Element, by: Element | None) -> None:
    """``child`` gives way to the content of ``by`` (spliced in place), or to nothing."""
    index = list(parent).index(child)
    parent.remove(child)
    inserted = list(by) if by is not None else []
    for offset, element in enumerate(inserted):
        parent.insert(index + offset, element)
    texts = [(by.text if by is not None else None) or ""]
    # text before the first inserted element joins what precedes the removed child
    if index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + texts[0]
    else:
        parent.text = (parent.text or "") + texts[0]
    tail = child.tail or ""
    if inserted:
        inserted[-1].tail = (inserted[-1].tail or "") + tail
    elif index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail


def _blank(interaction: Element, decls: _Declarations) -> dict[str, Any]:
    bid = interaction.get("response-identifier", "")
    correct = decls.correct(bid)
    points = _extra(interaction, "points", 1.0)
    if local(interaction.tag) == "qti-inline-choice-interaction":
        return {
            "kind": "single_choice",
            "options": _options(interaction, "qti-inline-choice"),
            "correct": correct[0] if correct else "",
            "points": points,
        }
    if decls.get(bid).get("base-type") in ("float", "integer"):
        return {
            "kind": "numeric",
            "value": _number(correct[0] if correct else None, bid),
            "absolute_tolerance": _extra(interaction, "absolute_tolerance", 0.0),
            "relative_tolerance": _extra(interaction, "relative_tolerance", 0.0),
            "points": points,
        }
    return {
        "kind": "short_text",
        "accepted": correct or _top_keys(decls.mapping(bid)),
        "points": points,
        # QTI compares strings exactly unless the item says otherwise
        "case_sensitive": _extra(interaction, "case_sensitive", True),
        "ignore_diacritics": _extra(interaction, "ignore_diacritics", False),
    }


def _top_keys(mapping: ValueMap | None) -> list[str]:
    if mapping is None or not mapping.entries:
        return []
    best = max(mapping.entries.values())
    return [k for k, v in mapping.entries.items() if v == best]


def _cloze(body: Element, decls: _Declarations) -> dict[str, Any]:
    own = next(
        (e for e in body if local(e.tag) == "div" and "ujian-stem" in (e.get("class") or "")),
        None,
    )
    copy = deepcopy(own if own is not None else body)
    for element in list(copy.iter()):
        for child in list(element):
            if local(child.tag) in FEEDBACK_ELEMENTS:
                _drop(element, child)
    inline = [e for e in copy.iter() if local(e.tag) in INLINE]
    placeholders = {e: "{{" + e.get("response-identifier", "") + "}}" for e in inline}
    return {
        "kind": "cloze",
        "stem": inner_html(copy, placeholders),
        "blanks": {e.get("response-identifier", ""): _blank(e, decls) for e in inline},
        "partial_credit": next(
            (_extra(e, "partial_credit") for e in inline if e.get("data-ujian-partial-credit")),
            True,
        ),
    }


def _length(body: Element, interaction: Element, floor: int) -> int:
    # QTI's expected-length sizes the box, it is no limit: another tool's value only raises ours
    expected = int(interaction.get("expected-length") or floor)
    return expected if _written_by_ujian(body) else max(floor, expected)


def _interactions(body: Element) -> list[Element]:
    """The interactions of the body; one this bank does not support is refused by name."""
    found = [
        e
        for e in body.iter()
        if local(e.tag).endswith("-interaction") and local(e.tag).startswith("qti-")
    ]
    unsupported = sorted({local(e.tag) for e in found} - INTERACTIONS)
    if unsupported:
        raise QtiError(
            f"{', '.join(unsupported)} is not supported by this bank",
            code="qti_unsupported_interaction",
        )
    if not found:
        raise QtiError("the item body has no interaction", code="qti_unsupported_interaction")
    return found


def _fields(root: Element, body: Element, decls: _Declarations) -> dict[str, Any]:
    """The fields of an item with one block interaction, or inline ones only (a cloze)."""
    interactions = _interactions(body)
    inline = [e for e in interactions if local(e.tag) in INLINE]
    if (
        any(e.get("data-ujian-kind") == "cloze" for e in inline)
        or len(inline) > 1
        or (inline and local(inline[0].tag) == "qti-inline-choice-interaction")
    ):
        return _cloze(body, decls)
    inter = interactions[0]
    name, rid = local(inter.tag), inter.get("response-identifier", "RESPONSE")
    stem = _stem(body, inter)
    correct = decls.correct(rid) if name != "qti-extended-text-interaction" else []
    match name:
        case "qti-choice-interaction" if "ujian-true-false" in (inter.get("class") or ""):
            return {"kind": "true_false", "stem": stem, "correct": correct == ["true"]}
        case "qti-choice-interaction":
            fields = _choice(inter, decls, rid, correct)
            return {**fields, "stem": stem, "options": _options(inter, "qti-simple-choice")}
        case "qti-hottext-interaction":
            return _hottext(inter, stem, decls, rid, correct)
        case "qti-text-entry-interaction" if decls.get(rid).get("base-type") in (
            "float",
            "integer",
        ):
            return {
                "kind": "numeric",
                "stem": stem,
                "value": _number(correct[0] if correct else None, "correct response"),
                **{
                    k: _extra(inter, k, d)
                    for k, d in (
                        ("absolute_tolerance", 0.0),
                        ("relative_tolerance", 0.0),
                        ("ranges", []),
                        ("unit", None),
                    )
                },
            }
        case "qti-text-entry-interaction":
            mapping = decls.mapping(rid)
            accepted = correct or _top_keys(mapping)
            partial = {}
            if mapping is not None and accepted:
                best = max(mapping.entries.values(), default=0.0)
                partial = {
                    k: v / best
                    for k, v in mapping.entries.items()
                    if 0 < v < best and k not in accepted
                }
            return {
                "kind": "short_text",
                "stem": stem,
                "accepted": accepted,
                "max_length": _length(body, inter, 200),
                **{
                    k: _extra(inter, k, d)
                    for k, d in (
                        ("case_sensitive", True),
                        ("ignore_diacritics", False),
                        ("patterns", []),
                        ("partial", partial),
                    )
                },
            }
        case "qti-order-interaction":
            options = _options(inter, "qti-simple-choice")
            _check_whole_order(inter, len(options))
            return {
                "kind": "ordering",
                "stem": stem,
                "correct": correct,
                "options": options,
                "partial_credit": _extra(inter, "partial_credit", False),
                "shuffle": _shuffle(inter),
            }
        case "qti-gap-match-interaction":
            return _gap_match(body, inter, decls, rid, correct)
        case "qti-associate-interaction":
            return _associate(inter, stem, decls, rid, correct)
        case "qti-graphic-order-interaction":
            return _graphic_order(inter, stem, decls.get(rid), correct)
        case "qti-hotspot-interaction":
            return _hotspot(inter, stem, decls, rid, correct)
        case "qti-match-interaction":
            sets = _all(inter, "qti-simple-match-set")
            if len(sets) != 2:
                raise QtiError("qti-match-interaction needs two qti-simple-match-set")
            return {
                "kind": "matching",
                "stem": stem,
                "sources": _options(sets[0], "qti-simple-associable-choice"),
                "targets": _options(sets[1], "qti-simple-associable-choice"),
                "pairs": [tuple(v.split()) for v in correct],
                "partial_credit": _extra(inter, "partial_credit", False),
                "mapping": decls.mapping(rid),
                "shuffle": _shuffle(inter),
            }
        case "qti-extended-text-interaction":
            return {
                "kind": "essay",
                "stem": stem,
                "rubric": _extra(inter, "rubric", []),
                "max_length": _length(body, inter, 5000),
            }
        case "qti-slider-interaction":
            return _slider(inter, stem, decls.get(rid), correct)
        case _:  # qti-select-point-interaction
            return _select_point(inter, stem, decls.get(rid))


def _choice(inter: Element, decls: _Declarations, rid: str, correct: list[str]) -> dict[str, Any]:
    """What a choice and a hottext interaction share: the key, the mapping and the rule."""
    single = decls.get(rid).get("cardinality") == "single"
    fields: dict[str, Any] = {
        "kind": "single_choice" if single else "multiple_response",
        "correct": (correct[0] if correct else "") if single else correct,
        "mapping": decls.mapping(rid),
        "shuffle": _shuffle(inter),
    }
    if single and not correct and fields["mapping"] is not None:
        fields["correct"] = (_top_keys(fields["mapping"]) or [""])[0]
    if not single:
        fields["partial_credit"] = _extra(inter, "partial_credit", False)
    return fields


def _count(element: Element, name: str, default: int) -> int:
    raw = element.get(name, str(default)).strip()
    if not raw.isdigit():
        raise QtiError(f"{name} is not a whole number: {raw!r}")
    return int(raw)


def _check_whole_order(inter: Element, choices: int) -> None:
    """An order or graphic-order interaction whose min-choices and max-choices ask for every
    choice in order, as Ujian's orderings do; an order of some choices only is refused by name.

    QTI: without min-choices every choice must be ordered and max-choices is ignored. A
    max-choices below the choices there are is refused all the same: its author meant some
    choices only, and the item would not score as they meant.
    """
    name = local(inter.tag)
    try:
        fewest = _count(inter, "min-choices", choices) if inter.get("min-choices") else None
        most = _count(inter, "max-choices", choices) if inter.get("max-choices") else None
    except QtiError as err:
        raise QtiError(f"{name}: {err.message}") from err
    if fewest is not None and fewest > choices:
        raise QtiError(f"{name}: min-choices {fewest} is more than its {choices} choices")
    if most is not None and fewest is not None and 0 < most < fewest:
        raise QtiError(f"{name}: max-choices {most} is less than min-choices {fewest}")
    if (fewest is not None and fewest < choices) or (most is not None and 0 < most < choices):
        given = " and ".join(
            f"{attr} {value}"
            for attr, value in (("min-choices", fewest), ("max-choices", most))
            if value is not None
        )
        raise QtiError(
            f"{name}: {given} (of {choices} choices) asks for an order of some choices only, "
            "which is not supported (every choice is put in order)",
            code="qti_unsupported",
        )


def _check_choice_declaration(decls: _Declarations, rid: str, interaction: str) -> None:
    """A choice made on a passage or a picture is declared as one or several identifiers."""
    decl = decls.get(rid)
    if decl.get("base-type") != "identifier" or decl.get("cardinality") not in (
        "single",
        "multiple",
    ):
        raise QtiError(f"{interaction} needs a single or multiple response of base-type identifier")


def _hottext(
    inter: Element, stem: str, decls: _Declarations, rid: str, correct: list[str]
) -> dict[str, Any]:
    """A hottext interaction as a single or multiple choice whose options sit in a passage."""
    _check_choice_declaration(decls, rid, "qti-hottext-interaction")
    try:
        passage, options = read_passage(inter)
    except PassageError as err:
        raise QtiError(str(err)) from err
    if not stem:
        # Ujian shows a question above the passage; an item whose body is the passage alone
        # has none to show, and inventing one would not be its author's
        raise QtiError(
            "qti-hottext-interaction: the item has no text besides the passage "
            "(a qti-prompt or a paragraph is needed as the question)"
        )
    fields = _choice(inter, decls, rid, correct)
    single = fields["kind"] == "single_choice"
    hottext = {
        # QTI says a single response takes one choice: a stray max-choices is not read
        "max_choices": 1 if single else _count(inter, "max-choices", 1),
        "min_choices": _count(inter, "min-choices", 0),
        "passage": passage,
    }
    # the runs keep their places in the passage: QTI's hottext has no shuffle
    return {**fields, "stem": stem, "options": options, "shuffle": False, "hottext": hottext}


def _gap_match(
    body: Element, inter: Element, decls: _Declarations, rid: str, correct: list[str]
) -> dict[str, Any]:
    """A gap-match interaction as a matching of its gap texts (sources) to the gaps that stand
    in the stem (targets)."""
    decl = decls.get(rid)
    if decl.get("base-type") != "directedPair" or decl.get("cardinality") not in (
        "single",
        "multiple",
    ):
        raise QtiError(
            "qti-gap-match-interaction needs a single or multiple response of base-type "
            "directedPair"
        )
    try:
        stem, sources, gaps, match_max = read_gap_match(body, inter)
    except GapMatchError as err:
        raise QtiError(str(err)) from err
    mapping = decls.mapping(rid)
    # no correct response: the pairs the mapping gives marks for are the key to show
    pairs = correct or [k for k, v in (mapping.entries if mapping else {}).items() if v > 0]
    single = decl.get("cardinality") == "single"
    return {
        "kind": "matching",
        "stem": stem,
        "sources": sources,
        # a gap shows no text: normalise_item names it by its place in the stem
        "targets": [ChoiceOption(g, str(n + 1)) for n, g in enumerate(gaps)],
        "pairs": [tuple(v.split()) for v in pairs],
        "partial_credit": _extra(inter, "partial_credit", False),
        "mapping": mapping,
        "shuffle": _shuffle(inter),
        "gap_match": {
            "match_max": match_max,
            # a single response holds one pair, whatever the interaction says; a missing
            # max-associations is no limit (kinds.GapMatchSpec says why)
            "max_associations": 1 if single else _count(inter, "max-associations", 0),
            "min_associations": _count(inter, "min-associations", 0),
        },
    }


def _associate(
    inter: Element, stem: str, decls: _Declarations, rid: str, correct: list[str]
) -> dict[str, Any]:
    """An associate interaction as a matching whose pairs are drawn from one set of choices."""
    decl = decls.get(rid)
    if decl.get("base-type") != "pair" or decl.get("cardinality") not in ("single", "multiple"):
        raise QtiError(
            "qti-associate-interaction needs a single or multiple response of base-type pair"
        )
    choices = _options(inter, "qti-simple-associable-choice")
    match_max = {
        e.get("identifier", ""): _count(e, "match-max", 1)
        for e in _all(inter, "qti-simple-associable-choice")
    }
    mapping = decls.mapping(rid)
    # no correct response: the pairs the mapping gives marks for are the key to show
    pairs = correct or [k for k, v in (mapping.entries if mapping else {}).items() if v > 0]
    single = decl.get("cardinality") == "single"
    return {
        "kind": "matching",
        "stem": stem,
        "sources": choices,
        "targets": choices,
        "pairs": [tuple(v.split()) for v in pairs],
        "partial_credit": _extra(inter, "partial_credit", False),
        "mapping": mapping,
        "shuffle": _shuffle(inter),
        "associate": {
            "match_max": {k: v for k, v in match_max.items() if v != 1},
            # a single response holds one pair, whatever the interaction says
            "max_associations": 1 if single else _count(inter, "max-associations", 1),
            "min_associations": _count(inter, "min-associations", 0),
        },
    }


def _flag(element: Element, name: str) -> bool:
    # xs:boolean: "true" or "1"
    return element.get(name, "false").strip() in ("true", "1")


def _slider(inter: Element, stem: str, decl: Element, correct: list[str]) -> dict[str, Any]:
    base_type = decl.get("base-type")
    if base_type not in ("integer", "float") or decl.get("cardinality") != "single":
        raise QtiError(
            "qti-slider-interaction needs a single response of base-type integer or float"
        )
    if inter.get("lower-bound") is None or inter.get("upper-bound") is None:
        raise QtiError("qti-slider-interaction needs lower-bound and upper-bound")
    slider = {
        "lower_bound": _number(inter.get("lower-bound"), "lower-bound"),
        "upper_bound": _number(inter.get("upper-bound"), "upper-bound"),
        # the schema's default step
        "step": _number(inter.get("step", "1"), "step"),
        "step_label": _flag(inter, "step-label"),
        "orientation": inter.get("orientation"),
        "reverse": _flag(inter, "reverse"),
        "base_type": base_type,
    }
    return {
        "kind": "numeric",
        "stem": stem,
        # None: no correct response, the key is read off the processing (qti_slider.py)
        "value": _number(correct[0], "correct response") if correct else None,
        "slider": slider,
        **{
            k: _extra(inter, k, d)
            for k, d in (
                ("absolute_tolerance", 0.0),
                ("relative_tolerance", 0.0),
                ("ranges", []),
                ("unit", None),
            )
        },
    }


def _picture(inter: Element) -> Element | None:
    image = _find(inter, "img")
    picture = _find(inter, "object")
    if image is None and picture is not None and picture.get("data"):
        # QTI 3 puts the picture in an <object data=...>: read as the img it stands for
        image = Element("img", src=picture.get("data", ""))
        for size in ("width", "height"):
            if picture.get(size):
                image.set(size, picture.get(size, ""))
        image.set("alt", " ".join((picture.text or "").split()))
    return image


def _pixels(image: Element, name: str) -> int | None:
    # QTI's length may be a percentage or carry a unit: the coords need whole pixels
    raw = (image.get(name) or "").strip().removesuffix("px")
    if not raw:
        return None
    if not raw.isdigit():
        raise QtiError(f"the picture's {name} is not a whole number of pixels: {raw!r}")
    return int(raw)


def _graphic(inter: Element) -> tuple[list[ChoiceOption], dict[str, Any]]:
    """The labelled hotspots of a graphic interaction as options, and its picture and places
    as the item's ``graphic``."""
    name = local(inter.tag)
    image = _picture(inter)
    if image is None:
        raise QtiError(f"{name} needs an img or an object picture")
    options, hotspots = [], {}
    for n, choice in enumerate(_all(inter, "qti-hotspot-choice")):
        oid, shape = choice.get("identifier", ""), choice.get("shape", "")
        if shape not in ("circle", "rect", "ellipse", "poly"):
            raise QtiError(f"qti-hotspot-choice {oid}: the shape {shape!r} is not supported")
        coords = [_number(c, "coords") for c in (choice.get("coords") or "").split(",") if c]
        hotspots[oid] = {"shape": shape, "coords": coords}
        # the hotspot's own label, else the one read out, else a letter as the page shows
        label = choice.get("hotspot-label") or choice.get("aria-label") or chr(65 + n % 26)
        options.append(ChoiceOption(oid, html.escape(label, quote=False)))
    graphic = {
        "image": image.get("src", ""),
        "width": _pixels(image, "width"),
        "height": _pixels(image, "height"),
        "alt": image.get("alt") or None,
        "hotspots": hotspots,
    }
    return options, graphic


def _graphic_order(inter: Element, stem: str, decl: Element, correct: list[str]) -> dict[str, Any]:
    """A graphic-order interaction as an ordering whose options are hotspots of a picture."""
    if decl.get("base-type") != "identifier" or decl.get("cardinality") != "ordered":
        raise QtiError(
            "qti-graphic-order-interaction needs an ordered response of base-type identifier"
        )
    options, graphic = _graphic(inter)
    _check_whole_order(inter, len(options))
    return {
        "kind": "ordering",
        "stem": stem,
        "options": options,
        "correct": correct,
        "partial_credit": _extra(inter, "partial_credit", False),
        # the hotspots keep their places: the list to order starts in this order unless the
        # item says otherwise (QTI's graphic order has no shuffle)
        "shuffle": _extra(inter, "shuffle", False),
        "graphic": graphic,
    }


def _hotspot(
    inter: Element, stem: str, decls: _Declarations, rid: str, correct: list[str]
) -> dict[str, Any]:
    """A hotspot interaction as a single or multiple choice whose options are hotspots of a
    picture."""
    _check_choice_declaration(decls, rid, "qti-hotspot-interaction")
    options, graphic = _graphic(inter)
    fields = _choice(inter, decls, rid, correct)
    single = fields["kind"] == "single_choice"
    # QTI says a single response takes one choice: a stray max-choices is not read
    graphic["max_choices"] = 1 if single else _count(inter, "max-choices", 1)
    graphic["min_choices"] = _count(inter, "min-choices", 0)
    return {
        **fields,
        "stem": stem,
        "options": options,
        # the hotspots keep their places on the picture: QTI's hotspot has no shuffle, so the
        # options are listed (and tabbed through) in the author's order unless the item says so
        "shuffle": _extra(inter, "shuffle", False),
        "graphic": graphic,
    }


def _select_point(inter: Element, stem: str, decl: Element) -> dict[str, Any]:
    image = _picture(inter)
    area_map = _find(decl, "qti-area-mapping")
    if image is None or area_map is None:
        raise QtiError("qti-select-point-interaction needs an img and a qti-area-mapping")
    bounds = {
        k: _number(area_map.get(a), a)
        for k, a in (("lower_bound", "lower-bound"), ("upper_bound", "upper-bound"))
        if area_map.get(a)
    }
    return {
        "kind": "select_point",
        "stem": stem,
        "image": image.get("src", ""),
        "width": _pixels(image, "width") or 0,
        "height": _pixels(image, "height") or 0,
        "max_choices": int(inter.get("max-choices") or 1),
        "default_value": _number(area_map.get("default-value", "0"), "default-value"),
        "areas": [
            AreaMapEntry(
                e.get("shape", ""),  # type: ignore[arg-type]
                tuple(
                    _number(c, "coords") for c in (e.get("coords") or "").split(",") if c.strip()
                ),
                _number(e.get("mapped-value"), "mapped-value"),
            )
            for e in _all(area_map, "qti-area-map-entry")
        ],
        **bounds,
    }


def import_items(
    data: bytes | Element, stimuli: Mapping[str, StimulusSpec] | None = None
) -> list[ItemPart]:
    """The authored items a QTI 3.0 ``qti-assessment-item`` describes (normalised, checked):
    one, or a composite's parts in the item's order (``question_bank/qti_composite.py``).

    ``stimuli`` holds the stimuli the package reader found, by the ``href`` the item's
    ``qti-assessment-stimulus-ref`` names them with; an item whose stimulus is not there is
    refused (``qti_stimulus_missing``): without its passage the question cannot be answered.
    """
    root = parse_xml(data) if isinstance(data, bytes) else data
    try:
        parts = _import_root(root, stimuli or {})
    except ContentError as err:
        raise QtiError(err.message, code=err.code) from err
    body = _find(root, "qti-item-body")
    if body is None or body.get(MARK) != MARKED:
        return parts
    # Ujian's own export of ids that are not XML names (question_bank/qti_ids.py)
    return [msgspec.structs.replace(p, item=unprefixed(p.item)) for p in parts]


def import_item(
    data: bytes | Element, stimuli: Mapping[str, StimulusSpec] | None = None
) -> ItemCreate:
    """The one authored item a QTI 3.0 item describes; a composite is refused here, as it
    comes in as several (``import_items``)."""
    parts = import_items(data, stimuli)
    if len(parts) > 1:
        raise QtiError(f"a composite item comes in as {len(parts)} items, not one")
    return parts[0].item


def _refuse_unsupported_parts(root: Element) -> None:
    for element in root.iter():
        name = local(element.tag)
        if name in REFUSED_PARTS:
            raise QtiError(
                f"{name} is not supported: {REFUSED_PARTS[name]}", code="qti_unsupported"
            )


def _stimulus(root: Element, stimuli: Mapping[str, StimulusSpec]) -> StimulusSpec | None:
    refs = [e for e in root if local(e.tag) == STIMULUS_REF]
    if not refs:
        return None
    if len(refs) > 1:
        names = ", ".join(r.get("identifier", "") for r in refs)
        raise QtiError(
            f"{STIMULUS_REF} is supported once per item; this one refers to {len(refs)} stimuli "
            f"({names})",
            code="qti_unsupported",
        )
    ref = refs[0]
    href = ref.get("href", "")
    found = stimuli.get(href)
    if found is None:
        raise QtiError(
            f"the item shows the stimulus {ref.get('identifier', '')!r} from {href!r}, which "
            "is not in the upload: import the package that holds the item and its stimulus",
            code="qti_stimulus_missing",
        )
    return found


def _explanation(root: Element, body: Element) -> str | None:
    """Modal feedback and the body's feedback blocks, kept for the review after the results."""
    parts: list[str] = []
    for element in [*body.iter(), *root]:
        if local(element.tag) not in (*FEEDBACK_ELEMENTS, "qti-modal-feedback"):
            continue
        content = _find(element, "qti-content-body")
        text = inner_html(content if content is not None else element)
        title = element.get("title")
        if title and text:
            text = f"<p><strong>{html.escape(title, quote=False)}</strong></p>{text}"
        if text and text not in parts:
            parts.append(text)
    return "".join(parts) or None


def _response_id(fields: dict[str, Any], body: Element) -> str:
    interaction = next(e for e in body.iter() if local(e.tag) in INTERACTIONS)
    return interaction.get("response-identifier", "RESPONSE")


def _candidates(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The item as read, then the variants of its scoring rule a processing may mean."""
    out = [fields]
    kind = fields["kind"]
    if kind in ("multiple_response", "ordering", "matching") and not fields.get("mapping"):
        out.append({**fields, "partial_credit": not fields.get("partial_credit", False)})
    if kind == "short_text":
        out.append({**fields, "case_sensitive": not fields["case_sensitive"]})
    if kind == "cloze":
        out.append({**fields, "partial_credit": not fields["partial_credit"]})
    return out


def _convert(fields: dict[str, Any]) -> ItemCreate:
    try:
        item: ItemCreate = msgspec.convert(fields, ItemCreate)
        item = normalise_item(item)
        split_item("", item)
    except msgspec.ValidationError as err:
        raise QtiError(f"the item does not fit its type: {err}") from err
    except ItemError as err:
        code = err.code if err.code != "validation_failed" else None
        raise QtiError(f"{err.field}: {err.message}", code=code) from err
    return item


def _declared_max(root: Element) -> float | None:
    for decl in _all(root, "qti-outcome-declaration"):
        if decl.get("identifier") == "MAXSCORE":
            value = _find(decl, "qti-value")
            if value is not None:
                return _number(value.text, "MAXSCORE")
    return None


def _describe(probe: object) -> str:
    return "(none)" if probe is None else msgspec.json.encode(probe).decode()


def _written_by_ujian(body: Element) -> bool:
    """Ujian's own export carries its rules as data-ujian-* attributes beside the standard
    template, which cannot say them: its maximum and rules are read from there, not probed."""
    return any(
        k.startswith("data-ujian-") or (k == "class" and "ujian-" in v)
        for e in body.iter()
        for k, v in e.attrib.items()
    )


def _import_root(root: Element, stimuli: Mapping[str, StimulusSpec]) -> list[ItemPart]:
    if root.tag != q("qti-assessment-item") and local(root.tag) != "qti-assessment-item":
        raise QtiError(f"expected a qti-assessment-item, found {local(root.tag)}")
    _refuse_unsupported_parts(root)
    body = _find(root, "qti-item-body")
    if body is None:
        raise QtiError("the item has no qti-item-body")
    stimulus = _stimulus(root, stimuli)
    shared: dict[str, Any] = {}
    explanation = _explanation(root, body)
    if explanation:
        shared["explanation"] = explanation
    language = root.get(XML_LANG)
    if language:
        shared["metadata"] = ItemMeta(language=language)
    interactions = _interactions(body)
    if is_composite(interactions):
        return _composite(root, body, interactions, stimulus, shared)
    fields = {**_fields(root, body, _Declarations(root)), **shared}
    if stimulus is not None:
        fields["stimulus"] = stimulus
    rules, variables = _processing(root)
    declared = _declared_max(root)
    fields["points"] = declared if declared is not None else 1.0
    if fields["kind"] == "numeric" and fields["value"] is None:
        if rules is None or _written_by_ujian(body):
            raise QtiError("qti-slider-interaction has no correct response and no processing")
        _hold_slider_key(fields)
    if rules is None or fields["kind"] == "essay" or _written_by_ujian(body):
        # no processing (or one a person completes): the declared maximum, else 1
        return [ItemPart(_convert(fields))]
    return [ItemPart(_scored(fields, _response_id(fields, body), variables, rules))]


def _hold_slider_key(fields: dict[str, Any]) -> None:
    # only holds the key's place until the processing gives it
    fields["value"] = fields["slider"]["lower_bound"]


def _processing(root: Element) -> tuple[tuple[Rule, ...] | None, dict[str, Declaration]]:
    try:
        return processing(root), declarations(root)
    except UnsupportedConstruct as err:
        raise QtiError(
            f"{err.construct} is not supported: {err.detail}", code="qti_unsupported_processing"
        ) from err
    except (ValueError, IndexError) as err:
        raise QtiError(f"a declaration or processing value is malformed: {err}") from err


def _scored(
    fields: dict[str, Any],
    rid: str,
    variables: dict[str, Declaration],
    rules: tuple[Rule, ...],
    part: tuple[str, ...] = (),
    held: Mapping[str, Value] | None = None,
) -> ItemCreate:
    """The item whose key scores every probe as the item's processing does, else QtiError.
    A composite's ``part`` (its responses) is scored with the others ``held`` unanswered."""
    try:
        if fields.get("slider") is not None:
            slider = _convert(fields)
            if isinstance(slider, NumericItem):
                fields.update(key_from_processing(slider, rid, variables, rules, held))
        best = best_score(_convert(fields), rid, variables, rules, held)
        if best > 0:
            # the processing's own best score is the maximum (a declared MAXSCORE may be a
            # scale the processing never reaches, as in Common Cartridge items)
            fields["points"] = best
        elif part:
            raise QtiError(
                f"composite item whose response processing never scores {', '.join(part)}: "
                "the part would be worth nothing",
                code="qti_unsupported_processing",
            )
        tried: list[str] = []
        for candidate in _candidates(fields):
            item = _convert(candidate)
            differs = disagreement(item, rid, variables, rules, held)
            if differs is None:
                return item
            probe, want, got = differs
            tried.append(
                f"the response {_describe(probe)} scores {want:g} by the item's processing, "
                f"{got:g} as {candidate['kind']}"
            )
    except UnsupportedConstruct as err:
        raise QtiError(
            f"{err.construct} is not supported: {err.detail}".rstrip(": "),
            code="qti_unsupported_processing",
        ) from err
    raise QtiError(
        "the item's response processing scores otherwise than any rule of this bank: " + tried[0],
        code="qti_unsupported_processing",
    )


def _composite(
    root: Element,
    body: Element,
    interactions: list[Element],
    stimulus: StimulusSpec | None,
    shared: dict[str, Any],
) -> list[ItemPart]:
    """A composite item as its parts, each scoring what the item's processing gives its own
    responses, when the processing scores them apart (ADR 0016)."""
    responses = [e.get("response-identifier", "") for e in interactions]
    rules, variables = _processing(root)
    if rules is None:
        raise QtiError(
            f"composite item ({', '.join(responses)}) with no response processing: how its "
            "parts are scored is not said",
            code="qti_unsupported_processing",
        )
    language = root.get(XML_LANG)
    try:
        common, bodies = split_body(body, interactions, part_label(language))
    except CompositeError as err:
        raise QtiError(str(err), code="qti_unsupported_interaction") from err
    decls = _Declarations(root)
    identifier = root.get("identifier") or "item"
    title = " ".join((root.get("title") or identifier).split())
    read = [_part_fields(root, part, decls, shared) for part in bodies]
    try:
        check_separable(
            [ReadPart(_convert(f), _response_id(f, p.body), p.responses) for f, p in read],
            variables,
            rules,
        )
    except NotSeparable as err:
        return [_coupled(root, body, interactions, read, stimulus, shared, (variables, rules), err)]
    except CompositeError as err:
        raise QtiError(str(err), code="qti_unsupported_processing") from err
    except UnsupportedConstruct as err:
        raise QtiError(
            f"{err.construct} is not supported: {err.detail}".rstrip(": "),
            code="qti_unsupported_processing",
        ) from err
    text = inner_html(common)
    if text and stimulus is not None:
        raise QtiError(
            f"composite item with a {STIMULUS_REF} and text of its own around its "
            "interactions: a part shows one passage",
            code="qti_unsupported",
        )
    if text:
        stimulus = _own_stimulus(identifier, title, text)
    if stimulus is not None:
        read = [({**f, "stimulus": stimulus}, p) for f, p in read]
    out = []
    for k, (fields, part) in enumerate(read, 1):
        held = {r: None for r in responses if r not in part.responses}
        rid = _response_id(fields, part.body)
        item = (
            _convert(fields)  # marked by a person, as a lone essay is
            if fields["kind"] == "essay"
            else _scored(fields, rid, variables, rules, part.responses, held)
        )
        out.append(
            ItemPart(item, f"{identifier}-{part.responses[0]}", f"{title} ({k}/{len(read)})")
        )
    return out


def _coupled(
    root: Element,
    body: Element,
    interactions: list[Element],
    read: list[tuple[dict[str, Any], PartBody]],
    stimulus: StimulusSpec | None,
    shared: dict[str, Any],
    program: tuple[dict[str, Declaration], tuple[Rule, ...]],
    why: NotSeparable,
) -> ItemPart:
    """A composite whose processing scores its responses together, as one composite item
    scored by that processing (ADR 0020). Each part is read as a lone item of its kind, its key
    the interaction's correct response; the item's points are the processing's best score on
    the parts' probes (else the declared MAXSCORE)."""
    placed, ids = placed_body(body, interactions)
    variables, rules = program
    parts = {}
    for pid, (read_fields, part) in zip(ids, read, strict=True):
        own = {k: v for k, v in read_fields.items() if k not in ("explanation", "metadata")}
        parts[pid] = ReadPart(_convert(own), _response_id(own, part.body), part.responses)
    try:
        best = coupled_points(list(parts.values()), variables, rules)
    except UnsupportedConstruct as err:
        raise QtiError(
            f"{err.construct} is not supported: {err.detail}".rstrip(": "),
            code="qti_unsupported_processing",
        ) from err
    element = processing_element(root)
    assert element is not None  # a composite without processing is refused before
    fields: dict[str, Any] = {
        **shared,
        "kind": "composite",
        "stem": inner_html(placed),
        "parts": {pid: msgspec.to_builtins(p.item) for pid, p in parts.items()},
        "processing": msgspec.to_builtins(QtiProgram(declaration_rules(root), to_rule(element))),
        "points": best if best > 0 else (_declared_max(root) or 1.0),
    }
    if stimulus is not None:
        fields["stimulus"] = stimulus
    identifier = root.get("identifier") or "item"
    title = " ".join((root.get("title") or identifier).split())
    note = f"one composite item scored by its own response processing: {why}"
    return ItemPart(_convert(fields), identifier, title, note)


def _part_fields(
    root: Element, part: PartBody, decls: _Declarations, shared: dict[str, Any]
) -> tuple[dict[str, Any], PartBody]:
    fields = {**_fields(root, part.body, decls), **shared, "points": 1.0}
    if fields["kind"] == "numeric" and fields["value"] is None:
        _hold_slider_key(fields)
    return fields, part


def _own_stimulus(identifier: str, title: str, text: str) -> StimulusSpec:
    """The text a composite's parts share, as their stimulus named after the item."""
    try:
        return msgspec.convert(
            {"id": identifier, "title": title[:200] or identifier, "body": text}, StimulusSpec
        )
    except msgspec.ValidationError as err:
        raise QtiError(f"the text the parts of {identifier!r} share does not fit: {err}") from err
