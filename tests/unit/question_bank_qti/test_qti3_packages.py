"""Content packages laid out as other tools write them, and archives that lie about sizes."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from question_bank.packages import read_package, relink
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank_qti.qti3_schema import CORPUS

MANIFEST = b"""<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1">
<resources><resource identifier="q" type="imsqti_item_xmlv3p0" href="items/q.xml">
<file href="items/q.xml"/></resource></resources></manifest>"""


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_media_are_found_and_relinked_relative_to_the_items_own_folder() -> None:
    item = (CORPUS / "1edtech" / "items" / "select_point.xml").read_bytes()
    item = item.replace(b'data="images/uk.png"', b'data="resources/uk.png"')
    package = read_package(
        _zip({"imsmanifest.xml": MANIFEST, "items/q.xml": item, "items/resources/uk.png": b"P"})
    )
    assert package.media == {"items/resources/uk.png": b"P"}
    url = "/v1/media/0d5f6a0e-1111-2222-3333-444455556666"
    imported = import_item(
        relink(package.items[0].xml, {"items/resources/uk.png": url}, "items/q.xml")
    )
    assert imported.image == url  # type: ignore[union-attr]


def test_a_reference_outside_the_package_is_left_alone() -> None:
    xml = b'<img src="../../etc/passwd"/><img src="https://example.org/a.png"/>'
    assert relink(xml, {"etc/passwd": "/v1/media/x"}, "items/q.xml") == xml


def _lying(offset: int, value: int, method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("imsmanifest.xml", MANIFEST)
        archive.writestr("items/q.xml", b"<x>" + b"a" * 5000 + b"</x>")
    data = bytearray(out.getvalue())
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + offset, value)
    return bytes(data)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize(("offset", "what"), [(20, "compressed size"), (24, "size")])
def test_an_entry_whose_header_lies_about_its_size_is_a_bad_package(
    method: int, offset: int, what: str
) -> None:
    with pytest.raises(QtiError) as caught:
        read_package(_lying(offset, 10, method))
    assert caught.value.code == "bad_package", what
