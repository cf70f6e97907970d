"""Base45 (RFC 9285): the alphabet that fits a QR code's alphanumeric mode.

Decoding is strict, because a QR verifier must never guess: a character outside
the alphabet, a length of 3n+1, or a group whose value overflows its bytes is an
error, not something to repair.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


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
        values = [_VALUE[ch] for ch in text]
    except KeyError as exc:
        raise Base45Error(f"character {exc.args[0]!r} is not in the base45 alphabet") from None
    out = bytearray()
    full = len(values) - len(values) % 3
    for i in range(0, full, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025
        if n > 0xFFFF:
            raise Base45Error(f"base45 group at {i} overflows two bytes ({n})")
        out += n.to_bytes(2, "big")
    if full != len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise Base45Error(f"final base45 pair overflows one byte ({n})")
        out.append(n)
    return bytes(out)
