"""Items over HTTP on the real servers: versions, immutability, pinning, every kind on a paper,
banks and sharing, search, roles."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.conftest import PASSWORD, Api, School

ALL_KINDS: list[tuple[dict[str, Any], dict[str, Any]]] = [
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
        {"kind": "numeric", "stem": "π?", "value": 3.14, "absolute_tolerance": 0.01, "unit": "-"},
        {"kind": "numeric", "value": 3.141},
    ),
    (
        {"kind": "short_text", "stem": "Capital?", "accepted": ["Jakarta"]},
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
        {
            "kind": "essay",
            "stem": "Explain.",
            "rubric": [{"id": "c", "max_points": 2}],
            "explanation": "<p>Model answer: SECRET-EXPLANATION</p>",
        },
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
SECRETS = [
    "SECRET-EXPLANATION",
    '"correct"',
    '"accepted"',
    '"pairs"',
    '"areas"',
    '"rubric"',
    '"value":100',
    '"explanation"',
]


def _problem(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


async def _user(svc: Services, org_id: uuid.UUID, role: str) -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, $4, $5)",
            uuid.uuid4(),
            org_id,
            username,
            role,
            hash_password(PASSWORD),
        )
    return username


async def test_versions_draft_publish_edit_diff(api: Api, school: School) -> None:
    t = school.teacher
    r = await api.call(
        "POST",
        "/v1/items",
        t,
        json={
            "kind": "single_choice",
            "stem": "**Old** stem",
            "format": "markdown",
            "correct": "a",
            "options": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}],
            "metadata": {"topic": "algebra", "tags": ["t1"]},
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "draft", r.text
    item_id = r.json()["id"]
    doc = (await api.call("GET", f"/v1/items/{item_id}", t)).json()
    assert doc["item"]["stem"] == "<p><strong>Old</strong> stem</p>"  # Markdown → HTML subset
    # a draft changes in place
    edited = {**doc["item"], "stem": "<p>Draft two<script>x()</script></p>"}
    r = await api.call("PUT", f"/v1/items/{item_id}", t, json=edited)
    assert r.json()["version"] == 1 and r.json()["status"] == "draft", r.text
    r = await api.call("POST", f"/v1/items/{item_id}/publish", t)
    assert r.json() == {"id": item_id, "version": 1, "kind": "single_choice", "status": "published"}
    _problem(await api.call("POST", f"/v1/items/{item_id}/publish", t), 409, "no_draft")
    # a published version cannot change: 409, and it stays as it was
    r = await api.call(
        "PUT", f"/v1/items/{item_id}/versions/1", t, json={**edited, "stem": "sneaky"}
    )
    _problem(r, 409, "item_version_published")
    v1 = (await api.call("GET", f"/v1/items/{item_id}/versions/1", t)).json()
    assert v1["item"]["stem"] == "<p>Draft two</p>" and v1["status"] == "published"
    # editing a published item starts version 2
    r = await api.call("PUT", f"/v1/items/{item_id}", t, json={**edited, "correct": "b"})
    assert r.json()["version"] == 2 and r.json()["status"] == "draft"
    history = (await api.call("GET", f"/v1/items/{item_id}/versions", t)).json()
    assert [(v["version"], v["status"]) for v in history] == [(1, "published"), (2, "draft")]
    diff = (await api.call("GET", f"/v1/items/{item_id}/diff?from=1&to=2", t)).json()
    assert diff["changes"] == [{"path": "correct", "before": "a", "after": "b"}]


async def test_exam_keeps_its_pinned_version_after_an_edit(
    api: Api, school: School, svc: Services
) -> None:
    t = school.teacher
    items = [ALL_KINDS[0][0], ALL_KINDS[2][0], ALL_KINDS[4][0]]
    exam = await api.exam(t, items=items)
    sitting = await api.start(school.students[0], exam["id"])
    paper = await api.paper(school.students[0], sitting["id"])
    first = paper["sections"][0]["items"][0]
    # the pinned draft froze when the exam was created
    item = (await api.call("GET", f"/v1/items/{first['id']}", t)).json()
    assert item["status"] == "published" and item["usage"] == 1
    r = await api.call(
        "PUT", f"/v1/items/{first['id']}", t, json={**item["item"], "stem": "A brand new stem"}
    )
    assert r.json()["version"] == 2
    # the exam's paper (even compiled afresh, past every cache) still has version 1
    app_svc: Services = api.client.app.state.services  # its Redis client is on the app's loop
    await svc.redis.delete(app_svc.papers.redis_key(exam["version_id"]))
    app_svc.papers._memory.clear()
    app_svc.papers.fragments._memory.clear()
    again = await api.paper(school.students[0], sitting["id"])
    stems = {i["id"]: i["stem"] for s in again["sections"] for i in s["items"]}
    assert stems[first["id"]] == first["stem"] != "A brand new stem"
    stats = (await api.call("GET", "/v1/cache/stats", t)).json()
    assert stats["counts"]["fragment_redis_hit"] >= 1 and stats["fragment_hit_rate"] > 0


async def test_every_kind_reaches_the_paper_without_keys(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher, items=[item for item, _ in ALL_KINDS])
    student = school.students[1]
    sitting = await api.start(student, exam["id"])
    r = await api.call("GET", f"/v1/sittings/{sitting['id']}/paper", student)
    assert r.status_code == 200
    for secret in SECRETS:
        assert secret not in r.text, secret
    paper = r.json()
    by_kind = {i["kind"]: i for s in paper["sections"] for i in s["items"]}
    assert set(by_kind) == {item["kind"] for item, _ in ALL_KINDS}
    assert set(by_kind["cloze"]["blanks"]) == {"t", "w"}
    assert {o["id"] for o in by_kind["ordering"]["options"]} == {"x", "y", "z"}
    # every kind takes a response of its own kind (the sittings contract)
    events = [
        {"seq": n + 1, "item": by_kind[resp["kind"]]["id"], "response": resp, "client_ts": 0}
        for n, (_, resp) in enumerate(ALL_KINDS)
    ]
    r = await api.answer(student, sitting["id"], events)
    assert r.status_code == 200 and r.json()["acked_seq"] == len(events), r.text
    wrong = [
        {
            "seq": 99,
            "item": by_kind["cloze"]["id"],
            "client_ts": 0,
            "response": {"kind": "numeric", "value": 1},
        }
    ]
    _problem(await api.answer(student, sitting["id"], wrong), 400, "validation_failed")


async def test_banks_are_shared_read_only(api: Api, school: School, svc: Services) -> None:
    admin = await _user(svc, school.org_id, "school_admin")
    t, other = school.teacher, school.other_teacher
    r = await api.call("POST", "/v1/banks", t, json={"name": f"Maths {uuid.uuid4().hex[:6]}"})
    assert r.status_code == 201, r.text
    bank = r.json()
    q = f"?bank_id={bank['id']}"
    published = (
        await api.call("POST", f"/v1/items{q}&publish=true", t, json=ALL_KINDS[4][0])
    ).json()
    draft = (await api.call("POST", f"/v1/items{q}", t, json=ALL_KINDS[2][0])).json()
    # a teacher may not share; a school admin may
    _problem(
        await api.call(
            "POST",
            f"/v1/banks/{bank['id']}/shares",
            t,
            json={"org_ids": [str(school.other_org_id)]},
        ),
        403,
        "forbidden",
    )
    r = await api.call(
        "POST",
        f"/v1/banks/{bank['id']}/shares",
        admin,
        json={"org_ids": [str(school.other_org_id)]},
    )
    assert r.json()["shared_with"] == [str(school.other_org_id)], r.text
    theirs = (await api.call("GET", "/v1/banks", other)).json()
    assert [(b["id"], b["owned"], b["shared_with"]) for b in theirs] == [(bank["id"], False, [])]
    listed = (await api.call("GET", f"/v1/items{q}", other)).json()
    assert [i["id"] for i in listed["items"]] == [published["id"]]  # drafts stay private
    _problem(await api.call("GET", f"/v1/items/{draft['id']}", other), 404, "not_found")
    doc = (await api.call("GET", f"/v1/items/{published['id']}", other)).json()
    _problem(
        await api.call("PUT", f"/v1/items/{published['id']}", other, json=doc["item"]),
        403,
        "forbidden",
    )
    # the other school can sit its students on the shared item
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        other,
        json={
            "title": "Shared",
            "sections": [{"title": "A", "items": [published["id"]]}],
            "time_limit_s": 600,
            "window_open": now.isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201 and r.json()["item_count"] == 1, r.text
    # but not on the draft, which it cannot see
    r = await api.call(
        "POST",
        "/v1/exams",
        other,
        json={
            "title": "Draft",
            "sections": [{"title": "A", "items": [draft["id"]]}],
            "time_limit_s": 600,
            "window_open": now.isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
        },
    )
    _problem(r, 400, "validation_failed")
    r = await api.call("DELETE", f"/v1/banks/{bank['id']}/shares/{school.other_org_id}", admin)
    assert r.json()["shared_with"] == []
    _problem(await api.call("GET", f"/v1/items/{published['id']}", other), 404, "not_found")


async def test_search_by_text_tag_topic_kind_usage_paginated(api: Api, school: School) -> None:
    t = school.teacher
    word = f"zebra{uuid.uuid4().hex[:6]}"
    ids = []
    for n in range(5):
        r = await api.call(
            "POST",
            "/v1/items",
            t,
            json={
                "kind": "true_false" if n % 2 else "essay",
                "stem": f"<p>{word} number {n}</p>",
                **({"correct": True} if n % 2 else {}),
                "metadata": {
                    "topic": f"topic-{word}",
                    "tags": [f"tag{n % 2}-{word}"],
                    "difficulty": n / 10,
                },
            },
        )
        ids.append(r.json()["id"])
    page = (await api.call("GET", f"/v1/items?q={word}&limit=2", t)).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    rest = (await api.call("GET", f"/v1/items?q={word}&limit=2&offset=2", t)).json()
    seen = [i["id"] for i in page["items"] + rest["items"]]
    assert len(set(seen)) == 4 and set(seen) <= set(ids)
    tagged = (await api.call("GET", f"/v1/items?tag=tag1-{word}", t)).json()
    assert {i["id"] for i in tagged["items"]} == {ids[1], ids[3]}
    by_kind = (await api.call("GET", f"/v1/items?topic=topic-{word}&kind=essay", t)).json()
    assert {i["id"] for i in by_kind["items"]} == {ids[0], ids[2], ids[4]}
    assert by_kind["items"][0]["stem"].startswith(word)
    unused = (await api.call("GET", f"/v1/items?q={word}&used=false", t)).json()
    assert unused["total"] == 5
    other = (await api.call("GET", f"/v1/items?q={word}", school.other_teacher)).json()
    assert other["total"] == 0  # another school's items are not found


async def test_students_and_proctors_cannot_reach_the_bank(
    api: Api, school: School, svc: Services
) -> None:
    proctor = await _user(svc, school.org_id, "proctor")
    for user in (school.students[2], proctor):
        _problem(await api.call("GET", "/v1/items", user), 403, "forbidden")
        _problem(await api.call("POST", "/v1/items", user, json=ALL_KINDS[0][0]), 403, "forbidden")
        _problem(await api.call("GET", "/v1/banks", user), 403, "forbidden")


async def test_an_unsafe_stem_is_cleaned_and_an_empty_one_refused(api: Api, school: School) -> None:
    r = await api.call(
        "POST",
        "/v1/items",
        school.teacher,
        json={**ALL_KINDS[2][0], "stem": '<img src="javascript:alert(1)" onerror="x()">ok'},
    )
    doc = (await api.call("GET", f"/v1/items/{r.json()['id']}", school.teacher)).json()
    assert doc["item"]["stem"] == "<img>ok"
    assert "javascript" not in json.dumps(doc)
    r = await api.call(
        "POST",
        "/v1/items",
        school.teacher,
        json={**ALL_KINDS[2][0], "stem": "<script>alert(1)</script>"},
    )
    _problem(r, 400, "validation_failed")


async def test_blueprint_resolves_published_items_deterministically(
    api: Api, school: School
) -> None:
    t = school.teacher
    topic = f"bp-{uuid.uuid4().hex[:6]}"
    ids = {}
    for n in range(8):
        r = await api.call(
            "POST",
            f"/v1/items?publish={'true' if n < 6 else 'false'}",
            t,
            json={**ALL_KINDS[2][0], "metadata": {"topic": topic, "difficulty": n / 10}},
        )
        ids[r.json()["id"]] = n
    body = {
        "blueprint": {
            "rules": [{"count": 3, "topic": topic, "difficulty_min": 0.1, "difficulty_max": 0.5}]
        },
        "seed": 42,
    }
    first = await api.call("POST", "/v1/blueprints/resolve", t, json=body)
    assert first.status_code == 200, first.text
    again = await api.call("POST", "/v1/blueprints/resolve", t, json=body)
    assert first.json() == again.json() and len(first.json()) == 3
    # published only (drafts 6 and 7 never), within the difficulty band
    assert all(1 <= ids[p["id"]] <= 5 and p["version"] == 1 for p in first.json())
    body["blueprint"]["rules"][0]["count"] = 9
    _problem(
        await api.call("POST", "/v1/blueprints/resolve", t, json=body), 400, "validation_failed"
    )


async def test_an_exam_section_defined_by_a_blueprint(
    api: Api, school: School, svc: Services
) -> None:
    t = school.teacher
    topic = f"bpx-{uuid.uuid4().hex[:6]}"
    ids = {}
    for n in range(10):
        r = await api.call(
            "POST",
            "/v1/items?publish=true",
            t,
            json={**ALL_KINDS[2][0], "metadata": {"topic": topic, "difficulty": n / 10}},
        )
        ids[r.json()["id"]] = n
    rules = {"rules": [{"count": 4, "topic": topic, "difficulty_min": 0.3, "difficulty_max": 0.7}]}

    async def exam_with(seed: int) -> list[str]:
        r = await api.call(
            "POST",
            "/v1/exams",
            t,
            json={
                "title": "Blueprint",
                "time_limit_s": 600,
                "seed": seed,
                "sections": [{"title": "Rules", "blueprint": rules}],
                "window_open": "2026-01-01T00:00:00Z",
                "window_close": "2026-01-02T00:00:00Z",
            },
        )
        assert r.status_code == 201, r.text
        exam = (await api.call("GET", f"/v1/exams/{r.json()['id']}", t)).json()
        assert exam["item_count"] == 4
        async with svc.pool.acquire() as conn:
            spec = await conn.fetchval(
                "SELECT spec FROM exam_versions WHERE exam_id = $1", uuid.UUID(exam["id"])
            )
        return [ref["id"] for s in spec["sections"] for ref in s["items"]]

    first, again = await exam_with(7), await exam_with(7)
    assert first == again  # the same seed picks the same items
    assert all(3 <= ids[i] <= 7 for i in first) and len(set(first)) == 4
    # neither items nor a blueprint, or both: refused
    for section in ({"title": "x"}, {"title": "x", "blueprint": rules, "items": [next(iter(ids))]}):
        r = await api.call(
            "POST",
            "/v1/exams",
            t,
            json={
                "title": "x",
                "time_limit_s": 600,
                "sections": [section],
                "window_open": "2026-01-01T00:00:00Z",
                "window_close": "2026-01-02T00:00:00Z",
            },
        )
        _problem(r, 400, "validation_failed")


SLIDER = {
    "kind": "numeric",
    "stem": "pH of lemon juice?",
    "value": 2.5,
    "slider": {"lower_bound": 0, "upper_bound": 14, "step": 0.5, "orientation": "vertical"},
}


async def test_a_slider_takes_only_values_of_its_scale(api: Api, school: School) -> None:
    t = school.teacher
    off_scale = {**SLIDER, "value": 2.25}
    _problem(await api.call("POST", "/v1/items", t, json=off_scale), 400, "validation_failed")
    # the exam helper fills two sections
    exam = await api.exam(t, items=[SLIDER, ALL_KINDS[0][0], ALL_KINDS[2][0]])
    student = school.students[2]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    (item,) = [i for s in paper["sections"] for i in s["items"] if i["kind"] == "numeric"]
    # the scale is on the page, the key is not
    assert item["slider"] == {
        "lower_bound": 0.0,
        "upper_bound": 14.0,
        "step": 0.5,
        "orientation": "vertical",
    }
    assert "value" not in item and "2.5" not in json.dumps(item)

    def event(seq: int, value: float) -> dict[str, Any]:
        response = {"kind": "numeric", "value": value}
        return {"seq": seq, "item": item["id"], "response": response, "client_ts": 0}

    r = await api.answer(student, sitting["id"], [event(1, 2.5)])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    _problem(await api.answer(student, sitting["id"], [event(2, 2.25)]), 400, "validation_failed")
    _problem(await api.answer(student, sitting["id"], [event(2, 14.5)]), 400, "validation_failed")


HOTTEXT = {
    "kind": "multiple_response",
    "stem": "Pick the two nouns.",
    "correct": ["cat", "mat"],
    "options": [
        {"id": "sat", "text": "sat"},
        {"id": "cat", "text": "cat"},
        {"id": "mat", "text": "mat"},
    ],
    "hottext": {"passage": "<p>The {{cat}} {{sat}} on the {{mat}}.</p>", "max_choices": 2},
}


async def test_a_hottext_shows_its_passage_and_takes_at_most_its_max_choices(
    api: Api, school: School
) -> None:
    t = school.teacher
    # an option with no place in the passage could never be picked
    unplaced = {**HOTTEXT, "hottext": {"passage": "<p>The {{cat}} sat.</p>"}}
    _problem(await api.call("POST", "/v1/items", t, json=unplaced), 400, "validation_failed")
    r = await api.call("POST", "/v1/items", t, json=HOTTEXT)
    assert r.status_code == 201, r.text
    stored = (await api.call("GET", f"/v1/items/{r.json()['id']}", t)).json()["item"]
    # listed as the passage places them; nothing to shuffle
    assert [o["id"] for o in stored["options"]] == ["cat", "sat", "mat"]
    assert stored["shuffle"] is False
    exam = await api.exam(t, items=[HOTTEXT, ALL_KINDS[0][0], ALL_KINDS[2][0]])
    student = school.students[2]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    (item,) = [i for s in paper["sections"] for i in s["items"] if i["kind"] == "multiple_response"]
    assert item["hottext"] == {
        "passage": "<p>The {{cat}} {{sat}} on the {{mat}}.</p>",
        "max_choices": 2,
    }
    assert "correct" not in json.dumps(item)

    def event(seq: int, *choices: str) -> dict[str, Any]:
        response = {"kind": "multiple_response", "choices": list(choices)}
        return {"seq": seq, "item": item["id"], "response": response, "client_ts": 0}

    r = await api.answer(student, sitting["id"], [event(1, "cat", "mat")])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    refused = await api.answer(student, sitting["id"], [event(2, "cat", "sat", "mat")])
    _problem(refused, 400, "validation_failed")
    assert "at most 2" in refused.text


GAP_MATCH = {
    "kind": "matching",
    "stem": "<p>Ibu kota Jepang ialah {{g2}}; ibu kota Indonesia ialah {{g1}}.</p>",
    "sources": [
        {"id": "jkt", "text": "Jakarta"},
        {"id": "tky", "text": "Tokyo"},
        {"id": "mnl", "text": "Manila"},
    ],
    "targets": [{"id": "g1", "text": "gap one"}, {"id": "g2", "text": "gap two"}],
    "pairs": [["jkt", "g1"], ["tky", "g2"]],
    "gap_match": {"match_max": {"mnl": 0}},
}


async def test_a_gap_match_shows_its_gaps_in_the_stem_and_takes_one_text_per_gap(
    api: Api, school: School
) -> None:
    t = school.teacher
    # a gap with no place in the stem could never be filled
    unplaced = {**GAP_MATCH, "stem": "<p>Ibu kota Indonesia ialah {{g1}}.</p>"}
    _problem(await api.call("POST", "/v1/items", t, json=unplaced), 400, "validation_failed")
    r = await api.call("POST", "/v1/items", t, json=GAP_MATCH)
    assert r.status_code == 201, r.text
    stored = (await api.call("GET", f"/v1/items/{r.json()['id']}", t)).json()["item"]
    # the gaps listed as the stem places them, named by their numbers
    assert stored["targets"] == [{"id": "g2", "text": "1"}, {"id": "g1", "text": "2"}]
    assert stored["gap_match"] == {"match_max": {"mnl": 0}}
    exam = await api.exam(t, items=[GAP_MATCH, ALL_KINDS[0][0], ALL_KINDS[2][0]])
    student = school.students[3]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    (item,) = [i for s in paper["sections"] for i in s["items"] if i["kind"] == "matching"]
    assert item["gap_match"] == {"match_max": {"mnl": 0}} and "{{g1}}" in item["stem"]
    assert "pairs" not in json.dumps(item)

    def event(seq: int, *pairs: tuple[str, str]) -> dict[str, Any]:
        response = {"kind": "matching", "pairs": [list(p) for p in pairs]}
        return {"seq": seq, "item": item["id"], "response": response, "client_ts": 0}

    r = await api.answer(student, sitting["id"], [event(1, ("jkt", "g1"), ("tky", "g2"))])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    # Manila may fill both gaps; Jakarta only one; a gap takes one text
    r = await api.answer(student, sitting["id"], [event(2, ("mnl", "g1"), ("mnl", "g2"))])
    assert r.status_code == 200 and r.json()["acked_seq"] == 2, r.text
    refused = await api.answer(student, sitting["id"], [event(3, ("jkt", "g1"), ("jkt", "g2"))])
    _problem(refused, 400, "validation_failed")
    assert "at most 1" in refused.text
    twice = await api.answer(student, sitting["id"], [event(3, ("jkt", "g1"), ("tky", "g1"))])
    _problem(twice, 400, "validation_failed")
    assert "filled more than once" in twice.text


async def test_the_answer_endpoint_holds_a_gap_match_to_max_associations_not_to_its_min(
    api: Api, school: School
) -> None:
    t = school.teacher
    # one gap of the two at most; and, in another item, both gaps at least
    most = {"match_max": {"mnl": 0}, "max_associations": 1}
    one_gap = {**GAP_MATCH, "pairs": [["jkt", "g1"]], "gap_match": most}
    both_gaps = {**GAP_MATCH, "gap_match": {"min_associations": 2}}
    # a key past the limit is no item a student could answer
    refused = await api.call("POST", "/v1/items", t, json={**one_gap, "pairs": GAP_MATCH["pairs"]})
    _problem(refused, 400, "validation_failed")
    assert "2 gaps filled; this item takes at most 1" in refused.text
    exam = await api.exam(t, items=[one_gap, both_gaps, ALL_KINDS[0][0]])
    student = school.students[5]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    # the page reads the limits off the paper
    items = {
        json.dumps(i["gap_match"]): i["id"]
        for s in paper["sections"]
        for i in s["items"]
        if "gap_match" in i
    }
    assert set(items) == {json.dumps(most), json.dumps({"min_associations": 2})}
    limited, asking = items[json.dumps(most)], items[json.dumps({"min_associations": 2})]

    def event(seq: int, item: str, *pairs: tuple[str, str]) -> dict[str, Any]:
        response = {"kind": "matching", "pairs": [list(p) for p in pairs]}
        return {"seq": seq, "item": item, "response": response, "client_ts": 0}

    r = await api.answer(student, sitting["id"], [event(1, limited, ("tky", "g2"))])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    # one gap of the two asked for: saved, as the student's work so far
    r = await api.answer(student, sitting["id"], [event(2, asking, ("jkt", "g1"))])
    assert r.status_code == 200 and r.json()["acked_seq"] == 2, r.text
    pairs = (("jkt", "g1"), ("tky", "g2"))
    refused = await api.answer(student, sitting["id"], [event(3, limited, *pairs)])
    _problem(refused, 400, "validation_failed")
    assert "2 gaps filled; this item takes at most 1" in refused.text


RIVALS = [
    {"id": "arjuna", "text": "Arjuna"},
    {"id": "karna", "text": "Karna"},
    {"id": "rama", "text": "Rama"},
    {"id": "rahwana", "text": "Rahwana"},
]
ASSOCIATE = {
    "kind": "matching",
    "stem": "<p>Pasangkan setiap tokoh dengan lawannya.</p>",
    "sources": RIVALS,
    "targets": RIVALS[:2],
    "pairs": [["karna", "arjuna"], ["rama", "rahwana"]],
    "associate": {"max_associations": 2},
}


async def test_an_associate_pairs_one_set_of_choices_either_way_round(
    api: Api, school: School
) -> None:
    t = school.teacher
    selfish = {**ASSOCIATE, "pairs": [["rama", "rama"]]}
    _problem(await api.call("POST", "/v1/items", t, json=selfish), 400, "validation_failed")
    r = await api.call("POST", "/v1/items", t, json=ASSOCIATE)
    assert r.status_code == 201, r.text
    stored = (await api.call("GET", f"/v1/items/{r.json()['id']}", t)).json()["item"]
    # one set of choices: the targets are the sources again
    assert stored["targets"] == stored["sources"] == RIVALS
    assert stored["associate"] == {"max_associations": 2}
    exam = await api.exam(t, items=[ASSOCIATE, ALL_KINDS[0][0], ALL_KINDS[2][0]])
    student = school.students[4]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    (item,) = [i for s in paper["sections"] for i in s["items"] if i["kind"] == "matching"]
    assert item["associate"] == {"max_associations": 2}
    assert "pairs" not in json.dumps(item)

    def event(seq: int, *pairs: tuple[str, str]) -> dict[str, Any]:
        response = {"kind": "matching", "pairs": [list(p) for p in pairs]}
        return {"seq": seq, "item": item["id"], "response": response, "client_ts": 0}

    r = await api.answer(student, sitting["id"], [event(1, ("arjuna", "karna"))])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    three = [("arjuna", "karna"), ("rama", "rahwana"), ("rahwana", "arjuna")]
    refused = await api.answer(student, sitting["id"], [event(2, *three)])
    _problem(refused, 400, "validation_failed")
    assert "at most 2" in refused.text
    twice = await api.answer(
        student, sitting["id"], [event(2, ("rama", "karna"), ("karna", "rama"))]
    )
    _problem(twice, 400, "validation_failed")
    assert "given twice" in twice.text


GRAPHIC_ORDER = {
    "kind": "ordering",
    "stem": "<p>Urutkan kota dari barat ke timur.</p>",
    "options": [{"id": "jkt", "text": "Jakarta"}, {"id": "mdn", "text": "<b>Medan</b>"}],
    "correct": ["mdn", "jkt"],
    "graphic": {
        "image": "https://media.example.org/peta.png",
        "width": 400,
        "height": 150,
        "hotspots": {
            "jkt": {"shape": "rect", "coords": [100, 90, 120, 110]},
            "mdn": {"shape": "circle", "coords": [30, 30, 6]},
        },
    },
}


async def test_a_graphic_order_keeps_its_picture_and_labels(api: Api, school: School) -> None:
    t = school.teacher
    off = {
        **GRAPHIC_ORDER,
        "graphic": {**GRAPHIC_ORDER["graphic"], "image": "http://insecure.example.org/a.png"},
    }
    _problem(await api.call("POST", "/v1/items", t, json=off), 400, "validation_failed")
    r = await api.call("POST", "/v1/items", t, json=GRAPHIC_ORDER)
    assert r.status_code == 201, r.text
    stored = (await api.call("GET", f"/v1/items/{r.json()['id']}", t)).json()["item"]
    # a label is plain text, drawn at its place on the picture
    assert [o["text"] for o in stored["options"]] == ["Jakarta", "Medan"]
    assert stored["graphic"]["hotspots"]["mdn"] == {"shape": "circle", "coords": [30.0, 30.0, 6.0]}
    exam = await api.exam(t, items=[GRAPHIC_ORDER, ALL_KINDS[0][0], ALL_KINDS[2][0]])
    student = school.students[5]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    (item,) = [i for s in paper["sections"] for i in s["items"] if i["kind"] == "ordering"]
    assert item["graphic"]["image"] == "https://media.example.org/peta.png"
    assert "correct" not in json.dumps(item)
    event = {"kind": "ordering", "order": ["mdn", "jkt"]}
    r = await api.answer(
        student,
        sitting["id"],
        [{"seq": 1, "item": item["id"], "response": event, "client_ts": 0}],
    )
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text


HOTSPOT = {
    "kind": "multiple_response",
    "stem": "<p>Pilih dua kota di Jawa.</p>",
    "options": [
        {"id": "jkt", "text": "Jakarta"},
        {"id": "sby", "text": "<b>Surabaya</b>"},
        {"id": "mdn", "text": "Medan"},
    ],
    "correct": ["jkt", "sby"],
    "graphic": {
        "image": "https://media.example.org/peta.png",
        "width": 400,
        "height": 150,
        "max_choices": 2,
        "hotspots": {
            "jkt": {"shape": "rect", "coords": [100, 90, 120, 110]},
            "sby": {"shape": "circle", "coords": [180, 110, 6]},
            "mdn": {"shape": "circle", "coords": [30, 30, 6]},
        },
    },
}


async def test_a_hotspot_choice_shows_its_places_and_takes_at_most_its_max_choices(
    api: Api, school: School
) -> None:
    t = school.teacher
    # a limit above the places there are could never be reached
    over = {**HOTSPOT, "graphic": {**HOTSPOT["graphic"], "max_choices": 4}}
    _problem(await api.call("POST", "/v1/items", t, json=over), 400, "validation_failed")
    r = await api.call("POST", "/v1/items", t, json=HOTSPOT)
    assert r.status_code == 201, r.text
    stored = (await api.call("GET", f"/v1/items/{r.json()['id']}", t)).json()["item"]
    # a label is plain text, drawn at its place on the picture
    assert [o["text"] for o in stored["options"]] == ["Jakarta", "Surabaya", "Medan"]
    exam = await api.exam(t, items=[HOTSPOT, ALL_KINDS[0][0], ALL_KINDS[2][0]])
    student = school.students[1]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    (item,) = [i for s in paper["sections"] for i in s["items"] if i["kind"] == "multiple_response"]
    assert item["graphic"]["max_choices"] == 2
    assert item["graphic"]["hotspots"]["mdn"] == {"shape": "circle", "coords": [30.0, 30.0, 6.0]}
    assert "correct" not in json.dumps(item)

    def event(seq: int, *choices: str) -> dict[str, Any]:
        response = {"kind": "multiple_response", "choices": list(choices)}
        return {"seq": seq, "item": item["id"], "response": response, "client_ts": 0}

    r = await api.answer(student, sitting["id"], [event(1, "jkt", "sby")])
    assert r.status_code == 200 and r.json()["acked_seq"] == 1, r.text
    refused = await api.answer(student, sitting["id"], [event(2, "jkt", "sby", "mdn")])
    _problem(refused, 400, "validation_failed")
    assert "at most 2" in refused.text
