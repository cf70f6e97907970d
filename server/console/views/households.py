"""Households: list with this month's contributions, add, change, set the contribution,
record cash at a permanence (with a printable receipt), print the transfer letter and the
direct debit mandate form, and — for the treasurer only — read declared incomes.

Everything calls the services of ``server.caisse`` and ``server.ledger``; this module
reads forms, shows results and writes the audit log.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.responses import Response

from server.caisse import dues, households, transfer_qr
from server.caisse.dues import DuesError
from server.caisse.households import HouseholdError
from server.console.call import Call, problem
from server.console.forms import Errors
from server.console.pagination import paginate
from server.periods import period_at

HOUSEHOLD_ID = re.compile(r"^[0-9]{1,10}$")
MANDATE_LANGUAGES = ("fr", "nl")
PAGE_SIZE = 50


def parse_euros(text: str) -> int | None:
    """'23,40' or '23.40' or '23' → 2340 cents; None if it is not an amount."""
    clean = text.replace("€", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", clean):
        return None
    try:
        return int(Decimal(clean) * 100)
    except InvalidOperation:
        return None


def _count(text: str, low: int, high: int) -> int | None:
    return int(text) if text.isdigit() and low <= int(text) <= high else None


def period(call: Call) -> str:
    return period_at(call.now(), ZoneInfo(call.ctx.config.timezone)).name


def today(call: Call) -> str:
    return datetime.fromtimestamp(call.now(), ZoneInfo(call.ctx.config.timezone)).date().isoformat()


def actor(call: Call) -> str:
    return call.user.email if call.user else "console"


def _household_id(call: Call) -> int | None:
    raw = call.path_param("household_id")
    return int(raw) if HOUSEHOLD_ID.match(raw) else None


async def _load(call: Call) -> households.Household | None:
    household_id = _household_id(call)
    if household_id is None:
        return None
    try:
        async with call.ctx.storage.read() as q:
            return await households.get_household(q, call.ctx.config, household_id, period(call))
    except HouseholdError:
        return None


def _missing(call: Call) -> Response:
    return problem(call, 404, call._("There is no such household."))


async def household_list(call: Call) -> Response:
    only_unpaid = call.param("show", 10) == "unpaid"
    page = paginate(call.param("page", 6), PAGE_SIZE)
    month = period(call)
    async with call.ctx.storage.read() as q:
        lines = {line.household_id: line for line in await dues.status(q, current_period=month)}
        counts = await q.households.member_counts()
        if only_unpaid:
            owing = sorted(h for h, line in lines.items() if line.balance_cents < 0)
            total, chosen = len(owing), owing[page.offset : page.offset + page.size]
            rows = [await households.get_household(q, call.ctx.config, h, month) for h in chosen]
        else:
            total = await q.households.count()
            rows = await households.list_households(
                q, call.ctx.config, month, limit=page.size, offset=page.offset
            )
    items = [
        {"h": h, "line": lines.get(h.household_id), "members": counts.get(h.household_id, 0)}
        for h in rows
    ]
    return call.render(
        "households.html",
        {
            "items": items,
            "month": month,
            "only_unpaid": only_unpaid,
            "page": page.with_total(total),
            "done": call.param("done", 40),
        },
    )


async def household_new(call: Call) -> Response:
    return call.render(
        "household_new.html", {"values": {"adults": "1", "children": "0"}, "errors": Errors()}
    )


async def household_create(call: Call) -> Response:
    values = {k: call.field(k, 100) for k in ("label", "adults", "children", "birth_years")}
    errors = Errors()
    adults, children = _count(values["adults"], 1, 30), _count(values["children"] or "0", 0, 30)
    if adults is None:
        errors.add("adults", call._("Write the number of adults, from 1 to 30."))
    if children is None:
        errors.add("children", call._("Write the number of children, from 0 to 30."))
    if errors or adults is None or children is None:
        return call.render("household_new.html", {"values": values, "errors": errors}, status=400)
    try:
        async with call.ctx.storage.transaction() as q:
            made = await households.add_household(
                q,
                call.ctx.config,
                label=values["label"] or None,
                adults=adults,
                children=children,
                birth_years=values["birth_years"] or None,
                period=period(call),
                now=call.now(),
            )
            await call.audit(
                q, "household.add", str(made.household_id), {"adults": adults, "children": children}
            )
    except HouseholdError as exc:
        errors.add("birth_years", str(exc))
        return call.render("household_new.html", {"values": values, "errors": errors}, status=400)
    return call.redirect("household", household_id=made.household_id, done="household_added")


async def household_detail(call: Call, errors: Errors | None = None, status: int = 200) -> Response:
    house = await _load(call)
    if house is None:
        return _missing(call)
    month = period(call)
    async with call.ctx.storage.read() as q:
        lines = await dues.status(q, current_period=month, household_id=house.household_id)
        payments = await q.contributions.payments_of(house.household_id)
        mandate = await q.contributions.mandate_of(house.household_id)
        shares = await q.households.household_shares(house.household_id, month)
        choices = await q.households.choices([house.household_id])
    scheme = None
    floor = None
    try:
        scheme = dues.scheme_at(call.ctx.config, month)
        from server.caisse import contributions
        from server.caisse.allowance import Shape

        floor = contributions.floor_cents(scheme, Shape(house.adults, house.children))
    except DuesError:
        pass
    return call.render(
        "household.html",
        {
            "house": house,
            "lines": lines[-12:],
            "balance": sum(line.balance_cents for line in lines),
            "payments": payments[-20:],
            "mandate": mandate,
            "shares": {r["member_id"]: r["share_cents"] for r in shares},
            "choice": choices[-1] if choices else None,
            "scheme": scheme,
            "floor": floor,
            "errors": errors or Errors(),
            "today": today(call),
            "done": call.param("done", 40),
        },
        status=status,
    )


async def household_edit(call: Call) -> Response:
    house = await _load(call)
    if house is None:
        return _missing(call)
    adults = _count(call.field("adults", 5), 1, 30)
    children = _count(call.field("children", 5) or "0", 0, 30)
    errors = Errors()
    if adults is None or children is None:
        errors.add(
            "adults", call._("Write the number of adults (1 to 30) and of children (0 to 30).")
        )
        return await household_detail(call, errors, 400)
    try:
        async with call.ctx.storage.transaction() as q:
            await households.edit_household(
                q,
                call.ctx.config,
                house.household_id,
                label=call.field("label", 100) or None,
                adults=adults,
                children=children,
                period=period(call),
                now=call.now(),
            )
            await call.audit(
                q,
                "household.edit",
                str(house.household_id),
                {"adults": adults, "children": children},
            )
    except HouseholdError as exc:
        errors.add("adults", str(exc))
        return await household_detail(call, errors, 400)
    return call.redirect("household", household_id=house.household_id, done="household_changed")


async def household_contribution(call: Call) -> Response:
    house = await _load(call)
    if house is None:
        return _missing(call)
    errors = Errors()
    cents = parse_euros(call.field("amount", 20))
    cpas = call.field("cpas", 5) == "yes"
    raw_income, raw_costs = call.field("income", 20), call.field("fixed_costs", 20)
    income = parse_euros(raw_income) if raw_income else None
    costs = parse_euros(raw_costs) if raw_costs else 0
    if raw_income and income is None:
        errors.add("income", call._("Write an amount like 12,50."))
    if raw_costs and costs is None:
        errors.add("fixed_costs", call._("Write an amount like 12,50."))
    if cents is None and income is None and not cpas and not errors:
        errors.add("amount", call._("Write an amount like 12,50."))
    if errors:
        return await household_detail(call, errors, 400)
    try:
        async with call.ctx.storage.transaction() as q:
            await dues.set_contribution(
                q,
                call.ctx.config,
                house.household_id,
                monthly_cents=None if cpas else cents,
                declared_income_cents=None if cpas or cents is not None else income,
                fixed_costs_cents=costs or 0,
                cpas=cpas,
                current_period=period(call),
                actor=actor(call),
                now=call.now(),
            )
    except DuesError as exc:
        errors.add("amount", str(exc))
        return await household_detail(call, errors, 400)
    return call.redirect("household", household_id=house.household_id, done="contribution_set")


async def cash_form(call: Call) -> Response:
    house = await _load(call)
    if house is None:
        return _missing(call)
    return call.render(
        "cash.html", {"house": house, "values": {"received_on": today(call)}, "errors": Errors()}
    )


async def cash_record(call: Call) -> Response:
    house = await _load(call)
    if house is None:
        return _missing(call)
    values = {"amount": call.field("amount", 20), "received_on": call.field("received_on", 10)}
    errors = Errors()
    cents = parse_euros(values["amount"])
    if not cents:
        errors.add("amount", call._("Write the amount received, like 12,50."))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", values["received_on"]) or values[
        "received_on"
    ] > today(call):
        errors.add("received_on", call._("Write the date it was received, not later than today."))
    if errors or cents is None:
        return call.render(
            "cash.html", {"house": house, "values": values, "errors": errors}, status=400
        )
    async with call.ctx.storage.transaction() as q:
        payment = await dues.record_payment(
            q,
            household_id=house.household_id,
            amount_cents=cents,
            channel="cash",
            received_on=values["received_on"],
            source="permanence",
            note=None,
            actor=actor(call),
            now=call.now(),
        )
    return call.render(
        "receipt.html",
        {"house": house, "payment": payment, "by": actor(call), "caisse": call.ctx.config.caisse},
    )


def _transfer(call: Call, house: households.Household, cents: int | None) -> dict[str, Any] | None:
    config = call.ctx.config
    try:
        t = transfer_qr.transfer(
            name=config.sepa_debtor_name,
            iban=config.sepa_debtor_iban,
            bic=config.sepa_debtor_bic,
            amount_cents=cents or None,
            digits=house.reference.replace("+", "").replace("/", ""),
        )
    except transfer_qr.TransferError:
        return None
    label = call._("EPC QR code of the transfer")
    return {"t": t, "qr": Markup(transfer_qr.epc_svg(t, title=label))}


def household_transfer(call: Call, household_id: int | None) -> dict[str, Any] | None:
    """The caisse's account and the household's communication for a member's letter
    (no amount: the household chooses it later); None without an account configured."""
    if household_id is None:
        return None
    digits = households.reference_digits(household_id)
    config = call.ctx.config
    try:
        t = transfer_qr.transfer(
            name=config.sepa_debtor_name,
            iban=config.sepa_debtor_iban,
            bic=config.sepa_debtor_bic,
            amount_cents=None,
            digits=digits,
        )
    except transfer_qr.TransferError:
        return None
    return {
        "t": t,
        "qr": Markup(transfer_qr.epc_svg(t, title=call._("EPC QR code of the transfer"))),
    }


async def transfer_letter(call: Call) -> Response:
    house = await _load(call)
    if house is None:
        return _missing(call)
    month = period(call)
    async with call.ctx.storage.read() as q:
        lines = await dues.status(q, current_period=month, household_id=house.household_id)
    this = next((line for line in lines if line.period == month), None)
    owed = max(0, -sum(line.balance_cents for line in lines))
    cents = owed or (this.due_cents if this else None)
    transfer = _transfer(call, house, cents)
    if transfer is None:
        return problem(
            call,
            400,
            call._("Set the caisse's account (sepa_debtor_name, sepa_debtor_iban) in config.json."),
        )
    return call.render(
        "transfer_letter.html",
        {
            "house": house,
            "transfer": transfer,
            "cents": cents,
            "monthly": this.due_cents if this else None,
            "remind": call.ctx.config.contribution_unpaid == "remind",
            "caisse": call.ctx.config.caisse,
            "today": call.now(),
        },
    )


async def mandate_form(call: Call) -> Response:
    """The SEPA Core mandate to print and sign, in French or Dutch."""
    house = await _load(call)
    if house is None:
        return _missing(call)
    config = call.ctx.config
    language = call.param("form", 2)
    language = (
        language if language in MANDATE_LANGUAGES else ("nl" if call.language == "nl" else "fr")
    )
    async with call.ctx.storage.read() as q:
        mandate = await q.contributions.mandate_of(house.household_id)
        count = await q.contributions.count_mandates(house.household_id)
    reference = mandate["mandate_id"] if mandate else f"SSA{house.household_id:07d}M{count + 1}"
    pages = call.site.pages
    html = (
        pages.envs[language]
        .get_template("admin/mandate_form.html")
        .render(
            house=house,
            reference=reference,
            creditor=config.sepa_debtor_name or config.caisse,
            creditor_id=config.sepa_creditor_id or "",
            creditor_address=config.sepa_creditor_address or "",
            lang=language,
            fmt=pages.formats[language],
        )
    )
    return call.render(
        "mandate_page.html", {"house": house, "form": Markup(html), "language": language}
    )


async def household_income(call: Call) -> Response:
    """Declared incomes kept under a proportional scheme: the treasurer's, each read audited."""
    house = await _load(call)
    if house is None:
        return _missing(call)
    async with call.ctx.storage.transaction() as q:
        rows = await dues.declared_income(
            q,
            house.household_id,
            actor=actor(call),
            role_ok=bool(call.user and call.user.is_treasurer),
            now=call.now(),
        )
    return call.render("household_income.html", {"house": house, "rows": rows})
