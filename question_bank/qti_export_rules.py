"""Response processing written out in full, for exported items the standard templates would
score otherwise than Ujian.

``match_correct`` gives 1 for the correct response whatever the item is worth, compares text case
for case, knows one correct value, and scores a single ``RESPONSE``; ``map_response`` scores
only a declared mapping. Where Ujian's key says more (an item worth other than 1 point, a short
text's alternatives, case folding and partial answers, a number's tolerance and ranges, a
cloze's blanks and their weights, partial credit by right minus wrong choices or pairs), the
export writes its rules with QTI's own expressions, so any QTI 3.0 player scores the item as
Ujian does. What QTI cannot say (diacritics ignored, patterns, whitespace folding, an
ordering's partial credit) stays in the ``data-ujian-*`` attributes only.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

from grading.keys import (
    BlankKey,
    ClozeKey,
    MatchingKey,
    MultipleResponseKey,
    NumericKey,
    ShortTextKey,
)
from question_bank.items import ItemCreate, NumericItem, split_item
from question_bank.qti_html import q

SCORE = {"identifier": "SCORE"}


def _num(value: float) -> str:
    return repr(float(value))


def _e(tag: str, *children: Element, text: str | None = None, **attrs: str) -> Element:
    element = Element(q(tag), {k.replace("_", "-"): v for k, v in attrs.items()})
    element.extend(children)
    element.text = text
    return element


def _var(identifier: str) -> Element:
    return _e("qti-variable", identifier=identifier)


def _value(base_type: str, text: str) -> Element:
    return _e("qti-base-value", text=text, base_type=base_type)


def _set(expression: Element) -> Element:
    return _e("qti-set-outcome-value", expression, **SCORE)


def _points(points: float) -> Element:
    return _set(_value("float", _num(points)))


def _add(points: float) -> Element:
    return _set(_e("qti-sum", _var("SCORE"), _value("float", _num(points))))


def _condition(*branches: tuple[Element | None, list[Element]]) -> Element:
    """``qti-response-condition`` of (test, rules) branches; a None test is the else."""
    condition = _e("qti-response-condition")
    for index, (test, rules) in enumerate(branches):
        tag = "qti-response-else" if test is None else "qti-response-if"
        if test is not None and index:
            tag = "qti-response-else-if"
        branch = SubElement(condition, q(tag))
        if test is not None:
            branch.append(test)
        branch.extend(rules)
    return condition


def _any(tests: list[Element]) -> Element:
    return tests[0] if len(tests) == 1 else _e("qti-or", *tests)


def _matches(rid: str) -> Element:
    return _e("qti-match", _var(rid), _e("qti-correct", identifier=rid))


def _text_is(rid: str, text: str, case_sensitive: bool) -> Element:
    sensitive = "true" if case_sensitive else "false"
    return _e("qti-string-match", _var(rid), _value("string", text), case_sensitive=sensitive)


def _number_is(rid: str, key: NumericKey) -> Element:
    allowed = max(key.absolute_tolerance, abs(key.value) * key.relative_tolerance)
    if allowed == 0:
        return _e("qti-equal", _var(rid), _value("float", _num(key.value)), tolerance_mode="exact")
    # between two bounds rather than qti-equal's tolerance-mode, which not every player knows
    return _between(rid, key.value - allowed, key.value + allowed)


def _between(rid: str, low: float, high: float) -> Element:
    return _e(
        "qti-and",
        _e("qti-gte", _var(rid), _value("float", _num(low))),
        _e("qti-lte", _var(rid), _value("float", _num(high))),
    )


def _right(rid: str, key: BlankKey) -> Element:
    """The test that the response to ``rid`` earns full credit."""
    match key:
        case ShortTextKey():
            return _any([_text_is(rid, a, key.case_sensitive) for a in key.accepted])
        case NumericKey():
            return _number_is(rid, key)
        case _:
            return _matches(rid)


def _all_or_nothing(points: float) -> list[Element]:
    return [_condition((_matches("RESPONSE"), [_points(points)]), (None, [_points(0)]))]


def _right_minus_wrong(rid: str, base_type: str, right: list[str], points: float) -> list[Element]:
    """Right minus wrong values given, as a share of the right ones, never below nothing:
    each right one given counts twice, then every one given is taken off once."""
    share = points / len(right)
    rules = [_points(0)]
    for value in right:
        test = _e("qti-member", _value(base_type, value), _var(rid))
        if base_type == "pair":
            # a pair has no direction; said both ways for players that compare its text
            turned = " ".join(reversed(value.split()))
            test = _e("qti-or", test, _e("qti-member", _value(base_type, turned), _var(rid)))
        rules.append(_condition((test, [_add(2 * share)])))
    given = _e("qti-product", _e("qti-container-size", _var(rid)), _value("float", _num(-share)))
    rules.append(_set(_e("qti-sum", _var("SCORE"), given)))
    rules.append(_condition((_e("qti-lt", _var("SCORE"), _value("float", "0")), [_points(0)])))
    return rules


def _short_text(rid: str, key: ShortTextKey) -> list[Element]:
    branches: list[tuple[Element | None, list[Element]]] = [
        (_right(rid, key), [_points(key.points)])
    ]
    for text, credit in sorted(key.partial.items(), key=lambda p: -p[1]):
        if credit > 0:
            test = _text_is(rid, text, key.case_sensitive)
            branches.append((test, [_points(min(1.0, credit) * key.points)]))
    return [_condition(*branches, (None, [_points(0)]))]


def _numeric(rid: str, key: NumericKey) -> list[Element]:
    branches: list[tuple[Element | None, list[Element]]] = [
        (_number_is(rid, key), [_points(key.points)])
    ]
    for band in sorted(key.ranges, key=lambda r: -r.credit):
        if band.credit > 0:
            test = _between(rid, band.low, band.high)
            branches.append((test, [_points(min(1.0, band.credit) * key.points)]))
    return [_condition(*branches, (None, [_points(0)]))]


def _cloze(key: ClozeKey) -> list[Element]:
    weights = {bid: max(0.0, b.points) for bid, b in key.blanks.items()}
    total = sum(weights.values())
    if total <= 0:
        return [_points(0)]
    if not key.partial_credit:
        tests = [_right(bid, b) for bid, b in key.blanks.items() if weights[bid] > 0]
        test = tests[0] if len(tests) == 1 else _e("qti-and", *tests)
        return [_condition((test, [_points(key.points)]), (None, [_points(0)]))]
    rules = [_points(0)]
    for bid, blank in key.blanks.items():
        if weights[bid] > 0:
            rules.append(
                _condition((_right(bid, blank), [_add(key.points * weights[bid] / total)]))
            )
    return rules


def processing_rules(item: ItemCreate, template: str) -> list[Element] | None:
    """The rules that score ``item`` as Ujian does, where ``template`` would not; else None."""
    key = split_item("", item)[1]
    rid = "RESPONSE"
    match key:
        case ClozeKey():
            return _cloze(key)
        case ShortTextKey():
            plain = key.case_sensitive and len(key.accepted) == 1 and not key.partial
            return None if plain and key.points == 1 else _short_text(rid, key)
        case NumericKey() if isinstance(item, NumericItem) and item.slider is None:
            plain = key.absolute_tolerance == key.relative_tolerance == 0 and not key.ranges
            return None if plain and key.points == 1 else _numeric(rid, key)
        case MultipleResponseKey(mapping=None, partial_credit=True) if key.correct:
            return _right_minus_wrong(rid, "identifier", sorted(key.correct), key.points)
        case MatchingKey(mapping=None, partial_credit=True) if key.pairs:
            base = "pair" if key.undirected else "directedPair"
            return _right_minus_wrong(
                rid, base, sorted(f"{s} {t}" for s, t in key.pairs), key.points
            )
    if template == "match_correct" and key.points != 1:
        return _all_or_nothing(key.points)
    return None
