"""The typed SSA1 objects — credential, payment, paper voucher — and their QR form.

``encode_*`` produce deterministic COSE bytes (byte-identical to the protocol
vectors); ``decode_token`` checks shape and field types only and returns
objects whose signatures are NOT verified yet (that is ``keys.verify``'s job).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from nacl.signing import SigningKey

from . import cbor, cose, ed25519
from .base45 import Base45Error, b45decode, b45encode

QR_PREFIX = "SSA1:"
# The largest QR code (version 40, alphanumeric) holds 4,296 characters.
MAX_QR_CHARS = 4296
# Every uint of a token fits a signed 64-bit integer (a project rule, docs/protocol.md):
# databases and journals store them as BIGINT/INTEGER, so a larger one is MALFORMED.
MAX_UINT = 2**63 - 1
_WHITESPACE = " \t\r\n\x0b\x0c"

# Payload keys (SPEC §3).
ISS, SUB, AUD, EXP, NBF, IAT, CTI, CNF = 1, 2, 3, 4, 5, 6, 7, 8
TYP, AMT, CRED, SEQ, CUM = -1, -2, -4, -5, -6
# COSE_Key (RFC 9052 §7, RFC 8037): kty OKP, crv Ed25519, x.
KTY, KTY_OKP, CRV, CRV_ED25519, X = 1, 1, -1, 6, -2


class TokenType(IntEnum):
    CREDENTIAL = 1
    PAYMENT = 2
    VOUCHER = 3


class MalformedToken(ValueError):
    """The QR text or its bytes are not a well-formed SSA1 object."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A monthly allowance credential (typ 1), signed by a caisse issuer key."""

    iss: str
    sub: bytes
    cti: bytes
    nbf: int
    exp: int
    allowance_cents: int
    member_public_key: bytes
    sign1: cose.Sign1

    @property
    def kid(self) -> bytes:
        """The issuer key's id (the decoder refuses a credential without one)."""
        kid: bytes = self.sign1.kid
        return kid


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment (typ 2), signed by the member key named in its credential."""

    credential: Credential
    credential_cose: bytes
    amount_cents: int
    seq: int
    cumulative_cents: int
    iat: int
    sign1: cose.Sign1
    aud: str | None = None


@dataclass(frozen=True, slots=True)
class Voucher:
    """A single-use paper voucher (typ 3), signed by a caisse issuer key."""

    iss: str
    cti: bytes
    amount_cents: int
    nbf: int
    exp: int
    sign1: cose.Sign1
    sub: bytes | None = None

    @property
    def kid(self) -> bytes:
        """The issuer key's id (the decoder refuses a voucher without one)."""
        kid: bytes = self.sign1.kid
        return kid


@dataclass(frozen=True, slots=True)
class OtherToken:
    """A well-formed COSE_Sign1 whose typ SSA1 does not spend (shape kept for errors)."""

    typ: int
    sign1: cose.Sign1
    # A payment (typ 2) whose embedded object is not a credential: ``typ`` is the
    # embedded object's, so the refusal can say what was embedded.
    embedded: bool = False


Token = Credential | Payment | Voucher | OtherToken


def token_id(payload: bytes) -> bytes:
    """Identity of a token: SHA-256 of its signed payload.

    The same payment seen twice, even re-wrapped (tag removed, other header
    bytes), has the same id: that is a harmless REPLAY, not a new payment.
    """
    return hashlib.sha256(payload).digest()


# -- QR transport -------------------------------------------------------------


def to_qr(cose_bytes: bytes) -> str:
    return QR_PREFIX + b45encode(cose_bytes)


def from_qr(text: str | bytes) -> bytes:
    """COSE bytes from QR text; surrounding white space is ignored, nothing else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedToken("QR text is not ASCII") from None
    text = text.strip(_WHITESPACE)
    if len(text) > MAX_QR_CHARS:
        raise MalformedToken(f"QR text of {len(text)} characters is longer than any QR code holds")
    if not text.startswith(QR_PREFIX):
        raise MalformedToken("QR text does not start with the SSA1: prefix")
    try:
        return b45decode(text[len(QR_PREFIX) :])
    except Base45Error as exc:
        raise MalformedToken(str(exc)) from None


# -- encoding -----------------------------------------------------------------


def cose_key(public_key: bytes) -> dict[int, Any]:
    return {KTY: KTY_OKP, CRV: CRV_ED25519, X: public_key}


def encode_credential(
    *,
    iss: str,
    sub: bytes,
    cti: bytes,
    nbf: int,
    exp: int,
    allowance_cents: int,
    member_public_key: bytes,
    issuer_key: SigningKey,
) -> bytes:
    payload = {
        TYP: TokenType.CREDENTIAL.value,
        ISS: iss,
        SUB: sub,
        CTI: cti,
        NBF: nbf,
        EXP: exp,
        AMT: allowance_cents,
        CNF: {1: cose_key(member_public_key)},
    }
    return cose.sign1(cbor.encode(payload), issuer_key, with_kid=True)


def encode_payment(
    *,
    credential_cose: bytes,
    amount_cents: int,
    seq: int,
    cumulative_cents: int,
    iat: int,
    member_key: SigningKey,
    aud: str | None = None,
) -> bytes:
    payload: dict[int, Any] = {
        TYP: TokenType.PAYMENT.value,
        CRED: credential_cose,
        AMT: amount_cents,
        SEQ: seq,
        CUM: cumulative_cents,
        IAT: iat,
    }
    if aud is not None:
        payload[AUD] = aud
    return cose.sign1(cbor.encode(payload), member_key, with_kid=False)


def encode_voucher(
    *,
    iss: str,
    cti: bytes,
    amount_cents: int,
    nbf: int,
    exp: int,
    issuer_key: SigningKey,
    sub: bytes | None = None,
) -> bytes:
    payload: dict[int, Any] = {
        TYP: TokenType.VOUCHER.value,
        ISS: iss,
        CTI: cti,
        AMT: amount_cents,
        NBF: nbf,
        EXP: exp,
    }
    if sub is not None:
        payload[SUB] = sub
    return cose.sign1(cbor.encode(payload), issuer_key, with_kid=True)


# -- decoding -----------------------------------------------------------------


def _field(payload: dict[Any, Any], key: int, name: str) -> Any:
    if key not in payload:
        raise MalformedToken(f"missing field {name} ({key})")
    return payload[key]


def _uint(payload: dict[Any, Any], key: int, name: str) -> int:
    value = _field(payload, key, name)
    if type(value) is not int or value < 0:
        raise MalformedToken(f"{name} must be an unsigned integer, got {value!r:.40}")
    if value > MAX_UINT:
        raise MalformedToken(f"{name} {value} does not fit a signed 64-bit integer")
    return value


def _tstr(payload: dict[Any, Any], key: int, name: str) -> str:
    value = _field(payload, key, name)
    if type(value) is not str:
        raise MalformedToken(f"{name} must be a text string")
    return value


def _bstr(payload: dict[Any, Any], key: int, name: str, lo: int, hi: int) -> bytes:
    value = _field(payload, key, name)
    if type(value) is not bytes or not lo <= len(value) <= hi:
        raise MalformedToken(f"{name} must be a byte string of {lo}..{hi} bytes")
    return value


def _member_key(payload: dict[Any, Any]) -> bytes:
    cnf = _field(payload, CNF, "cnf")
    key = cnf.get(1) if isinstance(cnf, dict) else None
    if not isinstance(key, dict):
        raise MalformedToken("cnf must be {1: COSE_Key}")
    kty, crv, x = key.get(KTY), key.get(CRV), key.get(X)
    if (type(kty), kty, type(crv), crv) != (int, KTY_OKP, int, CRV_ED25519):
        raise MalformedToken("cnf key is not an Ed25519 OKP key")
    if type(x) is not bytes or len(x) != ed25519.PUBLIC_KEY_BYTES:
        raise MalformedToken("cnf key x must be 32 bytes")
    return x


def _payload_map(sign1: cose.Sign1) -> dict[Any, Any]:
    try:
        payload = cbor.decode(sign1.payload)
    except cbor.CBORError as exc:
        raise MalformedToken(f"payload is not CBOR: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedToken("payload must be a CBOR map")
    return payload


def _parse_sign1(data: bytes, what: str) -> cose.Sign1:
    try:
        return cose.parse_sign1(data)
    except cose.MalformedCOSE as exc:
        raise MalformedToken(f"{what}: {exc}") from None


def _kid(sign1: cose.Sign1, what: str) -> None:
    if sign1.kid is None:
        raise MalformedToken(f"{what} has no kid in its protected header")


def _typ(payload: dict[Any, Any]) -> int:
    return _uint(payload, TYP, "typ")


def decode_credential(data: bytes) -> Credential | OtherToken:
    """Decode a credential's COSE bytes; a non-credential typ comes back as OtherToken."""
    sign1 = _parse_sign1(data, "credential")
    payload = _payload_map(sign1)
    typ = _typ(payload)
    if typ != TokenType.CREDENTIAL:
        return OtherToken(typ, sign1)
    return _credential(sign1, payload)


def _credential(sign1: cose.Sign1, payload: dict[Any, Any]) -> Credential:
    _kid(sign1, "credential")
    return Credential(
        iss=_tstr(payload, ISS, "iss"),
        sub=_bstr(payload, SUB, "sub", 8, 8),
        cti=_bstr(payload, CTI, "cti", 8, 16),
        nbf=_uint(payload, NBF, "nbf"),
        exp=_uint(payload, EXP, "exp"),
        allowance_cents=_uint(payload, AMT, "amt"),
        member_public_key=_member_key(payload),
        sign1=sign1,
    )


def decode_token(data: bytes, credentials: CredentialCache | None = None) -> Token:
    """Decode any SSA1 object's COSE bytes, checking shape and types (not signatures).

    A payment's embedded credential that is not typ 1 makes the payment an
    OtherToken of the credential's typ: it is not spendable (WRONG_TYPE).
    """
    sign1 = _parse_sign1(data, "token")
    payload = _payload_map(sign1)
    typ = _typ(payload)
    if typ == TokenType.PAYMENT:
        return _payment(sign1, payload, credentials)
    if typ == TokenType.VOUCHER:
        _kid(sign1, "voucher")
        sub = None
        if SUB in payload:
            sub = _bstr(payload, SUB, "sub", 8, 8)
        return Voucher(
            iss=_tstr(payload, ISS, "iss"),
            cti=_bstr(payload, CTI, "cti", 8, 16),
            amount_cents=_uint(payload, AMT, "amt"),
            nbf=_uint(payload, NBF, "nbf"),
            exp=_uint(payload, EXP, "exp"),
            sub=sub,
            sign1=sign1,
        )
    if typ == TokenType.CREDENTIAL:
        return _credential(sign1, payload)
    return OtherToken(typ, sign1)


def _payment(
    sign1: cose.Sign1, payload: dict[Any, Any], credentials: CredentialCache | None
) -> Payment | OtherToken:
    amount = _uint(payload, AMT, "amt")
    seq = _uint(payload, SEQ, "seq")
    cum = _uint(payload, CUM, "cum")
    iat = _uint(payload, IAT, "iat")
    aud = _tstr(payload, AUD, "aud") if AUD in payload else None
    cred_bytes = _field(payload, CRED, "cred")
    if type(cred_bytes) is not bytes:
        raise MalformedToken("cred must be a byte string")
    credential = credentials.get(cred_bytes) if credentials is not None else None
    if credential is None:
        decoded = decode_credential(cred_bytes)
        if isinstance(decoded, OtherToken):
            return OtherToken(decoded.typ, sign1, embedded=True)
        credential = decoded
        if credentials is not None:
            credentials.put(cred_bytes, credential)
    return Payment(
        credential=credential,
        credential_cose=cred_bytes,
        amount_cents=amount,
        seq=seq,
        cumulative_cents=cum,
        iat=iat,
        aud=aud,
        sign1=sign1,
    )


class CredentialCache:
    """Bounded memory of decoded credentials and of issuer signatures already checked.

    Many payments carry the same credential; decoding it and checking the
    issuer's signature once per (credential bytes, issuer key) is what lets the
    verifier run faster than two raw signature checks per payment. Keyed by the
    exact bytes, so a tampered credential never hits a cached entry.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._max = max_entries
        self._entries: OrderedDict[bytes, list[Any]] = OrderedDict()

    def get(self, cred_bytes: bytes) -> Credential | None:
        entry = self._entries.get(cred_bytes)
        if entry is None:
            return None
        self._entries.move_to_end(cred_bytes)
        credential: Credential = entry[0]
        return credential

    def put(self, cred_bytes: bytes, credential: Credential) -> None:
        self._entries[cred_bytes] = [credential, None]
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def verified_with(self, cred_bytes: bytes) -> bytes | None:
        entry = self._entries.get(cred_bytes)
        return entry[1] if entry is not None else None

    def mark_verified(self, cred_bytes: bytes, issuer_public_key: bytes) -> None:
        entry = self._entries.get(cred_bytes)
        if entry is not None:
            entry[1] = issuer_public_key


__all__ = [
    "MAX_UINT",
    "QR_PREFIX",
    "Credential",
    "CredentialCache",
    "MalformedToken",
    "OtherToken",
    "Payment",
    "Token",
    "TokenType",
    "Voucher",
    "cose_key",
    "decode_credential",
    "decode_token",
    "encode_credential",
    "encode_payment",
    "encode_voucher",
    "from_qr",
    "to_qr",
    "token_id",
]
