"""End to end in real Chromium: a stallholder's phone is the till. A member pays from the
real wallet; a video of that phone's screen is the till's (fake) rear camera. The till
enrols against a real caisse server with the letter's QR link, reads the QR from the camera
(OK with the amount), keeps its journal across a reload, works offline (the same code is
"déjà accepté", a second payment typed by a keyboard-wedge reader is OK), syncs once
online (the server accepts the batch), and refuses a forged and a revoked token; then the
caisse revokes the till, and the till stops taking payments."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from keys import tokens
from tests.conftest import launch_chromium
from tests.till.till_browser import ROOT, counter_frame, watch, write_y4m

sys.path.insert(0, str(ROOT / "tests" / "wallet"))
from wallet_browser import close_qr, decode_qr_image, wait_offline_ready, wait_ready

pytestmark = pytest.mark.slow


def _wallet_payments(real_server, amounts: list[str]) -> tuple[dict, list[tuple[str, bytes]]]:
    """A member activates the real wallet and pays: (member, [(QR text, QR screenshot)])."""
    member = real_server.admin("member", "add", "--name", "Amina")
    out = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(
            locale="fr-BE", viewport={"width": 420, "height": 860}
        ).new_page()
        page.goto(member["activation_url"])
        wait_ready(page)
        page.get_by_test_id("balance").wait_for()
        for amount in amounts:
            page.get_by_test_id("amount-input").fill(amount)
            page.get_by_test_id("pay-button").click()
            page.get_by_test_id("confirm-pay").click()  # "Payer 12,34 € ?"
            qr = page.get_by_test_id("payment-qr")
            qr.wait_for(state="visible")
            shot = qr.screenshot()
            out.append((decode_qr_image(shot), shot))
            close_qr(page)  # and "yes, the shop scanned it"
        browser.close()
    return member, out


def _forged(qr: str) -> str:
    data = bytearray(tokens.from_qr(qr))
    data[-1] ^= 0x01  # one bit of the member's signature
    return tokens.to_qr(bytes(data))


def _verdict(page, code: str, timeout: float = 20_000):
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-code", code, timeout=timeout)
    return verdict


def test_a_phone_till_enrols_scans_offline_syncs_and_refuses(
    chromium_ready, real_server, tmp_path: Path
) -> None:
    member, paid = _wallet_payments(real_server, ["12,34", "5", "1"])
    (_qr1, shot1), (qr2, _), (qr3, _) = paid
    video = write_y4m(tmp_path / "counter.y4m", [counter_frame(shot1)] * 10)
    shop = real_server.admin("merchant", "add", "--name", "Marché", "--iban", "BE71096123456769")
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(
            pw,
            ("--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"),
        )
        context = browser.new_context(
            locale="fr-BE", viewport={"width": 360, "height": 780}, permissions=["camera"]
        )
        page = context.new_page()
        watch(page, errors, real_server.url)

        # The letter's QR opens the till with the code: it enrols, then the camera reads.
        page.goto(f"{real_server.url}/till/#enrol={shop['enrollment_code']}")
        wait_ready(page)
        verdict = _verdict(page, "OK")
        expect(verdict).to_have_attribute("data-verdict", "ok")
        expect(page.get_by_test_id("verdict-amount")).to_have_text("12,34\u00a0€")
        expect(page.get_by_test_id("verdict-kind")).to_have_text("Paiement par téléphone")
        expect(page.get_by_test_id("takings")).to_have_attribute("data-cents", "1234")
        assert "#enrol" not in page.url  # the spent code left the address bar
        devices = real_server.admin("merchant", "devices", shop["merchant_id"])

        # Reload: the journal is kept, and the code still in view is "déjà accepté".
        wait_offline_ready(page)
        page.reload()
        wait_ready(page)
        expect(page.get_by_test_id("recent").locator("li")).to_have_count(1)
        _verdict(page, "REPLAY")
        expect(page.get_by_test_id("verdict-title")).to_have_text("Déjà accepté")

        # Offline: the till opens from its cache, judges, and takes a second payment.
        context.set_offline(True)
        page.reload()
        wait_ready(page)
        _verdict(page, "REPLAY")
        page.get_by_test_id("wedge-input").fill(qr2)
        page.get_by_test_id("wedge-input").press("Enter")
        _verdict(page, "OK")
        expect(page.get_by_test_id("verdict-amount")).to_have_text("5,00\u00a0€")
        expect(page.get_by_test_id("takings")).to_have_attribute("data-cents", "1734")
        expect(page.get_by_test_id("status-line")).to_have_attribute("data-unsent", "2")

        # Online again: the batch goes to the caisse, which accepts both scans.
        before = real_server.admin("status")["counts"]["scans"]
        context.set_offline(False)
        page.get_by_test_id("sync-button").click()
        expect(page.get_by_test_id("status-line")).to_have_attribute("data-unsent", "0")
        page.wait_for_function("() => Number(document.body.dataset.synced) >= 1")
        assert real_server.admin("status")["counts"]["scans"] == before + 2

        # A forged token is refused; a revoked member's, once the new list is in, too.
        page.get_by_test_id("wedge-input").fill(_forged(qr3))
        page.get_by_test_id("wedge-input").press("Enter")
        _verdict(page, "BAD_SIGNATURE")
        expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "refused")
        synced = page.evaluate("() => Number(document.body.dataset.synced)")
        real_server.admin("member", "revoke", member["member_id"])
        page.get_by_test_id("sync-button").click()
        page.wait_for_function(f"() => Number(document.body.dataset.synced) > {synced}")
        page.get_by_test_id("wedge-input").fill(qr3)
        page.get_by_test_id("wedge-input").press("Enter")
        _verdict(page, "REVOKED")
        expect(page.get_by_test_id("verdict-reason")).to_contain_text("bloqué")

        # The caisse revokes the till (a stolen phone): it stops taking payments.
        real_server.admin(
            "merchant", "revoke-device", "--merchant", shop["merchant_id"],
            "--key", devices["key"],
        )  # fmt: skip
        page.get_by_test_id("sync-button").click()
        expect(page.get_by_test_id("blocked")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-blocked", "revoked")
        expect(page.get_by_test_id("wedge-input")).to_be_disabled()
        browser.close()
    assert errors == [], errors


def test_the_server_serves_the_till_with_a_strict_policy(real_server) -> None:
    r = httpx.get(real_server.url + "/till/")
    csp = r.headers["content-security-policy"]
    assert r.status_code == 200 and "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "camera=(self)" in r.headers["permissions-policy"]
    wasm = httpx.get(real_server.url + "/till/vendor/zxing-wasm/reader/zxing_reader.wasm")
    assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
    core = httpx.get(real_server.url + "/keys/js/verify.js")
    assert core.status_code == 200 and "javascript" in core.headers["content-type"]
    for hidden in ("/keys/js/tools/vendor.mjs", "/keys/js/.gitignore", "/till/tools/verify.mjs"):
        assert httpx.get(real_server.url + hidden).status_code == 404, hidden
    assert httpx.get(real_server.url + "/keys/verify.py").status_code == 404
    assert httpx.get(real_server.url + "/till", follow_redirects=False).status_code == 308
    home = httpx.get(real_server.url + "/", headers={"Accept": "application/json"})
    assert json.loads(home.text)["till"] == "/till/"
    assert (
        re.search(r"jsdelivr|unpkg", (ROOT / "till_pwa" / "js" / "camera.js").read_text()) is None
    )
