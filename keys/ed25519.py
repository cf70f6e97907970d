"""Ed25519 primitives as SSA1 uses them: key ids, signing, detached verification."""

from __future__ import annotations

import hashlib

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


def key_id(public_key: bytes) -> bytes:
    """SSA1 ``kid``: the first 8 bytes of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).digest()[:8]


def public_key_of(signing_key: SigningKey) -> bytes:
    return bytes(signing_key.verify_key)


def sign(signing_key: SigningKey, message: bytes) -> bytes:
    """A detached 64-byte Ed25519 signature."""
    return signing_key.sign(message).signature


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message``.

    Never raises on bad input: a wrong-length key or signature is simply invalid.
    """
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, public_key)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def signing_key_from_seed(seed: bytes) -> SigningKey:
    return SigningKey(seed)
