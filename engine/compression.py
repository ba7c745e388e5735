"""gzip for large JSON responses (a 150-question paper is 42 KB as JSON, 7.5 KB gzipped: on
2G that is a second and a half against a quarter).

Small replies stay as they are (below MIN_BYTES gzip saves less than a packet and costs CPU),
and two kinds of handler skip the middleware altogether (``opt={SKIP_COMPRESSION: True}``):
the answer endpoint, the hot path, whose replies are a few dozen bytes; and the page files,
which are gzipped once at start (engine/web/assets.py)."""

from __future__ import annotations

from litestar.config.compression import CompressionConfig

SKIP_COMPRESSION = "skip_compression"
MIN_BYTES = 1400  # about one TCP segment: below it gzip cannot save a round trip

COMPRESSION = CompressionConfig(
    backend="gzip",
    minimum_size=MIN_BYTES,
    gzip_compress_level=6,  # within 2% of level 9's size at a third of its CPU on JSON
    exclude_opt_key=SKIP_COMPRESSION,
)
