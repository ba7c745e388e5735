"""QTI 3.0 content packages: a zip with ``imsmanifest.xml``, one XML file per item, media.

The manifest lists each item as an ``imsqti_item_xmlv3p0`` resource with its files; our
metadata (subject, topic, tags, difficulty, ...) rides in the resource's ``metadata`` as a
``ujian:item-meta`` JSON element, which other tools skip. Media referenced by a stem as
``/v1/media/<id>`` is packed as ``media/<id>.<ext>`` and relinked on import. Reading is
bounded (entry count, sizes) so a zip bomb costs an error, not the server's memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement

import msgspec

from question_bank.kinds import ItemCreate, ItemMeta
from question_bank.qti_export import export_item
from question_bank.qti_html import local
from question_bank.qti_import import QtiError, parse_xml

CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
UJIAN_NS = "https://ujian.dev/ns/qti"
ET.register_namespace("ujian", UJIAN_NS)
MAX_ENTRIES = 5000
MAX_ENTRY_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
_MEDIA_SRC = re.compile(r"/v1/media/([0-9a-fA-F-]{36})")
_meta_decoder = msgspec.json.Decoder(ItemMeta)


class PackedMedia(msgspec.Struct, frozen=True):
    media_id: str
    extension: str  # without the dot, e.g. "png"
    content_type: str
    data: bytes


class PackageItem(msgspec.Struct, frozen=True):
    href: str
    xml: bytes
    metadata: ItemMeta | None


class PackageContents(msgspec.Struct, frozen=True):
    items: list[PackageItem]
    media: dict[str, bytes]  # path in the zip -> bytes


def _c(tag: str) -> str:
    return f"{{{CP_NS}}}{tag}"


def export_package(items: list[tuple[str, ItemCreate]], media: list[PackedMedia]) -> bytes:
    """A zip of the items (identifier, item) and the media their stems show."""
    paths = {m.media_id: f"media/{m.media_id}.{m.extension}" for m in media}
    manifest = Element(_c("manifest"), identifier="ujian-export")
    SubElement(manifest, _c("organizations"))
    resources = SubElement(manifest, _c("resources"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for identifier, item in items:
            href = f"items/{identifier}.xml"
            xml = export_item(identifier, item).decode()
            used = sorted({m for m in _MEDIA_SRC.findall(xml) if m in paths})
            xml = _MEDIA_SRC.sub(lambda m: paths.get(m.group(1), m.group(0)), xml)
            archive.writestr(href, xml)
            resource = SubElement(resources, _c("resource"), identifier=identifier,
                                  type="imsqti_item_xmlv3p0", href=href)
            meta = SubElement(SubElement(resource, _c("metadata")), f"{{{UJIAN_NS}}}item-meta")
            meta.text = msgspec.json.encode(item.metadata).decode()
            SubElement(resource, _c("file"), href=href)
            for media_id in used:
                SubElement(resource, _c("file"), href=paths[media_id])
        for m in media:
            archive.writestr(paths[m.media_id], m.data)
        archive.writestr("imsmanifest.xml", ET.tostring(manifest, encoding="utf-8",
                                                        xml_declaration=True))
    return out.getvalue()


def read_package(data: bytes) -> PackageContents:
    """The items and media of a package; raises QtiError for a bad or oversized one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise QtiError("not a zip file") from err
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise QtiError(f"the package has more than {MAX_ENTRIES} files")
    if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES or any(
            i.file_size > MAX_ENTRY_BYTES for i in infos):
        raise QtiError("the package is too large once unpacked")
    names = {i.filename for i in infos}

    def read(name: str) -> bytes:
        if name not in names:
            raise QtiError(f"the manifest names {name!r}, which is not in the package")
        with archive.open(name) as handle:
            # the header's size may lie: never read more than the limit
            content = handle.read(MAX_ENTRY_BYTES + 1)
        if len(content) > MAX_ENTRY_BYTES:
            raise QtiError(f"{name} is too large")
        return content

    manifest = parse_xml(read("imsmanifest.xml"))
    items, media = [], {}
    for resource in (e for e in manifest.iter() if local(e.tag) == "resource"):
        if not (resource.get("type") or "").startswith("imsqti_item_xml"):
            continue
        href = resource.get("href") or ""
        meta_element = next((e for e in resource.iter() if local(e.tag) == "item-meta"), None)
        metadata = None
        if meta_element is not None and meta_element.text:
            try:
                metadata = _meta_decoder.decode(meta_element.text)
            except msgspec.DecodeError as err:
                raise QtiError(f"{href}: ujian:item-meta is not valid: {err}") from err
        items.append(PackageItem(href=href, xml=read(href), metadata=metadata))
        for file in (e for e in resource.iter() if local(e.tag) == "file"):
            path = file.get("href") or ""
            if path != href and path not in media:
                media[path] = read(path)
    return PackageContents(items=items, media=media)


def relink(xml: bytes, urls: dict[str, str]) -> bytes:
    """Point an item's references to packed media (``media/...``) at their new URLs."""
    for path, url in urls.items():
        xml = xml.replace(f'"{path}"'.encode(), f'"{url}"'.encode())
    return xml
