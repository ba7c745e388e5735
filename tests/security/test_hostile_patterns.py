"""Teachers' regular expressions cannot stall a process (issue 18).

Short-text patterns were compiled with Python's backtracking ``re``: ``(a+)+`` against 26
characters took seconds, doubling per character. They are matched by RE2 now
(grading/patterns.py), refused when RE2 cannot match them in linear time, and mean what they
meant before for ordinary patterns.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from grading.keys import ShortTextKey
from grading.patterns import UnsupportedPattern, check_pattern, full_match, to_re2
from grading.scorers.text import normalise_text, short_text_credit
from question_bank.kinds import ShortTextItem
from question_bank.qti_export import export_item
from tests.integration.conftest import Api, School, school, settings, svc
from tests.security.live_server import LiveServer, http, live, while_probing

# fixtures re-used from the integration suite and the live-server helper
__all__ = ["http", "live", "school", "settings", "svc"]

CATASTROPHIC = ["(a+)+", "(a|a)+", "(a*)*b", "(a|aa)+", "((a+)+)+"]
UNSUPPORTED = [
    r"(a)\1",
    r"(?=a)a",
    r"(?<=a)b",
    r"(?!x)a",
    r"a++",
    r"(?x) a",
    "a{2000}",
    "(",
    "a" * 1001,
]


# ---- ordinary patterns mean what they meant --------------------------------------------------


def _old_full_match(pattern: str, text: str, case_sensitive: bool) -> bool:
    # how grading/scorers/text.py matched before: Python's re, IGNORECASE unless case matters
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE).fullmatch(text) is not None


_ATOMS = [
    "a",
    "b",
    "A",
    "é",
    "1",
    " ",
    "-",
    ".",
    r"\d",
    r"\w",
    r"\s",
    r"\D",
    r"\W",
    r"\S",
    "[ab]",
    "[^a1]",
    "[a-c]",
    r"[\d]",
    r"[\w-]",
    r"[\s1]",
    "[é-]",
    r"\u00e9",
    r"\.",
]
_QUANTIFIERS = ["", "", "*", "+", "?", "{1,2}", "{,2}", "{2}", "*?", "+?"]


@st.composite
def _pieces(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(_ATOMS)) + draw(st.sampled_from(_QUANTIFIERS))


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, min_size=1, max_size=4).map("".join),
        st.lists(inner, min_size=2, max_size=3).map("|".join),
        st.tuples(
            st.sampled_from(["(", "(?:"]), inner, st.sampled_from([")", ")?", ")*", ")+"])
        ).map("".join),
    )


ordinary_patterns = st.recursive(_pieces(), _grow, max_leaves=6).filter(lambda p: len(p) < 60)
answers = st.text(alphabet="abAÉé1٣ _-.", max_size=5)


@hypothesis.settings(max_examples=400, deadline=None)
@given(pattern=ordinary_patterns, text=answers, case_sensitive=st.booleans())
@example(pattern=r"\d+", text="٣1", case_sensitive=True)
@example(pattern=r"[\w-]+", text="é-a", case_sensitive=True)
@example(pattern=r"\W", text="é", case_sensitive=True)
@example(pattern="a{,2}", text="aa", case_sensitive=True)
@example(pattern=r"\u00e9", text="É", case_sensitive=False)
def test_ordinary_patterns_match_as_they_did(pattern: str, text: str, case_sensitive: bool) -> None:
    given_text = normalise_text(text, case_sensitive=case_sensitive)
    assert full_match(pattern, given_text, case_sensitive=case_sensitive) == _old_full_match(
        pattern, given_text, case_sensitive
    ), (pattern, to_re2(pattern), given_text)


@hypothesis.settings(max_examples=200, deadline=None)
@given(pattern=ordinary_patterns, text=answers, case_sensitive=st.booleans(), plain=st.booleans())
def test_short_text_credit_is_unchanged(
    pattern: str, text: str, case_sensitive: bool, plain: bool
) -> None:
    key = ShortTextKey(
        ("zzz",), case_sensitive=case_sensitive, ignore_diacritics=plain, patterns=(pattern,)
    )
    given_text = normalise_text(text, case_sensitive=case_sensitive, ignore_diacritics=plain)
    expected = (
        1.0 if given_text == "zzz" or _old_full_match(pattern, given_text, case_sensitive) else 0.0
    )
    assert short_text_credit(key, text) == expected


@hypothesis.settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_translation_is_total(pattern: str) -> None:
    """Any text is either a usable pattern or UnsupportedPattern: never another error."""
    try:
        check_pattern(pattern)
    except UnsupportedPattern as err:
        assert err.reason


@pytest.mark.parametrize("pattern", UNSUPPORTED)
def test_patterns_re2_cannot_match_in_linear_time_are_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        check_pattern(pattern)


# ---- catastrophic patterns cost linear time --------------------------------------------------


def _best_of(n: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_pattern_is_scored_at_once(pattern: str) -> None:
    key = ShortTextKey(("b",), patterns=(pattern,))
    # Python's re took ~4 s here, and twice as long per extra character
    assert _best_of(3, lambda: short_text_credit(key, "a" * 26 + "!")) < 0.05
    assert short_text_credit(key, "a" * 26 + "!") == 0.0


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_scoring_time_grows_linearly_with_the_answer(pattern: str) -> None:
    key = ShortTextKey(("b",), patterns=(pattern,))
    short_text_credit(key, "a")  # compiled once, outside the timing

    def timed(n: int) -> float:
        text = "a" * n + "!"
        return _best_of(7, lambda: short_text_credit(key, text))

    # 8x the answer: linear is ~8x; allow 16x (+1 ms of timer noise); quadratic would be 64x.
    # A busy machine can slow one measurement: a super-linear cost fails every attempt
    for _ in range(3):
        small, large = timed(20_000), timed(160_000)
        if large <= 16 * small + 0.001:
            return
    raise AssertionError(f"8x the answer cost {large / small:.1f}x the time ({small}, {large})")


# ---- over HTTP: refused when saved, graded without stalling the server -----------------------


def _short_text(patterns: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "short_text",
        "stem": "Write the word",
        "accepted": ["b"],
        "patterns": patterns,
        **extra,
    }


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?<=a)b", "a{2000}"])
async def test_an_unsupported_pattern_is_refused_naming_the_field(
    http: Any, school: School, pattern: str
) -> None:
    api = Api(http)
    before = await api.call("GET", "/v1/items", school.teacher)
    r = await api.call("POST", "/v1/items", school.teacher, json=_short_text(["b+", pattern]))
    assert r.status_code == 400, r.text
    problem = r.json()
    assert problem["code"] == "unsupported_pattern"
    assert problem["errors"][0]["field"] == "patterns[1]"
    after = await api.call("GET", "/v1/items", school.teacher)
    assert after.json() == before.json()  # nothing stored


async def test_an_unsupported_pattern_in_a_qti_item_is_refused(http: Any, school: School) -> None:
    # a hand-edited export: Ujian itself never writes a pattern its grader cannot match
    xml = export_item(
        "hostile", ShortTextItem(stem="Write it", accepted=["b"], patterns=["(a)zz"])
    ).replace(b"(a)zz", b"(a)\\\\1")  # JSON in a data attribute: the backslash escaped
    assert b"(a)\\\\1" in xml
    api = Api(http)
    r = await api.call("POST", "/v1/items/import", school.teacher, content=xml)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "unsupported_pattern"
    assert "patterns[0]" in r.json()["detail"]


async def test_health_answers_while_a_catastrophic_pattern_is_graded(
    http: Any, live: LiveServer, school: School
) -> None:
    api = Api(http)
    item = _short_text(["(a+)+", "(a|aa)+c"], max_length=200)
    exam = await api.exam(
        school.teacher,
        items=[
            item,
            {"kind": "true_false", "stem": "Yes?", "correct": True},
            {"kind": "true_false", "stem": "No?", "correct": False},
        ],
    )
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    item_id = next(
        i["id"] for s in paper["sections"] for i in s["items"] if i["kind"] == "short_text"
    )
    # Python's re needed seconds for this answer (twice as long per extra "a")
    r = await api.answer(
        student,
        sitting["id"],
        [{"seq": 1, "item": item_id, "response": {"kind": "short_text", "text": "a" * 25 + "!"}}],
    )
    assert r.status_code == 200, r.text

    submitted, latencies = await while_probing(
        live.url, api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "graded"
    assert submitted.json()["result"]["points"] == 0.0
    assert latencies, "the probe ran"
    assert max(latencies) < 0.1, sorted(latencies)[-5:]
