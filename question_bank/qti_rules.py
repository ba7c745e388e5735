"""A QTI 3.0 item's variables and response processing, read into ``grading.qti_processing``.

The XML stays here; the interpreter in ``grading`` sees plain ``Rule`` trees and
``Declaration`` Structs. Template processing (random values) is not executed: an item that has
it is refused by name before anything else is read.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from grading.qti_processing import (
    Area,
    AreaMapping,
    Declaration,
    MapEntry,
    Mapping_,
    Multiple,
    Ordered,
    Rule,
    UnsupportedConstruct,
    Value,
    parse_value,
    template_name,
    template_rules,
)
from question_bank.qti_html import local


def to_rule(element: Element) -> Rule:
    return Rule(
        local(element.tag),
        {local(k): v for k, v in element.attrib.items()},
        tuple(to_rule(c) for c in element),
        element.text or "",
    )


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if local(c.tag) == name), None)


def _values(element: Element | None, base_type: str, cardinality: str) -> Value:
    if element is None:
        return None
    values = [parse_value(base_type, v.text or "") for v in element if local(v.tag) == "qti-value"]
    if cardinality == "single":
        return values[0] if values else None
    if not values:
        return None
    return Ordered(values) if cardinality == "ordered" else Multiple(values)


def _float(element: Element, name: str) -> float | None:
    raw = element.get(name)
    return None if raw is None else float(raw)


def _mapping(decl: Element, base_type: str) -> Mapping_ | None:
    element = _child(decl, "qti-mapping")
    if element is None:
        return None
    return Mapping_(
        entries=tuple(
            MapEntry(
                parse_value(base_type, e.get("map-key", "")),
                float(e.get("mapped-value", "0")),
                e.get("case-sensitive", "true") == "true",
            )
            for e in element
            if local(e.tag) == "qti-map-entry"
        ),
        default_value=float(element.get("default-value", "0")),
        lower_bound=_float(element, "lower-bound"),
        upper_bound=_float(element, "upper-bound"),
    )


def _area_mapping(decl: Element) -> AreaMapping | None:
    element = _child(decl, "qti-area-mapping")
    if element is None:
        return None
    return AreaMapping(
        areas=tuple(
            Area(
                e.get("shape", ""),
                tuple(float(c) for c in (e.get("coords") or "").split(",") if c.strip()),
                float(e.get("mapped-value", "0")),
            )
            for e in element
            if local(e.tag) == "qti-area-map-entry"
        ),
        default_value=float(element.get("default-value", "0")),
        lower_bound=_float(element, "lower-bound"),
        upper_bound=_float(element, "upper-bound"),
    )


def _table(decl: Element, base_type: str) -> tuple[str, object, Value] | None:
    for element in decl:
        name = local(element.tag)
        if name not in ("qti-match-table", "qti-interpolation-table"):
            continue
        default_raw = element.get("default-value")
        default = None if default_raw is None else parse_value(base_type, default_raw)
        entries = [e for e in element if local(e.tag).endswith("-entry")]
        if name == "qti-match-table":
            table = {
                int(e.get("source-value", "0")): parse_value(base_type, e.get("target-value", ""))
                for e in entries
            }
            return ("match", table, default)
        rows = [
            (
                float(e.get("source-value", "0")),
                e.get("include-boundary", "true") == "true",
                parse_value(base_type, e.get("target-value", "")),
            )
            for e in entries
        ]
        return ("interpolation", rows, default)
    return None


def declarations(root: Element) -> dict[str, Declaration]:
    """Every response and outcome variable of the item, by identifier."""
    out: dict[str, Declaration] = {}
    for element in root:
        name = local(element.tag)
        if name not in ("qti-response-declaration", "qti-outcome-declaration"):
            continue
        cardinality = element.get("cardinality", "single")
        base_type = element.get("base-type") or "string"
        default = _child(element, "qti-default-value")
        out[element.get("identifier", "")] = Declaration(
            cardinality=cardinality,
            base_type=element.get("base-type"),
            default=_values(default, base_type, cardinality),
            correct=_values(_child(element, "qti-correct-response"), base_type, cardinality),
            mapping=_mapping(element, base_type),
            area_mapping=_area_mapping(element),
            table=_table(element, base_type),
        )
    return out


def processing(root: Element) -> tuple[Rule, ...] | None:
    """The item's response-processing rules (a standard template expanded), or None."""
    element = _child(root, "qti-response-processing")
    if element is None:
        return None
    if len(element) == 0:
        uri = element.get("template") or element.get("template-location") or ""
        if not uri:
            return ()
        name = template_name(uri)
        if name is None:
            raise UnsupportedConstruct("qti-response-processing", f"unknown template {uri!r}")
        return template_rules(name)
    return tuple(to_rule(c) for c in element)
