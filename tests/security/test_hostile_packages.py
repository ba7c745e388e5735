"""Content packages cannot exhaust a process or crash a request (issue 18).

A 21 KB package whose manifest named one 20 MiB entry 40 times took a server from 254 MiB to
1 GiB: each mention was unpacked again. A bad CRC or an encrypted entry was a 500. Packages
are now read within a budget of unpacked bytes counted while unpacking, each entry at most
once, in a thread (question_bank/packages.py, question_bank/transfer.py), and every malformed
archive is a 400 with a code of its own, storing nothing.
"""

from __future__ import annotations

import io
import struct
import uuid
import warnings
import zipfile
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.services import Services
from question_bank.kinds import TrueFalseItem
from question_bank.packages import CP_NS, MAX_ENTRIES, read_package
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError
from tests.integration.conftest import Api, School, school, settings, svc
from tests.security.live_server import LiveServer, http, live, while_probing

# fixtures re-used from the integration suite and the live-server helper
__all__ = ["http", "live", "school", "settings", "svc"]

MIB = 1024 * 1024
ITEM_XML = export_item("item-1", TrueFalseItem(stem="Is water wet?", correct=True))


def manifest(resources: list[tuple[str, list[str]]]) -> bytes:
    """A content package manifest: (item href, other files) per resource."""
    root = Element(f"{{{CP_NS}}}manifest", identifier="m")
    listed = SubElement(root, f"{{{CP_NS}}}resources")
    for n, (href, files) in enumerate(resources):
        resource = SubElement(
            listed,
            f"{{{CP_NS}}}resource",
            identifier=f"r{n}",
            type="imsqti_item_xmlv3p0",
            href=href,
        )
        for path in [href, *files]:
            SubElement(resource, f"{{{CP_NS}}}file", href=path)
    return tostring(root, encoding="utf-8", xml_declaration=True)


def package(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        with zipfile.ZipFile(out, "w", method) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return out.getvalue()


def good_package(method: int = zipfile.ZIP_DEFLATED) -> bytes:
    return package(
        [("imsmanifest.xml", manifest([("items/1.xml", [])])), ("items/1.xml", ITEM_XML)], method
    )


def _patch_records(
    data: bytes, name: bytes, patch: Callable[[bytearray, int, bool], None]
) -> bytes:
    """Apply ``patch(buffer, offset, central)`` to the local and central records of ``name``."""
    buffer = bytearray(data)
    for signature, central, name_at in ((b"PK\x03\x04", False, 30), (b"PK\x01\x02", True, 46)):
        at = buffer.find(signature)
        while at != -1:
            if buffer[at + name_at : at + name_at + len(name)] == name:
                patch(buffer, at, central)
            at = buffer.find(signature, at + 4)
    return bytes(buffer)


def encrypted() -> bytes:
    def flag(buffer: bytearray, at: int, central: bool) -> None:
        buffer[at + (8 if central else 6)] |= 0x1

    return _patch_records(good_package(), b"items/1.xml", flag)


def unknown_method() -> bytes:
    def method(buffer: bytearray, at: int, central: bool) -> None:
        struct.pack_into("<H", buffer, at + (10 if central else 8), 99)

    return _patch_records(good_package(), b"items/1.xml", method)


def unsupported_version() -> bytes:
    # a directory record asking for zip version 6.4, which zipfile refuses with
    # NotImplementedError (found by the property test below)
    def version(buffer: bytearray, at: int, central: bool) -> None:
        if central:
            struct.pack_into("<H", buffer, at + 6, 64)

    return _patch_records(good_package(), b"items/1.xml", version)


def bad_crc() -> bytes:
    data = good_package(zipfile.ZIP_STORED)
    at = data.index(b"Is water wet?")
    return data[:at] + b"Is water dry?" + data[at + 13 :]  # same length, another CRC


def lying_size() -> bytes:
    # the headers say 10 bytes, the stream unpacks to the whole item
    def size(buffer: bytearray, at: int, central: bool) -> None:
        struct.pack_into("<I", buffer, at + (24 if central else 22), 10)

    return _patch_records(good_package(), b"items/1.xml", size)


def nested_zip() -> bytes:
    return package(
        [
            ("imsmanifest.xml", manifest([("items/1.xml", ["media/inner.png"])])),
            ("items/1.xml", ITEM_XML),
            ("media/inner.png", good_package()),
        ]
    )


def too_many_entries() -> bytes:
    return package(
        [
            ("imsmanifest.xml", manifest([("items/1.xml", [])])),
            ("items/1.xml", ITEM_XML),
            *((f"x/{n}", b"") for n in range(MAX_ENTRIES)),
        ],
        zipfile.ZIP_STORED,
    )


def too_large_unpacked() -> bytes:
    big = [(f"media/{n}.png", bytes(20 * MIB)) for n in range(6)]
    return package(
        [
            ("imsmanifest.xml", manifest([("items/1.xml", [n for n, _ in big])])),
            ("items/1.xml", ITEM_XML),
            *big,
        ]
    )


def one_entry_named_often(times: int) -> bytes:
    """The issue's package: one 20 MiB entry, named by the manifest ``times`` times."""
    return package(
        [("imsmanifest.xml", manifest([("big.xml", [])] * times)), ("big.xml", b" " * (20 * MIB))]
    )


MALFORMED: dict[str, tuple[Callable[[], bytes], str]] = {
    "not a zip": (lambda: b"PK\x03\x04" + bytes(range(256)) * 4, "bad_package"),
    "truncated": (lambda: good_package()[: len(good_package()) // 2], "bad_package"),
    "bad CRC": (bad_crc, "bad_package"),
    "encrypted entry": (encrypted, "encrypted_package"),
    "unknown compression method": (unknown_method, "bad_package"),
    "unsupported zip version": (unsupported_version, "bad_package"),
    "header size lies": (lying_size, "bad_package"),
    "duplicate names": (
        lambda: package(
            [
                ("imsmanifest.xml", manifest([("items/1.xml", [])])),
                ("items/1.xml", ITEM_XML),
                ("items/1.xml", ITEM_XML),
            ]
        ),
        "bad_package",
    ),
    "nested zip": (nested_zip, "nested_archive"),
    "zip entry by name": (
        lambda: package(
            [
                ("imsmanifest.xml", manifest([("items/1.xml", [])])),
                ("items/1.xml", ITEM_XML),
                ("a.zip", b"x"),
            ]
        ),
        "nested_archive",
    ),
    "absurd entry count": (too_many_entries, "package_too_large"),
    "too large unpacked": (too_large_unpacked, "package_too_large"),
    "one big entry named 2,000 times": (lambda: one_entry_named_often(2000), "package_too_large"),
}


# ---- the reader, without a server ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_every_malformed_archive_is_a_qti_error_with_its_code(name: str) -> None:
    make, code = MALFORMED[name]
    with pytest.raises(QtiError) as refused:
        read_package(make())
    assert refused.value.code == code, refused.value.message


def test_an_entry_named_twice_is_read_and_imported_once() -> None:
    data = package(
        [
            ("imsmanifest.xml", manifest([("items/1.xml", ["media/a.png"])] * 50)),
            ("items/1.xml", ITEM_XML),
            ("media/a.png", b"\x89PNG"),
        ]
    )
    contents = read_package(data)
    assert [i.href for i in contents.items] == ["items/1.xml"]
    assert contents.media == {"media/a.png": b"\x89PNG"}


@hypothesis.settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=2000))
def test_any_damage_to_a_package_is_a_qti_error(noise: bytes, at: int) -> None:
    """Bytes written over a good package: it reads, or it is refused; nothing else happens."""
    data = bytearray(good_package())
    at = min(at, len(data))
    data[at : at + len(noise)] = noise
    try:
        read_package(bytes(data))
    except QtiError as err:
        assert err.message


# ---- over HTTP -------------------------------------------------------------------------------


async def _stored(svc: Services, org: uuid.UUID) -> tuple[int, int]:
    async with svc.pool.acquire() as conn:
        return (
            await conn.fetchval("SELECT count(*) FROM items WHERE org_id = $1", org),
            await conn.fetchval("SELECT count(*) FROM media WHERE org_id = $1", org),
        )


async def _import(api: Api, user: str, data: bytes) -> Any:
    headers = {**await api.headers(user), "content-type": "application/zip"}
    return await api.client.post("/v1/items/import", content=data, headers=headers)


@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_every_malformed_archive_gets_400_and_stores_nothing(
    http: Any, school: School, svc: Services, name: str
) -> None:
    make, code = MALFORMED[name]
    api = Api(http)
    before = await _stored(svc, school.org_id)
    r = await _import(api, school.teacher, make())
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code
    assert await _stored(svc, school.org_id) == before


async def test_the_duplicate_entry_package_keeps_memory_and_the_loop_free(
    http: Any, live: LiveServer, school: School, svc: Services
) -> None:
    api = Api(http)
    await api.headers(school.teacher)  # signed in before measuring
    data = one_entry_named_often(2000)
    assert len(data) < 100_000  # a small upload
    before_kib = live.memory_kib("VmHWM")
    stored = await _stored(svc, school.org_id)
    r, latencies = await while_probing(live.url, _import(api, school.teacher, data))
    assert r.status_code == 400 and r.json()["code"] == "package_too_large", r.text
    # named 2,000 times, unpacked at most once (and only up to an item's size limit): was
    # 20 MiB per mention
    grown_mib = (live.memory_kib("VmHWM") - before_kib) / 1024
    assert grown_mib < 64, grown_mib
    assert latencies, "the probe ran"
    assert max(latencies) < 0.1, sorted(latencies)[-5:]
    assert await _stored(svc, school.org_id) == stored


async def test_a_good_item_named_often_is_imported_once(http: Any, school: School) -> None:
    api = Api(http)
    data = package(
        [("imsmanifest.xml", manifest([("items/1.xml", [])] * 40)), ("items/1.xml", ITEM_XML)]
    )
    r = await _import(api, school.teacher, data)
    assert r.status_code == 201, r.text
    assert len(r.json()["created"]) == 1 and r.json()["errors"] == []


async def test_a_csv_field_past_the_csv_limit_is_a_400(
    http: Any, school: School, svc: Services
) -> None:
    api = Api(http)
    before = await _stored(svc, school.org_id)
    data = b'kind,stem,correct\ntrue_false,"' + b"a" * 200_000 + b'",true\n'
    headers = {**await api.headers(school.teacher), "content-type": "text/csv"}
    r = await api.client.post("/v1/items/import/csv", content=data, headers=headers)
    assert r.status_code == 400, r.text  # was a 500 (csv.Error)
    assert r.json()["code"] == "csv_invalid"
    assert await _stored(svc, school.org_id) == before
