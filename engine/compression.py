"""gzip for large JSON responses (a 150-question paper is 42 KB as JSON, 7.5 KB gzipped: on
2G that is a second and a half against a quarter).

Small replies stay as they are (below MIN_BYTES gzip saves less than a packet and costs CPU),
and two kinds of handler skip the middleware altogether (``opt={SKIP_COMPRESSION: True}``):
the answer endpoint, the hot path, whose replies are a few dozen bytes; and the page files,
which are gzipped once at start (engine/web/assets.py). The student paper skips it too: it is
sent gzipped from pieces compressed once per exam version (question_bank/paper_wire.py), by
``accepts_gzip`` below."""

from __future__ import annotations

from litestar.config.compression import CompressionConfig

SKIP_COMPRESSION = "skip_compression"
MIN_BYTES = 1400  # about one TCP segment: below it gzip cannot save a round trip


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip (RFC 9110 12.5.3: named, or ``*``,
    with a q-value above 0; a ``gzip;q=0`` refuses it even after ``*``)."""
    if not accept_encoding:
        return False
    taken: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        taken[name.strip()] = q
    return taken.get("gzip", taken.get("x-gzip", taken.get("*", 0.0))) > 0


COMPRESSION = CompressionConfig(
    backend="gzip",
    minimum_size=MIN_BYTES,
    gzip_compress_level=6,  # within 2% of level 9's size at a third of its CPU on JSON
    exclude_opt_key=SKIP_COMPRESSION,
)
