"""Import and export over HTTP (QTI item, package with media, CSV) and media storage, on the
real servers; S3 against moto's server on loopback."""

from __future__ import annotations

import io
import json
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from moto.server import ThreadedMotoServer

from question_bank.items import ItemCreate
from question_bank.media import S3MediaStore
from tests.integration.conftest import Api, School
from tests.unit.question_bank_qti.composite_items import BOTH, WEIGHTED, composite
from tests.unit.question_bank_qti.qti3_schema import CORPUS
from tests.unit.question_bank_qti.test_qb_qti_roundtrip import BILLION_LAUGHS, EXTERNAL_ENTITY


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _item(doc: dict[str, Any]) -> ItemCreate:
    item: ItemCreate = msgspec.convert(doc, ItemCreate)
    return item


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    return body


async def _send(api: Api, path: str, user: str, data: bytes, content_type: str) -> Any:
    headers = {**await api.headers(user), "content-type": content_type}
    return await api.client.post(path, content=data, headers=headers)


async def _upload(api: Api, user: str, data: bytes, name: str = "fig.png") -> Any:
    return await _send(api, f"/v1/media?filename={name}", user, data, "application/octet-stream")


async def test_media_upload_checks_and_cache_headers(api: Api, school: School) -> None:
    r = await _upload(api, school.teacher, png())
    assert r.status_code == 201, r.text
    media = r.json()
    assert media["content_type"] == "image/png" and media["url"] == f"/v1/media/{media['id']}"
    # served without a token (an <img> has none), immutable for a year
    r = await api.client.get(media["url"])
    assert r.status_code == 200 and r.content == png()
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"] == "image/png"
    _problem(
        await _upload(api, school.teacher, b"<svg onload='x()'/>", "x.svg"),
        415,
        "unsupported_media_type",
    )
    _problem(
        await _upload(api, school.teacher, b"\x89PNG\r\n\x1a\n" + b"0" * (6 << 20)),
        413,
        "payload_too_large",
    )
    _problem(await _upload(api, school.students[0], png()), 403, "forbidden")
    _problem(await api.client.get(f"/v1/media/{uuid.uuid4()}"), 404, "not_found")


async def test_qti_item_round_trip_over_http(api: Api, school: School) -> None:
    t = school.teacher
    r = await api.call(
        "POST",
        "/v1/items",
        t,
        json={
            "kind": "numeric",
            "stem": "<p>g in m/s²?</p>",
            "value": 9.81,
            "absolute_tolerance": 0.05,
            "unit": "m/s²",
            "explanation": "<p>Standard gravity</p>",
            "metadata": {"language": "id"},
        },
    )
    item_id = r.json()["id"]
    r = await api.call("GET", f"/v1/items/{item_id}/qti", t)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert b"qti-text-entry-interaction" in r.content and b"9.81" in r.content
    r2 = await _send(api, "/v1/items/import", t, r.content, "application/xml")
    assert r2.status_code == 201, r2.text
    report = r2.json()
    assert report["errors"] == [] and len(report["created"]) == 1
    original = (await api.call("GET", f"/v1/items/{item_id}", t)).json()["item"]
    again = (await api.call("GET", f"/v1/items/{report['created'][0]['id']}", t)).json()["item"]
    # the same item (defaults spelled out or not)
    assert _item(again) == _item(original)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
async def test_hostile_xml_gets_a_clear_refusal(api: Api, school: School, document: bytes) -> None:
    before = (await api.call("GET", "/v1/items?limit=1", school.teacher)).json()["total"]
    r = await _send(api, "/v1/items/import", school.teacher, document, "application/xml")
    body = _problem(r, 400, "unsafe_xml")
    assert "unsafe XML refused" in body["detail"]
    assert (await api.call("GET", "/v1/items?limit=1", school.teacher)).json()["total"] == before


async def test_package_round_trip_carries_metadata_and_media(api: Api, school: School) -> None:
    t = school.teacher
    media = (await _upload(api, t, png(3, 1))).json()
    bank = (
        await api.call("POST", "/v1/banks", t, json={"name": f"Export {uuid.uuid4().hex[:6]}"})
    ).json()
    items = [
        {
            "kind": "single_choice",
            "stem": f'<p>Which?</p><img src="{media["url"]}" alt="f">',
            "correct": "a",
            "options": [{"id": "a", "text": "red"}, {"id": "b", "text": "blue"}],
            "metadata": {
                "subject": "IPA",
                "topic": "warna",
                "tags": ["x", "y"],
                "difficulty": 0.4,
                "licence": "CC-BY-4.0",
            },
        },
        {
            "kind": "ordering",
            "stem": "Sort",
            "correct": ["p", "q"],
            "options": [{"id": "q", "text": "2"}, {"id": "p", "text": "1"}],
            "partial_credit": True,
        },
    ]
    for item in items:
        r = await api.call("POST", f"/v1/items?bank_id={bank['id']}", t, json=item)
        assert r.status_code == 201, r.text
    r = await api.call("GET", f"/v1/items/export?bank_id={bank['id']}", t)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "imsmanifest.xml" in names and f"media/{media['id']}.png" in names
    # import into the other school: new items, new media, same content and metadata
    other = school.other_teacher
    r2 = await _send(api, "/v1/items/import", other, r.content, "application/zip")
    assert r2.status_code == 201, r2.text
    report = r2.json()
    assert report["errors"] == [] and len(report["created"]) == 2
    imported = [
        (await api.call("GET", f"/v1/items/{c['id']}", other)).json()["item"]
        for c in report["created"]
    ]
    by_kind = {i["kind"]: i for i in imported}
    chosen = by_kind["single_choice"]
    assert chosen["metadata"] == items[0]["metadata"]
    assert media["id"] not in chosen["stem"] and '<img src="/v1/media/' in chosen["stem"]
    new_url = chosen["stem"].split('src="')[1].split('"')[0]
    fetched = await api.client.get(new_url)
    assert fetched.status_code == 200 and fetched.content == png(3, 1)
    assert by_kind["ordering"]["correct"] == ["p", "q"] and by_kind["ordering"]["partial_credit"]


async def test_csv_import_reports_every_bad_row(api: Api, school: School) -> None:
    csv_text = (
        "\ufeffKind;Stem;Options;Correct;Points;Topic;Tags;Difficulty\n"
        "single_choice;Ibu kota?;Jakarta|Bandung;A;2;geografi;ibu kota,kota;0.3\n"
        "multiple_response;Prima?;a=2|b=4|c=5;a,c;1;matematika;;\n"
        "true_false;Bumi bulat;;benar;;;;\n"
        "numeric;Akar 2?;;1.414;;;;\n"
        "single_choice;Tanpa kunci;X|Y;Z;;;;\n"
        "hotspot;?;;;;;;\n"
        "numeric;Bukan angka;;abc;;;;\n"
        ";;;;;;;\n"
    ).encode()
    r = await _send(api, "/v1/items/import/csv?publish=true", school.teacher, csv_text, "text/csv")
    assert r.status_code == 201, r.text
    report = r.json()
    assert len(report["created"]) == 4
    assert all(c["status"] == "published" for c in report["created"])
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (6, "correct"),
        (7, "kind"),
        (8, "value"),
    ]
    first = (
        await api.call("GET", f"/v1/items/{report['created'][0]['id']}", school.teacher)
    ).json()["item"]
    assert first["options"] == [{"id": "A", "text": "Jakarta"}, {"id": "B", "text": "Bandung"}]
    assert first["metadata"] == {
        "topic": "geografi",
        "tags": ["ibu kota", "kota"],
        "difficulty": 0.3,
    }
    r = await _send(api, "/v1/items/import/csv", school.teacher, b"a,b\n1,2\n", "text/csv")
    _problem(r, 400, "csv_invalid")


@pytest.fixture(scope="module")
def moto_s3(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch_module.setenv(name, "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


async def test_s3_store_uses_presigned_urls(moto_s3: str) -> None:
    store = S3MediaStore(
        "ujian-media", region="ap-southeast-3", endpoint_url=moto_s3, url_ttl_s=600
    )
    store.client.create_bucket(
        Bucket="ujian-media", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-3"}
    )
    key = str(uuid.uuid4())
    await store.put(key, png(), "image/png")
    url = store.presigned_url(key, "image/png")
    assert url is not None and "X-Amz-Signature=" in url and url.startswith(moto_s3)
    async with httpx.AsyncClient() as client:
        r = await client.get(url)
    assert r.status_code == 200 and r.content == png()
    assert r.headers["content-type"] == "image/png"
    assert await store.read(key) == png()
    assert await store.read(str(uuid.uuid4())) is None


async def test_a_foreign_package_reports_each_item_and_relinks_media_from_its_folder(
    api: Api, school: School
) -> None:
    # the usual layout of other tools: items/ with their pictures beside them, in resources/
    corpus = CORPUS / "1edtech"
    point = (corpus / "items" / "select_point.xml").read_bytes()
    point = point.replace(b'data="images/uk.png"', b'data="resources/uk.png"')
    # the Saxony sketch the hotspot item shows, in its media/ folder (here a PNG)
    hotspot = (corpus / "interactionMixSaxonyV3" / "Hotspot_278940407.xml").read_bytes()
    hotspot = hotspot.replace(b"f88c5aa2c6724a388fdbadc7133eb757.jpg", b"sachsen.png")
    manifest = (
        '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"><resources>'
        '<resource identifier="p" type="imsqti_item_xmlv3p0" href="items/point.xml">'
        '<file href="items/point.xml"/><file href="items/resources/uk.png"/></resource>'
        '<resource identifier="h" type="imsqti_item_xmlv3p0" href="items/hot.xml">'
        '<file href="items/hot.xml"/><file href="items/media/sachsen.png"/></resource>'
        '<resource identifier="u" type="imsqti_item_xmlv3p0" href="items/upload.xml">'
        '<file href="items/upload.xml"/></resource></resources></manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.writestr("items/point.xml", point)
        archive.writestr("items/resources/uk.png", png(4, 4))
        archive.writestr("items/hot.xml", hotspot)
        archive.writestr("items/media/sachsen.png", png(6, 6))
        archive.writestr("items/upload.xml", (corpus / "items" / "upload.xml").read_bytes())
    r = await _send(api, "/v1/items/import", school.teacher, out.getvalue(), "application/zip")
    assert r.status_code == 201, r.text
    report = r.json()
    assert [(i["file"], i["status"], i.get("kind"), i.get("code")) for i in report["items"]] == [
        ("items/point.xml", "imported", "select_point", None),
        ("items/hot.xml", "imported", "single_choice", None),
        ("items/upload.xml", "refused", None, "qti_unsupported_interaction"),
    ]
    point_id, hotspot_id = (c["id"] for c in report["created"])
    item = (await api.call("GET", f"/v1/items/{point_id}", school.teacher)).json()["item"]
    assert item["image"].startswith("/v1/media/")
    fetched = await api.client.get(item["image"])
    assert fetched.status_code == 200 and fetched.content == png(4, 4)
    item = (await api.call("GET", f"/v1/items/{hotspot_id}", school.teacher)).json()["item"]
    assert item["graphic"]["image"].startswith("/v1/media/") and item["correct"] == "Choice6"
    fetched = await api.client.get(item["graphic"]["image"])
    assert fetched.status_code == 200 and fetched.content == png(6, 6)
    r = await api.call("GET", f"/v1/items/{hotspot_id}/qti", school.teacher)
    assert r.status_code == 200 and b"<qti-hotspot-interaction" in r.content


async def test_a_real_slider_item_comes_in_and_goes_out_as_a_slider(
    api: Api, school: School
) -> None:
    t = school.teacher
    document = (CORPUS / "1edtech" / "items" / "slider.xml").read_bytes()
    r = await _send(api, "/v1/items/import", t, document, "application/xml")
    assert r.status_code == 201, r.text
    (created,) = r.json()["created"]
    item = (await api.call("GET", f"/v1/items/{created['id']}", t)).json()["item"]
    assert item["kind"] == "numeric" and item["value"] == 16
    assert item["slider"]["base_type"] == "integer" and item["slider"]["upper_bound"] == 100
    # its mapping's half marks kept as bands of the scale
    assert {"low": 12.0, "high": 13.0, "credit": 0.5} in item["ranges"]
    r = await api.call("GET", f"/v1/items/{created['id']}/qti", t)
    assert r.status_code == 200 and b"<qti-slider-interaction" in r.content
    assert b'<qti-map-entry map-key="12" mapped-value="0.5"' in r.content


async def test_a_real_hottext_item_comes_in_and_goes_out_as_a_hottext(
    api: Api, school: School
) -> None:
    t = school.teacher
    path = CORPUS / "1edtech" / "interactionMixSaxonyV3" / "Hottext_801974120.xml"
    r = await _send(api, "/v1/items/import", t, path.read_bytes(), "application/xml")
    assert r.status_code == 201, r.text
    (created,) = r.json()["created"]
    item = (await api.call("GET", f"/v1/items/{created['id']}", t)).json()["item"]
    assert item["kind"] == "multiple_response" and item["correct"] == [
        "Choice1",
        "Choice3",
        "Choice8",
    ]
    assert item["hottext"]["max_choices"] == 0 and len(item["options"]) == 9
    assert "{{Choice3}}, {{Choice4}} und {{Choice5}}" in item["hottext"]["passage"]
    r = await api.call("GET", f"/v1/items/{created['id']}/qti", t)
    assert r.status_code == 200 and b"<qti-hottext-interaction" in r.content
    assert b'<qti-hottext identifier="Choice3">Chemnitz</qti-hottext>' in r.content


async def test_a_real_gap_match_item_comes_in_and_goes_out_as_a_gap_match(
    api: Api, school: School
) -> None:
    t = school.teacher
    path = CORPUS / "1edtech" / "QTI3_BPIG_Examples" / "items" / "gap-match-example-1.xml"
    r = await _send(api, "/v1/items/import", t, path.read_bytes(), "application/xml")
    assert r.status_code == 201, r.text
    (created,) = r.json()["created"]
    item = (await api.call("GET", f"/v1/items/{created['id']}", t)).json()["item"]
    assert item["kind"] == "matching" and item["pairs"] == [["W", "G1"], ["Su", "G2"]]
    assert [s["text"] for s in item["sources"]] == ["winter", "spring", "summer", "autumn"]
    assert "Now is the {{G1}} of our discontent" in item["stem"]
    assert item["gap_match"] == {} and item["points"] == 3.0
    r = await api.call("GET", f"/v1/items/{created['id']}/qti", t)
    assert r.status_code == 200 and b"<qti-gap-match-interaction" in r.content
    assert b'<qti-gap-text identifier="Su" match-max="1">summer</qti-gap-text>' in r.content
    assert b'Now is the <qti-gap identifier="G1" /> of our discontent' in r.content


async def test_a_real_associate_item_comes_in_and_goes_out_as_an_associate(
    api: Api, school: School
) -> None:
    t = school.teacher
    path = CORPUS / "1edtech" / "items" / "associate.xml"
    r = await _send(api, "/v1/items/import", t, path.read_bytes(), "application/xml")
    assert r.status_code == 201, r.text
    (created,) = r.json()["created"]
    item = (await api.call("GET", f"/v1/items/{created['id']}", t)).json()["item"]
    assert item["kind"] == "matching" and item["pairs"] == [["A", "P"], ["C", "M"], ["D", "L"]]
    assert item["associate"] == {"max_associations": 3} and item["points"] == 4.0
    assert item["targets"] == item["sources"] and len(item["sources"]) == 6
    r = await api.call("GET", f"/v1/items/{created['id']}/qti", t)
    assert r.status_code == 200 and b"<qti-associate-interaction" in r.content
    assert b'<qti-simple-associable-choice identifier="P" match-max="1">Prospero<' in r.content
    assert b'base-type="pair"' in r.content


async def test_a_real_graphic_order_item_comes_in_and_goes_out_as_a_graphic_order(
    api: Api, school: School
) -> None:
    t = school.teacher
    path = CORPUS / "1edtech" / "QTI3_BPIG_Examples" / "items" / "QTI3-graphic-order.xml"
    # the corpus keeps no pictures: linked as a package's media would be, to https
    document = path.read_bytes().replace(
        b'src="images/ukair.png"', b'src="https://media.example.org/ukair.png"'
    )
    r = await _send(api, "/v1/items/import", t, document, "application/xml")
    assert r.status_code == 201, r.text
    (created,) = r.json()["created"]
    item = (await api.call("GET", f"/v1/items/{created['id']}", t)).json()["item"]
    assert item["kind"] == "ordering" and item["correct"] == ["A", "D", "C", "B"]
    assert [o["text"] for o in item["options"]][:2] == ["Airport A", "Airport B"]
    assert item["graphic"]["width"] == 206 and len(item["graphic"]["hotspots"]) == 4
    r = await api.call("GET", f"/v1/items/{created['id']}/qti", t)
    assert r.status_code == 200 and b"<qti-graphic-order-interaction" in r.content
    assert b'coords="78,102,8"' in r.content and b'hotspot-label="Airport A"' in r.content


async def test_a_package_with_a_shared_stimulus_reaches_the_paper_and_goes_out_again(
    api: Api, school: School
) -> None:
    # 1EdTech's best-practice items: three questions in items/ about one passage in passages/,
    # its title picture beside it (tests/data/qti3/SOURCES.md)
    folder = CORPUS / "1edtech" / "QTI3_BPIG_Examples"
    names = [f"items/unbelievable_night_item{n}.xml" for n in (1, 2, 3)]
    picture = "passages/images/exemplarSection01_title.png"
    resources = "".join(
        f'<resource identifier="i{n}" type="imsqti_item_xmlv3p0" href="{name}">'
        f'<file href="{name}"/></resource>'
        for n, name in enumerate(names)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "imsmanifest.xml",
            '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1">'
            f"<resources>{resources}</resources></manifest>",
        )
        for name in [*names, "passages/unbelievableNight.xml", picture]:
            archive.writestr(name, (folder / name).read_bytes())
    t = school.teacher
    r = await _send(api, "/v1/items/import", t, out.getvalue(), "application/zip")
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["errors"] == []
    assert [(i["file"], i["status"], i.get("kind")) for i in report["items"]] == [
        (names[0], "imported", "essay"),
        (names[1], "imported", "single_choice"),
        (names[2], "imported", "single_choice"),
    ]
    ids = [c["id"] for c in report["created"]]
    stored = [(await api.call("GET", f"/v1/items/{i}", t)).json()["item"] for i in ids]
    stimulus = stored[0]["stimulus"]
    assert all(item["stimulus"] == stimulus for item in stored)
    assert (stimulus["id"], stimulus["title"]) == ("Stimulus1", "An Unbelievable Night")
    url = stimulus["body"].split('src="')[1].split('"')[0]
    assert url.startswith("/v1/media/")
    fetched = await api.client.get(url)
    assert fetched.status_code == 200 and fetched.content == (folder / picture).read_bytes()
    # the items are found by the title of the passage they ask about
    r = await api.call("GET", "/v1/items?q=Unbelievable Night&limit=50", t)
    assert set(ids) <= {i["id"] for i in r.json()["items"]}
    # an exam of the three: the student's paper shows the passage with each question
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        t,
        json={
            "title": "Membaca",
            "sections": [{"title": "A", "items": ids}],
            "time_limit_s": 3600,
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    exam = r.json()
    assert (await api.call("POST", f"/v1/exams/{exam['id']}/publish", t)).status_code == 200
    student = school.students[0]
    sitting = await api.start(student, exam["id"])
    paper = await api.paper(student, sitting["id"])
    shown = {i["id"]: i for s in paper["sections"] for i in s["items"]}
    assert set(shown) == set(ids)
    assert all(i["stimulus"] == stimulus for i in shown.values())
    # the passage rides with the question, the key does not
    assert "correct" not in shown[ids[2]] and '"correct"' not in json.dumps(shown[ids[2]])
    # the teacher's review of the sitting shows the passage with each question
    r = await api.call("GET", f"/v1/exams/{exam['id']}/sittings/{sitting['id']}/review", t)
    assert r.status_code == 200, r.text
    assert [i["stimulus"]["title"] for i in r.json()["items"]] == [stimulus["title"]] * 3
    # exported, the passage is one file the three items refer to, its picture packed with it
    query = "&".join(f"ids={i}" for i in ids)
    r = await api.call("GET", f"/v1/items/export?{query}", t)
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert [n for n in archive.namelist() if n.startswith("stimuli/")] == ["stimuli/Stimulus1.xml"]
    assert f"media/{url.rsplit('/', 1)[1]}.png" in archive.namelist()
    r = await _send(api, "/v1/items/import", school.other_teacher, r.content, "application/zip")
    assert r.status_code == 201, r.text
    again = [
        (await api.call("GET", f"/v1/items/{c['id']}", school.other_teacher)).json()["item"]
        for c in r.json()["created"]
    ]
    assert len(again) == 3 and all(i["stimulus"]["title"] == stimulus["title"] for i in again)
    assert len({i["stimulus"]["body"] for i in again}) == 1
    assert url not in again[0]["stimulus"]["body"] and "/v1/media/" in again[0]["stimulus"]["body"]


async def test_a_lone_item_whose_stimulus_is_elsewhere_is_refused_by_name(
    api: Api, school: School
) -> None:
    document = (
        CORPUS / "1edtech" / "QTI3_BPIG_Examples" / "items" / "unbelievable_night_item3.xml"
    ).read_bytes()
    r = await _send(api, "/v1/items/import", school.teacher, document, "application/xml")
    body = _problem(r, 400, "qti_stimulus_missing")
    assert "../passages/unbelievableNight.xml" in body["detail"]


async def test_a_composite_item_comes_in_as_its_parts_sharing_its_passage(
    api: Api, school: School
) -> None:
    t = school.teacher
    document = composite(WEIGHTED, mapping={"Paris": 3, "paris": 1.5})
    r = await _send(api, "/v1/items/import", t, document, "application/xml")
    assert r.status_code == 201, r.text
    report = r.json()
    assert [(i["status"], i["kind"], i["part"], i["title"]) for i in report["items"]] == [
        ("imported", "single_choice", "france-RESPONSE_A", "France, two ways (1/2)"),
        ("imported", "short_text", "france-RESPONSE_B", "France, two ways (2/2)"),
    ]
    choice_id, text_id = (c["id"] for c in report["created"])
    choice = (await api.call("GET", f"/v1/items/{choice_id}", t)).json()["item"]
    text = (await api.call("GET", f"/v1/items/{text_id}", t)).json()["item"]
    assert choice["stem"] == "Which letter comes second?" and choice["correct"] == "B"
    assert (choice["points"], text["points"]) == (2.0, 3.0)
    assert text["accepted"] == ["Paris"] and text["partial"] == {"paris": 0.5}
    assert (
        choice["stimulus"]
        == text["stimulus"]
        == {
            "id": "france",
            "title": "France, two ways",
            "body": "<p>France is a country in Europe.</p>",
        }
    )
    # each part goes out as an ordinary item naming the shared stimulus
    r = await api.call("GET", f"/v1/items/{text_id}/qti", t)
    assert r.status_code == 200 and b"<qti-text-entry-interaction" in r.content
    assert b'<qti-assessment-stimulus-ref identifier="france"' in r.content


async def test_a_composite_scoring_its_responses_together_comes_in_as_one_composite(
    api: Api, school: School
) -> None:
    r = await _send(api, "/v1/items/import", school.teacher, composite(BOTH), "application/xml")
    assert r.status_code == 201, r.text
    (line,) = r.json()["items"]
    assert line["kind"] == "composite" and "RESPONSE_A and RESPONSE_B together" in line["note"]
    (saved,) = r.json()["created"]
    # it goes out again with its own processing
    r = await api.call("GET", f"/v1/items/{saved['id']}/qti", school.teacher)
    assert r.status_code == 200 and b"<qti-and>" in r.content
