"""`ssa-scanner verify` as a shopkeeper or a conformance harness uses it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from keys.sample import SampleCaisse, key_with_leading_dash
from tests.conftest import now_s

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", "verify", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip


@pytest.fixture
def setup(tmp_path: Path) -> tuple[SampleCaisse, list[str]]:
    caisse = SampleCaisse(now=now_s())
    (tmp_path / "tl.cose").write_bytes(caisse.signed_trust_list())
    args = ["--trust-list", str(tmp_path / "tl.cose"), "--root-key", caisse.root_public_key.hex(),
            "--merchant", "m-shop"]  # fmt: skip
    return caisse, args


def _codes(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [json.loads(line)["code"] for line in proc.stdout.splitlines()]


def test_stdin_gives_one_line_per_qr_and_the_clock_is_the_default(setup) -> None:
    caisse, args = setup
    member = caisse.member()
    qrs = [member.pay(100, iat=now_s()), "", "garbage", caisse.voucher(300)]
    proc = _cli(*args, "-", stdin="\r\n".join(qrs) + "\r\n")
    assert proc.returncode == 0, proc.stderr
    assert _codes(proc) == ["OK", "MALFORMED", "OK"]


def test_the_journal_carries_history_between_calls(setup, tmp_path: Path) -> None:
    caisse, args = setup
    qr = caisse.member().pay(100, iat=now_s())
    journal = ["--journal", str(tmp_path / "journal.sqlite")]
    assert _codes(_cli(*args, *journal, qr)) == ["OK"]
    assert _codes(_cli(*args, *journal, qr)) == ["REPLAY"]
    assert _codes(_cli(*args, qr)) == ["OK"]  # without a journal, memory starts empty


def test_the_root_key_may_be_base64url(setup) -> None:
    caisse, args = setup
    b64 = base64.urlsafe_b64encode(caisse.root_public_key).rstrip(b"=").decode()
    args[args.index("--root-key") + 1] = b64
    assert _codes(_cli(*args, caisse.voucher())) == ["OK"]


def test_a_base64url_root_key_beginning_with_a_dash_is_taken_as_the_value(
    tmp_path: Path,
) -> None:
    caisse = SampleCaisse(now=now_s(), root_key=key_with_leading_dash())
    (tmp_path / "tl.cose").write_bytes(caisse.signed_trust_list())
    b64 = base64.urlsafe_b64encode(caisse.root_public_key).rstrip(b"=").decode()
    assert b64.startswith("-")
    proc = _cli("--trust-list", str(tmp_path / "tl.cose"), "--root-key", b64,
                "--merchant", "m-shop", caisse.voucher())  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _codes(proc) == ["OK"]


def test_a_trust_list_under_another_root_exits_3(setup) -> None:
    _, args = setup
    args[args.index("--root-key") + 1] = SampleCaisse(now=0).root_public_key.hex()
    proc = _cli(*args, "SSA1:")
    assert proc.returncode == 3
    assert _codes(proc) == ["TRUST_LIST_INVALID"]


def test_unusable_arguments_are_clear_errors_with_exit_2(setup, tmp_path: Path) -> None:
    _, args = setup
    bad_key = [*args]
    bad_key[bad_key.index("--root-key") + 1] = "abcd"
    proc = _cli(*bad_key, "x")
    assert proc.returncode == 2 and "root key must be 32 bytes" in proc.stderr
    missing = [*args]
    missing[missing.index("--trust-list") + 1] = str(tmp_path / "absent")
    proc = _cli(*missing, "x")
    assert proc.returncode == 2 and "cannot read trust list" in proc.stderr
    assert "Traceback" not in proc.stderr
