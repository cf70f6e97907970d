"""Correcting a member or a shop in the console: saved, audited (before and after),
validated field by field, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio
TEXTBOOK_IBAN = "BE68 5390 0754 7034"  # valid, but its bank code is in no registry


async def audit(api, action: str) -> list[dict]:
    async with api.ctx.storage.read() as q:
        rows, _ = await q.console.audit_page(limit=10, offset=0, action=action)
    return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]


async def test_a_member_is_edited_and_the_change_is_audited(admin, accounts) -> None:
    member = await accounts.activate()
    form = await admin.get(f"/admin/members/{member.member_id}/edit")
    assert form.status_code == 200 and 'value="Test member"' in form.text
    r = await admin.post(
        f"/admin/members/{member.member_id}/edit",
        {"name": "Amina Diallo", "email": "amina@example.org", "language": "nl"},
    )
    assert r.status_code == 303 and "done=member_edited" in r.headers["location"]
    page = await admin.get(r.headers["location"])
    assert "Amina Diallo" in page.text and "amina@example.org" in page.text
    assert "Nederlands" in page.text and "The member&#39;s details are saved." in page.text
    async with accounts.ctx.storage.read() as q:
        row = await q.member(member.member_id)
        assert (row["name"], row["email"], row["status"]) == (
            "Amina Diallo",
            "amina@example.org",
            "active",  # the wallet keeps working
        )
        assert await q.console.member_language(member.member_id) == "nl"
    (entry,) = await audit(accounts, "member.edit")
    assert entry["actor"] == "admin@caisse.example" and entry["target"] == member.member_id
    assert entry["detail"]["changes"] == {
        "name": ["Test member", "Amina Diallo"],
        "email": [None, "amina@example.org"],
        "language": [None, "nl"],
    }
    # The same form again changes nothing and writes nothing.
    again = await admin.post(
        f"/admin/members/{member.member_id}/edit",
        {"name": "Amina Diallo", "email": "amina@example.org", "language": "nl"},
    )
    assert "done=unchanged" in again.headers["location"]
    assert len(await audit(accounts, "member.edit")) == 1


async def test_a_bad_member_edit_shows_its_errors_and_saves_nothing(operator, accounts) -> None:
    member = await accounts.add_member("Bob")
    r = await operator.post(
        f"/admin/members/{member.member_id}/edit", {"name": "", "email": "not-mail"}
    )
    assert r.status_code == 400 and 'href="#f-name"' in r.text and 'href="#f-email"' in r.text
    async with accounts.ctx.storage.read() as q:
        assert (await q.member(member.member_id))["name"] == "Bob"
    assert await audit(accounts, "member.edit") == []


async def test_a_shop_is_edited_with_its_details_and_the_change_is_audited(admin, accounts) -> None:
    shop = await accounts.add_shop("Epicerie")
    form = await admin.get(f"/admin/shops/{shop.merchant_id}/edit")
    assert 'value="BE71 0961 2345 6769"' in form.text  # grouped by four
    r = await admin.post(
        f"/admin/shops/{shop.merchant_id}/edit",
        {
            "name": "Şahin Market — Schaerbeek",
            "iban": "be62 5100 0754 7061",
            "bic": "",
            "language": "nl",
            "address": "Chaussée de Haecht 100\n1030 Schaerbeek",
            "hours": "Ma–za 8:00–20:00",
            "scope": "Groenten, fruit, brood",
        },
    )
    assert r.status_code == 303 and "done=shop_edited" in r.headers["location"]
    page = await admin.get(r.headers["location"])
    assert "Şahin Market — Schaerbeek" in page.text and "BE62 5100 0754 7061" in page.text
    assert "VAPEBE22" in page.text  # found in the bank registry
    assert "1030 Schaerbeek" in page.text and "Ma–za 8:00–20:00" in page.text
    async with accounts.ctx.storage.read() as q:
        row = await q.merchant(shop.merchant_id)
    assert (row["iban"], row["bic"], row["language"]) == ("BE62510007547061", None, "nl")
    (entry,) = await audit(accounts, "shop.edit")
    changes = entry["detail"]["changes"]
    assert changes["iban"] == ["BE71096123456769", "BE62510007547061"]
    assert changes["name"] == ["Epicerie", "Şahin Market — Schaerbeek"]
    assert set(changes) == {"name", "iban", "language", "address", "hours", "scope"}


async def test_an_iban_of_an_unknown_bank_is_accepted_with_a_warning(admin, accounts) -> None:
    created = await admin.post("/admin/shops/new", {"name": "Textbook", "iban": TEXTBOOK_IBAN})
    assert created.status_code == 200
    assert "does not know the bank of this IBAN" in created.text
    shop = await accounts.add_shop("Other")
    r = await admin.post(
        f"/admin/shops/{shop.merchant_id}/edit",
        {"name": "Other", "iban": TEXTBOOK_IBAN, "bic": "", "language": "fr"},
    )
    assert "done=shop_edited_no_bic" in r.headers["location"]
    page = await admin.get(r.headers["location"])
    assert "ask the shop for its BIC" in page.text and "BE68 5390 0754 7034" in page.text
    bad = await admin.post(
        f"/admin/shops/{shop.merchant_id}/edit",
        {"name": "Other", "iban": "BE68 5390 0754 7035", "bic": "NOTABIC", "language": "fr"},
    )
    assert bad.status_code == 400 and 'href="#f-iban"' in bad.text and 'href="#f-bic"' in bad.text
