"""The paper's own gzip: negotiated by Accept-Encoding, the same document as without it."""

from __future__ import annotations

import gzip
from typing import Any

import msgspec

from tests.integration.conftest import Api, School


def _same_but_the_clock(document: bytes) -> Any:
    paper = msgspec.json.decode(document)
    paper.pop("remaining_ms", None)  # the clock moves between two requests
    return paper


async def _raw(api: Api, path: str, student: str, **headers: str) -> Any:
    """A reply as sent (the test client would otherwise inflate it itself)."""
    request = api.client.build_request(
        "GET", path, headers={**await api.headers(student), **headers}
    )
    reply = await api.client.send(request, stream=True)
    body = b"".join([chunk async for chunk in reply.aiter_raw()])
    await reply.aclose()
    return reply, body


async def test_gzip_is_sent_when_asked_and_inflates_to_the_identity_paper(
    api: Api, school: School
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    path = f"/v1/sittings/{sitting['id']}/paper"
    # with an answer stored, so that the bytes after the sections are there too
    paper = await api.paper(student, sitting["id"])
    items = [item for section in paper["sections"] for item in section["items"]]
    choice = next(item for item in items if item["kind"] == "single_choice")
    response = {"kind": "single_choice", "choice": choice["options"][0]["id"]}
    event = {"seq": 1, "item": choice["id"], "response": response}
    assert (await api.answer(student, sitting["id"], [event])).status_code == 200

    plain, plain_body = await _raw(api, path, student, **{"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"

    packed, packed_body = await _raw(api, path, student, **{"Accept-Encoding": "gzip, br"})
    assert packed.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) == len(packed_body)
    assert _same_but_the_clock(gzip.decompress(packed_body)) == _same_but_the_clock(plain_body)
    assert msgspec.json.decode(plain_body)["answers"][choice["id"]]["response"] == response

    refused, refused_body = await _raw(api, path, student, **{"Accept-Encoding": "gzip;q=0, br"})
    assert "content-encoding" not in refused.headers
    assert _same_but_the_clock(refused_body) == _same_but_the_clock(plain_body)


async def test_content_route_gzips_and_answers_304_before_any_paper_work(
    api: Api, school: School
) -> None:
    exam = await api.exam(school.teacher)
    student = school.students[1]
    sitting = await api.start(student, exam["id"])
    path = f"/v1/sittings/{sitting['id']}/paper/content"

    plain, plain_body = await _raw(api, path, student, **{"Accept-Encoding": "identity"})
    packed, packed_body = await _raw(api, path, student, **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed_body) == plain_body
    assert plain.headers["etag"] == packed.headers["etag"]

    again, again_body = await _raw(
        api, path, student, **{"Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304 and again_body == b""
    assert again.headers["etag"] == plain.headers["etag"]
    assert "content-encoding" not in again.headers


async def test_a_stranger_gets_no_paper_in_any_encoding(api: Api, school: School) -> None:
    exam = await api.exam(school.teacher)
    sitting = await api.start(school.students[2], exam["id"])
    for encoding in ("identity", "gzip"):
        for path in ("paper", "paper/content"):
            reply, _ = await _raw(
                api,
                f"/v1/sittings/{sitting['id']}/{path}",
                school.students[3],
                **{"Accept-Encoding": encoding},
            )
            assert reply.status_code == 404
