"""The members' list filtered and exported as CSV (Excel, fr-BE / nl-BE), and read back by the
import; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest

from server.caisse import member_csv, members

pytestmark = pytest.mark.anyio


async def _members(api) -> dict[str, str]:
    """Four members: active (nl), pending (a valid code), pending (code expired), revoked."""
    ids = {}
    active = await api.activate(await api.add_member("Anna Active"))
    ids["active"] = active.member_id
    async with api.ctx.storage.transaction() as q:
        await members.edit_member(q, active.member_id, language="nl")
        for name in ("Pia Pending", "Eli Expired", "Rob Revoked"):
            out = await members.add_member(
                q, api.cfg, name=name, email=f"{name.split()[0].lower()}@example.org",
                now=api.now, language="fr",
            )  # fmt: skip
            ids[name.split()[1].lower()] = out.member_id
        await q.conn.execute(
            "UPDATE codes SET expires_at = ? WHERE subject_id = ?", api.now - 1, ids["expired"]
        )
        await members.revoke_member(q, api.cfg, api.keys.root, ids["revoked"], api.now)
    return ids


def _rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 only with its BOM
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def test_the_list_filters_by_activation_and_language(admin, accounts) -> None:
    await _members(accounts)
    expired = await admin.get("/admin/members", params={"activation": "expired"})
    assert "1 member found" in expired.text and "Eli Expired" in expired.text
    assert "Pia Pending" not in expired.text
    pending = await admin.get("/admin/members", params={"activation": "pending"})
    assert "Pia Pending" in pending.text and "Eli Expired" not in pending.text
    dutch = await admin.get("/admin/members", params={"language": "nl"})
    assert "Anna Active" in dutch.text and "1 member found" in dutch.text
    everyone = await admin.get("/admin/members")
    assert "4 members found" in everyone.text
    assert "/admin/members/export.csv?q=&amp;status=&amp;language=&amp;activation=" in everyone.text


async def test_the_export_is_a_csv_for_excel_that_the_import_reads_back(admin, accounts) -> None:
    ids = await _members(accounts)
    admin.client.headers["Accept-Language"] = "fr"
    got = await admin.get("/admin/members/export.csv", params={"status": "pending"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="members-' in got.headers["content-disposition"]
    rows = _rows(got.content)
    assert list(rows[0]) == [
        "nom", "courriel", "langue", "statut", "numéro", "ajouté", "portefeuille activé",
        "révoqué", "code d’activation valable jusqu’au",
    ]  # fmt: skip
    assert {r["nom"] for r in rows} == {"Pia Pending", "Eli Expired"}
    assert {r["langue"] for r in rows} == {"Français"}
    assert {r["statut"] for r in rows} == {"en attente d'activation"}
    assert {r["numéro"] for r in rows} == {ids["pending"], ids["expired"]}
    # The file goes back in as it is: its name, e-mail and language columns are the import's.
    read = member_csv.read(got.content.decode("utf-8-sig"))
    assert read.error is None and read.columns == {
        "name": "nom",
        "email": "courriel",
        "language": "langue",
    }
    assert {(x.name, x.language) for x in read.lines} == {
        ("Pia Pending", "fr"),
        ("Eli Expired", "fr"),
    }
    # Personal data leaving the caisse is in the audit log.
    async with accounts.ctx.storage.read() as q:
        (entry,), _ = await q.console.audit_page(limit=5, offset=0, action="member.export")
    assert json.loads(entry["detail"]) == {"members": 2, "status": "pending"}
    assert entry["actor"] == "admin@caisse.example"


async def test_an_operator_may_export_and_a_visitor_may_not(operator, anonymous, accounts) -> None:
    await _members(accounts)
    assert (await operator.get("/admin/members/export.csv")).status_code == 200
    assert (await anonymous.get("/admin/members/export.csv")).status_code == 303
