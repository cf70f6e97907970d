"""The whole chain with real parts: the caisse server issues, the wallet pays offline in
Chromium, the shop's scanner reads the phone's screen from a video, accepts, and syncs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import httpx
import numpy as np
from playwright.sync_api import expect
from wallet_browser import close_qr, decode_qr_image, pay, wait_offline_ready, wait_ready

from keys.tokens import decode_token, from_qr
from keys.trust_list import open_trust_list
from keys.verify import MemoryJournal, verify_qr
from tests.conftest import now_s

ROOT = Path(__file__).resolve().parents[2]
BRUSSELS = ZoneInfo("Europe/Brussels")


def _screen_frame(png: bytes) -> np.ndarray:
    """The phone's screenshot held in front of a 1280x720 webcam."""
    shot = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    frame = np.full((720, 1280, 3), 90, np.uint8)
    h, w = shot.shape[:2]
    scale = min(600 / h, 600 / w, 1.0)
    shot = cv2.resize(shot, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    y, x = (720 - shot.shape[0]) // 2, (1280 - shot.shape[1]) // 2
    frame[y : y + shot.shape[0], x : x + shot.shape[1]] = shot
    return frame


def test_real_wallet_real_server_real_scanner(new_page, real_server, tmp_path: Path) -> None:
    member = real_server.admin("member", "add", "--name", "Amina")
    page = new_page(locale="fr-BE")
    page.goto(member["activation_url"])
    wait_ready(page)
    page.get_by_test_id("balance").wait_for()
    expect(page.get_by_test_id("balance")).to_have_text("150,00\u00a0€")
    wait_offline_ready(page)

    page.context.set_offline(True)
    page.reload()
    wait_ready(page)
    page.get_by_test_id("amount-input").fill("12,34")
    page.get_by_test_id("pay-button").click()
    page.get_by_test_id("confirm-pay").click()
    qr_element = page.get_by_test_id("payment-qr")
    qr_element.wait_for(state="visible")
    screenshot = page.screenshot()
    qr = decode_qr_image(qr_element.screenshot())
    close_qr(page)

    payment = decode_token(from_qr(qr))
    assert (payment.amount_cents, payment.seq, payment.cumulative_cents) == (1234, 1, 1234)
    trust_list = open_trust_list(
        httpx.get(real_server.url + "/api/v1/trust-list").content, real_server.root_public_key
    )
    result = verify_qr(qr, trust_list=trust_list, merchant_id="any-shop", now=payment.iat,
                       journal=MemoryJournal())  # fmt: skip
    assert result.ok, result.message

    # The shop: enrolled with the caisse, its webcam filming the phone's screen.
    env = {**os.environ, "SSA_PASSPHRASE": "shop-passphrase"}
    shop = real_server.admin(
        "merchant", "add", "--name", "Boulangerie", "--iban", "BE71096123456769"
    )
    data = tmp_path / "till"

    def scanner(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scanner.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    enrolled = scanner("enroll", "--server", real_server.url, "--code", shop["enrollment_code"],
                       "--data", str(data), "--kdf", "interactive")  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    frame = _screen_frame(screenshot)
    video = tmp_path / "counter.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (1280, 720))
    for _ in range(30):
        writer.write(frame)
    writer.release()
    run = scanner("run", "--data", str(data), "--camera", str(video), "--headless", "--no-sync",
                  "--no-stdin")  # fmt: skip
    verdicts = [json.loads(line) for line in run.stdout.splitlines()]
    assert verdicts and verdicts[0]["code"] == "OK", run.stderr
    assert verdicts[0]["amount_cents"] == 1234
    assert {v["code"] for v in verdicts[1:]} <= {"REPLAY"}
    before = real_server.admin("status")["counts"]["scans"]
    synced = scanner("sync", "--data", str(data))
    assert json.loads(synced.stdout)["received"] == 1, synced.stderr
    assert real_server.admin("status")["counts"]["scans"] == before + 1


def test_cancelled_then_scanned_is_caught_and_receipts_reach_the_wallet(
    new_page, real_server, tmp_path: Path
) -> None:
    """The member cancels a QR a shop scanned anyway (SPEC §3): each till alone accepts,
    reconciliation catches it (§6), and the wallet's history says what the caisse got."""
    member = real_server.admin("member", "add", "--name", "Bilal")
    page = new_page(locale="fr-BE")
    page.goto(member["activation_url"])
    wait_ready(page)
    expect(page.get_by_test_id("balance")).to_have_text("150,00\u00a0€")

    cancelled_qr = pay(page, "12,34")
    close_qr(page, scanned=False)  # "Non, annuler ce paiement"
    expect(page.get_by_test_id("balance")).to_have_text("150,00\u00a0€")
    next_qr = pay(page, "5")
    close_qr(page, scanned=True)
    expect(page.get_by_test_id("balance")).to_have_text("145,00\u00a0€")
    later = decode_token(from_qr(next_qr))
    assert (later.seq, later.cumulative_cents) == (2, 500)  # cum leaves the cancelled one out
    trust_list = open_trust_list(
        httpx.get(real_server.url + "/api/v1/trust-list").content, real_server.root_public_key
    )
    alone = verify_qr(next_qr, trust_list=trust_list, merchant_id="m-any", now=later.iat,
                      journal=MemoryJournal())  # fmt: skip
    assert alone.ok, alone.message

    env = {**os.environ, "SSA_PASSPHRASE": "shop-passphrase"}

    def scanner(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scanner.cli", *args], env=env, cwd=ROOT,
                              input=stdin, capture_output=True, text=True, timeout=120)  # fmt: skip

    tills = {}
    for name, qr in (("Épicerie A", cancelled_qr), ("Boulangerie B", next_qr)):
        shop = real_server.admin("merchant", "add", "--name", name, "--iban", "BE71096123456769")
        data = tmp_path / shop["merchant_id"]
        code = shop["enrollment_code"]
        enrolled = scanner("enroll", "--server", real_server.url, "--code", code,
                           "--data", str(data), "--kdf", "interactive")  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
        run = scanner("run", "--data", str(data), "--headless", "--no-sync", stdin=qr + "\n")
        assert [json.loads(x)["code"] for x in run.stdout.splitlines()] == ["OK"], run.stderr
        synced = scanner("sync", "--data", str(data))
        assert json.loads(synced.stdout)["received"] == 1, synced.stderr
        tills[name] = shop["merchant_id"]

    page.locator("#refresh-button").click()
    states = page.get_by_test_id("history").get_by_test_id("payment-state")
    expect(states).to_have_text(
        ["reçu par Boulangerie B", "annulé, mais scanné par Épicerie A : la caisse va vérifier"]
    )
    expect(page.get_by_test_id("history-summary")).to_have_text(
        "Dernier paiement : n° 2 · reçu par la caisse : 17,34\u00a0€"
    )
    expect(page.get_by_test_id("balance")).to_have_text("145,00\u00a0€")  # what it can spend

    tomorrow = (datetime.fromtimestamp(now_s(), BRUSSELS).date() + timedelta(days=1)).isoformat()
    summary = real_server.admin("reconcile", "--until", tomorrow, "--no-sign")
    (finding,) = summary["double_spends"]
    assert finding["kind"] == "contradiction" and finding["amount_cents"] == 500
    assert finding["merchants"] == sorted(tills.values())
    assert "a payment the member cancelled, accepted by a shop anyway" in finding["summary"]

    # The caisse's policy (block_on_fraud: member) blocks the member: the wallet says so.
    page.locator("#refresh-button").click()
    expect(page.get_by_test_id("key-refused")).to_be_visible()
