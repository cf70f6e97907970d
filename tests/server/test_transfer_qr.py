"""The EPC QR code of a contribution, decoded by zxing-cpp; the wallet's "Ma cotisation"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import segno
import zxingcpp
from stdnum.be import ogm_vcs

from server.caisse import dues, households, transfer_qr

from .conftest import Harness, make_caisse

TZ = ZoneInfo("Europe/Brussels")
SEPA = dict(
    sepa_debtor_name="Caisse SSA Bruxelles — Épicerie",
    sepa_debtor_iban="BE62 5100 0754 7061",
    sepa_debtor_bic="GEBABEBB",
    contribution_schemes=[{"from": "2020-01", "kind": "free", "floor_household_cents": 1000}],
)


def decode(payload: str) -> zxingcpp.Barcode:
    qr = segno.make_qr(payload, error="m", boost_error=False)
    assert qr.version <= 13 and qr.error == "M"
    matrix = np.array([[0 if bit else 255 for bit in row] for row in qr.matrix], dtype=np.uint8)
    image = np.pad(np.kron(matrix, np.ones((6, 6), dtype=np.uint8)), 24, constant_values=255)
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found


def test_the_epc_qr_reads_back_with_every_field_in_its_place():
    digits = households.reference_digits(4242)
    t = transfer_qr.transfer(
        name=SEPA["sepa_debtor_name"],
        iban=SEPA["sepa_debtor_iban"],
        bic="GEBABEBB",
        amount_cents=2345,
        digits=digits,
    )
    found = decode(transfer_qr.epc_payload(t))
    assert found.ec_level == "M"
    lines = found.text.split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4] == "GEBABEBB"
    assert lines[5] == "Caisse SSA Bruxelles -- Epicerie"
    assert lines[6] == "BE62510007547061"
    assert lines[7] == "EUR23.45"
    assert lines[8] == "" and ogm_vcs.is_valid(lines[9]) and lines[9] == digits
    assert len(lines) == 10  # no unstructured text beside the structured communication
    assert "<svg" in transfer_qr.epc_svg(t)


@pytest.mark.parametrize("cents", [1, 99, 100, 1_000_000, 99_999_999_999])
def test_amounts_are_written_with_two_decimals(cents):
    t = transfer_qr.transfer(
        name="C", iban="BE62510007547061", bic=None, amount_cents=cents, digits="000000000101"
    )
    found = decode(transfer_qr.epc_payload(t)).text.split("\n")
    assert found[7] == f"EUR{cents // 100}.{cents % 100:02d}" and found[4] == ""


@pytest.fixture
async def money(tmp_path, backend, key_material, clock):
    cfg = await make_caisse(tmp_path / "data", backend, key_material, int(clock()), **SEPA)
    harness = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.mark.anyio
async def test_the_wallet_shows_what_the_household_owes_and_how_to_pay_it(money):
    api = money
    member = await api.activate()
    month = datetime.fromtimestamp(api.now, TZ).strftime("%Y-%m")
    path = "/api/v1/wallet/contribution"
    r = await api.signed("GET", path, member.key)
    assert r.status_code == 200, r.text
    assert r.json()["monthly_cents"] is None and r.json()["amount_cents"] is None
    async with api.ctx.storage.transaction() as q:
        hid = await q.households.member_household(member.member_id)
        await dues.set_contribution(
            q, api.cfg, hid, monthly_cents=1500, current_period=month, actor="t", now=api.now
        )
    body = (await api.signed("GET", path, member.key)).json()
    assert body["household_id"] == hid and body["monthly_cents"] == 1500
    assert body["to_pay_cents"] == 1500 and body["balance_cents"] == -1500
    assert body["reference"] == households.format_reference(households.reference_digits(hid))
    assert body["iban"] == "BE62510007547061" and body["unpaid_rule"] == "remind"
    assert decode(body["epc_qr"]).text.split("\n")[7] == "EUR15.00"
    assert (await api.client.get(path)).status_code == 401


def test_without_an_amount_the_banking_app_asks_for_it():
    t = transfer_qr.transfer(
        name="C", iban="BE62510007547061", bic=None, amount_cents=None, digits="000000000101"
    )
    lines = decode(transfer_qr.epc_payload(t)).text.split("\n")
    assert lines[7] == "" and lines[9] == "000000000101"
