"""Authors' rich text cannot stall a process (issue 18).

10,000 unclosed ``\\(`` in a Markdown stem blocked the event loop for seconds: the lazy math
regex rescanned the rest of the text from every opener. Math spans are found by a single-pass
scanner now (question_bank/scan.py), tags nested deeper than the sanitiser's parser can take
in linear time are refused (400 ``content_too_nested``), and items are cleaned off the event
loop. Ordinary content renders exactly as before.
"""

from __future__ import annotations

import contextlib
import gc
import html
import re
import time
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from question_bank.content import (
    MAX_NESTING,
    ContentError,
    _markdown,
    markdown_to_html,
    rich_text,
)
from question_bank.scan import math_spans, nesting_depth
from tests.integration.conftest import Api, School, school, settings, svc
from tests.security.live_server import LiveServer, http, live, while_probing

# fixtures re-used from the integration suite and the live-server helper
__all__ = ["http", "live", "school", "settings", "svc"]

# ---- the rendering of ordinary content is unchanged ------------------------------------------

_OLD_MATH = re.compile(r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)


def _old_markdown_to_html(text: str) -> str:
    # question_bank/content.py before: lift math with the lazy regex, render, put math back
    maths: list[str] = []

    def lift(match: re.Match[str]) -> str:
        maths.append(match.group(0))
        return f"\ue000{len(maths) - 1}\ue001"

    rendered = _markdown.render(_OLD_MATH.sub(lift, text))
    return re.sub(
        "\ue000(\\d+)\ue001", lambda m: html.escape(maths[int(m.group(1))], quote=False), rendered
    )


math_text = st.text(alphabet="$\\()[]a x\n", max_size=40)
markdown_text = st.text(alphabet="$\\()[]ab *_`#>-|&<\n1.", max_size=80)


@hypothesis.settings(max_examples=500, deadline=None)
@given(math_text)
@example("$$$$a$$")
@example("\\(a\\)\\(\\)b\\)")
@example("$$a\\(b$$c\\)")
def test_math_spans_are_those_of_the_lazy_regex(text: str) -> None:
    assert math_spans(text) == [m.span() for m in _OLD_MATH.finditer(text)]


@hypothesis.settings(max_examples=300, deadline=None)
@given(markdown_text)
@example("Solve \\(x^2 < 4\\) and $$a*b*$$ **bold** \\[y\\]")
def test_markdown_renders_as_before(text: str) -> None:
    assert markdown_to_html(text) == _old_markdown_to_html(text)


@hypothesis.settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>/ablipu", max_size=60))
def test_nesting_depth_is_bounded_by_the_tags(text: str) -> None:
    depth = nesting_depth(text, 5)
    assert 0 <= depth <= min(6, text.count("<"))


def test_a_forged_placeholder_is_text_not_an_error() -> None:
    # before: IndexError (a 500) for a private-use "placeholder" naming a math span not there
    assert rich_text("a \ue0005\ue001 \\(x\\)", "markdown") == "<p>a 5 \\(x\\)</p>"


# ---- hostile content costs linear time -------------------------------------------------------

HOSTILE: dict[str, Callable[[int], str]] = {
    "unclosed \\(": lambda n: "\\(" * (n // 2),
    "unclosed \\[": lambda n: "\\[" * (n // 2),
    "unclosed $$": lambda n: "$$x" * (n // 3),
    "closers only": lambda n: "a\\)" * (n // 3),
    "<": lambda n: "<" * n,
    "[": lambda n: "[" * n,
    "![": lambda n: "![" * (n // 2),
    "[](": lambda n: "[](" * (n // 3),
    "*a": lambda n: "*a" * (n // 2),
    "a_ _": lambda n: "a_ _" * (n // 4),
    "backticks": lambda n: "`x``" * (n // 4),
    "> nesting": lambda n: ">" * n + " a",
    "- nesting": lambda n: "- " * (n // 2) + "a",
    "&#": lambda n: "&#" * (n // 2),
}
HOSTILE_HTML: dict[str, Callable[[int], str]] = {
    "<b>": lambda n: "<b>" * (n // 3),
    "<b><div>": lambda n: "<b><div>" * (n // 8),
    "<ul><li>": lambda n: "<ul><li>" * (n // 8),
    "<p><b><i><u>": lambda n: "<p><b><i><u>" * (n // 12),
    "<table>": lambda n: "<table><tr><td>" * (n // 15),
    "&#": lambda n: "&#" * (n // 2),
}


def _cost(text: str, fmt: str) -> float:
    """Best of 7 runs, the garbage collector paused (its pauses are not the parser's cost)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(7):
            started = time.perf_counter()
            # refused is also an answer, and it must come as fast
            with contextlib.suppress(ContentError):
                rich_text(text, fmt)  # type: ignore[arg-type]
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best


def _assert_linear(make: Callable[[int], str], fmt: str) -> None:
    # 2,500 and 20,000 characters (a stem's limit): linear is ~8x, quadratic 64x; allow 16x
    # (+2 ms of timer noise). A busy machine can slow one measurement: a quadratic cost fails
    # every attempt, noise does not
    small_text, large_text = make(2_500), make(20_000)
    for _ in range(3):
        small, large = _cost(small_text, fmt), _cost(large_text, fmt)
        if large <= 16 * small + 0.002:
            return
    raise AssertionError(f"8x the input cost {large / small:.1f}x the time ({small}, {large})")


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_markdown_costs_linear_time(name: str) -> None:
    _assert_linear(HOSTILE[name], "markdown")


@pytest.mark.parametrize("name", sorted(HOSTILE_HTML))
def test_hostile_html_costs_linear_time(name: str) -> None:
    _assert_linear(HOSTILE_HTML[name], "html")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ContentError) as refused:
        rich_text("<div>" * (MAX_NESTING + 1) + "x")
    assert refused.value.code == "content_too_nested"
    # long lists and tables whose items, paragraphs and cells are not closed are not deep
    assert rich_text("<ul>" + "<li>a" * 500 + "</ul>").count("<li>") == 500
    assert rich_text("<ol>" + "<li><p>a<p>b" * 300 + "</ol>").count("<li>") == 300
    assert rich_text("<table>" + "<tr><td>a<td><p>b" * 300 + "</table>").count("<tr>") == 300
    assert rich_text("<div><p>a" * 60 + "</div>" * 60).count("<div>") == 60


# ---- over HTTP -------------------------------------------------------------------------------


async def test_health_answers_while_a_hostile_stem_is_saved(
    http: Any, live: LiveServer, school: School
) -> None:
    api = Api(http)
    await api.headers(school.teacher)  # signed in before the clock starts
    item = {
        "kind": "true_false",
        "stem": "\\(" * 9_999 + "x",
        "format": "markdown",
        "correct": True,
    }
    created, latencies = await while_probing(
        live.url, api.call("POST", "/v1/items", school.teacher, json=item)
    )
    assert created.status_code == 201, created.text
    assert latencies, "the probe ran"
    assert max(latencies) < 0.1, sorted(latencies)[-5:]


async def test_deep_markup_is_refused_naming_the_field(http: Any, school: School) -> None:
    api = Api(http)
    item = {
        "kind": "single_choice",
        "stem": "Pick one",
        "correct": "a",
        "options": [{"id": "a", "text": "fine"}, {"id": "b", "text": "<ul><li>" * 2_000 + "deep"}],
    }
    r = await api.call("POST", "/v1/items", school.teacher, json=item)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "content_too_nested"
    assert r.json()["errors"][0]["field"] == "options[1].text"


async def test_a_forged_placeholder_is_saved(http: Any, school: School) -> None:
    api = Api(http)
    item = {
        "kind": "true_false",
        "stem": "a \ue0005\ue001 b",
        "format": "markdown",
        "correct": True,
    }
    r = await api.call("POST", "/v1/items", school.teacher, json=item)
    assert r.status_code == 201, r.text


async def test_health_answers_while_a_body_of_slow_markdown_is_saved(
    http: Any, live: LiveServer, school: School
) -> None:
    """Linear is not free: a body's worth of Markdown costs the parser seconds of CPU, which
    must not be the event loop's."""
    api = Api(http)
    await api.headers(school.teacher)
    slow = "![" * 9_999
    item = {
        "kind": "single_choice",
        "stem": slow,
        "format": "markdown",
        "correct": "a",
        "explanation": slow,
        "options": [{"id": chr(97 + n), "text": slow} for n in range(10)],
    }
    created, latencies = await while_probing(
        live.url, api.call("POST", "/v1/items", school.teacher, json=item)
    )
    assert created.status_code == 201, created.text
    assert latencies, "the probe ran"
    assert max(latencies) < 0.1, sorted(latencies)[-5:]
