"""Properties every scorer must keep, whatever the key and the response."""

from __future__ import annotations

import math

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.scoring import item_min_points, score_item
from grading.types import (
    AreaMapEntry,
    ClozeKey,
    ClozeResponse,
    EssayKey,
    EssayResponse,
    ItemKey,
    MatchingKey,
    MatchingResponse,
    MultipleResponseKey,
    MultipleResponseResponse,
    NumericKey,
    NumericRange,
    NumericResponse,
    OrderingKey,
    OrderingResponse,
    Response,
    SelectPointKey,
    SelectPointResponse,
    ShortTextKey,
    ShortTextResponse,
    SingleChoiceKey,
    SingleChoiceResponse,
    TrueFalseKey,
    TrueFalseResponse,
    ValueMap,
)

IDS = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"])
POINTS = st.floats(min_value=0.5, max_value=10.0)
SMALL = st.floats(min_value=-3.0, max_value=3.0)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
WORDS = st.text(alphabet="aAbBéEçÇ ıİß\u0301\t.-x", min_size=0, max_size=8)


@st.composite
def value_maps(draw: st.DrawFn) -> ValueMap:
    entries = draw(st.dictionaries(IDS, SMALL, max_size=6))
    lower = draw(st.none() | st.floats(min_value=-3.0, max_value=0.0))
    upper = draw(st.none() | st.floats(min_value=0.0, max_value=12.0))
    return ValueMap(entries, draw(SMALL), lower, upper)


@st.composite
def single_choice(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    mapping = draw(st.none() | value_maps())
    key = SingleChoiceKey(draw(IDS), draw(POINTS), mapping)
    return key, SingleChoiceResponse(draw(IDS | st.just("")))


@st.composite
def multiple(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    correct = frozenset(draw(st.sets(IDS, min_size=1)))
    mapping = draw(st.none() | value_maps())
    key = MultipleResponseKey(correct, draw(POINTS), draw(st.booleans()), mapping)
    return key, MultipleResponseResponse(frozenset(draw(st.sets(IDS))))


@st.composite
def numeric(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    value = draw(st.floats(min_value=-1e6, max_value=1e6))
    ranges = draw(
        st.lists(
            st.builds(
                lambda lo, w, cr: NumericRange(lo, lo + w, cr),
                st.floats(-1e3, 1e3),
                st.floats(0, 100),
                st.floats(0, 1),
            ),
            max_size=3,
        )
    )
    key = NumericKey(value, draw(st.floats(0, 10)), draw(st.floats(0, 0.1)), draw(POINTS))
    key = msgspec.structs.replace(key, ranges=tuple(ranges))
    return key, NumericResponse(draw(ANY_FLOAT | st.just(value)))


@st.composite
def short_text(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    accepted = tuple(draw(st.lists(WORDS.filter(str.strip), min_size=1, max_size=3)))
    key = ShortTextKey(
        accepted,
        draw(st.booleans()),
        draw(POINTS),
        ignore_diacritics=draw(st.booleans()),
        patterns=tuple(draw(st.lists(st.sampled_from(["a+", "b.?", "x[0-9]*"]), max_size=2))),
        partial=draw(st.dictionaries(WORDS, st.floats(0, 1), max_size=2)),
    )
    return key, ShortTextResponse(draw(WORDS))


@st.composite
def ordering(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    correct = tuple(draw(st.permutations(sorted(draw(st.sets(IDS, min_size=1))))))
    key = OrderingKey(correct, draw(POINTS), draw(st.booleans()))
    return key, OrderingResponse(tuple(draw(st.lists(IDS, max_size=9))))


PAIRS = st.tuples(st.sampled_from(["p", "q", "r", "s"]), IDS)


@st.composite
def matching(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    key = MatchingKey(
        frozenset(draw(st.sets(PAIRS, min_size=1))), draw(POINTS), draw(st.booleans())
    )
    return key, MatchingResponse(frozenset(draw(st.sets(PAIRS))))


@st.composite
def cloze(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    names = draw(st.sets(st.sampled_from(["b1", "b2", "b3"]), min_size=1))
    blank_keys = {}
    blank_responses = {}
    for name in sorted(names):
        key, response = draw(st.one_of(single_choice(), numeric(), short_text()))
        blank_keys[name] = key
        if draw(st.booleans()):
            blank_responses[name] = response
    return (
        ClozeKey(blank_keys, draw(POINTS), draw(st.booleans())),  # type: ignore[arg-type]
        ClozeResponse(blank_responses),  # type: ignore[arg-type]
    )


@st.composite
def select_point(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    coord = st.floats(0, 100)
    areas = draw(
        st.lists(
            st.one_of(
                st.builds(
                    lambda x, y, r, v: AreaMapEntry("circle", (x, y, r), v),
                    coord,
                    coord,
                    st.floats(1, 30),
                    SMALL,
                ),
                st.builds(
                    lambda x, y, v: AreaMapEntry("rect", (x, y, x + 20, y + 10), v),
                    coord,
                    coord,
                    SMALL,
                ),
                st.builds(lambda v: AreaMapEntry("poly", (0, 0, 50, 0, 25, 40), v), SMALL),
            ),
            max_size=4,
        )
    )
    key = SelectPointKey(tuple(areas), draw(POINTS), draw(SMALL), draw(st.none() | SMALL))
    return key, SelectPointResponse(tuple(draw(st.lists(st.tuples(coord, coord), max_size=4))))


@st.composite
def essay(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    return EssayKey(draw(POINTS)), EssayResponse(draw(WORDS))


@st.composite
def true_false(draw: st.DrawFn) -> tuple[ItemKey, Response]:
    return TrueFalseKey(draw(st.booleans()), draw(POINTS)), TrueFalseResponse(draw(st.booleans()))


ANY_ITEM = st.one_of(
    single_choice(),
    multiple(),
    true_false(),
    numeric(),
    short_text(),
    ordering(),
    matching(),
    cloze(),
    essay(),
    select_point(),
)


@settings(max_examples=400)
@given(ANY_ITEM, st.booleans())
def test_score_is_within_the_items_range(item: tuple[ItemKey, Response], drop: bool) -> None:
    key, response = item
    score = score_item(key, None if drop else response)
    assert math.isfinite(score.points)
    assert score.max_points == key.points
    assert score.min_points == item_min_points(key) <= 0.0
    assert score.min_points - 1e-9 <= score.points <= score.max_points + 1e-9
    if score.status == "correct":
        assert score.points == score.max_points
    if score.status in ("blank", "pending_manual", "incorrect"):
        assert score.points <= 0.0


@settings(max_examples=200)
@given(ANY_ITEM)
def test_no_response_is_blank_not_wrong(item: tuple[ItemKey, Response]) -> None:
    key, _ = item
    assert score_item(key, None).status == "blank"
    assert score_item(key, None).points == 0.0


@settings(max_examples=200)
@given(ANY_ITEM, ANY_ITEM)
def test_a_response_of_another_type_earns_nothing(
    item: tuple[ItemKey, Response], other: tuple[ItemKey, Response]
) -> None:
    key, _ = item
    _, response = other
    if type(response).__struct_config__.tag != type(key).__struct_config__.tag:
        assert score_item(key, response).points <= 0.0


def _correct_response(key: ItemKey) -> Response:
    match key:
        case SingleChoiceKey():
            return SingleChoiceResponse(key.correct)
        case MultipleResponseKey():
            return MultipleResponseResponse(key.correct)
        case TrueFalseKey():
            return TrueFalseResponse(key.correct)
        case NumericKey():
            return NumericResponse(key.value)
        case ShortTextKey():
            return ShortTextResponse(key.accepted[0])
        case OrderingKey():
            return OrderingResponse(key.correct)
        case MatchingKey():
            return MatchingResponse(key.pairs)
        case ClozeKey():
            return ClozeResponse({n: _correct_response(k) for n, k in key.blanks.items()})  # type: ignore[misc]
        case _:
            raise AssertionError(f"no correct response for {key!r}")


UNMAPPED = st.one_of(
    single_choice(),
    multiple(),
    true_false(),
    numeric(),
    short_text(),
    ordering(),
    matching(),
    cloze(),
).map(lambda item: item[0])


def _unmapped(key: ItemKey) -> ItemKey:
    match key:
        case SingleChoiceKey() | MultipleResponseKey():
            return msgspec.structs.replace(key, mapping=None)
        case ClozeKey():
            return msgspec.structs.replace(
                key,
                blanks={n: _unmapped(k) for n, k in key.blanks.items()},  # type: ignore[misc]
            )
        case _:
            return key


@settings(max_examples=300)
@given(UNMAPPED)
def test_the_correct_response_gets_full_marks(key: ItemKey) -> None:
    key = _unmapped(key)
    score = score_item(key, _correct_response(key))
    assert score.status == "correct"
    assert score.points == score.max_points == key.points


RENAME = dict(zip("abcdefgh", ["z9", "opt-1", "Q", "x", "yy", "17", "é", "w"], strict=True))


def _rename(key: ItemKey, response: Response) -> tuple[ItemKey, Response]:
    """The same item with every option id replaced, as if the author re-labelled options."""
    r = RENAME.__getitem__
    match key, response:
        case SingleChoiceKey(), SingleChoiceResponse():
            mapping = key.mapping and msgspec.structs.replace(
                key.mapping, entries={r(k): v for k, v in key.mapping.entries.items()}
            )
            return (
                SingleChoiceKey(r(key.correct), key.points, mapping),
                SingleChoiceResponse(r(response.choice) if response.choice else ""),
            )
        case MultipleResponseKey(), MultipleResponseResponse():
            mapping = key.mapping and msgspec.structs.replace(
                key.mapping, entries={r(k): v for k, v in key.mapping.entries.items()}
            )
            return (
                msgspec.structs.replace(
                    key, correct=frozenset(map(r, key.correct)), mapping=mapping
                ),
                MultipleResponseResponse(frozenset(map(r, sorted(response.choices, reverse=True)))),
            )
        case OrderingKey(), OrderingResponse():
            return (
                msgspec.structs.replace(key, correct=tuple(map(r, key.correct))),
                OrderingResponse(tuple(map(r, response.order))),
            )
        case MatchingKey(), MatchingResponse():
            return (
                msgspec.structs.replace(key, pairs=frozenset((s, r(t)) for s, t in key.pairs)),
                MatchingResponse(frozenset((s, r(t)) for s, t in response.pairs)),
            )
        case _:
            raise AssertionError("not an item with options")


@settings(max_examples=300)
@given(st.one_of(single_choice(), multiple(), ordering(), matching()))
def test_relabelling_or_reordering_options_does_not_change_the_score(
    item: tuple[ItemKey, Response],
) -> None:
    key, response = item
    assert score_item(*_rename(key, response)) == score_item(key, response)


@settings(max_examples=300)
@given(multiple(), IDS)
def test_multiple_response_partial_credit_is_monotone(
    item: tuple[ItemKey, Response], extra: str
) -> None:
    key, response = item
    assert isinstance(key, MultipleResponseKey) and isinstance(response, MultipleResponseResponse)
    key = msgspec.structs.replace(key, partial_credit=True, mapping=None)
    before = score_item(key, response).points
    if extra in key.correct:
        after = score_item(key, MultipleResponseResponse(response.choices | {extra}))
    else:
        after = score_item(key, MultipleResponseResponse(response.choices - {extra}))
        if not (response.choices - {extra}):
            return  # removing the only choice makes the response blank: nothing to compare
    assert after.points >= before - 1e-12


@settings(max_examples=300)
@given(ordering(), st.integers(0, 8))
def test_ordering_pair_credit_is_monotone(item: tuple[ItemKey, Response], at: int) -> None:
    key, _ = item
    assert isinstance(key, OrderingKey)
    key = msgspec.structs.replace(key, partial_credit=True)
    order = list(reversed(key.correct))
    if len(order) < 2:
        return
    i = at % (len(order) - 1)
    before = score_item(key, OrderingResponse(tuple(order))).points
    # the pair at i is inverted (the order is reversed): putting it right must not cost
    order[i], order[i + 1] = order[i + 1], order[i]
    after = score_item(key, OrderingResponse(tuple(order))).points
    assert after > before


@settings(max_examples=200)
@given(cloze(), st.sampled_from(["b1", "b2", "b3"]))
def test_cloze_fixing_a_blank_never_lowers_the_score(
    item: tuple[ItemKey, Response], name: str
) -> None:
    key, response = item
    assert isinstance(key, ClozeKey) and isinstance(response, ClozeResponse)
    key = _unmapped(key)
    assert isinstance(key, ClozeKey)
    if name not in key.blanks:
        return
    fixed = ClozeResponse({**response.blanks, name: _correct_response(key.blanks[name])})  # type: ignore[dict-item]
    assert score_item(key, fixed).points >= score_item(key, response).points - 1e-12


def _all_finite(value: object) -> bool:
    """No inf or NaN anywhere in a response (JSON, what clients send, cannot carry them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return True


@settings(max_examples=200)
@given(ANY_ITEM)
def test_keys_and_responses_survive_encoding(item: tuple[ItemKey, Response]) -> None:
    key, response = item
    # msgpack is what is queued (it keeps inf and NaN); JSON is what clients send
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(key), type=ItemKey) == key
    packed = msgspec.msgpack.encode(response)
    back = msgspec.msgpack.decode(packed, type=Response)
    # NaN != NaN, wherever it sits (a cloze blank holds numbers too): a response holding one is
    # compared by its encoding (sets, whose encoding order may differ, hold no numbers)
    assert type(back) is type(response)
    assert back == response or msgspec.msgpack.encode(back) == packed
    assert msgspec.json.decode(msgspec.json.encode(key), type=ItemKey) == key
    if _all_finite(msgspec.to_builtins(response)):
        assert msgspec.json.decode(msgspec.json.encode(response), type=Response) == response
