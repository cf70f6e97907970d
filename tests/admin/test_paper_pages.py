"""Paper vouchers and letters in the console, as a volunteer at a permanence uses them: set a
member on paper, print the month (a PDF), print again (the same vouchers), a lost sheet
cancelled and reprinted, letters in bulk; through real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from keys.trust_list import open_trust_list

pytestmark = pytest.mark.anyio


def pdf_text(body: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).replace("\xa0", " ")


async def test_a_member_on_paper_gets_the_months_sheet_from_their_page(operator) -> None:
    member = await operator.api.add_member("Şahin Ayşe")
    base = f"/admin/members/{member.member_id}"
    page = await operator.get(base + "/paper")
    assert page.status_code == 200 and "Phone wallet" in page.text
    r = await operator.post(base + "/channel", {"channel": "both", "paper_euros": "trois"})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text
    r = await operator.post(base + "/channel", {"channel": "paper"})
    assert r.status_code == 303 and r.headers["location"].endswith("/paper?done=channel")
    page = await operator.get(base + "/paper")
    month = re.search(r'name="month" value="(\d{4}-\d\d)"', page.text)[1]

    first = await operator.post("/admin/paper/print", {"month": month, "member": member.member_id})
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert "attachment" in first.headers["content-disposition"]
    text = pdf_text(first.content)
    assert "Şahin Ayşe" in text and "150,00 €" in text and "N° 1-08" in text
    again = await operator.post("/admin/paper/print", {"month": month})
    assert pdf_text(again.content).count("N° 1-0") == 8  # the same sheet, not a second one

    month_page = await operator.get("/admin/paper", params={"month": month})
    assert month_page.status_code == 200 and "Şahin Ayşe" in month_page.text
    page = await operator.get(base + "/paper")
    assert "1-08" in page.text
    confirm = await operator.get("/admin/paper/sheets/1/void")
    assert confirm.status_code == 200 and 'name="replace"' in confirm.text
    r = await operator.post("/admin/paper/sheets/1/void", {"reason": "lost", "replace": "1"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=replaced")
    trust = open_trust_list(
        (await operator.api.client.get("/api/v1/trust-list")).content,
        operator.api.ctx.keyring.root_public_key,
    )
    assert len(trust.revoked_vouchers) == 8
    replacement = await operator.post(
        "/admin/paper/print", {"month": month, "member": member.member_id}
    )
    assert "N° 2-01" in pdf_text(replacement.content)
    assert (await operator.post("/admin/paper/sheets/1/void")).status_code == 409
    assert (await operator.get("/admin/paper/sheets/99/void")).status_code == 404
    wrong = await operator.post("/admin/paper/print", {"month": "2001-01"})
    assert wrong.status_code == 409

    async with operator.api.ctx.storage.read() as q:
        log, _ = await q.console.audit_page(limit=20, offset=0)
    actions = [e["action"] for e in log]
    assert {"member.channel", "voucher.issue", "voucher.reprint", "voucher.void"} <= set(actions)
    assert all(e["actor"] for e in log if e["action"].startswith("voucher."))


async def test_letters_in_bulk_and_one_by_one(operator) -> None:
    first = await operator.api.add_member("Anne Peeters")
    second = await operator.api.add_member("Łukasz Nowak")
    await operator.api.activate()
    page = await operator.get("/admin/letters")
    assert page.status_code == 200 and "Anne Peeters" in page.text and "Łukasz Nowak" in page.text
    bulk = await operator.post("/admin/letters")
    assert bulk.status_code == 200 and bulk.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(bulk.content)).pages) == 2
    one = await operator.post("/admin/letters", {"member": second.member_id})
    assert len(PdfReader(io.BytesIO(one.content)).pages) == 1
    assert "Łukasz Nowak" in pdf_text(one.content)
    assert first.code not in pdf_text(bulk.content)  # a new code, the old one replaced
