# the integration fixtures are imported below (tests/security has no conftest of its own), and
# pytest passes them back in by parameter name
# ruff: noqa: F811
"""Answers bounded by their item (issue 18): option ids that exist, text within the item's
limit and the deployment's cap, finite numbers, a per-sitting write budget (429) and linear
navigation kept by the server (409). A refused batch stores nothing, in Redis or PostgreSQL.

The first half are properties of the validator alone (question_bank/answer_rules.py); the rest
run through the API on the real servers.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from engine.app import create_app
from engine.services import Services
from engine.settings import Settings
from engine.workers.runner import Workers
from grading.responses import (
    ClozeResponse,
    EssayResponse,
    MatchingResponse,
    MultipleResponseResponse,
    NumericResponse,
    OrderingResponse,
    Response,
    SelectPointResponse,
    ShortTextResponse,
    SingleChoiceResponse,
    TrueFalseResponse,
)
from question_bank.answer_rules import (
    BLANK_MAX_CHARS,
    NUMBER_LIMIT,
    BlankRule,
    ItemRule,
    check_response,
    paper_rules,
    positions,
)
from question_bank.items import split_item
from question_bank.kinds import ItemCreate
from question_bank.paper import compile_item, compile_paper, render_sections
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    Api,
    School,
    api,
    client,
    school,
    settings,
    svc,
)

CAP = 100_000
PROBLEM = "application/problem+json"

# ---------------------------------------------------------------- the validator's properties

ids = st.text("abcdefghij0123456789_-", min_size=1, max_size=8)
id_sets = st.frozensets(ids, min_size=2, max_size=8)
finite = st.floats(min_value=-NUMBER_LIMIT, max_value=NUMBER_LIMIT, allow_nan=False)
outside = st.one_of(
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(float("-inf")),
    st.floats(min_value=NUMBER_LIMIT, exclude_min=True, allow_infinity=False),
    st.floats(max_value=-NUMBER_LIMIT, exclude_max=True, allow_infinity=False),
)


@st.composite
def rule_and_answer(draw: st.DrawFn) -> tuple[ItemRule, Response]:
    """An item's rule and an answer the item takes (what the student page can send)."""
    kind = draw(
        st.sampled_from(
            [
                "single_choice",
                "multiple_response",
                "true_false",
                "numeric",
                "short_text",
                "essay",
                "ordering",
                "matching",
                "cloze",
                "select_point",
            ]
        )
    )
    options = draw(id_sets)
    pick = sorted(options)
    response: Response
    match kind:
        case "single_choice":
            rule = ItemRule(kind, 0, options=options)
            response = SingleChoiceResponse(draw(st.sampled_from(pick)))
        case "multiple_response":
            rule = ItemRule(kind, 0, options=options)
            response = MultipleResponseResponse(draw(st.frozensets(st.sampled_from(pick))))
        case "true_false":
            rule = ItemRule(kind, 0)
            response = TrueFalseResponse(draw(st.booleans()))
        case "numeric":
            rule = ItemRule(kind, 0)
            response = NumericResponse(draw(finite))
        case "short_text" | "essay":
            limit = draw(st.integers(1, 300))
            rule = ItemRule(kind, 0, max_chars=limit)
            text = draw(st.text(max_size=limit))
            response = ShortTextResponse(text) if kind == "short_text" else EssayResponse(text)
        case "ordering":
            rule = ItemRule(kind, 0, options=options)
            response = OrderingResponse(tuple(draw(st.permutations(pick))))
        case "matching":
            targets = draw(id_sets)
            rule = ItemRule(kind, 0, sources=options, targets=targets)
            chosen = draw(st.lists(st.sampled_from(pick), unique=True))
            response = MatchingResponse(
                frozenset((s, draw(st.sampled_from(sorted(targets)))) for s in chosen)
            )
        case "cloze":
            blanks = {
                "c": BlankRule("single_choice", options),
                "n": BlankRule("numeric"),
                "t": BlankRule("short_text"),
            }
            rule = ItemRule(kind, 0, blanks=blanks)
            given_blanks: dict[str, Any] = {}
            if draw(st.booleans()):
                given_blanks["c"] = SingleChoiceResponse(draw(st.sampled_from(pick)))
            if draw(st.booleans()):
                given_blanks["n"] = NumericResponse(draw(finite))
            if draw(st.booleans()):
                given_blanks["t"] = ShortTextResponse(draw(st.text(max_size=50)))
            response = ClozeResponse(given_blanks)
        case _:
            w, h, most = (
                draw(st.integers(1, 5000)),
                draw(st.integers(1, 5000)),
                draw(st.integers(1, 5)),
            )
            rule = ItemRule(kind, 0, width=w, height=h, max_choices=most)
            response = SelectPointResponse(
                tuple(
                    draw(
                        st.lists(
                            st.tuples(st.integers(0, w).map(float), st.integers(0, h).map(float)),
                            max_size=most,
                        )
                    )
                )
            )
    return rule, response


@given(rule_and_answer())
def test_any_answer_the_item_takes_is_accepted(case: tuple[ItemRule, Response]) -> None:
    rule, response = case
    assert check_response(rule, response, CAP) is None
    assert check_response(rule, None, CAP) is None  # clearing an answer fits every item


@given(rule_and_answer(), ids)
def test_an_unknown_option_is_refused(case: tuple[ItemRule, Response], stranger: str) -> None:
    rule, response = case
    known = rule.options | rule.sources | rule.targets
    assume(stranger not in known.union(*(b.options for b in rule.blanks.values())))
    bad: Response
    match response:
        case SingleChoiceResponse():
            bad = SingleChoiceResponse(stranger)
        case MultipleResponseResponse():
            bad = MultipleResponseResponse(response.choices | {stranger})
        case OrderingResponse():
            bad = OrderingResponse((*response.order, stranger))
        case MatchingResponse():
            bad = MatchingResponse(response.pairs | {(stranger, min(rule.targets))})
        case ClozeResponse():
            bad = ClozeResponse({**response.blanks, "c": SingleChoiceResponse(stranger)})
        case _:
            bad = ClozeResponse({stranger: NumericResponse(1)})  # a kind the item is not
    assert check_response(rule, bad, CAP) is not None


@given(rule_and_answer(), st.integers(1, 50))
def test_text_over_the_limit_is_refused(case: tuple[ItemRule, Response], over: int) -> None:
    rule, _ = case
    if rule.kind in ("short_text", "essay"):
        text = "x" * (rule.max_chars + over)
        bad: Response = (
            ShortTextResponse(text) if rule.kind == "short_text" else EssayResponse(text)
        )
        assert check_response(rule, bad, CAP) is not None
        # the deployment's cap holds below the item's own limit too
        fits = "x" * rule.max_chars
        ok: Response = ShortTextResponse(fits) if rule.kind == "short_text" else EssayResponse(fits)
        assert check_response(rule, ok, CAP) is None
        assert (check_response(rule, ok, rule.max_chars - 1) is None) == (rule.max_chars == 0)
    elif rule.kind == "cloze":
        bad = ClozeResponse({"t": ShortTextResponse("y" * (BLANK_MAX_CHARS + over))})
        assert check_response(rule, bad, CAP) is not None


@given(rule_and_answer(), outside)
def test_a_number_not_finite_or_too_large_is_refused(
    case: tuple[ItemRule, Response], number: float
) -> None:
    rule, _ = case
    bad: Response
    if rule.kind == "numeric":
        bad = NumericResponse(number)
    elif rule.kind == "cloze":
        bad = ClozeResponse({"n": NumericResponse(number)})
    elif rule.kind == "select_point":
        bad = SelectPointResponse(((number, 0.0),))
    else:
        return
    assert check_response(rule, bad, CAP) is not None


@given(rule_and_answer())
def test_duplicates_and_the_wrong_kind_are_refused(case: tuple[ItemRule, Response]) -> None:
    rule, response = case
    match response:
        case OrderingResponse():
            assert (
                check_response(rule, OrderingResponse((*response.order, response.order[0])), CAP)
                is not None
            )
        case MatchingResponse() if response.pairs:
            source, target = min(response.pairs)
            other = max(rule.targets - {target}, default=None)
            if other is not None:
                assert (
                    check_response(rule, MatchingResponse(response.pairs | {(source, other)}), CAP)
                    is not None
                )
        case SelectPointResponse():
            too_many = ((0.0, 0.0),) * (rule.max_choices + 1)
            assert check_response(rule, SelectPointResponse(too_many), CAP) is not None
        case _:
            pass
    wrong = TrueFalseResponse(True) if rule.kind != "true_false" else NumericResponse(1.0)
    assert check_response(rule, wrong, CAP) is not None


AUTHORED: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "kind": "single_choice",
            "stem": "2 + 2?",
            "correct": "b",
            "options": [{"id": "a", "text": "3"}, {"id": "b", "text": "4"}],
        },
        {"kind": "single_choice", "choice": "b"},
    ),
    (
        {
            "kind": "multiple_response",
            "stem": "Even?",
            "correct": ["a", "c"],
            "options": [
                {"id": "a", "text": "2"},
                {"id": "b", "text": "3"},
                {"id": "c", "text": "4"},
            ],
        },
        {"kind": "multiple_response", "choices": ["a", "c"]},
    ),
    (
        {"kind": "true_false", "stem": "The sun is a star.", "correct": True},
        {"kind": "true_false", "value": True},
    ),
    (
        {"kind": "numeric", "stem": "π?", "value": 3.14, "absolute_tolerance": 0.01},
        {"kind": "numeric", "value": 3.141},
    ),
    (
        {"kind": "short_text", "stem": "Capital?", "accepted": ["Jakarta"], "max_length": 20},
        {"kind": "short_text", "text": "jakarta"},
    ),
    (
        {
            "kind": "ordering",
            "stem": "Order",
            "correct": ["x", "y", "z"],
            "options": [
                {"id": "z", "text": "3"},
                {"id": "x", "text": "1"},
                {"id": "y", "text": "2"},
            ],
        },
        {"kind": "ordering", "order": ["x", "y", "z"]},
    ),
    (
        {
            "kind": "matching",
            "stem": "Match",
            "pairs": [["s1", "t2"], ["s2", "t1"]],
            "sources": [{"id": "s1", "text": "A"}, {"id": "s2", "text": "B"}],
            "targets": [{"id": "t1", "text": "b"}, {"id": "t2", "text": "a"}],
        },
        {"kind": "matching", "pairs": [["s1", "t2"], ["s2", "t1"]]},
    ),
    (
        {
            "kind": "cloze",
            "stem": "<p>Air mendidih pada {{t}} °C di {{w}}.</p>",
            "blanks": {
                "t": {"kind": "numeric", "value": 100},
                "w": {
                    "kind": "single_choice",
                    "correct": "sea",
                    "options": [{"id": "sea", "text": "laut"}, {"id": "top", "text": "puncak"}],
                },
            },
        },
        {
            "kind": "cloze",
            "blanks": {
                "t": {"kind": "numeric", "value": 100},
                "w": {"kind": "single_choice", "choice": "sea"},
            },
        },
    ),
    (
        {"kind": "essay", "stem": "Explain.", "max_length": 300},
        {"kind": "essay", "text": "Because."},
    ),
    (
        {
            "kind": "select_point",
            "stem": "Click Java.",
            "image": "https://example.org/map.png",
            "width": 400,
            "height": 300,
            "areas": [{"shape": "circle", "coords": [10, 10, 5], "mapped_value": 1}],
        },
        {"kind": "select_point", "points": [[10, 11]]},
    ),
]
# per kind: answers the item above must refuse (an unknown id, too long, out of bounds)
BAD: dict[str, list[dict[str, Any]]] = {
    "single_choice": [{"kind": "single_choice", "choice": "zz"}],
    "multiple_response": [{"kind": "multiple_response", "choices": ["a", "nope"]}],
    "true_false": [{"kind": "numeric", "value": 1}],
    "numeric": [{"kind": "numeric", "value": 1e200}],
    "short_text": [{"kind": "short_text", "text": "x" * 21}],
    "ordering": [
        {"kind": "ordering", "order": ["x", "x", "y"]},
        {"kind": "ordering", "order": ["x", "y", "w"]},
    ],
    "matching": [
        {"kind": "matching", "pairs": [["s1", "t1"], ["s1", "t2"]]},
        {"kind": "matching", "pairs": [["s1", "t9"]]},
    ],
    "cloze": [
        {"kind": "cloze", "blanks": {"q": {"kind": "numeric", "value": 1}}},
        {"kind": "cloze", "blanks": {"w": {"kind": "single_choice", "choice": "moon"}}},
        {"kind": "cloze", "blanks": {"t": {"kind": "short_text", "text": "100"}}},
    ],
    "essay": [{"kind": "essay", "text": "y" * 301}],
    "select_point": [
        {"kind": "select_point", "points": [[10, 11], [12, 13]]},
        {"kind": "select_point", "points": [[5000, 10]]},
    ],
}
_authored = msgspec.json.Decoder(ItemCreate)
_response = msgspec.json.Decoder(Response)


def test_compiled_papers_carry_the_rules_of_every_kind() -> None:
    """The rules come from the compiled student items: what the page shows is what is checked."""
    students = [
        split_item(f"i{n}", _authored.decode(msgspec.json.encode(item)))[0]
        for n, (item, _) in enumerate(AUTHORED)
    ]
    paper = compile_paper(str(uuid.uuid4()), "T", True, [("A", students)])
    assert [compile_item(s) for s in students] == paper.sections[0].items
    rules = paper_rules(paper).items
    for n, (item, good) in enumerate(AUTHORED):
        rule = rules[f"i{n}"]
        assert rule.kind == item["kind"] and rule.index == n
        assert check_response(rule, _response.decode(msgspec.json.encode(good)), CAP) is None
        for bad in BAD[item["kind"]]:
            assert check_response(rule, _response.decode(msgspec.json.encode(bad)), CAP), bad


@given(st.lists(st.integers(1, 12), min_size=1, max_size=4), st.booleans(), st.uuids(version=4))
def test_places_follow_the_order_the_student_sees(
    sizes: list[int], shuffle: bool, sitting_id: uuid.UUID
) -> None:
    """Linear navigation compares places in the sitting's own (shuffled) order: the places the
    server computes are those of the paper the student's page shows."""
    sections = [
        (
            f"S{s}",
            [
                split_item(
                    f"s{s}i{n}",
                    _authored.decode(msgspec.json.encode(AUTHORED[n % len(AUTHORED)][0])),
                )[0]
                for n in range(size)
            ],
        )
        for s, size in enumerate(sizes)
    ]
    paper = compile_paper(str(uuid.uuid4()), "T", shuffle, sections)
    shown = [
        item["id"]
        for section in msgspec.json.decode(render_sections(paper, sitting_id))
        for item in section["items"]
    ]
    rules = paper_rules(paper)
    places = positions(paper, sitting_id)
    assert [shown[places[rules.items[i].index]] for i in rules.items] == list(rules.items)
    assert sorted(places) == list(range(len(shown)))


# ------------------------------------------------------------------- through the API


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["status"] == status
    return body


def _items(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in paper["sections"] for item in section["items"]]


async def _persist(svc: Services) -> None:
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while await consumer.run_once() > 0:
            pass


async def _stored(svc: Services, sitting_id: str) -> tuple[int, dict[bytes, bytes], list[Any]]:
    """What is stored of a sitting: its last seq, its latest answers, its answer log."""
    await _persist(svc)
    (last,) = await svc.store.session_fields(uuid.UUID(sitting_id), "last_seq")
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq, item_id, response FROM answer_log WHERE sitting_id = $1 ORDER BY seq",
            uuid.UUID(sitting_id),
        )
    return (
        int(last or 0),
        await svc.store.latest_answers(uuid.UUID(sitting_id)),
        [tuple(r) for r in rows],
    )


async def _sitting(
    api: Api, school: School, student: int, **exam: Any
) -> tuple[str, str, list[dict[str, Any]]]:
    name = school.students[student]
    if "items" in exam:  # an exam has two sections: pad it with true/false statements
        exam["items"] = exam["items"] + [
            {"kind": "true_false", "stem": "Filler.", "correct": True}
        ] * max(0, 3 - len(exam["items"]))
    created = await api.exam(school.teacher, **exam)
    sitting = await api.start(name, created["id"])
    return name, sitting["id"], _items(await api.paper(name, sitting["id"]))


async def test_answers_outside_their_item_are_refused_and_store_nothing(
    api: Api, school: School, svc: Services
) -> None:
    student, sid, items = await _sitting(api, school, 0, items=[i for i, _ in AUTHORED])
    by_kind = {item["kind"]: item["id"] for item in items}
    good = {item["kind"]: resp for item, resp in AUTHORED}
    seq = 0
    for kind, bads in BAD.items():
        for bad in bads:
            # a good event first, the bad one second: the whole batch is refused
            events = [
                {"seq": seq + 1, "item": by_kind["true_false"], "response": good["true_false"]},
                {"seq": seq + 2, "item": by_kind[kind], "response": bad},
            ]
            body = _problem(await api.answer(student, sid, events), 400, "validation_failed")
            assert [(e["seq"], e["item"]) for e in body["errors"]] == [(seq + 2, by_kind[kind])], (
                body
            )
            assert "nothing of this batch was stored" in body["detail"]
    assert await _stored(svc, sid) == (0, {}, [])
    # every good answer still goes in
    events = [
        {"seq": n + 1, "item": by_kind[item["kind"]], "response": resp}
        for n, (item, resp) in enumerate(AUTHORED)
    ]
    r = await api.answer(student, sid, events)
    assert r.status_code == 200 and r.json()["acked_seq"] == len(events), r.text
    last, latest, log = await _stored(svc, sid)
    assert last == len(events) and len(latest) == len(events) and len(log) == len(events)


async def test_a_huge_text_answer_is_refused_by_the_cap_and_the_item(
    api: Api, school: School, svc: Services, settings: Settings
) -> None:
    essay = {"kind": "essay", "stem": "Write.", "max_length": 100_000}
    short = {"kind": "short_text", "stem": "Name?", "accepted": ["x"]}  # default max_length
    student, sid, items = await _sitting(api, school, 1, items=[essay, short])
    by_kind = {item["kind"]: item["id"] for item in items}
    # 250 KB of essay fits the body limit but not the item (nor the cap)
    text = "x" * 250_000
    body = _problem(
        await api.answer(
            student,
            sid,
            [{"seq": 1, "item": by_kind["essay"], "response": {"kind": "essay", "text": text}}],
        ),
        400,
        "validation_failed",
    )
    assert "250000 characters" in body["errors"][0]["message"]
    _problem(
        await api.answer(
            student,
            sid,
            [
                {
                    "seq": 1,
                    "item": by_kind["short_text"],
                    "response": {"kind": "short_text", "text": "y" * 201},
                }
            ],
        ),
        400,
        "validation_failed",
    )
    # the deployment's cap holds below the item's own max_length
    capped = msgspec.structs.replace(settings, answer_max_text_chars=1000)
    async with AsyncTestClient(app=create_app(capped)) as other:
        headers = await api.headers(student)
        r = await other.post(
            f"/v1/sittings/{sid}/answers",
            headers=headers,
            json={
                "events": [
                    {
                        "seq": 1,
                        "item": by_kind["essay"],
                        "response": {"kind": "essay", "text": "z" * 1001},
                    }
                ]
            },
        )
        _problem(r, 400, "validation_failed")
        r = await other.post(
            f"/v1/sittings/{sid}/answers",
            headers=headers,
            json={
                "events": [
                    {
                        "seq": 1,
                        "item": by_kind["essay"],
                        "response": {"kind": "essay", "text": "z" * 1000},
                    }
                ]
            },
        )
        assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    last, latest, log = await _stored(svc, sid)
    assert last == 1 and len(log) == 1 and len(latest) == 1


async def test_numbers_must_be_finite_and_bounded(api: Api, school: School, svc: Services) -> None:
    student, sid, items = await _sitting(api, school, 2)
    numeric = next(item["id"] for item in items if item["kind"] == "numeric")
    headers = {**await api.headers(student), "content-type": "application/json"}
    for value in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"1e101", b"-1e200"):
        body = (
            b'{"events":[{"seq":1,"item":"'
            + numeric.encode()
            + b'","response":{"kind":"numeric","value":'
            + value
            + b"}}]}"
        )
        r = await api.client.post(f"/v1/sittings/{sid}/answers", content=body, headers=headers)
        _problem(r, 400, "validation_failed")
    r = await api.answer(
        student,
        sid,
        [{"seq": 1, "item": numeric, "response": {"kind": "numeric", "value": 6.022e23}}],
    )
    assert r.status_code == 200, r.text
    assert (await _stored(svc, sid))[0] == 1


async def test_the_write_budget_answers_429_and_stores_nothing(
    api: Api, school: School, svc: Services, settings: Settings
) -> None:
    student, sid, items = await _sitting(api, school, 3)
    item = next(item for item in items if item["kind"] == "single_choice")
    answer = {"kind": "single_choice", "choice": item["options"][0]["id"]}
    # 5 events saved up, refilled at 1 a minute: a test taking seconds sees no refill to speak of
    tight = msgspec.structs.replace(
        settings, answer_budget_events_per_min=1, answer_budget_events_burst=5
    )
    async with AsyncTestClient(app=create_app(tight)) as other:
        headers = await api.headers(student)

        async def send(first: int, n: int) -> Any:
            return await other.post(
                f"/v1/sittings/{sid}/answers",
                headers=headers,
                json={
                    "events": [
                        {"seq": first + k, "item": item["id"], "response": answer} for k in range(n)
                    ]
                },
            )

        r = await send(1, 3)
        assert r.status_code == 200 and r.json()["acked_seq"] == 3, r.text
        r = await send(4, 3)  # 2 left, 3 asked: refused whole
        body = _problem(r, 429, "answer_rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert body["extra"]["acked_seq"] == 3
        assert body["extra"]["retry_after_s"] == int(r.headers["retry-after"])
        r = await send(4, 2)
        assert r.status_code == 200 and r.json()["acked_seq"] == 5, r.text
    last, _, log = await _stored(svc, sid)
    assert last == 5 and [row[0] for row in log] == [1, 2, 3, 4, 5]
    # bytes count too: a 2 KB budget takes one essay (one larger than the whole burst takes a
    # full bucket, rather than never passing), not a second
    essay = {"kind": "essay", "stem": "Write.", "max_length": 5000}
    student, sid, items = await _sitting(api, school, 4, items=[essay])
    by_kind = {item["kind"]: item["id"] for item in items}
    small = msgspec.structs.replace(
        settings, answer_budget_bytes_per_min=1, answer_budget_bytes_burst=2000
    )
    async with AsyncTestClient(app=create_app(small)) as other:
        headers = await api.headers(student)
        for seq, status, length in ((1, 200, 2500), (2, 429, 100)):
            r = await other.post(
                f"/v1/sittings/{sid}/answers",
                headers=headers,
                json={
                    "events": [
                        {
                            "seq": seq,
                            "item": by_kind["essay"],
                            "response": {"kind": "essay", "text": "w" * length},
                        }
                    ]
                },
            )
            assert r.status_code == status, r.text
    assert (await _stored(svc, sid))[0] == 1
    # the default budget: a page back online resends its whole backlog at once, 50 events a
    # batch (here 1,000 events within a second or two), and is never refused
    student, sid, items = await _sitting(api, school, 5)
    events = [
        {"seq": n + 1, "item": items[n % len(items)]["id"], "response": None} for n in range(1000)
    ]
    for first in range(0, len(events), 50):
        r = await api.answer(student, sid, events[first : first + 50])
        assert r.status_code == 200 and r.json()["acked_seq"] == first + 50, r.text


async def test_linear_navigation_is_kept_by_the_server(
    api: Api, school: School, svc: Services
) -> None:
    items_five = [
        {"kind": "true_false", "stem": f"Statement {n}.", "correct": True} for n in range(5)
    ]
    student, sid, items = await _sitting(api, school, 0, items=items_five, navigation="linear")
    order = [item["id"] for item in items]  # the student's own order (shuffled per sitting)
    yes = {"kind": "true_false", "value": True}

    async def answer(seq: int, place: int, response: Any = yes) -> Any:
        return await api.answer(
            student, sid, [{"seq": seq, "item": order[place], "response": response}]
        )

    # what the page sends: the current item (again, or cleared), then forward, skipping is fine
    for seq, place, response in ((1, 1, yes), (2, 1, None), (3, 1, yes), (4, 3, yes)):
        r = await answer(seq, place, response)
        assert r.status_code == 200 and r.json()["acked_seq"] == seq, r.text
    # back to an item before the furthest one reached: refused, named, nothing stored
    for place in (0, 2):
        body = _problem(await answer(5, place), 409, "navigation_linear")
        assert body["extra"]["seq"] == 5 and body["extra"]["item"] == order[place]
        assert body["extra"]["furthest"] == 3 and body["extra"]["acked_seq"] == 4
    # a batch that goes forward then back is refused whole
    body = _problem(
        await api.answer(
            student,
            sid,
            [
                {"seq": 5, "item": order[4], "response": yes},
                {"seq": 6, "item": order[2], "response": yes},
            ],
        ),
        409,
        "navigation_linear",
    )
    assert body["extra"]["seq"] == 6
    last, latest, log = await _stored(svc, sid)
    assert last == 4 and set(latest) == {order[1].encode(), order[3].encode()}
    assert [row[0] for row in log] == [1, 2, 3, 4]
    # the paper tells a page that lost its place (another device, cleared storage) where to resume
    assert (await api.paper(student, sid))["furthest"] == 3
    # a resend of what is stored is acknowledged (duplicates are not checked again)
    r = await answer(2, 1, None)
    assert r.status_code == 200 and r.json()["acked_seq"] == 4
    r = await answer(5, 4)
    assert r.status_code == 200 and r.json()["acked_seq"] == 5
    # free navigation goes back and forth as before
    student, sid, items = await _sitting(api, school, 1, items=items_five)
    for seq, place in ((1, 4), (2, 0), (3, 2)):
        r = await api.answer(
            student, sid, [{"seq": seq, "item": items[place]["id"], "response": yes}]
        )
        assert r.status_code == 200, r.text
    assert (await api.paper(student, sid))["furthest"] == -1


@st.composite
def batch_with_one_bad_event(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int]:
    n = draw(st.integers(1, 8))
    good = [draw(st.sampled_from(AUTHORED)) for _ in range(n)]
    at = draw(st.integers(0, n))
    kind = draw(st.sampled_from(sorted(BAD)))
    return [{"kind": item["kind"], "response": resp} for item, resp in good[:at]] + [
        {"kind": kind, "response": draw(st.sampled_from(BAD[kind]))}
    ] + [{"kind": item["kind"], "response": resp} for item, resp in good[at:]], at


@pytest.fixture
async def every_kind(api: Api, school: School) -> tuple[str, str, dict[str, str]]:
    student, sid, items = await _sitting(api, school, 2, items=[i for i, _ in AUTHORED])
    r = await api.answer(student, sid, [{"seq": 1, "item": items[0]["id"], "response": None}])
    assert r.status_code == 200
    return student, sid, {item["kind"]: item["id"] for item in items}


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=batch_with_one_bad_event())
async def test_a_refused_batch_stores_nothing(
    case: tuple[list[dict[str, Any]], int],
    api: Api,
    svc: Services,
    every_kind: tuple[str, str, dict[str, str]],
) -> None:
    student, sid, by_kind = every_kind
    before = await _stored(svc, sid)
    planned, bad_at = case
    events = [
        {"seq": before[0] + 1 + n, "item": by_kind[e["kind"]], "response": e["response"]}
        for n, e in enumerate(planned)
    ]
    body = _problem(await api.answer(student, sid, events), 400, "validation_failed")
    assert body["errors"][0]["seq"] == events[bad_at]["seq"]
    assert await _stored(svc, sid) == before
    # the page drops the named events and sends the rest: all of them are stored
    rest = [e for n, e in enumerate(events) if n != bad_at]
    rest = [{**e, "seq": before[0] + 1 + n} for n, e in enumerate(rest)]
    if rest:
        r = await api.answer(student, sid, rest)
        assert r.status_code == 200 and r.json()["acked_seq"] == before[0] + len(rest), r.text
