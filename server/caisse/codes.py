"""One-time codes (member activation, scanner enrolment): generated, normalized, hashed.

A code is 100 random bits in Crockford base32, grouped by four for reading aloud
or typing at a till. Only its SHA-256 is stored: a database leak reveals no
usable code, and 100 bits cannot be brute-forced through the rate-limited API.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
GROUPS, GROUP_LEN = 5, 4
_READ_AS = {"O": "0", "I": "1", "L": "1"}
MAX_INPUT = 64


def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(chars[i : i + GROUP_LEN] for i in range(0, len(chars), GROUP_LEN))


def normalize(code: str) -> str | None:
    """Upper case, separators removed, look-alikes mapped; None if it cannot be a code."""
    if not isinstance(code, str) or len(code) > MAX_INPUT:
        return None
    text = "".join(_READ_AS.get(c, c) for c in code.upper() if c not in " -")
    if len(text) != GROUPS * GROUP_LEN or any(c not in ALPHABET for c in text):
        return None
    return text


def code_hash(code: str) -> bytes | None:
    normalized = normalize(code)
    if normalized is None:
        return None
    return hashlib.sha256(b"ssa-code:" + normalized.encode()).digest()
