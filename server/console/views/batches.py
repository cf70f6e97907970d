"""Batches received from the shops' scanners: counts, rejections and their reasons."""

from __future__ import annotations

import re

from starlette.responses import Response

from server.config import DAY
from server.console.call import Call, problem
from server.console.pagination import paginate
from server.console.views.shops import MERCHANT_ID

BATCH_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PAGE_SIZE = 50


async def batch_list(call: Call) -> Response:
    shop = call.param("shop", 60)
    shop = shop if MERCHANT_ID.match(shop) else ""
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
    merchant_id, batch_id = call.path_param("merchant_id"), call.path_param("batch_id")
    if not MERCHANT_ID.match(merchant_id) or not BATCH_ID.match(batch_id):
        return problem(call, 404, call._("There is no such batch."))
    async with call.ctx.storage.read() as q:
        batch = await q.batch(merchant_id, batch_id)
        scans = await q.console.batch_scans(merchant_id, batch_id) if batch else []
        shop = await q.merchant(merchant_id)
    if batch is None:
        return problem(call, 404, call._("There is no such batch."))
    return call.render("batch.html", {"batch": batch, "scans": scans, "shop": shop})
