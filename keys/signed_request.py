"""Signed HTTP requests (SPEC §8): the ``Authorization: SSA1-Sig ...`` header.

A wallet (member key) or a scanner (merchant key) signs
``METHOD \\n PATH \\n ts \\n hex(SHA-256(body))`` with Ed25519; PATH includes the
query string. Client and server share this module so they cannot disagree on
the bytes. Pure: the caller passes ``ts`` and ``now`` (no clock reads here).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from nacl.signing import SigningKey

from . import ed25519
from .b64url import b64url_decode, b64url_encode

SCHEME = "SSA1-Sig"
MAX_SKEW_S = 300
_PARAM = re.compile(r"^\s*([a-z]+)\s*=\s*([^,\s]*)\s*$")


class SignedRequestError(ValueError):
    """The Authorization header is absent, malformed, stale or does not verify."""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parsed header: who claims to sign, when, and the signature (unverified)."""

    public_key: bytes
    ts: int
    signature: bytes


def signing_message(method: str, path: str, ts: int, body: bytes) -> bytes:
    """The exact bytes signed: METHOD, PATH (with query), ts, hex SHA-256 of the body."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{ts}\n{digest}".encode()


def sign_request(signing_key: SigningKey, method: str, path: str, body: bytes, ts: int) -> str:
    """The ``Authorization`` header value for one request."""
    signature = ed25519.sign(signing_key, signing_message(method, path, ts, body))
    public_key = ed25519.public_key_of(signing_key)
    return f"{SCHEME} key={b64url_encode(public_key)}, ts={ts}, sig={b64url_encode(signature)}"


def parse_authorization(value: str | None) -> SignedRequest:
    """Parse the header without verifying it (``verify_request`` does that)."""
    if not value:
        raise SignedRequestError("missing Authorization header (SSA1-Sig)")
    scheme, _, rest = value.strip().partition(" ")
    if scheme != SCHEME:
        raise SignedRequestError(f"Authorization scheme must be {SCHEME}")
    params: dict[str, str] = {}
    for part in rest.split(","):
        match = _PARAM.match(part)
        if not match or match.group(1) in params:
            raise SignedRequestError("Authorization must be: SSA1-Sig key=..., ts=..., sig=...")
        params[match.group(1)] = match.group(2)
    if set(params) != {"key", "ts", "sig"}:
        raise SignedRequestError("Authorization needs exactly key, ts and sig")
    try:
        public_key = b64url_decode(params["key"])
        signature = b64url_decode(params["sig"])
    except ValueError:
        raise SignedRequestError("key and sig must be base64url") from None
    if len(public_key) != ed25519.PUBLIC_KEY_BYTES or len(signature) != ed25519.SIGNATURE_BYTES:
        raise SignedRequestError("key must be 32 bytes and sig 64 bytes")
    ts_text = params["ts"]
    if not ts_text.isascii() or not ts_text.isdigit() or len(ts_text) > 12:
        raise SignedRequestError("ts must be epoch seconds")
    return SignedRequest(public_key, int(ts_text), signature)


def verify_request(
    signed: SignedRequest,
    *,
    method: str,
    path: str,
    body: bytes,
    now: int,
    max_skew_s: int = MAX_SKEW_S,
) -> None:
    """Raise SignedRequestError unless the signature is fresh and verifies.

    Whether the key belongs to anyone, and in which role, is the server's business.
    """
    if abs(now - signed.ts) > max_skew_s:
        raise SignedRequestError(
            f"request timestamp {signed.ts} is more than {max_skew_s} s from server time {now}"
        )
    message = signing_message(method, path, signed.ts, body)
    if not ed25519.verify(signed.public_key, message, signed.signature):
        raise SignedRequestError("request signature does not verify")


__all__ = [
    "MAX_SKEW_S",
    "SCHEME",
    "SignedRequest",
    "SignedRequestError",
    "b64url_decode",
    "b64url_encode",
    "parse_authorization",
    "sign_request",
    "signing_message",
    "verify_request",
]
