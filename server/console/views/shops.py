"""Shops: list, add (enrolment code and its QR), new code, suspend and resume, detail.

The detail lists the shop's tills; revoking one is in ``views_tills``.
"""

from __future__ import annotations

from starlette.responses import Response

from server.caisse import merchants
from server.config import DAY
from server.console import lookups
from server.console.call import Call
from server.console.forms import Errors
from server.console.qr import qr_svg
from server.console.tills import tills_of
from server.errors import Conflict
from server.storage.core import MERCHANT_ACTIVE, MERCHANT_SUSPENDED


async def shop_list(call: Call) -> Response:
    async with call.ctx.storage.read() as q:
        rows = await q.console.merchant_overview()
    return call.render("shops.html", {"rows": rows, "done": call.param("done", 40)})


async def shop_new(call: Call) -> Response:
    return call.render("shop_new.html", {"values": {}, "errors": Errors()})


def _check(call: Call, name: str, iban: str, bic: str, errors: Errors) -> None:
    if not name or len(name) > merchants.MAX_NAME or any(ord(c) < 32 for c in name):
        errors.add(
            "name",
            call._("Enter the shop's name: 1 to %(max)s characters.", max=merchants.MAX_NAME),
        )
    try:
        merchants.check_iban(iban)
    except merchants.MerchantError:
        errors.add(
            "iban",
            call._(
                "This IBAN is not valid: check it on the shop's bank "
                "statement (example: BE71 0961 2345 6769)."
            ),
        )
    try:
        merchants.check_bic(bic or None)
    except merchants.MerchantError:
        errors.add("bic", call._("This BIC is not valid (example: GKCCBEBB), or leave it empty."))


async def shop_create(call: Call) -> Response:
    name, iban, bic = call.field("name", 300), call.field("iban", 60), call.field("bic", 20)
    errors = Errors()
    _check(call, name, iban, bic, errors)
    if errors:
        return call.render(
            "shop_new.html",
            {"values": {"name": name, "iban": iban, "bic": bic}, "errors": errors},
            status=400,
        )
    async with call.ctx.storage.transaction() as q:
        out = await merchants.add_merchant(
            q, call.ctx.config, name=name, iban=iban, bic=bic or None, now=call.now()
        )
        shop = await q.merchant(out.merchant_id)  # as stored: the account the caisse pays
        assert shop is not None
        detail = {"name": shop["name"], "iban": shop["iban"], "bic": shop["bic"]}
        await call.audit(q, "shop.add", out.merchant_id, detail)
    return _code_page(call, out, name, created=True)


def _code_page(call: Call, out: merchants.EnrollmentCode, name: str, *, created: bool) -> Response:
    code = out.enrollment_code
    return call.render(
        "shop_code.html",
        {
            "merchant_id": out.merchant_id,
            "name": name,
            "code": code,
            "created": created,
            "server": call.ctx.config.base_url.rstrip("/"),
            "qr": qr_svg(code, label=call._("QR code of the enrolment code")),
        },
    )


async def shop_detail(call: Call) -> Response:
    shop = await lookups.shop(call)
    async with call.ctx.storage.read() as q:
        devices = await q.console.merchant_devices(shop["merchant_id"])
        batches, total = await q.console.batch_page(
            merchant_id=shop["merchant_id"], limit=10, offset=0
        )
        rejected = await q.console.rejections_by_code(call.now() - 30 * DAY, shop["merchant_id"])
    return call.render(
        "shop.html",
        {
            "shop": shop,
            "tills": tills_of(devices),
            "batches": batches,
            "batch_total": total,
            "rejected": rejected,
            "done": call.param("done", 40),
        },
    )


async def shop_code(call: Call) -> Response:
    shop = await lookups.shop(call)
    if shop["status"] != MERCHANT_ACTIVE:
        raise Conflict(call._("This shop is suspended: resume it first."))
    async with call.ctx.storage.transaction() as q:
        out = await merchants.new_enrollment_code(
            q, call.ctx.config, shop["merchant_id"], call.now()
        )
        await call.audit(q, "shop.code", shop["merchant_id"])
    return _code_page(call, out, shop["name"], created=False)


async def _set_status(call: Call, status: str, done: str) -> Response:
    shop = await lookups.shop(call)
    async with call.ctx.storage.transaction() as q:
        await merchants.set_status(q, shop["merchant_id"], status, call.now())
        await call.audit(q, f"shop.{done}", shop["merchant_id"])
    return call.redirect("shop", done=done, merchant_id=shop["merchant_id"])


async def shop_suspend(call: Call) -> Response:
    return await _set_status(call, MERCHANT_SUSPENDED, "suspended")


async def shop_resume(call: Call) -> Response:
    return await _set_status(call, MERCHANT_ACTIVE, "resumed")
