"""Console passwords: argon2id (libsodium through PyNaCl), never stored or logged in clear.

The hash string carries its own parameters, so raising the cost later keeps old
hashes verifiable. An unknown account is checked against a dummy hash, so the
answer takes as long as for a real account.
"""

from __future__ import annotations

from functools import cache

import nacl.pwhash
from nacl.exceptions import InvalidkeyError

MIN_LENGTH = 12
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    return nacl.pwhash.argon2id.str(password.encode()).decode("ascii")


@cache
def _dummy_hash() -> bytes:
    return nacl.pwhash.argon2id.str(b"not a password anybody has")


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored`` (None: no such account, same cost)."""
    try:
        ok = nacl.pwhash.argon2id.verify(
            stored.encode("ascii") if stored else _dummy_hash(), password.encode()
        )
    except (InvalidkeyError, ValueError, UnicodeEncodeError):
        return False
    return bool(ok) and stored is not None


def password_problem(password: str) -> str | None:
    """Why a new password is refused (English; the CLI and the console translate), or None."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    return None
