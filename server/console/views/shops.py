"""Shops: list, add (enrolment code and its QR), edit, new code, suspend and resume, detail.

The detail lists the shop's tills; revoking one is in ``views_tills``.
"""

from __future__ import annotations

from starlette.responses import Response

from server import banking
from server.caisse import codes, merchants
from server.config import DAY
from server.console import lookups
from server.console.call import Call
from server.console.forms import Errors
from server.console.i18n import LANGUAGES
from server.console.qr import qr_svg
from server.console.tills import tills_of
from server.errors import Conflict
from server.storage.core import MERCHANT_ACTIVE, MERCHANT_SUSPENDED


async def shop_list(call: Call) -> Response:
    async with call.ctx.storage.read() as q:
        rows = await q.console.merchant_overview()
    return call.render("shops.html", {"rows": rows, "done": call.param("done", 40)})


FIELDS = ("name", "iban", "bic", "language", "address", "hours", "scope")


def _values(call: Call) -> dict[str, str]:
    values = {
        "name": call.field("name", 300),
        "iban": call.field("iban", 60),
        "bic": call.field("bic", 20),
        "language": call.field("language", 5),
    }
    for detail in merchants.DETAILS:
        values[detail] = call.field(detail, merchants.MAX_DETAIL + 50)
    if values["language"] not in LANGUAGES:
        values["language"] = call.language
    return values


def _check(call: Call, values: dict[str, str], errors: Errors) -> None:
    name = values["name"]
    if not name or len(name) > merchants.MAX_NAME or any(ord(c) < 32 for c in name):
        errors.add(
            "name",
            call._("Enter the shop's name: 1 to %(max)s characters.", max=merchants.MAX_NAME),
        )
    try:
        merchants.check_iban(values["iban"])
    except merchants.MerchantError:
        errors.add(
            "iban",
            call._(
                "This IBAN is not valid: check it on the shop's bank "
                "statement (example: BE71 0961 2345 6769)."
            ),
        )
    try:
        merchants.check_bic(values["bic"] or None)
    except merchants.MerchantError:
        errors.add("bic", call._("This BIC is not valid (example: GKCCBEBB), or leave it empty."))
    for detail in merchants.DETAILS:
        try:
            merchants.check_detail(detail, values[detail])
        except merchants.MerchantError:
            errors.add(
                detail,
                call._("At most %(max)s characters, please.", max=merchants.MAX_DETAIL),
            )


def bic_missing(iban: str, bic: str | None) -> bool:
    """The bank of ``iban`` is not in the registry and no BIC is given: warn the volunteer."""
    try:
        return banking.account(iban, bic).bic_missing
    except banking.BankError:
        return False


async def shop_new(call: Call) -> Response:
    return call.render(
        "shop_new.html", {"values": {"language": call.language}, "errors": Errors(), "shop": None}
    )


async def shop_create(call: Call) -> Response:
    values = _values(call)
    errors = Errors()
    _check(call, values, errors)
    if errors:
        return call.render(
            "shop_new.html", {"values": values, "errors": errors, "shop": None}, status=400
        )
    async with call.ctx.storage.transaction() as q:
        out = await merchants.add_merchant(
            q,
            call.ctx.config,
            name=values["name"],
            iban=values["iban"],
            bic=values["bic"] or None,
            now=call.now(),
            language=values["language"],
            **{d: values[d] or None for d in merchants.DETAILS},
        )
        shop = await q.merchant(out.merchant_id)  # as stored: the account the caisse pays
        assert shop is not None
        detail = {"name": shop["name"], "iban": shop["iban"], "bic": shop["bic"]}
        await call.audit(q, "shop.add", out.merchant_id, detail)
    return _code_page(
        call,
        out,
        values["name"],
        created=True,
        bic_missing=bic_missing(values["iban"], values["bic"] or None),
    )


async def shop_edit(call: Call) -> Response:
    shop = await lookups.shop(call)
    values = {f: shop[f] or "" for f in FIELDS}
    values["iban"] = banking.grouped(shop["iban"])
    return call.render("shop_new.html", {"values": values, "errors": Errors(), "shop": shop})


async def shop_update(call: Call) -> Response:
    shop = await lookups.shop(call)
    values = _values(call)
    errors = Errors()
    _check(call, values, errors)
    if errors:
        return call.render(
            "shop_new.html", {"values": values, "errors": errors, "shop": shop}, status=400
        )
    async with call.ctx.storage.transaction() as q:
        out = await merchants.edit_merchant(q, shop["merchant_id"], **values)
        if out.changes:
            await call.audit(q, "shop.edit", shop["merchant_id"], {"changes": out.changes})
    done = "shop_edited" if out.changes else "unchanged"
    if bic_missing(values["iban"], values["bic"] or None):
        done = "shop_edited_no_bic"
    return call.redirect("shop", done=done, merchant_id=shop["merchant_id"])


def _code_page(
    call: Call,
    out: merchants.EnrollmentCode,
    name: str,
    *,
    created: bool,
    bic_missing: bool = False,
) -> Response:
    code = out.enrollment_code
    return call.render(
        "shop_code.html",
        {
            "merchant_id": out.merchant_id,
            "name": name,
            "code": code,
            "created": created,
            "bic_missing": bic_missing,
            "relang": {
                "action": call.url("shop_shown", merchant_id=out.merchant_id),
                "fields": {"code": code, "created": "yes" if created else ""},
            },
            "server": call.ctx.config.base_url.rstrip("/"),
            # the QR opens the browser till with the code; ssa-scanner enroll --qr reads it too
            "qr": qr_svg(out.enrollment_url, label=call._("QR code of the enrolment code")),
        },
    )


async def shop_shown(call: Call) -> Response:
    """The page of an enrolment code just made, again (in another language), while the code
    still works for this shop; nothing is changed."""
    shop = await lookups.shop(call)
    code = call.field("code", 40)
    digest = codes.code_hash(code)
    subject = None
    if digest is not None:
        async with call.ctx.storage.read() as q:
            subject = await q.code_subject(digest, merchants.KIND, call.now())
    if subject != shop["merchant_id"]:
        raise Conflict(call._("This code no longer works: make a new one on the shop's page."))
    out = merchants.EnrollmentCode(
        shop["merchant_id"], code, merchants.enrollment_url(call.ctx.config, code)
    )
    created = call.field("created", 5) == "yes"
    return _code_page(
        call, out, shop["name"], created=created, bic_missing=bic_missing(shop["iban"], shop["bic"])
    )


async def shop_detail(call: Call) -> Response:
    shop = await lookups.shop(call)
    async with call.ctx.storage.read() as q:
        devices = await q.console.merchant_devices(shop["merchant_id"])
        batches, total = await q.console.batch_page(
            merchant_id=shop["merchant_id"], limit=10, offset=0
        )
        rejected = await q.console.rejections_by_code(call.now() - 30 * DAY, shop["merchant_id"])
    try:
        account = banking.account(shop["iban"], shop["bic"])
        bank, registry_bic = account.bank, account.registry_bic
    except banking.BankError:  # stored before the registry knew better: still shown
        bank = registry_bic = None
    return call.render(
        "shop.html",
        {
            "shop": shop,
            "bank": bank,
            "registry_bic": registry_bic,
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
