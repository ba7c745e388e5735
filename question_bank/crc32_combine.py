"""CRC-32 of a concatenation from the CRC-32s of its parts: zlib's ``crc32_combine``, which
Python's zlib module does not expose.

The gzipped paper's trailer needs the CRC-32 of the whole plain body, of which the sections
(most of it) are the same bytes on every fetch of a sitting: their CRC is kept, and only the
request's own bytes around them go through ``zlib.crc32``. Arithmetic in GF(2) modulo the
CRC-32 polynomial, reflected, as in zlib's crc32.c (``multmodp``, ``x2nmodp``).
"""

from __future__ import annotations

from functools import lru_cache

_POLY = 0xEDB88320  # the CRC-32 polynomial, reflected
_ONE = 1 << 31  # x^0 in the reflected representation


def _multmodp(a: int, b: int) -> int:
    """a(x) * b(x) modulo p(x)."""
    m = _ONE
    product = 0
    while a:
        if a & m:
            product ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _powers() -> list[int]:
    table = [1 << 30]  # x^1
    for _ in range(31):
        table.append(_multmodp(table[-1], table[-1]))
    return table  # table[k] = x^(2^k)


_X2N = _powers()


@lru_cache(maxsize=1024)
def shift_of(length: int) -> int:
    """x^(8 * length) modulo p: what appending ``length`` bytes does to a CRC before them."""
    product = _ONE
    n, k = length, 3
    while n:
        if n & 1:
            product = _multmodp(_X2N[k & 31], product)
        n >>= 1
        k += 1
    return product


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """``zlib.crc32(a + b)`` from ``zlib.crc32(a)``, ``zlib.crc32(b)`` and ``len(b)``."""
    return _multmodp(shift_of(length2), crc1) ^ crc2
