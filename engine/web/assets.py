"""The page files, loaded once per process: content-hashed, gzipped once, ready to send.

Pages reference their scripts and styles as ``{{asset:name}}``, which becomes
``/static/name?v=<hash>``: a versioned URL is cached for a year (it never changes), while the
pages themselves are revalidated on every load (ETag), so a deploy reaches every browser at its
next load and a phone on 2G downloads each file once.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from importlib import resources

import msgspec

_REF = re.compile(r"\{\{asset:([a-z0-9_.-]+)\}\}")
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# the student page and everything it loads (the weight budget covers exactly these)
STUDENT_PAGE = (
    "student.html",
    "student.css",
    "student.js",
    "student-id.js",
    "student-en.js",
    "queue.js",
    "mathml.js",
    "i18n.js",
    "sw.js",
)


class Asset(msgspec.Struct, frozen=True):
    name: str
    media_type: str
    body: bytes
    gzipped: bytes
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _make(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind(".") :]
    return Asset(
        name=name,
        media_type=MEDIA_TYPES[suffix],
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:12],
    )


def load_assets() -> dict[str, Asset]:
    folder = resources.files("engine.web") / "static"
    raw = {
        f.name: f.read_bytes()
        for f in folder.iterdir()
        if f.name[f.name.rfind(".") :] in MEDIA_TYPES
    }
    # plain files first, then the templates that point at them by version
    assets = {n: _make(n, b) for n, b in raw.items() if b"{{asset:" not in b}

    def link(match: re.Match[str]) -> str:
        found = assets[match.group(1)]
        return f"/static/{found.name}?v={found.version}"

    for name, body in raw.items():
        if name not in assets:
            assets[name] = _make(name, _REF.sub(link, body.decode()).encode())
    return assets


ASSETS = load_assets()


def student_page_weight() -> tuple[int, int]:
    """(raw bytes, gzipped bytes) of everything the student page loads."""
    chosen = [ASSETS[n] for n in STUDENT_PAGE]
    return sum(len(a.body) for a in chosen), sum(len(a.gzipped) for a in chosen)
