"""Media of item stems: type and size checks, then the local file system or S3.

The type is read from the file's first bytes, never from the client's Content-Type, and only
formats a browser shows inertly are accepted (no SVG: it can carry script). A medium is
immutable once stored (its id is new on every upload), so it is served with a year-long
cache lifetime; from S3 a student is redirected to a presigned URL.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config

SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    # (magic bytes, offset, content type, extension)
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"ID3", 0, "audio/mpeg", "mp3"),
    (b"\xff\xfb", 0, "audio/mpeg", "mp3"),
    (b"OggS", 0, "audio/ogg", "ogg"),
)
EXTENSIONS = {ctype: ext for _, _, ctype, ext in SIGNATURES}
IMMUTABLE = "public, max-age=31536000, immutable"


class MediaError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sniff(data: bytes) -> str:
    """The content type of ``data`` from its signature; MediaError when it is not allowed."""
    for magic, offset, ctype, _ in SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (
            ctype != "image/webp" or data[:4] == b"RIFF"
        ):
            return ctype
    raise MediaError(
        "unsupported_media_type", "only PNG, JPEG, GIF, WebP images and MP3/Ogg audio are accepted"
    )


def check_upload(data: bytes, max_bytes: int) -> tuple[str, str]:
    """(content type, sha256) of an acceptable upload."""
    if not data:
        raise MediaError("validation_failed", "the file is empty")
    if len(data) > max_bytes:
        raise MediaError("payload_too_large", f"media files are limited to {max_bytes} bytes")
    return sniff(data), hashlib.sha256(data).hexdigest()


class MediaStore(Protocol):
    kind: str

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def read(self, key: str) -> bytes | None: ...

    def presigned_url(self, key: str, content_type: str) -> str | None: ...


class LocalMediaStore:
    """Files under one folder, named by media id (the id is a UUID: no path tricks)."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _write(self, key: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".{key}.partial"
        partial.write_bytes(data)
        partial.replace(self.root / key)  # readers never see half a file

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, key, data)

    def _read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    async def read(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, key)

    def presigned_url(self, key: str, content_type: str) -> str | None:
        return None


class S3MediaStore:
    """A bucket; students fetch from S3 itself through short-lived presigned URLs."""

    kind = "s3"

    def __init__(
        self, bucket: str, *, region: str, endpoint_url: str | None, url_ttl_s: int
    ) -> None:
        self.bucket = bucket
        self.url_ttl_s = url_ttl_s
        self.client: Any = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(signature_version="s3v4", retries={"mode": "standard"}),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    async def read(self, key: str) -> bytes | None:
        def get() -> bytes | None:
            try:
                body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except self.client.exceptions.NoSuchKey:
                return None
            return body

        return await asyncio.to_thread(get)

    def presigned_url(self, key: str, content_type: str) -> str | None:
        url: str = self.client.generate_presigned_url(
            "get_object",
            ExpiresIn=self.url_ttl_s,
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
        )
        return url


_stores: dict[tuple[Any, ...], MediaStore] = {}


def media_store(
    data_dir: str, bucket: str | None, *, region: str, endpoint_url: str | None, url_ttl_s: int
) -> MediaStore:
    """The store these settings name, built once per process (a boto3 client is not cheap)."""
    config = (data_dir, bucket, region, endpoint_url, url_ttl_s)
    store = _stores.get(config)
    if store is None:
        store = _stores[config] = (
            S3MediaStore(bucket, region=region, endpoint_url=endpoint_url, url_ttl_s=url_ttl_s)
            if bucket
            else LocalMediaStore(Path(data_dir) / "media")
        )
    return store
