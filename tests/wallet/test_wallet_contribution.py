""" "Ma cotisation" in the real wallet, from a real server: the account, the structured
communication, and an EPC QR code that zxing-cpp reads with every field in its place."""

from __future__ import annotations

import json

import cv2
import numpy as np
import zxingcpp
from playwright.sync_api import expect
from stdnum.be import ogm_vcs
from wallet_browser import wait_ready

from tests.conftest import serve_caisse


def _prepare(server) -> None:
    path = server.data / "config.json"
    config = json.loads(path.read_text())
    config.update(
        sepa_debtor_name="SSA Bruxelles",
        sepa_debtor_iban="BE62510007547061",
        contribution_schemes=[{"from": "2020-01", "kind": "free", "floor_household_cents": 500}],
    )
    path.write_text(json.dumps(config))


def test_the_wallet_shows_the_contribution_and_a_transfer_qr(new_page, tmp_path) -> None:
    with serve_caisse(tmp_path / "caisse", caisse="be-test-cotis", prepare=_prepare) as server:
        house = server.admin("household", "add", "--adults", "1")
        hid = str(house["household_id"])
        member = server.admin("member", "add", "--name", "Amina", "--household", hid)
        server.admin("contribution", "set", "--household", hid, "--monthly-cents", "1250")
        page = new_page(locale="fr-BE")
        page.goto(member["activation_url"])
        wait_ready(page)
        section = page.get_by_test_id("contribution")
        section.wait_for(state="visible")
        expect(page.get_by_test_id("contribution-amount")).to_have_text("12,50\u00a0€")
        expect(page.get_by_test_id("contribution-iban")).to_have_text("BE62 5100 0754 7061")
        reference = page.get_by_test_id("contribution-reference").inner_text()
        assert reference == house["reference"] and ogm_vcs.is_valid(reference)
        png = page.get_by_test_id("contribution-qr").screenshot()
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
        (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        lines = found.text.split("\n")
        assert lines[:4] == ["BCD", "002", "1", "SCT"]
        assert lines[5:8] == ["SSA Bruxelles", "BE62510007547061", "EUR12.50"]
        assert lines[9] == ogm_vcs.compact(reference)
        assert found.ec_level == "M"
