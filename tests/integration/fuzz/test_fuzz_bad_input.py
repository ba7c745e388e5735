"""Bad input on the answer path: clear problem documents, and nothing stored wrongly."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.services import Services
from engine.workers.runner import Workers
from tests.integration.conftest import Api, School
from tests.waiting import past_deadline_and_grace

PROBLEM = "application/problem+json"


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["status"] == status
    return body


def _items(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in paper["sections"] for item in section["items"]]


def _answer(item: dict[str, Any], variant: int = 0) -> dict[str, Any]:
    match item["kind"]:
        case "single_choice":
            return {"kind": "single_choice", "choice": item["options"][variant]["id"]}
        case "multiple_response":
            return {"kind": "multiple_response", "choices": [item["options"][variant]["id"]]}
        case "numeric":
            return {"kind": "numeric", "value": 1.5 + variant}
        case _:
            return {"kind": "short_text", "text": f"answer {variant}"}


async def _sitting(
    api: Api, school: School, student: int, **exam: Any
) -> tuple[str, str, list[dict[str, Any]], dict[str, Any]]:
    name = school.students[student]
    created = await api.exam(school.teacher, **exam)
    sitting = await api.start(name, created["id"])
    return name, sitting["id"], _items(await api.paper(name, sitting["id"])), sitting


async def _persist(svc: Services) -> None:
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while await consumer.run_once() > 0:
            pass


async def _logged(svc: Services, sitting_id: str) -> list[tuple[int, str, Any]]:
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq, item_id, response FROM answer_log WHERE sitting_id = $1 ORDER BY seq",
            uuid.UUID(sitting_id),
        )
    return [(r["seq"], r["item_id"], r["response"]) for r in rows]


async def _raw(api: Api, student: str, sitting_id: str, body: bytes) -> Any:
    headers = {**await api.headers(student), "content-type": "application/json"}
    return await api.client.post(
        f"/v1/sittings/{sitting_id}/answers", content=body, headers=headers
    )


async def test_hostile_bodies_get_problems_and_store_nothing(
    api: Api, school: School, svc: Services
) -> None:
    student, sitting_id, items, _ = await _sitting(api, school, 0)
    item = items[0]["id"]
    deep = b"[" * 100_000 + b"]" * 100_000  # under the size limit, far past any sane depth
    bodies = [
        deep,
        b'{"events":[{"seq":1,"item":"'
        + item.encode()
        + b'","response":'
        + deep[:20_000]
        + deep[-20_000:]
        + b"}]}",
        b'{"events":[{"seq":1,"item":"\xff\xfe\xfd","response":null}]}',  # invalid UTF-8
        b'{"events":[{"seq":1,"item":"' + item.encode() + b'","response":null}]',  # truncated
        b"",
        b"null",
        b'{"events":[{"seq":1e400,"item":"x","response":null}]}',
        b'{"events":[{"seq":1,"item":"' + item.encode() + b'","response":null,"client_ts":-1}]}',
        b'{"events":[{"seq":1,"item":"' + item.encode() + b'","response":null,'
        b'"client_ts":18014398509481984}]}',  # 2**54: past what JavaScript keeps exact
    ]
    for body in bodies:
        _problem(await _raw(api, student, sitting_id, body), 400, "validation_failed")
    # bigger than UJIAN_MAX_BODY_BYTES: refused before it is read in full
    huge = (
        b'{"events":[{"seq":1,"item":"' + item.encode() + b'","response":{"kind":'
        b'"short_text","text":"' + b"x" * 400_000 + b'"}}]}'
    )
    _problem(await _raw(api, student, sitting_id, huge), 413, "payload_too_large")
    # a batch over the engine's limit (50) but within the schema's (500): refused whole
    many = [
        {"seq": n + 1, "item": items[n % len(items)]["id"], "response": None}
        for n in range(svc.settings.max_batch_events + 1)
    ]
    body = _problem(await api.answer(student, sitting_id, many), 400, "validation_failed")
    assert str(svc.settings.max_batch_events) in body["detail"]
    assert (await api.paper(student, sitting_id))["last_seq"] == 0
    assert await svc.store.latest_answers(uuid.UUID(sitting_id)) == {}
    await _persist(svc)
    assert await _logged(svc, sitting_id) == []


async def test_replayed_seqs_never_overwrite_and_gaps_stop_the_batch(
    api: Api, school: School, svc: Services
) -> None:
    student, sitting_id, items, _ = await _sitting(api, school, 1)
    first = [
        {"seq": n + 1, "item": items[n]["id"], "response": _answer(items[n], 0)} for n in range(3)
    ]
    r = await api.answer(student, sitting_id, first)
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    # the same seqs again with other answers: acknowledged as duplicates, nothing changes
    replay = [{**e, "response": _answer(items[n], 1)} for n, e in enumerate(first)]
    r = await api.answer(student, sitting_id, replay)
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    # a gap (seq 5 after 3) stores nothing past the gap; seq 4 alone is fine afterwards
    gap = [{"seq": 5, "item": items[0]["id"], "response": _answer(items[0], 2)}]
    r = await api.answer(student, sitting_id, gap)
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    # out of order in one batch: sorted by seq, so 4 then 5 both land
    r = await api.answer(
        student,
        sitting_id,
        [
            {"seq": 5, "item": items[1]["id"], "response": None},
            {"seq": 4, "item": items[3]["id"], "response": _answer(items[3], 0)},
        ],
    )
    assert r.status_code == 200 and r.json()["acked_seq"] == 5
    paper = await api.paper(student, sitting_id)
    assert paper["last_seq"] == 5
    assert paper["answers"][items[0]["id"]]["response"] == _answer(items[0], 0)
    assert paper["answers"][items[1]["id"]]["response"] is None  # cleared by seq 5
    # one item answered twice in one batch: the later seq is its answer, both are logged
    r = await api.answer(
        student,
        sitting_id,
        [
            {"seq": 6, "item": items[2]["id"], "response": _answer(items[2], 1)},
            {"seq": 7, "item": items[2]["id"], "response": _answer(items[2], 2)},
        ],
    )
    assert r.status_code == 200 and r.json()["acked_seq"] == 7
    paper = await api.paper(student, sitting_id)
    assert paper["answers"][items[2]["id"]]["response"] == _answer(items[2], 2)
    await _persist(svc)
    logged = await _logged(svc, sitting_id)
    assert [(seq, item) for seq, item, _ in logged] == [
        (1, items[0]["id"]),
        (2, items[1]["id"]),
        (3, items[2]["id"]),
        (4, items[3]["id"]),
        (5, items[1]["id"]),
        (6, items[2]["id"]),
        (7, items[2]["id"]),
    ]
    assert logged[0][2] == _answer(items[0], 0)
    assert [r for _, _, r in logged[5:]] == [_answer(items[2], 1), _answer(items[2], 2)]


async def test_client_clocks_do_not_move_deadlines(api: Api, school: School, svc: Services) -> None:
    student, sitting_id, items, sitting = await _sitting(api, school, 2, closes_in_s=2.0, grace_s=0)
    key = svc.keys_for(sitting_id).session
    deadline_before = await svc.redis.hget(key, "deadline")
    far_future, far_past = 2**53, 0
    for seq, client_ts in ((1, far_future), (2, far_past)):
        r = await api.answer(
            student,
            sitting_id,
            [
                {
                    "seq": seq,
                    "item": items[0]["id"],
                    "response": _answer(items[0]),
                    "client_ts": client_ts,
                }
            ],
        )
        assert r.status_code == 200, r.text
        # the time left comes from Redis's clock and the stored deadline alone
        assert r.json()["remaining_ms"] <= sitting["remaining_ms"]
    assert await svc.redis.hget(key, "deadline") == deadline_before
    # after the deadline (no grace) a client claiming it answered long before is refused
    await past_deadline_and_grace(svc.store, uuid.UUID(sitting_id))
    r = await api.answer(
        student,
        sitting_id,
        [{"seq": 3, "item": items[1]["id"], "response": _answer(items[1]), "client_ts": 1}],
    )
    body = _problem(r, 409, "time_expired")
    assert body["extra"]["acked_seq"] == 2
    await _persist(svc)
    logged = await _logged(svc, sitting_id)
    assert [seq for seq, _, _ in logged] == [1, 2]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


# the sitting the fuzzer hammers, made by its first example
_fuzzed: dict[str, str] = {}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.one_of(
        st.binary(max_size=200),
        _json_values.map(msgspec.json.encode),
        st.fixed_dictionaries(
            {
                "events": st.lists(
                    st.fixed_dictionaries(
                        {
                            "seq": st.integers(-3, 2**60),
                            "item": st.text(max_size=70),
                            "response": _json_values,
                        }
                    ),
                    max_size=3,
                )
            }
        ).map(msgspec.json.encode),
    )
)
async def test_no_body_makes_a_server_error_or_stores_anything(
    body: bytes, api: Api, school: School, svc: Services
) -> None:
    if not _fuzzed:
        student, sitting_id, _, _ = await _sitting(api, school, 3)
        _fuzzed.update(student=student, sitting=sitting_id)
    r = await _raw(api, _fuzzed["student"], _fuzzed["sitting"], body)
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.headers["content-type"].startswith(PROBLEM)
    assert await svc.store.latest_answers(uuid.UUID(_fuzzed["sitting"])) == {}
