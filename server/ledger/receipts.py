"""What a member's wallet is told about its payments: which reached the caisse, from which
shop, and whether they were paid or refused (``GET /api/v1/wallet/receipts``).

One receipt per (credential, seq), the best news first: paid, then received, then
refused. A refused token is told only when its signatures verified (the refusal came
after SPEC §5 step 7): a forged QR naming the member's credential is not the member's
payment, and must not change what their wallet shows.
"""

from __future__ import annotations

from typing import Any

from keys.signed_request import b64url_encode
from server.config import DAY
from server.storage.core import Queries

RECEIVED, PAID, REFUSED = "received", "paid", "refused"
# Refusals decided after both signatures verified: the token is the member's own.
MEMBERS_OWN_REFUSALS = frozenset(
    {
        "REVOKED",
        "NOT_YET_VALID",
        "EXPIRED",
        "STALE",
        "INVALID_AMOUNT",
        "OVER_ALLOWANCE",
        "WRONG_MERCHANT",
        "DOUBLE_SPEND",
    }
)
HORIZON_S = 31 * DAY  # credentials that ended more than a month ago are history
MAX_RECEIPTS = 2000
_RANK = {PAID: 0, RECEIVED: 1, REFUSED: 2}


async def member_receipts(q: Queries, member_id: str, now: int) -> list[dict[str, Any]]:
    """The member's receipts, oldest first, as the API sends them."""
    best: dict[tuple[bytes, int], dict[str, Any]] = {}
    for row in await q.wallet_receipts(member_id, now - HORIZON_S, MAX_RECEIPTS):
        if row["status"] == "accepted":
            status, reason = (PAID if row["paid"] else RECEIVED), None
        elif row["code"] in MEMBERS_OWN_REFUSALS:
            status, reason = REFUSED, row["code"]
        else:
            continue
        key = (bytes(row["cti"]), int(row["seq"]))
        receipt = {
            "cti": b64url_encode(key[0]),
            "seq": key[1],
            "amount_cents": int(row["amount_cents"]),
            "merchant_id": row["merchant_id"],
            "merchant_name": row["merchant_name"] or row["merchant_id"],
            "scanned_at": int(row["scanned_at"]),
            "status": status,
            "reason": reason,
        }
        held = best.get(key)
        if held is None or _RANK[status] < _RANK[held["status"]]:
            best[key] = receipt
    return sorted(best.values(), key=lambda r: (r["scanned_at"], r["seq"]))
