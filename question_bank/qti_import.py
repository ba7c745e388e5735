"""QTI 3.0 item import, with safe XML parsing.

defusedxml refuses DTDs, entity declarations (billion laughs, quadratic blow-up) and external
references before anything is expanded, so a hostile file costs a parse error, not memory or a
network fetch. The importer reads what our export writes and the common shapes of other tools'
items (standard interactions, correct responses, mappings, area mappings); anything it cannot
place is a ``QtiError`` that names the element.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import msgspec
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from grading.keys import AreaMapEntry, ValueMap
from question_bank.content import ContentError
from question_bank.items import ItemCreate, ItemError, split_item
from question_bank.kinds import ChoiceOption, ItemMeta
from question_bank.normalise import normalise_item
from question_bank.qti_html import inner_html, local, q

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
    }
)


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
    return [ChoiceOption(e.get("identifier", ""), inner_html(e)) for e in _all(interaction, tag)]


def _stem(body: Element) -> str:
    stem = next(
        (
            e
            for e in body.iter()
            if local(e.tag) == "div" and "ujian-stem" in (e.get("class") or "").split()
        ),
        None,
    )
    if stem is None:
        stem = _find(body, "qti-prompt")
    return inner_html(stem) if stem is not None else ""


def _points(root: Element) -> float:
    for decl in _all(root, "qti-outcome-declaration"):
        if decl.get("identifier") == "MAXSCORE":
            value = _find(decl, "qti-value")
            if value is not None:
                return _number(value.text, "MAXSCORE")
    return 1.0


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
        "accepted": correct,
        "points": points,
        "case_sensitive": _extra(interaction, "case_sensitive", False),
        "ignore_diacritics": _extra(interaction, "ignore_diacritics", False),
    }


def _cloze(body: Element, decls: _Declarations) -> dict[str, Any]:
    inline = [
        e
        for e in body.iter()
        if local(e.tag) in ("qti-inline-choice-interaction", "qti-text-entry-interaction")
    ]
    placeholders = {e: "{{" + e.get("response-identifier", "") + "}}" for e in inline}
    return {
        "kind": "cloze",
        "stem": inner_html(body, placeholders),
        "blanks": {e.get("response-identifier", ""): _blank(e, decls) for e in inline},
        "partial_credit": _extra(body, "partial_credit", True),
    }


def _fields(root: Element, body: Element, decls: _Declarations) -> dict[str, Any]:
    interactions = [e for e in body.iter() if local(e.tag) in INTERACTIONS]
    if not interactions:
        raise QtiError("the item body has no interaction this bank supports")
    inline = [
        e
        for e in interactions
        if local(e.tag) in ("qti-inline-choice-interaction", "qti-text-entry-interaction")
    ]
    if (
        body.get("data-ujian-kind") == "cloze"
        or len(inline) > 1
        or (inline and local(inline[0].tag) == "qti-inline-choice-interaction")
    ):
        return _cloze(body, decls)
    inter = interactions[0]
    name, rid = local(inter.tag), inter.get("response-identifier", "RESPONSE")
    stem = _stem(body)
    correct = decls.correct(rid) if name != "qti-extended-text-interaction" else []
    match name:
        case "qti-choice-interaction" if "ujian-true-false" in (inter.get("class") or ""):
            return {"kind": "true_false", "stem": stem, "correct": correct == ["true"]}
        case "qti-choice-interaction":
            single = decls.get(rid).get("cardinality") == "single"
            fields: dict[str, Any] = {
                "kind": "single_choice" if single else "multiple_response",
                "stem": stem,
                "options": _options(inter, "qti-simple-choice"),
                "correct": (correct[0] if correct else "") if single else correct,
                "mapping": decls.mapping(rid),
            }
            if not single:
                fields["partial_credit"] = _extra(inter, "partial_credit", False)
            return fields
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
            return {
                "kind": "short_text",
                "stem": stem,
                "accepted": correct,
                "max_length": int(inter.get("expected-length") or 200),
                **{
                    k: _extra(inter, k, d)
                    for k, d in (
                        ("case_sensitive", False),
                        ("ignore_diacritics", False),
                        ("patterns", []),
                        ("partial", {}),
                    )
                },
            }
        case "qti-order-interaction":
            return {
                "kind": "ordering",
                "stem": stem,
                "correct": correct,
                "options": _options(inter, "qti-simple-choice"),
                "partial_credit": _extra(inter, "partial_credit", False),
            }
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
            }
        case "qti-extended-text-interaction":
            return {
                "kind": "essay",
                "stem": stem,
                "rubric": _extra(inter, "rubric", []),
                "max_length": int(inter.get("expected-length") or 5000),
            }
        case _:  # qti-select-point-interaction
            return _select_point(inter, stem, decls.get(rid))


def _select_point(inter: Element, stem: str, decl: Element) -> dict[str, Any]:
    image = _find(inter, "img")
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
        "width": int(image.get("width") or 0),
        "height": int(image.get("height") or 0),
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


def import_item(data: bytes | Element) -> ItemCreate:
    """The authored item a QTI 3.0 ``qti-assessment-item`` describes (normalised, checked)."""
    root = parse_xml(data) if isinstance(data, bytes) else data
    try:
        return _import_root(root)
    except ContentError as err:
        raise QtiError(err.message, code=err.code) from err


def _import_root(root: Element) -> ItemCreate:
    if root.tag != q("qti-assessment-item") and local(root.tag) != "qti-assessment-item":
        raise QtiError(f"expected a qti-assessment-item, found {local(root.tag)}")
    body = _find(root, "qti-item-body")
    if body is None:
        raise QtiError("the item has no qti-item-body")
    fields = _fields(root, body, _Declarations(root))
    fields["points"] = _points(root)
    feedback = next(
        (e for e in _all(root, "qti-modal-feedback") if e.get("identifier") == "explanation"), None
    )
    if feedback is not None:
        fields["explanation"] = inner_html(feedback) or None
    language = root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if language:
        fields["metadata"] = ItemMeta(language=language)
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
