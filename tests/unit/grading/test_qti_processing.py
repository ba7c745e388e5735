"""The QTI 3.0 response-processing interpreter, checked against the rules the spec states."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grading.qti_processing import (
    SUPPORTED_EXPRESSIONS,
    Declaration,
    MapEntry,
    Mapping_,
    Multiple,
    Ordered,
    Rule,
    UnsupportedConstruct,
    apply_mapping,
    run,
    template_name,
    template_rules,
)

ids = st.sampled_from(["A", "B", "C", "D", "E"])
SCORE = Declaration("single", "float")


def _score(rules: tuple[Rule, ...], response: Declaration, value: object) -> float:
    outcomes = run(rules, {"RESPONSE": response, "SCORE": SCORE}, {"RESPONSE": value})
    return float(outcomes["SCORE"])


def var(name: str) -> Rule:
    return Rule("qti-variable", {"identifier": name})


def base(base_type: str, text: str) -> Rule:
    return Rule("qti-base-value", {"base-type": base_type}, text=text)


def set_score(expr: Rule) -> Rule:
    return Rule("qti-set-outcome-value", {"identifier": "SCORE"}, (expr,))


def when(test: Rule) -> tuple[Rule, ...]:
    """SCORE = 1 when ``test`` is true, else 0."""
    return (
        Rule(
            "qti-response-condition",
            children=(
                Rule("qti-response-if", children=(test, set_score(base("float", "1")))),
                Rule("qti-response-else", children=(set_score(base("float", "0")),)),
            ),
        ),
    )


@given(ids, ids)
def test_match_correct_scores_one_exactly_for_the_correct_choice(correct: str, chosen: str) -> None:
    response = Declaration("single", "identifier", correct=correct)
    score = _score(template_rules("match_correct"), response, chosen)
    assert score == (1.0 if chosen == correct else 0.0)


@given(st.lists(ids, min_size=1, max_size=5), st.lists(ids, max_size=5))
def test_match_correct_compares_multiple_responses_as_bags(
    correct: list[str], chosen: list[str]
) -> None:
    response = Declaration("multiple", "identifier", correct=Multiple(correct))
    score = _score(template_rules("match_correct"), response, Multiple(chosen) or None)
    assert score == (1.0 if sorted(chosen) == sorted(correct) else 0.0)


@given(
    st.dictionaries(ids, st.integers(-4, 4).map(float), min_size=1),
    st.integers(-3, 0).map(float),
    st.one_of(st.none(), st.integers(-5, 0).map(float)),
    st.one_of(st.none(), st.integers(0, 6).map(float)),
    st.lists(ids, min_size=1, max_size=6),
)
def test_map_response_sums_each_distinct_value_once_within_the_bounds(
    entries: dict[str, float],
    default: float,
    lower: float | None,
    upper: float | None,
    chosen: list[str],
) -> None:
    mapping = Mapping_(tuple(MapEntry(k, v) for k, v in entries.items()), default, lower, upper)
    response = Declaration("multiple", "identifier", mapping=mapping)
    want = sum(entries.get(c, default) for c in set(chosen))
    if lower is not None:
        want = max(want, lower)
    if upper is not None:
        want = min(want, upper)
    assert _score(template_rules("map_response"), response, Multiple(chosen)) == want
    assert apply_mapping(mapping, Multiple(chosen)) == want


@given(st.text(max_size=8), st.text(max_size=8), st.booleans())
def test_string_match_is_case_sensitive_unless_told(a: str, b: str, sensitive: bool) -> None:
    test = Rule(
        "qti-string-match",
        {"case-sensitive": "true" if sensitive else "false"},
        (var("RESPONSE"), base("string", b)),
    )
    score = _score(when(test), Declaration("single", "string"), a)
    same = a == b if sensitive else a.casefold() == b.casefold()
    assert score == (1.0 if a and b and same else 0.0)


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(0, 1e3, allow_subnormal=False))
def test_equal_with_an_absolute_tolerance(a: float, b: float, tolerance: float) -> None:
    test = Rule(
        "qti-equal",
        {"tolerance-mode": "absolute", "tolerance": repr(tolerance)},
        (var("RESPONSE"), base("float", repr(b))),
    )
    score = _score(when(test), Declaration("single", "float"), a)
    assert score == (1.0 if a - tolerance <= b <= a + tolerance else 0.0)


truth = st.sampled_from([True, False, None])


def _bool(value: bool | None) -> Rule:
    return Rule("qti-null") if value is None else base("boolean", str(value).lower())


@given(st.lists(truth, min_size=1, max_size=4), st.sampled_from(["qti-and", "qti-or"]))
def test_and_or_follow_three_valued_logic(values: list[bool | None], op: str) -> None:
    expr = Rule(op, children=tuple(_bool(v) for v in values))
    outcomes = run(
        (Rule("qti-set-outcome-value", {"identifier": "OUT"}, (expr,)),),
        {"OUT": Declaration("single", "boolean")},
        {},
    )
    if op == "qti-and":
        want = False if False in values else (None if None in values else True)
    else:
        want = True if True in values else (None if None in values else False)
    assert outcomes["OUT"] == want


@given(st.floats(0, 10, allow_nan=False))
def test_lookup_outcome_value_in_an_interpolation_table(raw: float) -> None:
    table = ("interpolation", [(2.0, True, 3.0), (1.0, False, 1.0)], 0.0)
    decls = {
        "RAW": Declaration("single", "float"),
        "SCORE": Declaration("single", "float", table=table),
    }
    rules = (
        Rule("qti-lookup-outcome-value", {"identifier": "SCORE"}, (base("float", repr(raw)),)),
    )
    want = 3.0 if raw >= 2 else (1.0 if raw > 1 else 0.0)
    assert run(rules, decls, {})["SCORE"] == want


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=3, max_size=20))
def test_an_unknown_construct_is_refused_by_its_name(name: str) -> None:
    element = f"qti-{name}"
    if element in SUPPORTED_EXPRESSIONS:
        return
    with pytest.raises(UnsupportedConstruct) as caught:
        run(when(Rule(element)), {"SCORE": SCORE}, {})
    assert caught.value.construct == element


def test_ordered_responses_match_in_order_only() -> None:
    response = Declaration("ordered", "identifier", correct=Ordered(["A", "B"]))
    rules = template_rules("match_correct")
    assert _score(rules, response, Ordered(["A", "B"])) == 1.0
    assert _score(rules, response, Ordered(["B", "A"])) == 0.0


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml", "match_correct"),
        ("https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response", "map_response"),
        ("../rptemplates/CC2_match.xml", "match_correct"),
        ("https://example.org/own_template.xml", None),
    ],
)
def test_standard_templates_are_recognised_by_any_published_spelling(
    uri: str, name: str | None
) -> None:
    assert template_name(uri) == name


def test_a_blank_response_scores_the_default_of_a_bounded_mapping() -> None:
    mapping = Mapping_((MapEntry("A", 1.0),), default_value=-1.0, lower_bound=-0.5)
    assert apply_mapping(mapping, None) == -0.5
    assert math.isclose(apply_mapping(mapping, Multiple(["A", "B"])), 0.0)
