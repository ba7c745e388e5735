"""QTI 3.0 content packages: a zip with ``imsmanifest.xml``, one XML file per item, media.

The manifest lists each item as an ``imsqti_item_xmlv3p0`` resource with its files, and each
shared stimulus as an ``imsqti_stimulus_xmlv3p0`` resource (``stimuli/<id>.xml``, once however
many items show it) the items depend on; our
metadata (subject, topic, tags, difficulty, ...) rides in the resource's ``metadata`` as a
``ujian:item-meta`` JSON element, which other tools skip. Media referenced by a stem as
``/v1/media/<id>`` is packed as ``media/<id>.<ext>`` and relinked on import. Reading is
bounded (entry count, each entry's and the total unpacked size, counted while unpacking, each
entry read once) so a zip bomb or a manifest naming one big file thousands of times costs an
error, not the server's memory; a malformed archive (bad CRC, truncated, encrypted, nested,
duplicate names) is a ``QtiError`` with a problem code of its own.
"""

from __future__ import annotations

import html
import io
import lzma
import posixpath
import re
import struct
import zipfile
import zlib
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement

import msgspec

from question_bank.kinds import ItemCreate, ItemMeta, StimulusSpec
from question_bank.qti_export import export_item
from question_bank.qti_html import local
from question_bank.qti_import import MAX_XML_BYTES, QtiError, parse_xml
from question_bank.qti_stimulus import STIMULUS_RESOURCE, export_stimulus, stimulus_file

CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
UJIAN_NS = "https://ujian.dev/ns/qti"
ET.register_namespace("ujian", UJIAN_NS)
MAX_ENTRIES = 5000
MAX_ENTRY_BYTES = 20 * 1024 * 1024
# what one import may unpack in all, counted while unpacking: it is held in memory
MAX_TOTAL_BYTES = 100 * 1024 * 1024
_CHUNK = 64 * 1024
_CENTRAL_RECORD = b"PK\x01\x02"
_LOCAL_RECORD = b"PK\x03\x04"
_ENCRYPTED = 0x1  # general purpose flag bit 0
_ARCHIVE_SUFFIXES = (".zip", ".jar", ".gz", ".tgz", ".7z", ".rar", ".tar")
_MEDIA_SRC = re.compile(r"/v1/media/([0-9a-fA-F-]{36})")
_meta_decoder = msgspec.json.Decoder(ItemMeta)


class PackedMedia(msgspec.Struct, frozen=True):
    media_id: str
    extension: str  # without the dot, e.g. "png"
    content_type: str
    data: bytes


class PackedStimulus(msgspec.Struct, frozen=True):
    path: str  # in the package: its media are relative to it
    xml: bytes


class PackageItem(msgspec.Struct, frozen=True):
    href: str
    xml: bytes
    metadata: ItemMeta | None
    # the stimuli the item refers to, by the href its qti-assessment-stimulus-ref writes; one
    # it names that the package lacks is not here (the import refuses the item)
    stimuli: dict[str, PackedStimulus] = {}


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
    # each stimulus once: (its resource identifier, its file) by its content
    stimuli: dict[StimulusSpec, tuple[str, str]] = {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:

        def write(href: str, xml: str, resource: Element) -> None:
            used = sorted({m for m in _MEDIA_SRC.findall(xml) if m in paths})
            archive.writestr(href, _MEDIA_SRC.sub(lambda m: paths.get(m.group(1), m.group(0)), xml))
            SubElement(resource, _c("file"), href=href)
            for media_id in used:
                SubElement(resource, _c("file"), href=paths[media_id])

        for identifier, item in items:
            href = f"items/{identifier}.xml"
            stimulus = item.stimulus
            if stimulus is not None and stimulus not in stimuli:
                taken = sum(s.id == stimulus.id for s in stimuli)
                stimuli[stimulus] = (f"stimulus-{len(stimuli) + 1}", stimulus_file(stimulus, taken))
                resource = SubElement(
                    resources,
                    _c("resource"),
                    identifier=stimuli[stimulus][0],
                    type=STIMULUS_RESOURCE,
                    href=stimuli[stimulus][1],
                )
                write(stimuli[stimulus][1], export_stimulus(stimulus).decode(), resource)
            resource = SubElement(
                resources,
                _c("resource"),
                identifier=identifier,
                type="imsqti_item_xmlv3p0",
                href=href,
            )
            meta = SubElement(SubElement(resource, _c("metadata")), f"{{{UJIAN_NS}}}item-meta")
            meta.text = msgspec.json.encode(item.metadata).decode()
            stimulus_href = None
            if stimulus is not None:
                # the items sit in items/, the stimuli in stimuli/: a sibling folder
                stimulus_href = "../" + stimuli[stimulus][1]
            write(href, export_item(identifier, item, stimulus_href).decode(), resource)
            if stimulus is not None:
                SubElement(resource, _c("dependency"), identifierref=stimuli[stimulus][0])
        for m in media:
            archive.writestr(paths[m.media_id], m.data)
        archive.writestr(
            "imsmanifest.xml", ET.tostring(manifest, encoding="utf-8", xml_declaration=True)
        )
    return out.getvalue()


def read_package(data: bytes) -> PackageContents:
    """The items and media of a package; raises QtiError (with a problem code) for a malformed
    or oversized one. Each entry is read at most once, however often the manifest names it."""
    archive = _open(data)
    reader = _BudgetedReader(archive)
    manifest = parse_xml(reader.read("imsmanifest.xml", MAX_XML_BYTES))
    items, media, seen = [], {}, set()
    stimulus_files: set[str] = set()
    for resource in (e for e in manifest.iter() if local(e.tag) == "resource"):
        if not (resource.get("type") or "").startswith("imsqti_item_xml"):
            continue
        href = resource.get("href") or ""
        if href in seen:
            continue  # named twice: imported once
        seen.add(href)
        meta_element = next((e for e in resource.iter() if local(e.tag) == "item-meta"), None)
        metadata = None
        if meta_element is not None and meta_element.text:
            try:
                metadata = _meta_decoder.decode(meta_element.text)
            except msgspec.DecodeError as err:
                raise QtiError(f"{href}: ujian:item-meta is not valid: {err}") from err
        xml = reader.read(href, MAX_XML_BYTES)
        stimuli = _stimuli(reader, href, xml)
        items.append(PackageItem(href=href, xml=xml, metadata=metadata, stimuli=stimuli))
        listed = [e.get("href") or "" for e in resource.iter() if local(e.tag) == "file"]
        # what the item shows, relative to its own folder, even when the manifest forgot it
        shown = _shown(reader, href, xml)
        # what its stimuli show, relative to the stimulus's own folder
        for stimulus in stimuli.values():
            stimulus_files.add(stimulus.path)
            shown += _pictures(reader, stimulus)
        for path in [*listed, *shown]:
            if path != href and path not in media:
                media[path] = reader.read(path, MAX_ENTRY_BYTES)
    # a stimulus the manifest lists among an item's files is no medium
    media = {p: m for p, m in media.items() if p not in stimulus_files}
    return PackageContents(items=items, media=media)


def _shown(reader: _BudgetedReader, href: str, xml: bytes) -> list[str]:
    """The package files an item at ``href`` shows, relative to its own folder."""
    paths = (
        item_reference(href, m.group(2).decode(errors="replace")) for m in _REFERENCE.finditer(xml)
    )
    return [p for p in paths if p in reader.infos]


def _pictures(reader: _BudgetedReader, stimulus: PackedStimulus) -> list[str]:
    """The package files a stimulus shows (its src and data, not its stylesheets' href):
    relative to its own folder, or to the package's root (our own export's ``media/...``)."""
    found = []
    for match in _REFERENCE.finditer(stimulus.xml):
        if match.group(1) == b"href":
            continue
        value = match.group(2).decode(errors="replace")
        path = item_reference(stimulus.path, value)
        if path in reader.infos or value in reader.infos:
            found.append(path if path in reader.infos else value)
    return found


def stimulus_hrefs(xml: bytes) -> list[str]:
    """The ``href`` of each ``qti-assessment-stimulus-ref`` of an item, as the item writes it."""
    found = []
    for match in _STIMULUS_REF.finditer(xml):
        written = _HREF.search(match.group(1))
        if written is not None:
            found.append(html.unescape(written.group(2).decode(errors="replace")))
    return found


def is_stimulus(xml: bytes) -> bool:
    """Whether a document is a ``qti-assessment-stimulus`` (read through the items naming it)."""
    return _STIMULUS_ROOT.search(xml[:4096]) is not None


def _stimuli(reader: _BudgetedReader, href: str, xml: bytes) -> dict[str, PackedStimulus]:
    """The stimuli the item at ``href`` refers to that the package holds, each read once."""
    found = {}
    for value in stimulus_hrefs(xml):
        path = item_reference(href, value)
        if path in reader.infos:
            found[value] = PackedStimulus(path, reader.read(path, MAX_XML_BYTES))
    return found


def _bad(message: str, code: str = "bad_package") -> QtiError:
    return QtiError(message, code=code)


def _open(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory is sane: few entries, unique names, none encrypted."""
    # every entry has a central directory record; counting their signature bounds the work of
    # parsing the directory before zipfile builds an object per entry
    if data.count(_CENTRAL_RECORD) > MAX_ENTRIES:
        raise _bad(f"the package has more than {MAX_ENTRIES} files", "package_too_large")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        struct.error,
        NotImplementedError,
    ) as err:
        # NotImplementedError: a directory record asking for a zip version zipfile lacks
        raise _bad(f"not a readable zip file ({err})") from err
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _bad(f"the package has more than {MAX_ENTRIES} files", "package_too_large")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _bad("the package holds two files of the same name")
    if any(i.flag_bits & _ENCRYPTED for i in infos):
        raise _bad("the package holds an encrypted file", "encrypted_package")
    if any(n.lower().endswith(_ARCHIVE_SUFFIXES) for n in names):
        raise _bad("the package holds another archive", "nested_archive")
    # the headers' sizes are only a first, cheap refusal: the reader counts what it unpacks
    if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES or any(
        i.file_size > MAX_ENTRY_BYTES for i in infos
    ):
        raise _bad("the package is too large once unpacked", "package_too_large")
    return archive


class _BudgetedReader:
    """Reads entries within a total budget of unpacked bytes, counted while unpacking (a
    header's size may lie), each entry once."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.infos = {i.filename: i for i in archive.infolist()}
        self.left = MAX_TOTAL_BYTES
        self.read_already: dict[str, bytes] = {}

    def read(self, name: str, limit: int) -> bytes:
        if name in self.read_already:
            return self.read_already[name]
        info = self.infos.get(name)
        if info is None:
            raise QtiError(f"the manifest names {name!r}, which is not in the package")
        chunks: list[bytes] = []
        size = 0
        try:
            with self.archive.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise _bad(f"{name} is larger than {limit} bytes", "package_too_large")
                    if size > self.left:
                        raise _bad(
                            f"the package unpacks to more than {MAX_TOTAL_BYTES} bytes",
                            "package_too_large",
                        )
                    chunks.append(chunk)
        except QtiError:
            raise
        except (
            zipfile.BadZipFile,
            EOFError,
            OSError,
            ValueError,
            RuntimeError,
            NotImplementedError,
            zlib.error,
            lzma.LZMAError,
            struct.error,
        ) as err:
            # bad CRC, a truncated or corrupt stream, an unknown compression method
            raise _bad(f"{name} cannot be unpacked ({err})") from err
        content = b"".join(chunks)
        if content.startswith(_LOCAL_RECORD):
            raise _bad(f"{name} is itself a zip archive", "nested_archive")
        self.left -= size
        self.read_already[name] = content
        return content


_REFERENCE = re.compile(rb'\b(src|data|href)="([^"]*)"')
# an item's reference to a stimulus, its attributes in any order, with or without a prefix
_STIMULUS_REF = re.compile(rb"<(?:[\w.-]+:)?qti-assessment-stimulus-ref\b([^>]*)>")
_HREF = re.compile(rb"\bhref\s*=\s*([\"'])(.*?)\1", re.DOTALL)
_STIMULUS_ROOT = re.compile(rb"<(?:[\w.-]+:)?qti-assessment-stimulus[\s>/]")


def item_reference(href: str, value: str) -> str:
    """The package path an item at ``href`` means by ``value`` (relative to the item's own
    folder, as HTML resolves it; ``media/...`` of our own export is relative to the root)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(href), value))


def relink(xml: bytes, urls: dict[str, str], href: str = "") -> bytes:
    """Point an item's references to packed media at their new URLs."""

    def new_url(match: re.Match[bytes]) -> bytes:
        value = match.group(2).decode(errors="replace")
        url = urls.get(item_reference(href, value)) or urls.get(value)
        if url is None:
            return match.group(0)
        return match.group(1) + b'="' + url.encode() + b'"'

    return _REFERENCE.sub(new_url, xml)
