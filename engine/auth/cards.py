"""Exam cards: printable one-exam access codes.

A code is 12 symbols from a 32-letter alphabet without look-alikes (60 random bits), printed as
``XXXX-XXXX-XXXX``. Only its SHA-256 is stored: the codes are random, so a fast hash is as good
as a slow one here, and card sign-in stays cheap when a whole country signs in at once.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_ALLOWED = frozenset(ALPHABET)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(code: str) -> str | None:
    """What was typed (any case, spaces or dashes) → the canonical symbols, or None."""
    symbols = "".join(ch for ch in code.upper() if ch not in " -\t")
    if len(symbols) != CODE_LENGTH or not set(symbols) <= _ALLOWED:
        return None
    return symbols


def digest(code: str) -> bytes:
    symbols = normalise(code)
    if symbols is None:
        raise ValueError("not an exam card code")
    return hashlib.sha256(symbols.encode()).digest()
