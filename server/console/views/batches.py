"""Batches received from the shops' scanners: counts, rejections and their reasons."""

from __future__ import annotations

from starlette.responses import Response

from server.config import DAY
from server.console import lookups
from server.console.call import Call
from server.console.lookups import MERCHANT_ID
from server.console.pagination import paginate

PAGE_SIZE = 50


async def batch_list(call: Call) -> Response:
    shop = call.param("shop", 60)
    shop = shop if MERCHANT_ID.fullmatch(shop) else ""
    page = paginate(call.param("page", 6), PAGE_SIZE)
    async with call.ctx.storage.read() as q:
        rows, total = await q.console.batch_page(
            merchant_id=shop or None, limit=page.size, offset=page.offset
        )
        rejected = await q.console.rejections_by_code(call.now() - 30 * DAY, shop or None)
        shops = await q.console.merchant_overview()
    return call.render(
        "batches.html",
        {
            "rows": rows,
            "page": page.with_total(total),
            "rejected": rejected,
            "shop": shop,
            "shops": shops,
        },
    )


async def batch_detail(call: Call) -> Response:
    batch = await lookups.batch(call)
    merchant_id, batch_id = batch["merchant_id"], batch["batch_id"]
    async with call.ctx.storage.read() as q:
        scans = await q.console.batch_scans(merchant_id, batch_id)
        shop = await q.merchant(merchant_id)
    return call.render("batch.html", {"batch": batch, "scans": scans, "shop": shop})
