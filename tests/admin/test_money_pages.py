"""Money pages through real HTTP on SQLite and PostgreSQL: a real fork reviewed in the console,
statements, a shop's payouts and the monthly report."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from keys import tokens
from server.ledger.statement_text import short_reference

pytestmark = pytest.mark.anyio
FINDING_LINK = re.compile(r'href="/admin/findings/([^"]+)"')
SETTLEMENT_LINK = re.compile(r'href="/admin/settlements/(\d+)"')


def scan(qr: str, at: int) -> dict:
    return {"qr": qr, "scanned_at": at, "result": "OK"}


async def _upload(api, shop, scans: list[dict], batch_id: str) -> None:
    r = await api.upload(shop, scans, batch_id=batch_id)
    assert r.status_code == 200, r.text


async def _fork(api):
    """One member's payment n° 1 accepted by two shops with different amounts (a cloned wallet)."""
    a = await api.enroll(await api.add_shop("Épicerie Alpha"))
    b = await api.enroll(await api.add_shop("Bio Bêta"))
    member = await api.activate()
    now = api.now
    qrs = [member.pay(700, 1, 700, now - 60), member.pay(900, 1, 900, now - 50)]
    await _upload(api, a, [scan(qrs[0], now - 40)], "batch-alpha")
    await _upload(api, b, [scan(qrs[1], now - 30)], "batch-beta")
    return member, (a, b), qrs


async def _reconcile(admin) -> str:
    page = await admin.get("/admin/reconciliation")
    assert page.status_code == 200
    done = await admin.post("/admin/reconciliation/run", {"include_today": "yes"})
    assert done.status_code == 200, done.text
    assert "New fraud findings: 1" in done.text
    return done.text


async def test_a_fork_is_reviewed_with_its_signed_evidence_and_the_decision_is_audited(
    admin, accounts
) -> None:
    member, (a, b), qrs = await _fork(accounts)
    done = await _reconcile(admin)
    assert "Review the fraud findings" in done

    listing = await admin.get("/admin/reconciliation")
    (finding_id,) = set(FINDING_LINK.findall(listing.text))
    page = await admin.get(f"/admin/findings/{finding_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<code>fork</code>" in text and member.member_id in text
    for qr, shop, name, batch in zip(
        qrs, (a, b), ("Épicerie Alpha", "Bio Bêta"), ("batch-alpha", "batch-beta"), strict=True
    ):
        token = tokens.decode_token(tokens.from_qr(qr))
        assert qr in text  # the signed token itself, checkable with the trust list
        assert tokens.token_id(token.sign1.payload).hex() in text
        assert name in text and shop.merchant_id in text and batch in text
    assert page.text.count('class="evidence"') == 2
    assert page.text.count("<time datetime=") == 2  # both scan times
    assert "none yet" in page.text

    # The form without its CSRF token changes nothing.
    forged = await admin.client.post(
        f"/admin/findings/{finding_id}", data={"decision": "confirmed"}
    )
    assert forged.status_code == 403
    assert "none yet" in (await admin.get(f"/admin/findings/{finding_id}")).text

    r = await admin.post(
        f"/admin/findings/{finding_id}", {"decision": "confirmed", "note": "wallet cloned"}
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=decided")
    after = await admin.get(r.headers["location"])
    assert "The decision is recorded." in after.text
    decision = re.search(r'<dd id="decision">(.*?)</dd>', after.text, re.S)[1]
    assert "Fraud confirmed" in decision and "wallet cloned" in decision
    assert 'id="d-confirmed" name="decision" value="confirmed" checked' in after.text

    audit = await admin.get("/admin/audit", params={"action": "finding.decide"})
    assert finding_id in audit.text and "decision: fraud confirmed" in audit.text
    assert "admin@caisse.example" in audit.text
    assert "reconcile.run" in (await admin.get("/admin/audit")).text
    # The report of the month counts the decided finding.
    report = await admin.get("/admin/report")
    assert "one payment number used twice" in report.text and "Fraud confirmed" in report.text


async def _settled(admin, accounts):
    """Two members paying at one shop, reconciled from the console; returns (shop, sid, qrs)."""
    shop = await accounts.enroll(await accounts.add_shop("Épicerie du Coin"))
    now = accounts.now
    qrs = []
    for amount in (2340, 1150):
        member = await accounts.activate()
        qrs.append(member.pay(amount, 1, amount, now - 60))
    await _upload(accounts, shop, [scan(qr, now - 30) for qr in qrs], "b-1")
    done = await admin.post("/admin/reconciliation/run", {"include_today": "yes"})
    assert done.status_code == 200
    (sid,) = set(SETTLEMENT_LINK.findall(done.text))
    return shop, int(sid), qrs


async def _reference(accounts, sid: int, merchant_id: str) -> str:

    async with accounts.ctx.storage.read() as q:
        payouts = await q.ledger.payouts(sid)
    return next(p["reference"] for p in payouts if p["merchant_id"] == merchant_id)


async def test_statements_list_each_payment_the_total_and_the_transfer_reference(
    admin, accounts
) -> None:
    shop, sid, qrs = await _settled(admin, accounts)
    reference = await _reference(accounts, sid, shop.merchant_id)
    assert reference.startswith(f"SSA-S{sid}-")
    ids = {tokens.token_id(tokens.decode_token(tokens.from_qr(q)).sign1.payload).hex() for q in qrs}
    base = f"/admin/settlements/{sid}/statements/{shop.merchant_id}"

    got = await admin.get(base, params={"format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert f"statement-{sid}-{shop.merchant_id}.csv" in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text), delimiter=";"))
    lines, total = rows[:-1], rows[-1]
    assert {r["token_id"] for r in lines} == ids
    assert sorted(int(r["amount_cents"]) for r in lines) == [1150, 2340]
    assert all(r["status"] == "paid" and r["reference"] == reference for r in lines)
    assert total["date"] == "TOTAL" and total["amount_cents"] == "3490"
    assert total["amount"] == "34,90 €" and total["reference"] == reference

    page = await admin.get(base, params={"format": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Each payment by its short reference (the start of its token id), in the shop's language.
    assert all(short_reference(bytes.fromhex(i)) in page.text for i in ids)
    assert all(i not in page.text for i in ids)
    for amount in ("23,40", "11,50", "34,90"):
        assert f"{amount}\u00a0€" in page.text
    assert reference in page.text and "BE71 0961 2345 6769".replace(" ", "") in page.text.replace(
        " ", ""
    )
    # Issued once, the same bytes afterwards.
    assert (await admin.get(base, params={"format": "html"})).content == page.content
    pdf = await admin.get(base, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert (await admin.get(base, params={"format": "xml"})).status_code == 404
    assert (await admin.get(f"/admin/settlements/{sid + 9}/statements/x")).status_code == 404


async def test_a_shops_payouts_page_lists_its_settlements_with_statement_links(
    admin, accounts
) -> None:
    shop, sid, _ = await _settled(admin, accounts)
    reference = await _reference(accounts, sid, shop.merchant_id)
    page = await admin.get(f"/admin/shops/{shop.merchant_id}/payouts")
    assert page.status_code == 200
    assert "Payouts of Épicerie du Coin" in html.unescape(page.text)
    row = re.search(r"<tbody>(.*?)</tbody>", page.text, re.S)[1]
    assert f'href="/admin/settlements/{sid}"' in row and "34.90" in row.replace(",", ".")
    assert f"/admin/settlements/{sid}/statements/{shop.merchant_id}?format=csv" in row
    settlement = await admin.get(f"/admin/settlements/{sid}")
    assert reference in settlement.text and "Épicerie du Coin" in html.unescape(settlement.text)
    other = await accounts.enroll(await accounts.add_shop("Sans paiement"))
    empty = await admin.get(f"/admin/shops/{other.merchant_id}/payouts")
    assert "No payout yet." in empty.text


async def test_the_monthly_report_shows_the_months_figures_in_each_language(
    admin, accounts
) -> None:
    from zoneinfo import ZoneInfo

    from server.periods import period_at

    shop, sid, _ = await _settled(admin, accounts)
    await _upload(accounts, shop, [scan("SSA1:garbage", accounts.now)], "b-bad")
    month = period_at(accounts.now, ZoneInfo(accounts.cfg.timezone)).name
    page = await admin.get("/admin/report")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert re.search(r'<td class="num" id="members-total">2</td>', text)
    allowance = accounts.cfg.allowance_cents
    assert f'id="received">{_eur(3490)}' in text and f'id="paid">{_eur(3490)}' in text
    assert f'id="issued">{_eur(2 * allowance)}' in text
    assert f'id="unspent">{_eur(2 * allowance - 3490)}' in text
    assert "Épicerie du Coin" in text and "not a valid SSA code" in text
    assert f'href="/admin/settlements/{sid}"' in text
    assert f'name="month" type="month" value="{month}"' in text and "data-print" in text
    fr = html.unescape((await admin.get("/admin/report", params={"lang": "fr"})).text)
    assert "Rapport mensuel" in fr and "34,90\xa0€" in fr
    nl = html.unescape((await admin.get("/admin/report", params={"lang": "nl"})).text)
    assert "Maandrapport" in nl and "€\xa034,90" in nl
    await admin.get("/admin/report", params={"lang": "en"})
    old = await admin.get("/admin/report", params={"month": "2001-02"})
    assert old.status_code == 200 and "No shop received a payment this month." in old.text
    for bad in ("2026-13", "1999-12", "x", "9999-01"):
        r = await admin.get("/admin/report", params={"month": bad})
        assert r.status_code == 400 and "text/html" in r.headers["content-type"], bad


async def test_dashboard_report_and_member_page_say_one_received_figure_and_what_was_paid(
    admin, accounts
) -> None:
    """A QR shown but never scanned (seq 2) is in the wallet's cum, never in "received"."""
    shop = await accounts.enroll(await accounts.add_shop("Épicerie du Coin"))
    member = await accounts.activate()
    now = accounts.now
    first = member.pay(5000, 1, 5000, now - 60)
    member.pay(500, 2, 5500, now - 55)  # shown, never scanned
    third = member.pay(4784, 3, 10284, now - 50)
    await _upload(accounts, shop, [scan(first, now - 40), scan(third, now - 30)], "b-1")

    def figures(text: str) -> dict[str, str]:
        text = html.unescape(text)
        found = {}
        for key in ("this-received", "this-paid", "received", "paid", "last-seq"):
            m = re.search(rf'(?:id|data-field)="{key}"[^>]*>([^<]*)<', text)
            if m:
                found[key] = m.group(1).strip()
        return found

    dashboard = figures((await admin.get("/admin/", params={"lang": "en"})).text)
    assert dashboard["this-received"] == f"Received by the caisse: {_eur(9784)}"
    assert dashboard["this-paid"] == f"Paid to shops: {_eur(0)}"
    report = figures((await admin.get("/admin/report", params={"lang": "en"})).text)
    assert (report["received"], report["paid"]) == (_eur(9784), _eur(0))
    page = figures((await admin.get(f"/admin/members/{member.member_id}")).text)
    assert page["last-seq"] == "3" and page["received"].startswith(_eur(9784))
    assert "(2 payments)" in page["received"] and page["paid"] == _eur(0)

    done = await admin.post("/admin/reconciliation/run", {"include_today": "yes"})
    assert done.status_code == 200
    dashboard = figures((await admin.get("/admin/", params={"lang": "en"})).text)
    assert dashboard["this-paid"] == f"Paid to shops: {_eur(9784)}"
    report = figures((await admin.get("/admin/report", params={"lang": "en"})).text)
    assert (report["received"], report["paid"]) == (_eur(9784), _eur(9784))
    page = figures((await admin.get(f"/admin/members/{member.member_id}")).text)
    assert page["paid"] == _eur(9784)
    fr = html.unescape((await admin.get("/admin/", params={"lang": "fr"})).text)
    assert "Reçu par la caisse : 97,84\xa0€" in fr and "Payé aux commerces : 97,84\xa0€" in fr


def _eur(cents: int) -> str:
    from server.console.i18n import Formats

    return Formats("en", "Europe/Brussels").money(cents)
