"""COSE_Sign1 (RFC 9052) with EdDSA, the envelope of every SSA1 object.

``parse_sign1`` checks only the shape; it returns data whose signature has not
been checked yet, and ``Sign1.verify`` checks it over the bytes as received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from . import cbor, ed25519

COSE_SIGN1_TAG = 18
ALG = 1
KID = 4
ALG_EDDSA = -8

_SIG1_PREFIX = b"\x84\x6aSignature1"


class MalformedCOSE(ValueError):
    """The bytes are not a COSE_Sign1 of the shape SSA1 requires."""


@dataclass(frozen=True, slots=True)
class Sign1:
    """An unverified COSE_Sign1: raw protected header and payload, decoded views."""

    protected: bytes
    header: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.header.get(ALG)

    @property
    def kid(self) -> Any:
        return self.header.get(KID)

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected, self.payload)

    def verify(self, public_key: bytes) -> bool:
        return ed25519.verify(public_key, self.to_be_signed(), self.signature)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ``["Signature1", protected, h'', payload]``, built without re-encoding."""
    return (
        _SIG1_PREFIX
        + cbor.bstr_head(len(protected))
        + protected
        + b"\x40"
        + cbor.bstr_head(len(payload))
        + payload
    )


def parse_sign1(data: bytes) -> Sign1:
    """Check the COSE_Sign1 shape (tag 18 optional) and return it unverified."""
    try:
        item = cbor.decode(data)
    except cbor.CBORError as exc:
        raise MalformedCOSE(f"not CBOR: {exc}") from None
    if isinstance(item, cbor.Tag):
        if item.tag != COSE_SIGN1_TAG:
            raise MalformedCOSE(f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    if not isinstance(item, list) or len(item) != 4:
        raise MalformedCOSE("COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = item
    if type(protected) is not bytes:
        raise MalformedCOSE("protected header must be a byte string")
    if not isinstance(unprotected, dict):
        raise MalformedCOSE("unprotected header must be a map")
    if type(payload) is not bytes:
        raise MalformedCOSE("payload must be a byte string")
    if type(signature) is not bytes or len(signature) != ed25519.SIGNATURE_BYTES:
        got = len(signature) if isinstance(signature, bytes) else type(signature).__name__
        raise MalformedCOSE(f"signature must be 64 bytes, got {got}")
    header = _HEADERS.get(protected)
    if header is None:
        header = _parse_header(protected)
        if len(_HEADERS) < 256:  # a few distinct headers repeat: one per signing key
            _HEADERS[protected] = header
    return Sign1(protected, dict(header), payload, signature)


_HEADERS: dict[bytes, dict[Any, Any]] = {}


def _parse_header(protected: bytes) -> dict[Any, Any]:
    try:
        header = cbor.decode(protected) if protected else {}
    except cbor.CBORError as exc:
        raise MalformedCOSE(f"protected header is not CBOR: {exc}") from None
    if not isinstance(header, dict):
        raise MalformedCOSE("protected header must be a map")
    if ALG not in header:
        raise MalformedCOSE("protected header has no alg")
    kid = header.get(KID)
    if kid is not None and type(kid) is not bytes:
        raise MalformedCOSE("kid must be a byte string")
    return header


def sign1(payload: bytes, signing_key: SigningKey, *, with_kid: bool) -> bytes:
    """Sign ``payload``; the protected header carries the key's kid when asked."""
    header: dict[int, Any] = {ALG: ALG_EDDSA}
    if with_kid:
        header[KID] = ed25519.key_id(ed25519.public_key_of(signing_key))
    protected = cbor.encode(header)
    signature = ed25519.sign(signing_key, sig_structure(protected, payload))
    return cbor.encode(cbor.Tag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
