"""The console in real headless Chromium against the real ``ssa-server``: the Tuesday
evening journey (member, wallet, shop, scanner, batch, reconciliation, SEPA file,
revocation) and axe-core on every page in every language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey
from playwright.sync_api import expect

from keys import ed25519, tokens
from keys.signed_request import b64url_decode, b64url_encode, sign_request
from keys.trust_list import open_trust_list
from tests.conftest import now_s

from .conftest import ADMIN, OPERATOR, axe_violations, browser_login

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "tests" / "files" / "members"
LANG_LOCALES = {"fr": "fr-BE", "nl": "nl-BE", "en": "en-GB"}


@pytest.fixture(scope="module")
def context(browser):
    """One logged-in admin context for the module (bypass_csp only to inject axe-core)."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 860},
        locale="en-GB",
        bypass_csp=True,
        accept_downloads=True,
    )
    yield ctx
    ctx.close()


def _trust_list(server):
    body = httpx.get(server["url"] + "/api/v1/trust-list").content
    return open_trust_list(body, server["root_public_key"])


def _scanner(server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", *args],
        cwd=ROOT,
        env={**server["env"], "SSA_PASSPHRASE": "till-passphrase"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_volunteers_evening_in_the_console(browser, context, console_server, tmp_path) -> None:
    url = console_server["url"]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, url, ADMIN)

    # A member, and their wallet activated from the link in a second browser context.
    page.goto(url + "/admin/members/new")
    page.locator("#f-name").fill("Amina Diallo")
    page.locator("#f-language").select_option("fr")
    page.get_by_role("button", name="Add the member").click()
    link = page.locator("#activation-link").inner_text()
    assert page.locator("svg.qr").first.is_visible()
    phone = browser.new_context(viewport={"width": 420, "height": 860}, locale="fr-BE")
    wallet = phone.new_page()
    wallet.goto(link)
    wallet.wait_for_selector("html[data-ready='true']")
    wallet.get_by_test_id("balance").wait_for()
    expect(wallet.get_by_test_id("balance")).to_have_text("150,00\u00a0€")
    phone.close()

    # A shop, its till enrolled with the code shown by the console.
    page.goto(url + "/admin/shops/new")
    page.locator("#f-name").fill("Épicerie du Coin")
    page.locator("#f-iban").fill("BE71 0961 2345 6769")
    page.get_by_role("button", name="Add the shop").click()
    code = page.locator("#enrolment-code").inner_text()
    till = tmp_path / "till"
    enrolled = _scanner(
        console_server,
        "enroll",
        "--server",
        url,
        "--code",
        code,
        "--data",
        str(till),
        "--kdf",
        "interactive",
    )
    assert enrolled.returncode == 0, enrolled.stderr

    # A second member pays 23,40 € at the till; the till syncs its batch through the API.
    page.goto(url + "/admin/members/new")
    page.locator("#f-name").fill("Bruno")
    page.get_by_role("button", name="Add the member").click()
    code = page.locator("#activation-code").inner_text()
    key = SigningKey.generate()
    answer = httpx.post(
        url + "/api/v1/wallet/activate",
        json={"code": code, "public_key": b64url_encode(ed25519.public_key_of(key))},
    )
    assert answer.status_code == 200, answer.text
    credential = b64url_decode(answer.json()["credential"])
    qr = tokens.to_qr(
        tokens.encode_payment(
            credential_cose=credential,
            amount_cents=2340,
            seq=1,
            cumulative_cents=2340,
            iat=now_s(),
            member_key=key,
        )
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner.cli",
            "run",
            "--data",
            str(till),
            "--headless",
            "--no-sync",
        ],
        input=qr + "\n",
        cwd=ROOT,
        env={**console_server["env"], "SSA_PASSPHRASE": "till-passphrase"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert '"OK"' in run.stdout, run.stderr
    assert _scanner(console_server, "sync", "--data", str(till)).returncode == 0
    page.goto(url + "/admin/batches")
    assert page.locator("table").last.locator("tbody tr").count() == 1

    # Reconciliation, including today's scans; the SEPA file of the settlement.
    page.goto(url + "/admin/reconciliation")
    page.get_by_label("Also settle today's scans").check()
    page.get_by_role("button", name="Run reconciliation now").click()
    page.get_by_role("heading", name="Reconciliation done").wait_for()
    page.get_by_role("link", name="See the settlement and its payouts").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the SEPA file for the bank").click()
    xml = Path(download.value.path()).read_bytes()
    _check_sepa(xml)

    # Revoke the first member: the trust list changes.
    before = _trust_list(console_server)
    page.goto(url + "/admin/members?q=amina")
    page.get_by_role("link", name="Amina Diallo").click()
    page.get_by_role("link", name="Revoke this member").click()
    page.get_by_role("button", name="Yes, revoke this member").click()
    page.get_by_role("status").filter(has_text="revoked").wait_for()
    after = _trust_list(console_server)
    assert after.seq > before.seq and len(after.revoked_members) == len(before.revoked_members) + 1
    page.goto(url + "/admin/keys")
    assert page.locator("#trust-list-seq").inner_text() == str(after.seq)
    assert page.locator("#revoked-members").inner_text() == "1"
    assert errors == []
    if os.environ.get("SSA_SCREENSHOTS"):
        _screenshots(page, url)


@pytest.fixture(scope="module")
def fork(console_server) -> dict:
    """A cloned wallet: one member's payment n° 1 accepted by two shops, sent as signed batches."""
    url, cli = console_server["url"], console_server["cli"]
    member = cli("member", "add", "--name", "Wallet Cloned")
    key = SigningKey.generate()
    answer = httpx.post(
        url + "/api/v1/wallet/activate",
        json={
            "code": member["activation_code"],
            "public_key": b64url_encode(bytes(key.verify_key)),
        },
    )
    assert answer.status_code == 200, answer.text
    credential = b64url_decode(answer.json()["credential"])
    now = now_s()
    shops, qrs = [], []
    for name, amount in (("Fork Alpha", 700), ("Fork Beta", 900)):
        shop = cli("merchant", "add", "--name", name, "--iban", "BE71 0961 2345 6769")
        till = SigningKey.generate()
        enrolled = httpx.post(
            url + "/api/v1/merchant/enroll",
            json={
                "code": shop["enrollment_code"],
                "public_key": b64url_encode(bytes(till.verify_key)),
            },
        )
        assert enrolled.status_code == 200, enrolled.text
        qr = tokens.to_qr(
            tokens.encode_payment(
                credential_cose=credential,
                amount_cents=amount,
                seq=1,
                cumulative_cents=amount,
                iat=now,  # not before the issuer key of this fresh caisse
                member_key=key,
            )
        )
        body = json.dumps(
            {
                "batch_id": f"fork-{amount}",
                "scans": [{"qr": qr, "scanned_at": now, "result": "OK"}],
            }
        ).encode()
        path = "/api/v1/merchant/batches"
        r = httpx.post(
            url + path,
            content=body,
            headers={
                "Authorization": sign_request(till, "POST", path, body, now_s()),
                "Content-Type": "application/json",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["received"] == 1, r.text
        shops.append({"merchant_id": shop["merchant_id"], "name": name})
        qrs.append(qr)
    return {"member_id": member["member_id"], "shops": shops, "qrs": qrs}


def _reconciled(page, url: str) -> None:
    """Run reconciliation from the console unless a finding is already listed."""
    page.goto(url + "/admin/reconciliation")
    if page.locator("a[href^='/admin/findings/']").count():
        return
    page.locator("#f-include-today").check()
    page.locator("form[action$='/reconciliation/run'] button[type=submit]").click()
    page.locator("h1").wait_for()
    page.goto(url + "/admin/reconciliation")


def test_a_fork_is_reviewed_and_decided_in_the_browser(browser, console_server, fork) -> None:
    url = console_server["url"]
    ctx = browser.new_context(locale="en-GB", bypass_csp=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, url, ADMIN)
    page.goto(url + "/admin/reconciliation")
    page.get_by_label("Also settle today's scans").check()
    page.get_by_role("button", name="Run reconciliation now").click()
    page.get_by_role("heading", name="Reconciliation done").wait_for()
    assert "New fraud findings: 1" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Review the fraud findings").click()
    page.locator("section[aria-labelledby='findings-title'] tbody a").first.click()
    page.get_by_role("heading", name="Fraud finding").wait_for()
    evidence = page.locator("tr.evidence")
    assert evidence.count() == 2
    text = page.locator("main").text_content()  # a QR text may hold two spaces in a row
    for qr, shop in zip(fork["qrs"], fork["shops"], strict=True):
        token = tokens.decode_token(tokens.from_qr(qr))
        assert qr in text and tokens.token_id(token.sign1.payload).hex() in text
        assert shop["name"] in text and shop["merchant_id"] in text
    assert fork["member_id"] in text
    assert axe_violations(page) == [], "finding"
    finding_url = page.url
    page.get_by_label("Fraud confirmed").check()
    page.get_by_label("Note").fill("two tills, one wallet")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_role("status").filter(has_text="The decision is recorded.").wait_for()
    assert page.url.startswith(finding_url)
    decision = page.locator("#decision").inner_text()
    assert "Fraud confirmed" in decision and "two tills, one wallet" in decision
    page.goto(url + "/admin/audit?action=finding.decide")
    row = page.locator("tbody tr").first.inner_text()
    assert ADMIN[0] in row and finding_url.rsplit("/", 1)[-1] in row and "confirmed" in row
    assert errors == []
    ctx.close()


def _check_sepa(xml: bytes) -> None:
    import sepaxml

    root = ET.fromstring(xml)
    ns = {"p": root.tag.split("}")[0][1:]}
    assert root.find(".//p:GrpHdr/p:CtrlSum", ns).text == "23.40"
    assert root.find(".//p:CdtrAcct/p:Id/p:IBAN", ns).text == "BE71096123456769"
    schema = ns["p"].rsplit(":", 1)[-1]
    xsd = Path(sepaxml.__file__).parent / "schemas" / f"{schema}.xsd"
    if xsd.exists():
        import xmlschema

        xmlschema.XMLSchema(str(xsd)).validate(xml.decode())


def _screenshots(page, url: str) -> None:
    out = ROOT / "docs" / "img"
    page.set_viewport_size({"width": 1100, "height": 760})
    page.goto(url + "/admin/?lang=fr")
    page.screenshot(path=str(out / "admin-dashboard.png"))
    page.goto(url + "/admin/members?lang=fr")
    page.screenshot(path=str(out / "admin-members.png"))
    page.goto(url + "/admin/?lang=en")


def _money_pages(page, url: str) -> list[str]:
    """A finding, a settlement, a shop's payouts and the accounts' pages (after a real fork)."""
    _reconciled(page, url)
    finding = page.locator("a[href^='/admin/findings/']").first.get_attribute("href")
    settlement = page.locator("a[href^='/admin/settlements/']").first.get_attribute("href")
    page.goto(url + settlement)
    shop = page.locator("tbody th a").first.get_attribute("href")
    return [
        finding,
        settlement,
        shop + "/payouts",
        f"/admin/accounts/{OPERATOR[0]}/password",
    ]


def _statement_has_no_axe_violation(page, url: str) -> None:
    """The shop's statement (a download) opened as a page: WCAG A/AA, in its own language."""
    page.goto(url + "/admin/reconciliation")
    page.goto(url + page.locator("a[href^='/admin/settlements/']").first.get_attribute("href"))
    link = page.locator("a[href*='/statements/'][href$='format=html']").first.get_attribute("href")
    answer = page.request.get(url + link)
    assert answer.ok and "attachment" in answer.headers["content-disposition"]
    page.set_content(answer.text())
    assert page.locator("table tbody tr").count() >= 1
    assert axe_violations(page) == [], link


@pytest.fixture(scope="module")
def tills(console_server) -> dict:
    """A shop with two tills enrolled through the API (the second with a new code)."""
    url, cli = console_server["url"], console_server["cli"]
    shop = cli("merchant", "add", "--name", "Two Tills", "--iban", "BE71 0961 2345 6769")
    keys = []
    for n in range(2):  # a new code cancels the previous one: enrol each before the next
        code = cli("merchant", "code", shop["merchant_id"]) if n else shop
        till = SigningKey.generate()
        answer = httpx.post(
            url + "/api/v1/merchant/enroll",
            json={
                "code": code["enrollment_code"],
                "public_key": b64url_encode(bytes(till.verify_key)),
            },
        )
        assert answer.status_code == 200, answer.text
        keys.append(till)
    return {"merchant_id": shop["merchant_id"], "keys": keys}


def _till_pages(page, url: str, tills: dict) -> list[str]:
    """The shop with its tills, and the confirmation of revoking one that is still in use."""
    shop = f"/admin/shops/{tills['merchant_id']}"
    page.goto(url + shop)
    return [shop, page.locator("a[href*='/tills/revoke?key=']").first.get_attribute("href")]


def _batch_status(url: str, till: SigningKey) -> int:
    path = "/api/v1/merchant/batches"
    body = json.dumps(
        {
            "batch_id": os.urandom(6).hex(),
            "scans": [{"qr": "SSA1:x", "scanned_at": now_s(), "result": "OK"}],
        }
    ).encode()
    header = sign_request(till, "POST", path, body, now_s())
    answer = httpx.post(
        url + path,
        content=body,
        headers={"Authorization": header, "Content-Type": "application/json"},
    )
    return answer.status_code


def test_a_stolen_till_is_revoked_from_the_shops_page(browser, console_server, tills) -> None:
    url = console_server["url"]
    stolen, kept = tills["keys"]
    ctx = browser.new_context(locale="en-GB", bypass_csp=True)
    page = ctx.new_page()
    browser_login(page, url, OPERATOR)
    page.goto(url + f"/admin/shops/{tills['merchant_id']}")
    fingerprint = b64url_encode(bytes(stolen.verify_key))[:8]
    row = page.locator("tbody tr", has_text=fingerprint)
    row.get_by_role("link", name=f"Revoke the till {fingerprint}").click()
    expect(page.locator("h1")).to_contain_text(f"Revoke the till {fingerprint}")
    assert axe_violations(page) == [], "till revoke confirmation"
    page.get_by_role("button", name="Yes, revoke this till").click()
    expect(page.locator(".notice")).to_contain_text("The till is revoked")
    expect(page.locator("tbody tr", has_text=fingerprint)).to_contain_text("revoked on")
    assert axe_violations(page) == [], "shop with a revoked till"
    assert _batch_status(url, stolen) == 403
    assert _batch_status(url, kept) == 200
    ctx.close()


GET_PAGES = [
    "/admin/",
    "/admin/members",
    "/admin/members/new",
    "/admin/members/import",
    "/admin/shops",
    "/admin/shops/new",
    "/admin/batches",
    "/admin/reconciliation",
    "/admin/keys",
    "/admin/keys/rotate",
    "/admin/audit",
    "/admin/report",
    "/admin/report?month=2001-02",
    "/admin/accounts",
    "/admin/accounts/new",
    "/admin/settings",
    "/admin/members?activation=expired",
    "/admin/no-such-page",
]


@pytest.fixture(scope="module")
def paper(console_server) -> list[str]:
    """A member on paper vouchers with this month's sheet printed: the paper pages to check."""
    cli = console_server["cli"]
    member = cli("member", "add", "--name", "Şahin Ayşe")["member_id"]
    cli("member", "channel", member, "paper")
    printed = cli("voucher", "print", "--period", _this_month(), "--member", member,
                  "--out", str(console_server["data"] / "sheet.pdf"))  # fmt: skip
    sheet = printed["sheets"][0]["sheet_id"]
    return ["/admin/paper", "/admin/letters", f"/admin/members/{member}/paper",
            f"/admin/paper/sheets/{sheet}/void"]  # fmt: skip


def _this_month() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.conftest import now_s

    return datetime.fromtimestamp(now_s(), ZoneInfo("Europe/Brussels")).strftime("%Y-%m")


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_page_has_no_axe_violation(
    browser, console_server, fork, tills, paper, lang: str
) -> None:
    url = console_server["url"]
    ctx = browser.new_context(
        viewport={"width": 1024, "height": 800}, locale=LANG_LOCALES[lang], bypass_csp=True
    )
    page = ctx.new_page()
    page.goto(url + f"/admin/login?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == [], "login"
    page.locator("#f-email").fill(ADMIN[0])
    page.locator("#f-password").fill("wrong password")
    page.locator("form.card button[type=submit]").click()
    page.locator("#login-error").wait_for()
    assert axe_violations(page) == [], "login refused"
    browser_login(page, url, ADMIN)
    paths = list(GET_PAGES)
    page.goto(url + "/admin/members")
    member_links = page.locator("tbody th a")
    if member_links.count():
        member = member_links.first.get_attribute("href")
        paths += [member, member + "/edit"]
    page.goto(url + "/admin/shops")
    shop_links = page.locator("tbody th a")
    if shop_links.count():
        shop = shop_links.first.get_attribute("href")
        paths += [shop, shop + "/edit"]
    paths += _money_pages(page, url)
    paths += _till_pages(page, url, tills)
    paths += paper
    for path in paths:
        page.goto(url + path)
        assert page.locator("html").get_attribute("lang") == lang, path
        assert axe_violations(page) == [], path
    _statement_has_no_axe_violation(page, url)
    page.goto(url + "/admin/members/new")
    page.locator("form.card button[type=submit]").click()
    page.locator(".error-summary").wait_for()
    assert axe_violations(page) == [], "member form with errors"
    page.locator("#f-name").fill(f"Axe {lang}")
    page.locator("form.card button[type=submit]").click()
    page.locator("#activation-code").wait_for()
    assert axe_violations(page) == [], "activation code and letter"
    page.goto(url + "/admin/members/import")
    page.locator("#f-file").set_input_files(str(FILES / "excel-fr-be-windows-1252.csv"))
    page.locator("form.card button[type=submit]").click()
    page.locator("table").wait_for()
    assert axe_violations(page) == [], "import preview"
    page.goto(url + f"/?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == [], "home page"
    ctx.close()


def test_a_saturday_import_edit_and_settings_in_the_browser(browser, console_server) -> None:
    """An Excel file from the CPAS, a member corrected, a shop whose bank no registry
    knows, the caisse's name set once: in French, as a volunteer does it."""
    url = console_server["url"]
    ctx = browser.new_context(locale="fr-BE", bypass_csp=True, accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, url, ADMIN)

    page.goto(url + "/admin/members/import?lang=fr")
    page.locator("#f-file").set_input_files(str(FILES / "excel-fr-be-windows-1252.csv"))
    page.locator("#f-language").select_option("fr")
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("status")).to_contain_text("3 lignes peuvent être importées")
    assert "Émile Lefèvre" in page.locator("table").inner_text()
    page.get_by_role("button", name="Importer 3 membres").click()
    expect(page.locator("h1")).to_contain_text("3 membres importés")
    assert page.locator("article.letter[lang='nl']").count() == 1  # Zoë's letter, in Dutch

    page.goto(url + "/admin/members?q=zoe")
    page.get_by_role("link", name="Zoë Dubois").click()
    page.get_by_role("link", name="Modifier le membre").click()
    page.locator("#f-email").fill("zoe@example.be")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.locator(".notice")).to_contain_text("Les données du membre sont enregistrées.")
    with page.expect_download() as download:
        page.goto(url + "/admin/members")
        page.get_by_role("link", name="Télécharger cette liste (CSV pour Excel)").click()
    exported = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert exported.startswith("nom;courriel;langue") and "zoe@example.be" in exported

    page.goto(url + "/admin/shops/new")
    page.locator("#f-name").fill("Şahin Market — Schaerbeek")
    page.locator("#f-iban").fill("BE68 5390 0754 7034")
    page.get_by_role("button", name="Ajouter le commerce").click()
    expect(page.locator(".warning")).to_contain_text("ne connaît pas la banque de cet IBAN")
    assert axe_violations(page) == [], "shop added, BIC unknown"

    page.goto(url + "/admin/settings")
    page.locator("#f-display_name").fill("Caisse alimentaire de Schaerbeek")
    page.locator("#f-opening_hours").fill("Mardi 17:00–19:00")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator(".notice")).to_contain_text("Les réglages sont enregistrés")
    expect(page.locator(".brand")).to_contain_text("Caisse alimentaire de Schaerbeek")
    assert axe_violations(page) == [], "settings saved"
    page.goto(url + "/admin/audit")
    audit = page.locator("tbody").inner_text()
    assert "réglages de la caisse modifiés" in audit and "données du membre modifiées" in audit
    assert "settings.edit" not in audit
    assert errors == []
    ctx.close()


def test_an_operator_sees_no_keys_or_money(browser, console_server) -> None:
    url = console_server["url"]
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    browser_login(page, url, OPERATOR)
    menu = page.get_by_role("navigation", name="Main menu").inner_text()
    assert "Members" in menu and "Keys" not in menu and "Reconciliation" not in menu
    page.goto(url + "/admin/keys")
    assert "administrators only" in page.content()
    ctx.close()
