"""Base45 (RFC 9285): the alphabet that fits a QR code's alphanumeric mode.

Decoding is strict, because a QR verifier must never guess: a character outside
the alphabet, a length of 3n+1, or a group whose value overflows its bytes is an
error, not something to repair.
"""

from __future__ import annotations

import sys
from array import array

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# bytes.translate table: alphabet characters to their values, everything else to 0xFF.
_TABLE = bytes(_VALUE.get(chr(b), 0xFF) for b in range(256))


class Base45Error(ValueError):
    """The text is not valid base45."""


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text (two bytes become three characters)."""
    out: list[str] = []
    a = ALPHABET
    full = len(data) - len(data) % 2
    for i in range(0, full, 2):
        n = (data[i] << 8) | data[i + 1]
        e, n = divmod(n, 2025)
        d, c = divmod(n, 45)
        out.append(a[c] + a[d] + a[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(a[c] + a[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode base45 text; raise Base45Error on anything RFC 9285 does not allow."""
    if len(text) % 3 == 1:
        raise Base45Error(f"base45 length {len(text)} is 1 more than a multiple of 3")
    try:
        values = text.encode("ascii").translate(_TABLE)
    except UnicodeEncodeError:
        values = b"\xff"
    if b"\xff" in values:
        bad = next(ch for ch in text if ch not in _VALUE)
        raise Base45Error(f"character {bad!r} is not in the base45 alphabet")
    full = len(values) - len(values) % 3
    triples = zip(values[0:full:3], values[1:full:3], values[2:full:3])  # noqa: B905 - equal by construction
    groups = [c + 45 * d + 2025 * e for c, d, e in triples]
    try:
        pairs = array("H", groups)
    except OverflowError:
        i = next(i for i, n in enumerate(groups) if n > 0xFFFF)
        raise Base45Error(f"base45 group at {3 * i} overflows two bytes ({groups[i]})") from None
    if sys.byteorder == "little":
        pairs.byteswap()
    out = pairs.tobytes()
    if full != len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise Base45Error(f"final base45 pair overflows one byte ({n})")
        out += bytes([n])
    return out
