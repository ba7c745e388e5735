"""A QTI 3.0 item's variables and response processing, read from ``Rule`` trees.

The XML of ``qti-response-declaration``, ``qti-outcome-declaration`` and
``qti-response-processing`` is turned into ``Rule`` trees by ``question_bank`` (which owns the
XML); here they become the ``Declaration`` Structs and rules the interpreter runs. Reading from
``Rule`` trees rather than XML lets a stored item program (``grading.qti_program``) be read the
same way at grading time as the importer reads the document.
"""

from __future__ import annotations

from collections.abc import Iterable

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

DECLARATIONS = ("qti-response-declaration", "qti-outcome-declaration")


def _child(rule: Rule, name: str) -> Rule | None:
    return next((c for c in rule.children if c.name == name), None)


def _values(rule: Rule | None, base_type: str, cardinality: str) -> Value:
    if rule is None:
        return None
    values = [parse_value(base_type, v.text) for v in rule.children if v.name == "qti-value"]
    if cardinality == "single":
        return values[0] if values else None
    if not values:
        return None
    return Ordered(values) if cardinality == "ordered" else Multiple(values)


def _float(rule: Rule, name: str) -> float | None:
    raw = rule.attrs.get(name)
    return None if raw is None else float(raw)


def _mapping(decl: Rule, base_type: str) -> Mapping_ | None:
    rule = _child(decl, "qti-mapping")
    if rule is None:
        return None
    return Mapping_(
        entries=tuple(
            MapEntry(
                parse_value(base_type, e.attrs.get("map-key", "")),
                float(e.attrs.get("mapped-value", "0")),
                e.attrs.get("case-sensitive", "true") == "true",
            )
            for e in rule.children
            if e.name == "qti-map-entry"
        ),
        default_value=float(rule.attrs.get("default-value", "0")),
        lower_bound=_float(rule, "lower-bound"),
        upper_bound=_float(rule, "upper-bound"),
    )


def _area_mapping(decl: Rule) -> AreaMapping | None:
    rule = _child(decl, "qti-area-mapping")
    if rule is None:
        return None
    return AreaMapping(
        areas=tuple(
            Area(
                e.attrs.get("shape", ""),
                tuple(float(c) for c in (e.attrs.get("coords") or "").split(",") if c.strip()),
                float(e.attrs.get("mapped-value", "0")),
            )
            for e in rule.children
            if e.name == "qti-area-map-entry"
        ),
        default_value=float(rule.attrs.get("default-value", "0")),
        lower_bound=_float(rule, "lower-bound"),
        upper_bound=_float(rule, "upper-bound"),
    )


def _table(decl: Rule, base_type: str) -> tuple[str, object, Value] | None:
    for rule in decl.children:
        if rule.name not in ("qti-match-table", "qti-interpolation-table"):
            continue
        default_raw = rule.attrs.get("default-value")
        default = None if default_raw is None else parse_value(base_type, default_raw)
        entries = [e for e in rule.children if e.name.endswith("-entry")]
        if rule.name == "qti-match-table":
            table = {
                int(e.attrs.get("source-value", "0")): parse_value(
                    base_type, e.attrs.get("target-value", "")
                )
                for e in entries
            }
            return ("match", table, default)
        rows = [
            (
                float(e.attrs.get("source-value", "0")),
                e.attrs.get("include-boundary", "true") == "true",
                parse_value(base_type, e.attrs.get("target-value", "")),
            )
            for e in entries
        ]
        return ("interpolation", rows, default)
    return None


def read_declarations(rules: Iterable[Rule]) -> dict[str, Declaration]:
    """Every response and outcome variable among ``rules`` (other elements are skipped)."""
    out: dict[str, Declaration] = {}
    for rule in rules:
        if rule.name not in DECLARATIONS:
            continue
        cardinality = rule.attrs.get("cardinality", "single")
        base_type = rule.attrs.get("base-type") or "string"
        out[rule.attrs.get("identifier", "")] = Declaration(
            cardinality=cardinality,
            base_type=rule.attrs.get("base-type"),
            default=_values(_child(rule, "qti-default-value"), base_type, cardinality),
            correct=_values(_child(rule, "qti-correct-response"), base_type, cardinality),
            mapping=_mapping(rule, base_type),
            area_mapping=_area_mapping(rule),
            table=_table(rule, base_type),
        )
    return out


def read_processing(element: Rule) -> tuple[Rule, ...]:
    """The rules of a ``qti-response-processing`` element (a standard template expanded)."""
    if not element.children:
        uri = element.attrs.get("template") or element.attrs.get("template-location") or ""
        if not uri:
            return ()
        name = template_name(uri)
        if name is None:
            raise UnsupportedConstruct("qti-response-processing", f"unknown template {uri!r}")
        return template_rules(name)
    return element.children
