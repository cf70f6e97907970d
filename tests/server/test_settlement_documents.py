"""SEPA file, shop statements, monthly report and paper vouchers, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import xmlschema

from keys import tokens
from server.caisse import merchants
from server.caisse.keyring import KeyRing
from server.caisse.vouchers import issue_vouchers
from server.ledger import findings
from server.ledger.detection import VOUCHER_REUSE
from server.ledger.reports import monthly_report, report_html
from server.ledger.sepa import SCHEMAS_DIR, SepaError, export_sepa
from server.ledger.statements import statement

from .conftest import PASSPHRASE
from .reconcile_helpers import DEBTOR, run, scan, upload_ok

pytestmark = pytest.mark.anyio


async def settle_three_shops(api):
    shops = [await api.enroll(await api.add_shop(f"Épicerie n°{i}")) for i in range(3)]
    members = [await api.activate() for _ in range(2)]
    now = api.now
    for i, shop in enumerate(shops):
        await upload_ok(
            api,
            shop,
            [
                scan(
                    m.pay(1000 + 17 * i, i + 1, sum(1000 + 17 * k for k in range(i + 1)), now - 30),
                    now - 20,
                )
                for m in members
            ],
        )
    return shops, await run(api)


async def first_statement(api, shop, fmt: str, later: int = 0) -> bytes:
    """The shop's statement of settlement 1 in ``fmt``, asked for ``later`` seconds on."""
    return await statement(
        api.ctx.storage,
        api.cfg,
        settlement_id=1,
        merchant_id=shop.merchant_id,
        fmt=fmt,
        now=api.now + later,
    )


@pytest.mark.parametrize("schema", ["pain.001.001.03", "pain.001.001.09"])
async def test_the_sepa_file_validates_against_the_xsd_and_its_control_sum_equals_the_payouts(
    api, schema
):
    shops, summary = await settle_three_shops(api)
    async with api.ctx.storage.transaction() as q:
        await merchants.edit_merchant(q, shops[0].merchant_id, language="nl")
        await merchants.edit_merchant(q, shops[1].merchant_id, language="en")
    cfg = api.cfg.with_(sepa_schema=schema, **DEBTOR)
    export = await export_sepa(api.ctx.storage, cfg, now=api.now)
    xsd = xmlschema.XMLSchema(str(SCHEMAS_DIR / f"{schema}.xsd"))
    xsd.validate(export.body.decode())
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{schema}"}
    doc = ET.fromstring(export.body)
    control = Decimal(doc.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", ns).text)
    amounts = [Decimal(a.text) for a in doc.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns)]
    assert control * 100 == sum(amounts) * 100 == summary.total_cents == export.control_sum_cents
    assert len(amounts) == 3 == export.transactions
    remittances = {u.text for u in doc.iterfind(".//p:RmtInf/p:Ustrd", ns)}
    # In each shop's language (none given: French), naming the caisse as people know it.
    sid = summary.settlement_id
    until = datetime.fromtimestamp(summary.until, ZoneInfo(api.cfg.timezone)).strftime("%d/%m/%Y")
    refs = [p["reference"] for p in sorted(summary.payouts, key=lambda p: p["merchant_id"])]
    by_shop = dict(zip(sorted(s.merchant_id for s in shops), refs, strict=True))
    assert remittances == {
        f"Caisse SSA Bruxelles vereffening {sid} tot {until}, 2 betalingen, "
        f"{by_shop[shops[0].merchant_id]}",
        f"Caisse SSA Bruxelles settlement {sid} to {until}, 2 payments, "
        f"{by_shop[shops[1].merchant_id]}",
        f"Caisse SSA Bruxelles reglement {sid} au {until}, 2 paiements, "
        f"{by_shop[shops[2].merchant_id]}",
    }
    assert {e.text for e in doc.iterfind(".//p:DbtrAcct/p:Id/p:IBAN", ns)} == {"BE62510007547061"}
    # Exported again: the very same file (same MsgId: a bank refuses a second upload).
    assert (await export_sepa(api.ctx.storage, cfg, now=api.now + 999)).body == export.body


async def test_sepa_export_needs_the_caisses_account_and_a_settlement(api):
    with pytest.raises(SepaError, match="reconcile first"):
        await export_sepa(api.ctx.storage, api.cfg.with_(**DEBTOR), now=api.now)
    await settle_three_shops(api)
    with pytest.raises(SepaError, match="sepa_debtor_iban"):
        await export_sepa(api.ctx.storage, api.cfg, now=api.now)


async def test_statements_list_each_payment_with_total_and_reference_and_never_change(api):
    shops, summary = await settle_three_shops(api)
    shop = shops[1]
    line = next(p for p in summary.payouts if p["merchant_id"] == shop.merchant_id)
    body = await first_statement(api, shop, "csv")
    rows = list(csv.DictReader(io.StringIO(body.decode()), delimiter=";"))
    assert [r["amount"] for r in rows] == ["10,17 €", "10,17 €", "20,34 €"]
    assert rows[-1]["date"] == "TOTAL" and int(rows[-1]["amount_cents"]) == line["amount_cents"]
    assert all(r["reference"] == line["reference"] for r in rows)
    html = await first_statement(api, shop, "html")
    assert "20,34\u00a0€".encode() in html and line["reference"].encode() in html
    assert "Épicerie n°1".encode() in html
    # Immutable: even if the shop's data changes, the issued statement is returned as issued.
    async with api.ctx.storage.transaction() as q:
        await q.conn.execute(
            "UPDATE payouts SET name = 'Renamed' WHERE merchant_id = ?", shop.merchant_id
        )
    again = await first_statement(api, shop, "html", later=5)
    assert again == html


async def test_a_paper_voucher_used_at_two_shops_is_found_and_revoked_in_the_trust_list(api):
    a, b = await api.enroll(await api.add_shop("A")), await api.enroll(await api.add_shop("B"))
    member = await api.activate()
    keyring = KeyRing(api.cfg, api.keys.root, {api.keys.issuer[1]: api.keys.issuer[0]}, PASSPHRASE)
    api.clock.advance(-30)
    (voucher,) = await issue_vouchers(
        api.ctx.storage,
        api.cfg,
        keyring,
        amount_cents=2500,
        member_id=member.member_id,
        now=api.now,
    )
    api.clock.advance(30)
    now = api.now
    assert (await upload_ok(api, a, [scan(voucher.qr, now - 20)]))["received"] == 1
    assert (await upload_ok(api, b, [scan(voucher.qr, now - 10)]))["duplicates"] == 1
    summary = await run(api)
    (finding,) = summary.double_spends
    assert finding["kind"] == VOUCHER_REUSE and finding["amount_cents"] == 2500
    # Paid once, to the shop that sent it first; the other receipt waits for review.
    assert (summary.total_cents, summary.withheld_cents) == (2500, 2500)
    assert [b["kind"] for b in summary.blocked] == ["voucher"]  # not the member: a copy
    async with api.ctx.storage.read() as q:
        body = bytes((await q.latest_trust_list())["body"])
    from keys.trust_list import open_trust_list

    tl = open_trust_list(body, bytes(api.keys.root.verify_key))
    assert bytes.fromhex(voucher.voucher_id) in tl.revoked_vouchers
    proof = await findings.export_finding(api.ctx.storage, finding["finding_id"])
    assert [e.merchant_id for e in proof.evidence] == [a.merchant_id, b.merchant_id]
    assert tokens.decode_token(tokens.from_qr(proof.evidence[0].qr)).amount_cents == 2500


async def test_the_monthly_report_adds_up(api):
    shops, summary = await settle_three_shops(api)
    member = await api.activate()
    await upload_ok(api, shops[0], [scan(member.pay(10, 1, 999_999, api.now - 5), api.now - 5)])
    from zoneinfo import ZoneInfo

    from server.periods import period_at

    month = period_at(api.now, ZoneInfo(api.cfg.timezone)).name
    report = await monthly_report(api.ctx.storage, api.cfg, month)
    assert report.members["total"] == 3
    assert report.allowances.credentials == 3
    assert report.allowances.issued_cents == 3 * api.cfg.allowance_cents
    assert report.allowances.spent_cents == summary.total_cents
    assert report.allowances.unspent_cents == 3 * api.cfg.allowance_cents - summary.total_cents
    assert sum(s.paid_cents for s in report.shops) == summary.total_cents
    assert report.rejected == {"OVER_ALLOWANCE": 1}
    assert "OVER_ALLOWANCE" in report_html(report)


async def test_the_printable_pages_escape_what_the_caisse_typed(api):
    """Statement and report come from autoescaped templates: a shop's name stays text."""
    from zoneinfo import ZoneInfo

    from server.periods import period_at

    name = '<b onclick="x()">Bio</b> & Co'
    shop = await api.enroll(await api.add_shop(name))
    member = await api.activate()
    await upload_ok(api, shop, [scan(member.pay(1000, 1, 1000, api.now - 30), api.now - 20)])
    await run(api)
    escaped = "&lt;b onclick=&#34;x()&#34;&gt;Bio&lt;/b&gt; &amp; Co"
    page = (await first_statement(api, shop, "html")).decode()
    assert escaped in page and "<b " not in page
    month = period_at(api.now, ZoneInfo(api.cfg.timezone)).name
    page = report_html(await monthly_report(api.ctx.storage, api.cfg, month))
    assert escaped in page and "<b " not in page


async def test_names_in_the_sepa_file_are_reduced_to_the_epc_basic_latin_set(api):
    """Issue 11: '& < > " = { }' reached <Nm>; banks refuse a file outside the EPC set."""
    shop = await api.enroll(await api.add_shop('Épicerie "Chez Zoë" & fils <{=}> ß'))
    member = await api.activate()
    await upload_ok(api, shop, [scan(member.pay(900, 1, 900, api.now - 30), api.now - 20)])
    await run(api)
    cfg = api.cfg.with_(**{**DEBTOR, "sepa_debtor_name": "Caisse SSA & co {Bxl}"})
    export = await export_sepa(api.ctx.storage, cfg, now=api.now)
    doc = ET.fromstring(export.body)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    names = [n.text for n in doc.iterfind(".//p:Nm", ns)]
    assert "Epicerie Chez Zoe + fils ss" in names and "Caisse SSA + co Bxl" in names
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
    for text in [*names, *(u.text for u in doc.iterfind(".//p:Ustrd", ns))]:
        assert set(text) <= allowed, text
