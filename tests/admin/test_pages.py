"""What a volunteer does in the console, through real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from keys.signed_request import b64url_encode
from keys.trust_list import open_trust_list
from server.console.chart import bar_chart
from server.console.i18n import Formats

pytestmark = pytest.mark.anyio
LINK = re.compile(r'id="activation-link">([^<]+)<')


async def _trust_list(api):
    body = (await api.client.get("/api/v1/trust-list")).content
    return open_trust_list(body, api.ctx.keyring.root_public_key)


async def test_adding_a_member_shows_link_qr_and_letter_in_their_language(admin) -> None:
    r = await admin.post(
        "/admin/members/new", {"name": "Amina Diallo", "email": "", "language": "nl"}
    )
    assert r.status_code == 200
    link = LINK.search(r.text)[1]
    assert "/wallet/#activate=" in link
    assert '<svg class="qr"' in r.text
    assert 'lang="nl"' in r.text and "Beste Amina Diallo," in r.text  # the letter, in Dutch
    code = link.split("=", 1)[1]
    from nacl.signing import SigningKey

    key = SigningKey.generate()
    activated = await admin.api.client.post(
        "/api/v1/wallet/activate",
        json={"code": code, "public_key": b64url_encode(bytes(key.verify_key))},
    )
    assert activated.status_code == 200


async def test_member_form_errors_are_tied_to_their_fields(admin, accounts) -> None:
    before = await accounts.counts()
    r = await admin.post("/admin/members/new", {"name": "", "email": "not-an-email"})
    assert r.status_code == 400
    assert (
        'aria-invalid="true"' in r.text and 'aria-describedby="f-name-hint f-name-error"' in r.text
    )
    assert 'href="#f-email"' in r.text
    assert await accounts.counts() == before


async def test_search_ignores_accents_and_case_and_paginates(admin) -> None:
    for i in range(27):
        await admin.post("/admin/members/new", {"name": f"Élise {i:02d}"})
    await admin.post("/admin/members/new", {"name": "Bob"})
    found = await admin.get("/admin/members", params={"q": "elise"})
    assert "27 members found" in found.text and "Bob" not in found.text
    assert "Page 1 of 2" in found.text
    second = await admin.get("/admin/members", params={"q": "ELISE", "page": "2"})
    assert second.text.count("Élise") == 2
    assert (await admin.get("/admin/members", params={"page": "x²"})).status_code == 200


async def test_csv_import_previews_then_imports_only_good_lines(admin, accounts) -> None:
    csv = "name,email,cpas_ref\nAna,ana@example.org,1\n,bad,2\nBen,not-mail,3\nChloé,,4\n"
    preview = await admin.post(
        "/admin/members/import",
        files={"file": ("list.csv", csv.encode(), "text/csv")},
        data={"language": "fr"},
    )
    assert preview.status_code == 200
    assert "2 lines can be imported, 2 lines have an error." in preview.text
    assert "cpas_ref" in preview.text
    assert (await accounts.counts())["members"] == 0  # nothing saved by the preview
    done = await admin.post("/admin/members/import/confirm", {"csv": csv, "language": "fr"})
    assert done.status_code == 200 and "2 members imported" in done.text
    assert done.text.count('class="letter"') == 2
    assert (await accounts.counts())["members"] == 2


async def test_lost_phone_blocks_the_old_wallet_at_once(admin, accounts) -> None:
    member = await accounts.activate()
    seq_before = (await _trust_list(accounts)).seq
    r = await admin.post(f"/admin/members/{member.member_id}/reenrol", {"language": "en"})
    assert r.status_code == 200 and "previous phone is blocked" in r.text
    tl = await _trust_list(accounts)
    assert tl.seq > seq_before and tl.revoked_credentials  # this month (and next, near its end)
    old = await accounts.signed("GET", "/api/v1/wallet/credential", member.key)
    assert old.status_code == 401  # the lost phone cannot fetch a new credential either
    member.code = LINK.search(r.text)[1].split("=", 1)[1]
    from nacl.signing import SigningKey

    member.key = SigningKey.generate()
    await accounts.activate(member)  # the new phone works


async def test_revoking_a_member_lists_them_in_a_new_trust_list(admin, accounts) -> None:
    member = await accounts.activate()
    confirm = await admin.get(f"/admin/members/{member.member_id}/revoke")
    assert "cannot be undone" in confirm.text
    r = await admin.post(f"/admin/members/{member.member_id}/revoke")
    assert r.status_code == 303 and "done=revoked" in r.headers["location"]
    assert bytes.fromhex(member.member_id) in (await _trust_list(accounts)).revoked_members
    again = await admin.post(f"/admin/members/{member.member_id}/revoke")
    assert again.status_code == 409


async def test_payments_are_for_admins_only(admin, operator, accounts) -> None:
    member = await accounts.activate()
    shop = await accounts.enroll()
    qr = member.pay(2340, 1, 2340, accounts.now)
    up = await accounts.upload(shop, [{"qr": qr, "scanned_at": accounts.now, "result": "OK"}])
    assert up.status_code == 200, up.text
    page = await admin.get(f"/admin/members/{member.member_id}/payments")
    assert "23.40" in page.text or "23,40" in page.text
    assert (await operator.get(f"/admin/members/{member.member_id}/payments")).status_code == 403
    detail = await operator.get(f"/admin/members/{member.member_id}")
    # A volunteer sees the count and the total, to match the member's phone; not where the
    # member shopped, nor what was paid to whom.
    assert 'data-field="last-seq">1<' in detail.text and "23,40" in detail.text
    assert f"/admin/members/{member.member_id}/payments" not in detail.text
    assert "Test shop" not in detail.text and 'data-field="paid"' not in detail.text


async def test_shop_lifecycle_add_code_suspend_resume(admin, accounts) -> None:
    bad = await admin.post("/admin/shops/new", {"name": "Épicerie", "iban": "BE00 1234"})
    assert bad.status_code == 400 and "IBAN is not valid" in bad.text
    r = await admin.post("/admin/shops/new", {"name": "Épicerie", "iban": "BE71 0961 2345 6769"})
    code = re.search(r'id="enrolment-code">([^<]+)<', r.text)[1]
    merchant_id = re.search(r"/admin/shops/([a-z0-9-]+)\"", r.text)[1]
    assert '<svg class="qr"' in r.text
    assert (await admin.post(f"/admin/shops/{merchant_id}/suspend")).status_code == 303
    from nacl.signing import SigningKey

    key = SigningKey.generate()
    enroll = await accounts.client.post(
        "/api/v1/merchant/enroll",
        json={"code": code, "public_key": b64url_encode(bytes(key.verify_key))},
    )
    assert enroll.status_code in (400, 403)  # suspending cancelled the code
    assert (await admin.post(f"/admin/shops/{merchant_id}/resume")).status_code == 303
    fresh = await admin.post(f"/admin/shops/{merchant_id}/code")
    code = re.search(r'id="enrolment-code">([^<]+)<', fresh.text)[1]
    enroll = await accounts.client.post(
        "/api/v1/merchant/enroll",
        json={"code": code, "public_key": b64url_encode(bytes(key.verify_key))},
    )
    assert enroll.status_code == 200
    assert "Épicerie" in (await admin.get("/admin/shops")).text


async def test_batches_show_counts_and_refusal_reasons(admin, accounts) -> None:
    member, shop = await accounts.activate(), await accounts.enroll()
    now = accounts.now
    scans = [
        {"qr": member.pay(100, 1, 100, now), "scanned_at": now, "result": "OK"},
        {"qr": "SSA1:garbage", "scanned_at": now, "result": "OK"},
    ]
    assert (await accounts.upload(shop, scans, batch_id="b-1")).status_code == 200
    page = await admin.get("/admin/batches")
    refused = "not a valid SSA code (damaged or not one of ours)"  # MALFORMED, in words
    assert "b-1" in page.text and refused in page.text and "MALFORMED" not in page.text
    detail = await admin.get(f"/admin/batches/{shop.merchant_id}/b-1")
    assert detail.status_code == 200 and refused in detail.text
    fr = await admin.get(f"/admin/batches/{shop.merchant_id}/b-1", params={"lang": "fr"})
    assert "pas un code SSA valable" in html.unescape(fr.text)


async def test_issuer_key_rotation_needs_the_passphrase(admin, accounts) -> None:
    wrong = await admin.post("/admin/keys/rotate", {"passphrase": "wrong"})
    assert wrong.status_code == 400 and "not the passphrase" in wrong.text
    async with accounts.ctx.storage.read() as q:
        before = len(await q.issuer_keys())
    ok = await admin.post("/admin/keys/rotate", {"passphrase": "test-passphrase"})
    assert ok.status_code == 303
    async with accounts.ctx.storage.read() as q:
        assert len(await q.issuer_keys()) == before + 1
    await accounts.activate()  # the new key signs at once
    keys = await admin.get("/admin/keys")
    assert keys.text.count("badge-active") == 1


async def test_dashboard_shows_members_money_and_trust_list(admin, accounts) -> None:
    await accounts.activate()
    page = await admin.get("/admin/")
    assert page.status_code == 200
    assert 'role="img"' in page.text and '<title id="chart-title">' in page.text
    assert "150.00" in page.text or "150,00" in page.text


def test_amounts_and_dates_follow_the_language() -> None:
    assert Formats("fr", "Europe/Brussels").money(2340) == "23,40\xa0€"
    assert Formats("fr", "Europe/Brussels").month("2026-03") == "mars 2026"
    assert Formats("nl", "Europe/Brussels").month("2026-03") == "maart 2026"


def test_the_chart_is_plain_svg_with_a_text_alternative() -> None:
    svg = str(
        bar_chart(
            [("Jan", 15000, 9000)], title="T <x>", description="D", series=("a", "b"), money=str
        )
    )
    assert svg.startswith("<svg") and "T &lt;x&gt;" in svg and "<script" not in svg


async def test_unknown_ids_are_404_pages_not_errors(admin) -> None:
    for path in (
        "/admin/members/zz",
        "/admin/members/0000000000000000",
        "/admin/shops/NOPE",
        "/admin/batches/x/y",
        "/admin/settlements/abc",
    ):
        r = await admin.get(path)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path


async def test_admin_redirects_to_the_console(accounts) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=accounts.app), base_url="http://t"
    ) as c:
        assert (await c.get("/admin")).headers["location"] == "/admin/"
