"""The secret that signs access tokens: never a built-in string.

Outside the embedded developer mode the service refuses to start unless ``UJIAN_JWT_SECRET`` is
set to a strong value. The embedded mode (no database or Redis URL: ``ujian serve --demo``)
makes a random secret once per data folder and keeps it there (mode 0600), so a restart keeps
the tokens already handed out valid while no two installations share a secret.

A token signed with a string printed anywhere (this code, an old default, the docs) would be a
token anyone can forge; such strings are refused as secrets in every mode.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import os
import secrets
from collections import Counter
from pathlib import Path

import msgspec

ENV_NAME = "UJIAN_JWT_SECRET"
SECRET_FILE = "jwt_secret"
MIN_LENGTH = 32
# bits, estimated from the characters the secret actually uses (see ``estimated_bits``)
MIN_BITS = 128
# strings that were ever a default or an example: whoever reads the code knows them
KNOWN_SECRETS = frozenset(
    {
        "change-me-in-production-this-is-a-development-secret",
        "change-me",
        "changeme",
        "secret",
        "development-secret",
    }
)


class InsecureSecret(RuntimeError):
    """The configured signing secret is missing or guessable; the service must not start."""


def estimated_bits(secret: str) -> float:
    """A lower-bound guess of the entropy: length × the empirical (Shannon) entropy per
    character. Random base64, hex or urlsafe strings of 32+ characters pass; a repeated
    character, a short word or a sentence of few distinct letters does not."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def weakness(secret: str) -> str | None:
    """Why this secret may not sign tokens, or None when it is acceptable."""
    if not secret:
        return f"{ENV_NAME} is not set"
    lowered = secret.strip().lower()
    if lowered in KNOWN_SECRETS or any(k in lowered for k in KNOWN_SECRETS if len(k) >= 16):
        return f"{ENV_NAME} is a publicly known string"
    if len(secret) < MIN_LENGTH:
        return f"{ENV_NAME} is shorter than {MIN_LENGTH} characters"
    if estimated_bits(secret) < MIN_BITS:
        return f"{ENV_NAME} is not random enough (repeated or too few distinct characters)"
    return None


def require_strong(secret: str) -> str:
    problem = weakness(secret)
    if problem is not None:
        raise InsecureSecret(
            f"{problem}: refusing to start. Set {ENV_NAME} to a random value of at least "
            f"{MIN_LENGTH} characters, e.g. `openssl rand -base64 48` (or run without "
            "UJIAN_DATABASE_URL/UJIAN_REDIS_URL for the embedded developer mode, which makes "
            "its own)"
        )
    return secret


def data_folder_secret(data_dir: str | Path) -> str:
    """The embedded mode's secret: read from the data folder, made there on first use."""
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_FILE
    stale = False
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_text(encoding="ascii").strip()
        if weakness(existing) is None:
            os.chmod(path, 0o600)
            return existing
        stale = True
    fresh = secrets.token_urlsafe(48)
    # O_EXCL on a temporary name, then a link or rename: never a moment with the secret in a
    # file others may read, and two processes starting at once end up with one secret
    temp = folder / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(fresh + "\n")
    if stale:
        os.replace(temp, path)
        return fresh
    try:
        os.link(temp, path)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    finally:
        temp.unlink()
    return fresh


def key_id(secret: str) -> str:
    """The ``kid`` header naming a secret: a digest, so it says which key without saying it."""
    return hashlib.sha256(b"ujian-kid:" + secret.encode()).hexdigest()[:16]


class KeyRing(msgspec.Struct, frozen=True):
    """The current secret signs; previous ones (a rotation under way) still verify, each
    picked by the token's ``kid``. A token without a ``kid`` (made before rotation existed)
    is checked against the current secret only."""

    current: str
    previous: tuple[str, ...] = ()

    @property
    def current_kid(self) -> str:
        return key_id(self.current)

    def secret_for(self, kid: object) -> str | None:
        if kid is None:
            return self.current
        for secret in (self.current, *self.previous):
            if isinstance(kid, str) and hmac.compare_digest(kid, key_id(secret)):
                return secret
        return None


def parse_previous(raw: str) -> tuple[str, ...]:
    """``UJIAN_JWT_PREVIOUS_SECRETS``: comma-separated, each as strong as a current one."""
    found = tuple(part.strip() for part in raw.split(",") if part.strip())
    for secret in found:
        problem = weakness(secret)
        if problem is not None:
            raise InsecureSecret(
                "a secret in UJIAN_JWT_PREVIOUS_SECRETS is weak "
                f"({problem.replace(ENV_NAME + ' ', '')}): refusing to start"
            )
    return found
