"""QTI 3.0 response processing, executed: the rules an item's author wrote, run on a response.

The interpreter works on ``Rule`` trees (an element's local name, its attributes, its children
and its text), so this module needs no XML library: ``question_bank`` turns the parsed XML into
rules. Values follow the QTI data model: ``None`` is NULL, a single value is a ``str``, ``int``,
``float``, ``bool`` or a ``tuple`` (point, directed pair) or ``frozenset`` (pair); a container is
a ``Multiple`` (a bag: order does not count) or an ``Ordered`` (a sequence). Anything the
interpreter does not know raises ``UnsupportedConstruct`` naming the element, so an item is never
scored by a guess.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

Value = Any


class Rule(msgspec.Struct, frozen=True, omit_defaults=True):
    """One element of a processing tree: ``name`` is the local name (``qti-match``)."""

    name: str
    attrs: dict[str, str] = {}
    children: tuple[Rule, ...] = ()
    text: str = ""


class UnsupportedConstruct(ValueError):
    """A response-processing element (or use of one) this interpreter does not execute."""

    def __init__(self, construct: str, detail: str = "") -> None:
        super().__init__(f"{construct}: {detail}" if detail else construct)
        self.construct = construct
        self.detail = detail


class Multiple(tuple[Value, ...]):
    """A QTI ``multiple`` container: a bag, equal to another with the same members."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, tuple):
            return NotImplemented
        return Counter(map(_hashable, self)) == Counter(map(_hashable, other))

    def __hash__(self) -> int:
        return hash(frozenset(Counter(map(_hashable, self)).items()))


class Ordered(tuple[Value, ...]):
    """A QTI ``ordered`` container."""


def _hashable(value: Value) -> Value:
    return value


class MapEntry(msgspec.Struct, frozen=True):
    key: Value
    value: float
    case_sensitive: bool = True


class Mapping_(msgspec.Struct, frozen=True):
    entries: tuple[MapEntry, ...]
    default_value: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None


class Area(msgspec.Struct, frozen=True):
    shape: str
    coords: tuple[float, ...]
    value: float


class AreaMapping(msgspec.Struct, frozen=True):
    areas: tuple[Area, ...]
    default_value: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None


class Declaration(msgspec.Struct, frozen=True):
    """A response or outcome variable: its type, default/correct value, mappings and table."""

    cardinality: str
    base_type: str | None = None
    default: Value = None
    correct: Value = None
    mapping: Mapping_ | None = None
    area_mapping: AreaMapping | None = None
    # outcome lookup tables: ("match", {source: target}, default) or
    # ("interpolation", [(source, include_boundary, target)], default)
    table: tuple[str, Any, Value] | None = None


class _Exit(Exception):
    pass


TEMPLATES = ("match_correct", "map_response", "map_response_point")


def template_rules(template: str) -> tuple[Rule, ...]:
    """The rules a standard template stands for (``RESPONSE`` into ``SCORE``)."""
    variable = Rule("qti-variable", {"identifier": "RESPONSE"})
    score = {"identifier": "SCORE"}
    null = Rule("qti-is-null", children=(variable,))
    zero = Rule("qti-base-value", {"base-type": "float"}, text="0")
    if template == "match_correct":
        test = Rule(
            "qti-match", children=(variable, Rule("qti-correct", {"identifier": "RESPONSE"}))
        )
        one = Rule("qti-base-value", {"base-type": "float"}, text="1")
        return (
            Rule(
                "qti-response-condition",
                children=(
                    Rule(
                        "qti-response-if",
                        children=(test, Rule("qti-set-outcome-value", score, (one,))),
                    ),
                    Rule(
                        "qti-response-else",
                        children=(Rule("qti-set-outcome-value", score, (zero,)),),
                    ),
                ),
            ),
        )
    if template in ("map_response", "map_response_point"):
        mapper = Rule(
            "qti-map-response" if template == "map_response" else "qti-map-response-point",
            {"identifier": "RESPONSE"},
        )
        return (
            Rule(
                "qti-response-condition",
                children=(
                    Rule(
                        "qti-response-if",
                        children=(null, Rule("qti-set-outcome-value", score, (zero,))),
                    ),
                    Rule(
                        "qti-response-else",
                        children=(Rule("qti-set-outcome-value", score, (mapper,)),),
                    ),
                ),
            ),
        )
    raise UnsupportedConstruct("qti-response-processing", f"unknown template {template!r}")


def template_name(uri: str) -> str | None:
    """The standard template a ``template`` URI names (any of the published spellings)."""
    last = uri.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml").lower()
    last = last.removeprefix("cc2_")
    if last == "match":  # Common Cartridge's all-or-nothing template
        return "match_correct"
    return last if last in TEMPLATES else None


def run(
    rules: Iterable[Rule],
    declarations: Mapping[str, Declaration],
    responses: Mapping[str, Value],
) -> dict[str, Value]:
    """The outcome variables after response processing ``responses`` (NULL where missing)."""
    state = _State(declarations, responses)
    try:
        for rule in rules:
            state.rule(rule)
    except _Exit:
        pass
    return state.outcomes


class _State:
    def __init__(self, decls: Mapping[str, Declaration], responses: Mapping[str, Value]) -> None:
        self.decls = decls
        self.responses = dict(responses)
        self.outcomes: dict[str, Value] = {}
        for name, decl in decls.items():
            if name in responses:
                continue
            if decl.default is not None:
                self.outcomes[name] = decl.default
            elif decl.cardinality == "single" and decl.base_type in ("float", "integer"):
                # QTI: numeric outcomes without a default start at 0
                self.outcomes[name] = 0 if decl.base_type == "integer" else 0.0
            else:
                self.outcomes[name] = None

    # --- rules -----------------------------------------------------------------------------
    def rule(self, rule: Rule) -> None:
        match rule.name:
            case "qti-response-condition":
                for branch in rule.children:
                    if branch.name == "qti-response-else":
                        self.rules(branch.children)
                        return
                    if branch.name not in ("qti-response-if", "qti-response-else-if"):
                        raise UnsupportedConstruct(branch.name)
                    if not branch.children:
                        raise UnsupportedConstruct(branch.name, "has no condition")
                    if self.expr(branch.children[0]) is True:
                        self.rules(branch.children[1:])
                        return
            case "qti-set-outcome-value":
                name = rule.attrs.get("identifier", "")
                self._outcome_decl(name, rule.name)
                self.outcomes[name] = self._cast(name, self.expr(self._only(rule)))
            case "qti-lookup-outcome-value":
                name = rule.attrs.get("identifier", "")
                self.outcomes[name] = self._lookup(name, self.expr(self._only(rule)))
            case "qti-exit-response":
                raise _Exit
            case _:
                raise UnsupportedConstruct(rule.name)

    def rules(self, rules: Iterable[Rule]) -> None:
        for rule in rules:
            self.rule(rule)

    def _outcome_decl(self, name: str, where: str) -> Declaration:
        decl = self.decls.get(name)
        if decl is None:
            raise UnsupportedConstruct(where, f"no declaration for {name!r}")
        return decl

    def _cast(self, name: str, value: Value) -> Value:
        decl = self.decls[name]
        if value is None or decl.cardinality != "single":
            return value
        if decl.base_type == "float" and isinstance(value, (int, float)):
            return float(value)
        if decl.base_type == "integer" and isinstance(value, float):
            return int(value)
        return value

    def _lookup(self, name: str, source: Value) -> Value:
        decl = self._outcome_decl(name, "qti-lookup-outcome-value")
        if decl.table is None:
            raise UnsupportedConstruct("qti-lookup-outcome-value", f"{name!r} has no table")
        kind, table, default = decl.table
        if source is None:
            return default
        if kind == "match":
            return table.get(int(source), default)
        for bound, include, target in table:
            if source > bound or (include and source == bound):
                return target
        return default

    @staticmethod
    def _only(rule: Rule) -> Rule:
        if len(rule.children) != 1:
            raise UnsupportedConstruct(rule.name, "needs exactly one expression")
        return rule.children[0]

    # --- expressions -----------------------------------------------------------------------
    def expr(self, e: Rule) -> Value:
        handler = _EXPRESSIONS.get(e.name)
        if handler is None:
            raise UnsupportedConstruct(e.name)
        return handler(self, e)

    def args(self, e: Rule) -> list[Value]:
        return [self.expr(c) for c in e.children]

    def variable(self, e: Rule) -> Value:
        name = e.attrs.get("identifier", "")
        if name in self.responses:
            return self.responses[name]
        if name in self.outcomes:
            return self.outcomes[name]
        if name in self.decls:
            return None
        raise UnsupportedConstruct("qti-variable", f"no declaration for {name!r}")

    def correct(self, e: Rule) -> Value:
        decl = self.decls.get(e.attrs.get("identifier", ""))
        return None if decl is None else decl.correct


def _base_value(state: _State, e: Rule) -> Value:
    return parse_value(e.attrs.get("base-type", "string"), e.text)


def parse_value(base_type: str, text: str) -> Value:
    """A single value of ``base_type`` from its XML text."""
    text = text.strip() if base_type != "string" else text
    match base_type:
        case "identifier" | "string" | "uri":
            return text
        case "integer":
            return int(text)
        case "float":
            return float(text)
        case "boolean":
            return text.strip() in ("true", "1")
        case "point":
            x, y = text.split()
            return (int(x), int(y))
        case "directedPair":
            a, b = text.split()
            return (a, b)
        case "pair":
            a, b = text.split()
            return frozenset((a, b))
    raise UnsupportedConstruct("qti-base-value", f"base type {base_type!r}")


def _is_null(value: Value) -> bool:
    return value is None or value == "" or (isinstance(value, tuple) and len(value) == 0)


def _members(value: Value) -> tuple[Value, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (Multiple, Ordered)) else (value,)


def _match(state: _State, e: Rule) -> Value:
    a, b = state.args(e)
    if _is_null(a) or _is_null(b):
        return None
    if isinstance(a, Multiple) or isinstance(b, Multiple):
        return Multiple(_members(a)) == Multiple(_members(b))
    if isinstance(a, Ordered) or isinstance(b, Ordered):
        return tuple(_members(a)) == tuple(_members(b))
    return bool(a == b)


def _logic(all_: bool) -> Callable[[_State, Rule], Value]:
    def run_(state: _State, e: Rule) -> Value:
        values = state.args(e)
        if all_:
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False

    return run_


def _not(state: _State, e: Rule) -> Value:
    (value,) = state.args(e)
    return None if value is None else not value


def _numbers(state: _State, e: Rule) -> list[float] | None:
    values: list[float] = []
    for v in state.args(e):
        if _is_null(v):
            return None
        values.extend(float(x) if not isinstance(x, int) else x for x in _members(v))
    return values


def _sum(state: _State, e: Rule) -> Value:
    values = _numbers(state, e)
    return None if values is None else sum(values)


def _product(state: _State, e: Rule) -> Value:
    values = _numbers(state, e)
    return None if values is None else math.prod(values)


def _binary(op: Callable[[float, float], Value]) -> Callable[[_State, Rule], Value]:
    def run_(state: _State, e: Rule) -> Value:
        values = _numbers(state, e)
        if values is None or len(values) != 2:
            return None
        try:
            return op(values[0], values[1])
        except ZeroDivisionError:
            return None

    return run_


def _equal(state: _State, e: Rule) -> Value:
    values = _numbers(state, e)
    if values is None:
        return None
    a, b = values
    mode = e.attrs.get("tolerance-mode", "exact")
    if mode == "exact":
        return a == b
    tolerance = [float(t) for t in e.attrs.get("tolerance", "0").split()]
    low_t, high_t = tolerance[0], tolerance[-1]
    include_lower = e.attrs.get("include-lower-bound", "true") == "true"
    include_upper = e.attrs.get("include-upper-bound", "true") == "true"
    if mode == "absolute":
        low, high = a - low_t, a + high_t
    elif mode == "relative":
        low, high = a * (1 - low_t / 100), a * (1 + high_t / 100)
    else:
        raise UnsupportedConstruct("qti-equal", f"tolerance-mode {mode!r}")
    above = b >= low if include_lower else b > low
    below = b <= high if include_upper else b < high
    return above and below


def _string_match(state: _State, e: Rule) -> Value:
    a, b = state.args(e)
    if _is_null(a) or _is_null(b):
        return None
    if e.attrs.get("substring", "false") == "true":
        raise UnsupportedConstruct("qti-string-match", "substring matching")
    if e.attrs.get("case-sensitive", "true") == "true":
        return str(a) == str(b)
    return str(a).casefold() == str(b).casefold()


def _member(state: _State, e: Rule) -> Value:
    a, b = state.args(e)
    if _is_null(a) or _is_null(b):
        return None
    return a in _members(b)


def _contains(state: _State, e: Rule) -> Value:
    a, b = state.args(e)
    if _is_null(a) or _is_null(b):
        return None
    if isinstance(a, Ordered):
        sub, whole = tuple(_members(b)), tuple(a)
        return any(whole[i : i + len(sub)] == sub for i in range(len(whole) - len(sub) + 1))
    need, have = Counter(_members(b)), Counter(_members(a))
    return all(have[k] >= n for k, n in need.items())


def _container(kind: type[tuple[Value, ...]]) -> Callable[[_State, Rule], Value]:
    def run_(state: _State, e: Rule) -> Value:
        members = [m for v in state.args(e) if not _is_null(v) for m in _members(v)]
        return kind(members) if members else None

    return run_


def _container_size(state: _State, e: Rule) -> Value:
    (value,) = state.args(e)
    return len(_members(value))


def _map_response(state: _State, e: Rule) -> Value:
    name = e.attrs.get("identifier", "")
    decl = state.decls.get(name)
    if decl is None or decl.mapping is None:
        raise UnsupportedConstruct("qti-map-response", f"{name!r} has no qti-mapping")
    return apply_mapping(decl.mapping, state.variable(Rule("qti-variable", {"identifier": name})))


def apply_mapping(mapping: Mapping_, response: Value) -> float:
    """QTI ``map-response``: each distinct value counted once, then bounded."""
    if _is_null(response):
        return max(mapping.default_value, mapping.lower_bound or -math.inf)
    total = 0.0
    for value in dict.fromkeys(_members(response)):
        for entry in mapping.entries:
            if _key_matches(entry, value):
                total += entry.value
                break
        else:
            total += mapping.default_value
    if mapping.lower_bound is not None:
        total = max(total, mapping.lower_bound)
    if mapping.upper_bound is not None:
        total = min(total, mapping.upper_bound)
    return total


def _key_matches(entry: MapEntry, value: Value) -> bool:
    if isinstance(entry.key, str) and isinstance(value, str) and not entry.case_sensitive:
        return entry.key.casefold() == value.casefold()
    if isinstance(entry.key, (int, float)) and isinstance(value, str):
        try:
            return float(value) == entry.key
        except ValueError:
            return False
    return bool(entry.key == value)


def _map_response_point(state: _State, e: Rule) -> Value:
    name = e.attrs.get("identifier", "")
    decl = state.decls.get(name)
    if decl is None or decl.area_mapping is None:
        raise UnsupportedConstruct("qti-map-response-point", f"{name!r} has no qti-area-mapping")
    mapping = decl.area_mapping
    points = _members(state.variable(Rule("qti-variable", {"identifier": name})))
    if not points:
        return max(mapping.default_value, mapping.lower_bound or -math.inf)
    total = 0.0
    for area in mapping.areas:
        if any(_inside(area, p) for p in points):
            total += area.value
    if mapping.lower_bound is not None:
        total = max(total, mapping.lower_bound)
    if mapping.upper_bound is not None:
        total = min(total, mapping.upper_bound)
    return total


def _inside(area: Area, point: tuple[float, float]) -> bool:
    x, y = point
    c = area.coords
    match area.shape:
        case "circle":
            return (x - c[0]) ** 2 + (y - c[1]) ** 2 <= c[2] ** 2
        case "rect":
            return min(c[0], c[2]) <= x <= max(c[0], c[2]) and min(c[1], c[3]) <= y <= max(
                c[1], c[3]
            )
        case "ellipse":
            return ((x - c[0]) / c[2]) ** 2 + ((y - c[1]) / c[3]) ** 2 <= 1
        case "poly":
            pts = list(zip(c[0::2], c[1::2], strict=False))
            inside = False
            for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
                if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                    inside = not inside
            return inside
    raise UnsupportedConstruct("qti-area-map-entry", f"shape {area.shape!r}")


def _null(state: _State, e: Rule) -> Value:
    return None


def _is_null_expr(state: _State, e: Rule) -> Value:
    (value,) = state.args(e)
    return _is_null(value)


def _round(state: _State, e: Rule) -> Value:
    (value,) = state.args(e)
    return None if _is_null(value) else math.floor(float(value) + 0.5)


def _extreme(pick: Callable[[list[float]], float]) -> Callable[[_State, Rule], Value]:
    def run_(state: _State, e: Rule) -> Value:
        values = _numbers(state, e)
        return None if not values else pick(values)

    return run_


_EXPRESSIONS: dict[str, Callable[[_State, Rule], Value]] = {
    "qti-variable": lambda s, e: s.variable(e),
    "qti-correct": lambda s, e: s.correct(e),
    "qti-base-value": _base_value,
    "qti-null": _null,
    "qti-is-null": _is_null_expr,
    "qti-match": _match,
    "qti-member": _member,
    "qti-contains": _contains,
    "qti-and": _logic(True),
    "qti-or": _logic(False),
    "qti-not": _not,
    "qti-sum": _sum,
    "qti-product": _product,
    "qti-subtract": _binary(lambda a, b: a - b),
    "qti-divide": _binary(lambda a, b: a / b),
    "qti-lt": _binary(lambda a, b: a < b),
    "qti-gt": _binary(lambda a, b: a > b),
    "qti-lte": _binary(lambda a, b: a <= b),
    "qti-gte": _binary(lambda a, b: a >= b),
    "qti-equal": _equal,
    "qti-string-match": _string_match,
    "qti-multiple": _container(Multiple),
    "qti-ordered": _container(Ordered),
    "qti-container-size": _container_size,
    "qti-map-response": _map_response,
    "qti-map-response-point": _map_response_point,
    "qti-round": _round,
    "qti-max": _extreme(max),
    "qti-min": _extreme(min),
}
SUPPORTED_EXPRESSIONS = frozenset(_EXPRESSIONS)
SUPPORTED_RULES = frozenset(
    {
        "qti-response-condition",
        "qti-response-if",
        "qti-response-else-if",
        "qti-response-else",
        "qti-set-outcome-value",
        "qti-lookup-outcome-value",
        "qti-exit-response",
    }
)
