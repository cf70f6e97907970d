"""The SSA1 vectors are normative: every one passes, in-process and through the CLI."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from keys import tokens
from keys.trust_list import TrustListInvalid, open_trust_list
from keys.verify import MemoryJournal, verify_qr

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
SHARED_VECTORS = ROOT.parent / "shared" / "protocol" / "vectors"
SCAN_VECTORS = sorted(VECTORS.glob("[0-9][0-9][0-9]-*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_vectors_are_all_present() -> None:
    assert len(SCAN_VECTORS) >= 33
    assert (VECTORS / "encoding.json").is_file()


def test_vendored_vectors_equal_the_shared_ones(service_missing) -> None:
    if not SHARED_VECTORS.is_dir():
        service_missing(f"{SHARED_VECTORS} is absent: cannot compare the vendored copy")
    shared = sorted(p.name for p in SHARED_VECTORS.glob("*.json"))
    ours = sorted(p.name for p in VECTORS.glob("*.json"))
    assert ours == shared
    _, mismatch, errors = filecmp.cmpfiles(SHARED_VECTORS, VECTORS, shared, shallow=False)
    assert mismatch == [] and errors == []


@pytest.mark.parametrize("path", SCAN_VECTORS, ids=lambda p: p.stem)
def test_vector_in_process(path: Path) -> None:
    vector = _load(path)
    root = bytes.fromhex(vector["root_public_key"])
    try:
        trust_list = open_trust_list(bytes.fromhex(vector["trust_list"]), root)
    except TrustListInvalid:
        assert vector["expect_trust_list"] == "TRUST_LIST_INVALID"
        return
    assert vector["expect_trust_list"] == "OK"
    journal = MemoryJournal()
    for i, scan in enumerate(vector["scans"]):
        result = verify_qr(
            scan["qr"],
            trust_list=trust_list,
            merchant_id=vector["merchant_id"],
            now=scan["now"],
            journal=journal,
        )
        journal.record(result)
        expect = scan["expect"]
        assert result.code.value == expect["code"], f"scan {i}: {result.message}"
        if "amount_cents" in expect:
            assert result.amount_cents == expect["amount_cents"]


@pytest.mark.parametrize("path", SCAN_VECTORS, ids=lambda p: p.stem)
def test_vector_through_the_cli(path: Path, tmp_path: Path) -> None:
    vector = _load(path)
    trust_list_file = tmp_path / "trust-list.cose"
    trust_list_file.write_bytes(bytes.fromhex(vector["trust_list"]))
    journal = tmp_path / "journal.sqlite"
    lines: list[dict] = []
    for scan in vector["scans"] or [{"now": 0, "qr": "SSA1:", "expect": None}]:
        proc = subprocess.run(
            [sys.executable, "-m", "scanner.cli", "verify",
             "--trust-list", str(trust_list_file), "--root-key", vector["root_public_key"],
             "--merchant", vector["merchant_id"], "--now", str(scan["now"]),
             "--journal", str(journal), "-"],
            input=scan["qr"] + "\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
        if vector["expect_trust_list"] == "TRUST_LIST_INVALID":
            assert proc.returncode == 3
            assert json.loads(proc.stdout)["code"] == "TRUST_LIST_INVALID"
            return
        assert proc.returncode == 0, proc.stderr
        lines.extend(json.loads(line) for line in proc.stdout.splitlines())
    assert [line["code"] for line in lines] == [s["expect"]["code"] for s in vector["scans"]]
    for line, scan in zip(lines, vector["scans"], strict=True):
        if "amount_cents" in scan["expect"]:
            assert line["amount_cents"] == scan["expect"]["amount_cents"]


def test_encoder_reproduces_every_encoding_vector_byte_for_byte(encoding_vector: dict) -> None:
    issuer = SigningKey(bytes.fromhex(encoding_vector["issuer_seed"]))
    member = SigningKey(bytes.fromhex(encoding_vector["member_seed"]))
    for case in encoding_vector["cases"]:
        f = case["fields"]
        if case["object"] == "credential":
            cose = tokens.encode_credential(
                iss=f["iss"],
                sub=bytes.fromhex(f["sub"]),
                cti=bytes.fromhex(f["cti"]),
                nbf=f["nbf"],
                exp=f["exp"],
                allowance_cents=f["allowance_cents"],
                member_public_key=bytes.fromhex(f["member_public_key"]),
                issuer_key=issuer,
            )
        elif case["object"] == "payment":
            cose = tokens.encode_payment(
                credential_cose=tokens.from_qr(case["credential_qr"]),
                amount_cents=f["amount_cents"],
                seq=f["seq"],
                cumulative_cents=f["cumulative_cents"],
                iat=f["iat"],
                aud=f.get("aud"),
                member_key=member,
            )
        else:
            cose = tokens.encode_voucher(
                iss=f["iss"],
                cti=bytes.fromhex(f["cti"]),
                amount_cents=f["amount_cents"],
                nbf=f["nbf"],
                exp=f["exp"],
                issuer_key=issuer,
            )
        assert cose.hex() == case["cose_hex"]
        assert tokens.to_qr(cose) == case["qr"]
