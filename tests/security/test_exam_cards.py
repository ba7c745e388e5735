"""Exam-card tokens: confined to their exam on every endpoint a student reaches, living no
longer than the window's close plus grace plus granted time, and revoked when the cards are
issued again (the remedy for a lost card)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from engine.auth.revocation import CARD_TOKEN_MAX_S
from engine.auth.signin import card_token_until
from engine.settings import Settings
from tests.integration.conftest import Api, School
from tests.security.served_api import serve
from tests.waiting import poll_until


@pytest.fixture(scope="module")
def other_process(settings: Settings) -> Iterator[str]:
    with serve(settings, UJIAN_REVOCATION_REFRESH_S="1") as base:
        yield base


async def _card_code(api: Api, teacher: str, exam_id: str, username: str) -> str:
    r = await api.call("POST", f"/v1/exams/{exam_id}/cards", teacher)
    assert r.status_code == 200, r.text
    return next(
        row["code"] for row in csv.DictReader(io.StringIO(r.text)) if row["username"] == username
    )


async def _card_sign_in(client: AsyncTestClient[Any], code: str) -> dict[str, Any]:
    r = await client.post("/v1/auth/card", json={"code": code})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


async def test_a_card_for_one_exam_opens_no_sitting_of_another(
    client: AsyncTestClient[Any], school: School
) -> None:
    api = Api(client)
    student = school.students[1]
    exam_x, exam_y = await api.exam(school.teacher), await api.exam(school.teacher)
    # the student's own sitting of Y, started with the password
    r = await api.call("POST", f"/v1/exams/{exam_y['id']}/sittings", student)
    assert r.status_code == 200, r.text
    sitting_y = r.json()["id"]
    paper = (await api.call("GET", f"/v1/sittings/{sitting_y}/paper", student)).json()
    item = paper["sections"][0]["items"][0]
    card = _bearer(
        await _card_sign_in(client, await _card_code(api, school.teacher, exam_x["id"], student))
    )

    telemetry = {
        "session": "page-aaaa1111",
        "batch_seq": 0,
        "sent_at": int(datetime.now(UTC).timestamp() * 1000),
        "events": [{"type": "focus", "ts": 1}],
    }
    answer = {
        "events": [
            {
                "seq": 1,
                "item": item["id"],
                "response": {"kind": "single_choice", "choice": item["options"][0]["id"]},
            }
        ]
    }
    for method, path, body in (
        ("GET", f"/v1/sittings/{sitting_y}/paper", None),
        ("GET", f"/v1/sittings/{sitting_y}/timer", None),
        ("POST", f"/v1/sittings/{sitting_y}/answers", answer),
        ("POST", f"/v1/sittings/{sitting_y}/telemetry", telemetry),
        ("POST", f"/v1/sittings/{sitting_y}/submit", None),
        ("GET", f"/v1/sittings/{sitting_y}/result", None),
    ):
        r = await client.request(method, path, headers=card, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    for method, path in (
        ("GET", f"/v1/exams/{exam_y['id']}"),
        ("POST", f"/v1/exams/{exam_y['id']}/sittings"),
        ("GET", "/v1/scheduling/my-exams"),
    ):
        r = await client.request(method, path, headers=card)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (method, path, r.text)
    r = await client.get("/v1/me/exams", headers=card)
    assert [e["id"] for e in r.json()] == [exam_x["id"]]
    # nothing of Y changed: still active, no answer stored
    r = await api.call("GET", f"/v1/sittings/{sitting_y}/paper", student)
    assert r.status_code == 200 and r.json()["answers"] == {} and r.json()["state"] == "active"

    # the card's own exam works as before, through the same endpoints
    r = await client.post(f"/v1/exams/{exam_x['id']}/sittings", headers=card)
    assert r.status_code == 200, r.text
    sitting_x = r.json()["id"]
    for path in (f"/v1/sittings/{sitting_x}/paper", f"/v1/sittings/{sitting_x}/timer"):
        assert (await client.get(path, headers=card)).status_code == 200, path
    r = await client.post(f"/v1/sittings/{sitting_x}/submit", headers=card)
    assert r.status_code == 200, r.text
    assert (await client.get(f"/v1/sittings/{sitting_x}/result", headers=card)).status_code == 200


async def test_reissued_cards_revoke_the_tokens_of_the_old_card(
    client: AsyncTestClient[Any], school: School, other_process: str
) -> None:
    api = Api(client)
    student = school.students[2]
    exam = await api.exam(school.teacher)
    old_code = await _card_code(api, school.teacher, exam["id"], student)
    old = _bearer(await _card_sign_in(client, old_code))
    mine = f"/v1/exams/{exam['id']}"
    async with httpx.AsyncClient(base_url=other_process, timeout=10) as http:
        assert (await http.get(mine, headers=old)).status_code == 200  # memoised there
        assert (await client.get(mine, headers=old)).status_code == 200

        new_code = await _card_code(api, school.teacher, exam["id"], student)  # "lost card"
        assert new_code != old_code
        assert (await client.get(mine, headers=old)).status_code == 401

        async def refused() -> bool:
            return (await http.get(mine, headers=old)).status_code == 401

        assert await poll_until(refused, 60.0) <= 60.0
        r = await client.post("/v1/auth/card", json={"code": old_code})
        assert r.status_code == 401 and r.json()["code"] == "invalid_card"
        new = _bearer(await _card_sign_in(client, new_code))
        assert (await http.get(mine, headers=new)).status_code == 200
        assert (await client.get(mine, headers=new)).status_code == 200


async def test_a_card_token_ends_at_the_close_plus_grace_plus_granted_time(
    client: AsyncTestClient[Any], school: School
) -> None:
    api = Api(client)
    student = school.students[3]
    exam = await api.exam(school.teacher, closes_in_s=600, limit_s=600, grace_s=30)
    close = datetime.fromisoformat(exam["window_close"])
    code = await _card_code(api, school.teacher, exam["id"], student)

    token = await _card_sign_in(client, code)
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["exp"] <= (close + timedelta(seconds=30)).timestamp() + 1
    assert token["expires_in"] <= 630

    # a proctor grants 5 minutes: a card signed in again lives that much longer, and no more
    r = await client.post(f"/v1/exams/{exam['id']}/sittings", headers=_bearer(token))
    assert r.status_code == 200, r.text
    r = await api.call(
        "POST", f"/v1/sittings/{r.json()['id']}/extra-time", school.teacher, json={"seconds": 300}
    )
    assert r.status_code == 200, r.text
    token = await _card_sign_in(client, code)
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert (close + timedelta(seconds=300)).timestamp() <= claims["exp"]
    assert claims["exp"] <= (close + timedelta(seconds=330)).timestamp() + 1


_instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    close=_instants,
    now=_instants,
    grace=st.integers(0, 3600),
    granted=st.one_of(st.none(), st.integers(0, 12 * 3600)),
)
def test_card_token_lifetime_is_bounded(
    close: datetime, now: datetime, grace: int, granted: int | None
) -> None:
    until = card_token_until(close, grace, granted, now)
    assert until <= close + timedelta(seconds=grace + (granted or 0))
    assert until <= now + timedelta(seconds=CARD_TOKEN_MAX_S)
    assert until in (
        close + timedelta(seconds=grace + (granted or 0)),
        now + timedelta(seconds=CARD_TOKEN_MAX_S),
    )
