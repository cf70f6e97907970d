"""Revoking one of a shop's tills (a stolen or broken scanner), after a confirmation page.

From the revocation on, everything the till signs is refused (403 KEY_REVOKED)
and the shop enrols a replacement with a new code. The key travels as a form
field and is matched against the shop's own keys only, so a key of another
shop, or anything else, is simply "no such till".
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from server.caisse import merchants
from server.console import lookups
from server.console.call import Call
from server.console.tills import tills_of
from server.errors import Conflict, NotFound

MAX_KEY = 100  # read more than a key's 43 characters: a longer value must not match


async def _shop_and_till(call: Call, key: str) -> tuple[Any, dict[str, Any]]:
    """The shop of the path and its till ``key``, or ``NotFound`` for either."""
    shop = await lookups.shop(call)
    till = None
    if key:
        async with call.ctx.storage.read() as q:
            rows = await q.console.merchant_devices(shop["merchant_id"])
        till = next((t for t in tills_of(rows) if t["key"] == key), None)
    if till is None:
        raise NotFound(call._("This shop has no such till."))
    return shop, till


async def revoke_confirm(call: Call) -> Response:
    shop, till = await _shop_and_till(call, call.param("key", MAX_KEY))
    if till["revoked_at"] is not None:
        raise Conflict(call._("This till is already revoked."))
    return call.render("till_revoke.html", {"shop": shop, "till": till})


async def revoke(call: Call) -> Response:
    shop, till = await _shop_and_till(call, call.field("key", MAX_KEY))
    async with call.ctx.storage.transaction() as q:
        out = await merchants.revoke_device(q, shop["merchant_id"], till["key"], call.now())
        if out.newly_revoked:
            await call.audit(
                q,
                "shop.revoke_till",
                shop["merchant_id"],
                {"key": till["key"], "enrolled_at": till["enrolled_at"]},
            )
    if not out.newly_revoked:
        raise Conflict(call._("This till is already revoked."))
    return call.redirect("shop", done="till_revoked", merchant_id=shop["merchant_id"])
