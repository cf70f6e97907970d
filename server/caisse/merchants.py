"""Merchants (approved shops): added by the caisse, their scanners enrolled by code.

A merchant id is a readable slug of the shop's name plus a random suffix; it is
the ``aud`` a wallet may put in a payment. The IBAN (and BIC) are checked by
``server.banking`` so payouts do not bounce; an IBAN whose bank the registry
does not know is accepted (the BIC should then be given). A suspended merchant can neither
enrol a scanner nor upload batches. One scanner (a stolen till) can be revoked
alone: its key is refused from then on, the shop's other tills keep working.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from keys.signed_request import b64url_decode, b64url_encode
from server import banking
from server.caisse import codes
from server.caisse.members import LANGUAGES
from server.config import Config
from server.errors import DomainError
from server.storage.core import MERCHANT_ACTIVE, MERCHANT_SUSPENDED, Queries

KIND = "merchant"
MAX_NAME = 200
MAX_DETAIL = 300  # address, opening hours, what the shop sells: a few lines each
DETAILS = ("address", "hours", "scope")


class MerchantError(DomainError):
    """A merchant cannot be added, found or changed; the message says why."""

    code = "INVALID_MERCHANT"


@dataclass(frozen=True, slots=True)
class EnrollmentCode:
    """A shop's one-time code to enrol a scanner (a till)."""

    merchant_id: str
    enrollment_code: str
    enrollment_url: str


@dataclass(frozen=True, slots=True)
class MerchantStatus:
    merchant_id: str
    status: str


@dataclass(frozen=True, slots=True)
class Device:
    """A scanner key of a shop, base64url as the scanner shows its own."""

    key: str
    enrolled_at: int
    revoked_at: int | None

    @classmethod
    def of(cls, row: Any) -> Device:
        return cls(b64url_encode(bytes(row["public_key"])), row["enrolled_at"], row["revoked_at"])


@dataclass(frozen=True, slots=True)
class DeviceRevoked:
    merchant_id: str
    key: str
    enrolled_at: int
    revoked_at: int | None
    newly_revoked: bool


def check_iban(iban: str) -> str:
    try:
        return str(banking.check_iban(iban).compact)
    except banking.BankError as exc:
        raise MerchantError(exc.message) from None


def check_bic(bic: str | None) -> str | None:
    try:
        return banking.check_bic(bic)
    except banking.BankError as exc:
        raise MerchantError(exc.message) from None


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return words[:40].rstrip("-") or "shop"


async def _new_code(q: Queries, config: Config, merchant_id: str, now: int) -> str:
    await q.cancel_codes(KIND, merchant_id, now)
    code = codes.new_code()
    await q.insert_code(codes.code_hash(code), KIND, merchant_id, now, now + config.code_ttl_s)  # type: ignore[arg-type]
    return code


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise MerchantError(f"name must be 1 to {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise MerchantError("name must not contain control characters")
    return name.strip()


def check_detail(field: str, value: Any) -> str | None:
    """An address, opening hours or scope: optional text, a few lines at most."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > MAX_DETAIL:
        raise MerchantError(f"{field} must be at most {MAX_DETAIL} characters")
    text = "\n".join(line.strip() for line in value.strip().splitlines())
    if any(ord(c) < 32 and c != "\n" for c in text):
        raise MerchantError(f"{field} must not contain control characters")
    return text


def check_language(language: Any) -> str | None:
    if language is None or language == "":
        return None
    if language not in LANGUAGES:
        raise MerchantError(f"language must be one of {', '.join(LANGUAGES)}")
    return str(language)


async def add_merchant(
    q: Queries,
    config: Config,
    *,
    name: str,
    iban: str,
    bic: str | None,
    now: int,
    language: str | None = None,
    **details: str | None,
) -> EnrollmentCode:
    """A new shop (and the code of its first till); ``details``: address, hours, scope."""
    name = check_name(name)
    iban_c, bic_c = check_iban(iban), check_bic(bic)
    extra = {"language": check_language(language)}
    for field, value in details.items():
        if field not in DETAILS:
            raise MerchantError(f"unknown shop detail {field!r}")
        extra[field] = check_detail(field, value)
    for _ in range(10):
        merchant_id = f"{slug(name)}-{secrets.token_hex(2)}"
        if await q.insert_merchant(merchant_id, name, iban_c, bic_c, now):
            break
    else:
        raise MerchantError("could not allocate a merchant id; try again")
    if any(v is not None for v in extra.values()):
        await q.update_merchant(merchant_id, extra)
    code = await _new_code(q, config, merchant_id, now)
    return EnrollmentCode(merchant_id, code, enrollment_url(config, code))


def enrollment_url(config: Config, code: str) -> str:
    """The enrolment QR's text: the browser till at /till/ with the code in the fragment
    (never sent to a server: a phone's camera app opens the till, which spends it).
    ``ssa-scanner enroll --qr`` reads the same QR: the server URL and the code."""
    return f"{config.base_url.rstrip('/')}/till/#enrol={code}"


@dataclass(frozen=True, slots=True)
class MerchantEdited:
    """What an edit changed: field → [before, after] (empty when nothing changed)."""

    merchant_id: str
    changes: dict[str, list[str | None]]


async def edit_merchant(q: Queries, merchant_id: str, **fields: str | None) -> MerchantEdited:
    """Correct a shop: name, iban, bic, language, address, hours, scope.

    A field left out (or None) keeps its value; '' empties an optional one. The
    shop's id (the ``aud`` of its payments) and its tills do not change. Past
    settlements keep the account they were paid to: a payout line holds its own copy.
    """
    merchant = await q.merchant(merchant_id)
    if merchant is None:
        raise MerchantError(f"no merchant {merchant_id}")
    wanted: dict[str, str | None] = {}
    for field, value in fields.items():
        if value is None:
            continue
        if field == "name":
            wanted[field] = check_name(value)
        elif field == "iban":
            wanted[field] = check_iban(value)
        elif field == "bic":
            wanted[field] = check_bic(value)
        elif field == "language":
            wanted[field] = check_language(value)
        elif field in DETAILS:
            wanted[field] = check_detail(field, value)
        else:
            raise MerchantError(f"{field} cannot be edited")
    if "iban" in wanted and "bic" not in wanted and merchant["bic"]:
        # Another bank's account: the old BIC would send the transfer astray.
        registry = banking.account(wanted["iban"] or "").registry_bic
        if registry is None or registry[:8] != merchant["bic"][:8]:
            wanted["bic"] = None
    changes = {k: [merchant[k], v] for k, v in wanted.items() if merchant[k] != v}
    if changes:
        await q.update_merchant(merchant_id, {k: v[1] for k, v in changes.items()})
    return MerchantEdited(merchant_id, changes)


async def new_enrollment_code(
    q: Queries, config: Config, merchant_id: str, now: int
) -> EnrollmentCode:
    """Another code for the same shop (a second till, a replaced phone)."""
    merchant = await q.merchant(merchant_id)
    if merchant is None:
        raise MerchantError(f"no merchant {merchant_id}")
    if merchant["status"] != MERCHANT_ACTIVE:
        raise MerchantError(f"merchant {merchant_id} is suspended")
    code = await _new_code(q, config, merchant_id, now)
    return EnrollmentCode(merchant_id, code, enrollment_url(config, code))


async def set_status(q: Queries, merchant_id: str, status: str, now: int) -> MerchantStatus:
    if not await q.set_merchant_status(merchant_id, status, now):
        raise MerchantError(f"no merchant {merchant_id}")
    if status == MERCHANT_SUSPENDED:
        await q.cancel_codes(KIND, merchant_id, now)
    return MerchantStatus(merchant_id, status)


async def enroll(q: Queries, *, code_hash: bytes, public_key: bytes, now: int) -> str | None:
    """Spend an enrolment code for a scanner key; the merchant id, or None if not valid."""
    merchant_id = await q.take_code(code_hash, KIND, now)
    if merchant_id is None:
        return None
    merchant = await q.merchant(merchant_id)
    if merchant is None or merchant["status"] != MERCHANT_ACTIVE:
        raise MerchantError("this merchant is suspended", "MERCHANT_SUSPENDED")
    if await q.key_in_use(public_key):
        raise MerchantError("this public key is already enrolled", "KEY_IN_USE")
    await q.insert_device(public_key, merchant_id, now)
    return merchant_id


async def devices(q: Queries, merchant_id: str) -> list[Device]:
    """The shop's scanner keys (base64url, as the scanner shows its own), revoked ones too."""
    if await q.merchant(merchant_id) is None:
        raise MerchantError(f"no merchant {merchant_id}")
    return [Device.of(row) for row in await q.devices_of(merchant_id)]


async def revoke_device(q: Queries, merchant_id: str, key: str, now: int) -> DeviceRevoked:
    """Refuse one scanner key from now on, whatever the scan times of its uploads.

    The server cannot tell the till's own unsent scans from scans a thief adds,
    so nothing signed by the key is taken any more; another till of the same
    shop may upload scans recovered from it (they are credited to the shop and
    verified like any other). Revoking twice is harmless.
    """
    try:
        public_key = b64url_decode(key)
    except ValueError:
        raise MerchantError("--key must be the scanner's public key in base64url") from None
    if len(public_key) != 32:
        raise MerchantError("--key must be a 32-byte Ed25519 public key in base64url")
    if await q.merchant(merchant_id) is None:
        raise MerchantError(f"no merchant {merchant_id}")
    changed = await q.revoke_device(merchant_id, public_key, now)
    row = next(
        (r for r in await q.devices_of(merchant_id) if bytes(r["public_key"]) == public_key), None
    )
    if row is None:
        raise MerchantError(f"this key is not a scanner of merchant {merchant_id}")
    device = Device.of(row)
    return DeviceRevoked(
        merchant_id, device.key, device.enrolled_at, device.revoked_at, bool(changed)
    )
