"""A member's channel (wallet, paper, both) and the month's sheet, through the real app on
SQLite and PostgreSQL: wallet and paper never add up to more than the member's share."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from keys import tokens
from keys.signed_request import b64url_decode
from keys.trust_list import open_trust_list
from server.caisse import channels, households, sheets
from server.caisse.channels import ChannelError
from server.caisse.sheets import SheetError
from server.ledger.reports import monthly_report
from server.periods import period_at

from .conftest import Harness, make_caisse
from .test_households import allowance_of, enrol

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
GIRONDE = {"from": "2020-01", "first_adult_cents": 15000, "extra_adult_cents": 7500,
           "child_cents": 7500}  # fmt: skip


def month(api: Harness) -> str:
    return period_at(api.now, TZ).name


def scan(qr: str, at: int) -> dict:
    return {"qr": qr, "scanned_at": at, "result": "OK"}


async def set_channel(api: Harness, member_id: str, channel: str, paper: int | None = None):
    async with api.ctx.storage.transaction() as q:
        return await channels.set_channel(
            q, api.cfg, api.keys.root, member_id, channel, paper, actor="test", now=api.now
        )


async def print_month(api: Harness, member_id: str | None = None) -> sheets.PrintRun:
    return await sheets.print_run(
        api.ctx.storage, api.cfg, api.ctx.keyring, month(api), member_id=member_id,
        actor="test", now=api.now,
    )  # fmt: skip


async def current_credential(api: Harness, member) -> bytes:
    r = await api.signed("GET", "/api/v1/wallet/credential", member.key)
    assert r.status_code == 200, r.text
    return b64url_decode(r.json()["credentials"][0])


async def trust_list(api: Harness):
    body = (await api.client.get("/api/v1/trust-list")).content
    return open_trust_list(body, api.keys.root.verify_key.encode())


async def test_switched_from_wallet_to_paper_mid_month(api: Harness) -> None:
    member = await api.activate()
    shop = await api.enroll()
    first = member.credential
    assert allowance_of(first) == 15000
    r = await api.upload(shop, [scan(member.pay(4000, 1, 4000, api.now), api.now)])
    assert r.status_code == 200 and r.json()["received"] == 1

    out = await set_channel(api, member.member_id, "paper")
    assert out["credentials_revoked"] >= 1 and out["trust_list_seq"] is not None
    listed = await trust_list(api)
    assert tokens.decode_credential(first).cti in listed.revoked_credentials

    run = await print_month(api)
    assert [s.member_id for s in run.sheets] == [member.member_id]
    assert run.total_cents == 11000  # what the phone had not spent: 5 x 20 + 10
    assert [v.amount_cents for v in run.sheets[0].vouchers] == [2000] * 5 + [1000]
    # the phone's new credential of the month holds nothing more
    assert allowance_of(await current_credential(api, member)) == 0


async def test_both_splits_the_share_and_a_wallet_member_gets_no_sheet(api: Harness) -> None:
    member = await api.add_member("Both")
    wallet = await api.add_member("Wallet")
    await set_channel(api, member.member_id, "both", 5050)
    run = await print_month(api)
    assert run.total_cents == 5050
    assert [v.amount_cents for v in run.sheets[0].vouchers] == [2000, 2000, 1000, 50]
    await api.activate(member)
    assert allowance_of(member.credential) == 15000 - 5050
    with pytest.raises(SheetError) as caught:
        await print_month(api, wallet.member_id)
    assert caught.value.error == "WALLET_MEMBER"


async def test_printing_twice_reprints_the_same_vouchers(api: Harness) -> None:
    member = await api.add_member("Paper")
    await set_channel(api, member.member_id, "paper")
    first = await print_month(api)
    again = await print_month(api, member.member_id)
    assert [v.qr for v in first.sheets[0].vouchers] == [v.qr for v in again.sheets[0].vouchers]
    assert again.sheets[0].printed == 2
    async with api.ctx.storage.read() as q:
        rows = await sheets.tracking(q, now=api.now, period=month(api))
        log, _ = await q.console.audit_page(limit=50, offset=0)
    assert [(r["issued"], r["issued_cents"]) for r in rows] == [(8, 15000)]
    assert [e["action"] for e in log][:2] == ["voucher.reprint", "voucher.issue"]


async def test_a_lost_sheet_is_replaced_for_what_it_had_not_been_spent_on(api: Harness) -> None:
    member = await api.add_member("Paper")
    shop = await api.enroll()
    await set_channel(api, member.member_id, "paper")
    sheet = (await print_month(api)).sheets[0]
    used = sheet.vouchers[:2]
    r = await api.upload(shop, [scan(v.qr, api.now) for v in used])
    assert r.json()["received"] == 2
    async with api.ctx.storage.transaction() as q:
        voided, fresh = await sheets.replace_sheet(
            q, api.cfg, api.ctx.keyring, sheet.sheet_id, reason="lost on the bus",
            actor="test", now=api.now,
        )  # fmt: skip
    assert voided["voided"] == 6 and voided["already_redeemed"] == 2
    assert fresh is not None and fresh.replaces == sheet.sheet_id
    assert fresh.amount_cents == 15000 - 4000
    listed = await trust_list(api)
    revoked = {bytes.fromhex(v.voucher_id) for v in sheet.vouchers}
    assert revoked <= listed.revoked_vouchers
    assert not {bytes.fromhex(v.voucher_id) for v in fresh.vouchers} & listed.revoked_vouchers
    async with api.ctx.storage.read() as q:
        (row,) = await sheets.tracking(q, now=api.now, period=month(api))
    assert (row["redeemed_cents"], row["voided_cents"], row["outstanding_cents"]) == (
        4000,
        11000,
        11000,
    )
    # printing again now reprints the replacement, never a third allowance
    again = await print_month(api, member.member_id)
    assert again.sheets[0].sheet_id == fresh.sheet_id
    report = await monthly_report(api.ctx.storage, api.cfg, month(api))
    assert report.to_json()["paper_vouchers"] == {
        "members": 1,
        "vouchers": 8 + len(fresh.vouchers),
        "issued_cents": 15000 + 11000,
        "redeemed_cents": 4000,
        "voided_cents": 11000,
        "unredeemed_cents": 11000,
    }


async def test_household_shares_and_a_paper_adult(tmp_path, backend, key_material, clock) -> None:
    cfg = await make_caisse(
        tmp_path / "d", backend, key_material, int(clock()), allowance_rules=[GIRONDE]
    )
    api = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    try:
        async with api.ctx.storage.transaction() as q:
            home = await households.add_household(
                q, api.cfg, adults=2, children=1, period=month(api), now=api.now
            )
        a = await enrol(api, home.household_id, "A")
        b = await enrol(api, home.household_id, "B")
        await set_channel(api, a.member_id, "paper")
        run = await print_month(api)
        # 150 + 75 + 75 = 300 € for the household, 150 € each adult
        assert run.total_cents == 15000
        await api.activate(b)
        assert allowance_of(b.credential) == 15000
    finally:
        await api.stop()


async def test_channel_rules(api: Harness) -> None:
    member = await api.add_member()
    with pytest.raises(ChannelError):
        await set_channel(api, member.member_id, "pigeon")
    with pytest.raises(ChannelError):
        await set_channel(api, member.member_id, "both")
    with pytest.raises(ChannelError):
        await set_channel(api, member.member_id, "paper", 100)
    with pytest.raises(ChannelError) as caught:
        await set_channel(api, "0" * 16, "paper")
    assert caught.value.error == "NO_MEMBER"


async def test_the_shops_statement_lists_paper_vouchers_apart(api: Harness) -> None:
    from .reconcile_helpers import run
    from .test_settlement_documents import first_statement
    from .test_statement_pdf import text_of

    shop = await api.enroll()
    wallet = await api.activate()
    paper = await api.add_member("Paper")
    await set_channel(api, paper.member_id, "paper")
    (sheet,) = (await print_month(api)).sheets
    api.clock.advance(30)
    scans = [scan(wallet.pay(1234, 1, 1234, api.now - 5), api.now - 5)]
    scans += [scan(v.qr, api.now - 4) for v in sheet.vouchers[-1:]]
    assert (await api.upload(shop, scans)).json()["received"] == 2
    summary = await run(api)
    assert summary.total_cents == 1234 + 1000
    html = (await first_statement(api, shop, "html")).decode()  # in the shop's language: fr
    html = html.replace("\u202f", " ").replace("\xa0", " ")  # Babel's spaces before "€"
    phone_at = html.index("Paiements par téléphone")
    paper_at = html.index("Bons papier")
    assert phone_at < html.index("12,34 €") < paper_at < html.index("10,00 €")
    body = (await first_statement(api, shop, "csv")).decode()
    assert ";payment\r\n" in body and ";voucher\r\n" in body
    text = text_of(await first_statement(api, shop, "pdf"))
    assert text.index("Paiements par téléphone") < text.index("Bons papier")
