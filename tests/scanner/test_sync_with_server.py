"""The till against a real caisse server: enrol, scan, sync, crash, sync again.

The server is the project's own (`ssa-admin` + `ssa-server` under uvicorn, on
SQLite in a temporary directory); tokens come from a credential the server
issued through the wallet activation API.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from nacl.signing import SigningKey

from keys import ed25519, tokens
from keys.sample import SampleMember
from keys.signed_request import b64url_decode, b64url_encode
from tests.conftest import now_s

from .conftest import qr_picture, write_video

ROOT = Path(__file__).resolve().parents[2]
_ENV = {**os.environ, "SSA_PASSPHRASE": "till-test-passphrase"}


@pytest.fixture(scope="module")
def server(real_server):
    return real_server


def _scanner(
    *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], input=stdin, env=_ENV,
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)  # fmt: skip


def _enrolled(server, data: Path) -> str:
    merchant = server.admin("merchant", "add", "--name", "Épicerie Test",
                            "--iban", "BE71096123456769")  # fmt: skip
    proc = _scanner("enroll", "--server", server.url, "--code", merchant["enrollment_code"],
                    "--data", str(data), "--kdf", "interactive")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return merchant["merchant_id"]


def _member(server) -> SampleMember:
    """A member activated through the real wallet API: its credential is the server's."""
    added = server.admin("member", "add", "--name", "Test Member")
    key = SigningKey.generate()
    answer = httpx.post(server.url + "/api/v1/wallet/activate", json={
        "code": added["activation_code"], "public_key": b64url_encode(ed25519.public_key_of(key)),
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    credential = b64url_decode(answer.json()["credential"])
    decoded = tokens.decode_credential(credential)
    return SampleMember(key, decoded.sub, credential, decoded.allowance_cents)


def _server_scans(server) -> int:
    return server.admin("status")["counts"]["scans"]


def _verdicts(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def test_video_till_loop_then_sync_then_nothing_more_to_send(server, tmp_path: Path) -> None:
    data = tmp_path / "till"
    _enrolled(server, data)
    qr = _member(server).pay(2340, iat=now_s())
    blank = np.full((720, 1280, 3), 180, np.uint8)
    video = write_video(tmp_path / "till.mp4", [blank] * 3 + [qr_picture(qr)] * 40 + [blank] * 3)
    run = _scanner("run", "--data", str(data), "--camera", str(video), "--headless", "--no-sync",
                   "--no-stdin")  # fmt: skip
    assert run.returncode == 0, run.stderr
    codes = [v["code"] for v in _verdicts(run)]
    assert codes[0] == "OK" and set(codes[1:]) == {"REPLAY"}
    before = _server_scans(server)
    first = _scanner("sync", "--data", str(data))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["received"] == 1
    assert _server_scans(server) == before + 1
    second = json.loads(_scanner("sync", "--data", str(data)).stdout)
    assert (second["batches"], second["scans"]) == (0, 0)
    status = json.loads(_scanner("status", "--data", str(data), "--json").stdout)
    assert status["unsent_scans"] == 0 and status["last_sync_at"] is not None


def test_a_till_killed_while_scanning_loses_no_accepted_scan(server, tmp_path: Path) -> None:
    data = tmp_path / "till"
    _enrolled(server, data)
    members = [_member(server) for _ in range(3)]
    now = now_s()
    qrs = [members[i % 3].pay(100, iat=now) for i in range(90)]
    rng = random.Random(1)
    shown_ok: set[str] = set()
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "scanner.cli", "run", "--data", str(data), "--headless",
             "--no-sync"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            cwd=ROOT, env=_ENV,
        )  # fmt: skip
        proc.stdin.write("\n".join(qrs) + "\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        shown_ok |= {v["token_id"] for v in map(json.loads, out.splitlines()) if v["code"] == "OK"}
    final = _scanner(
        "run", "--data", str(data), "--headless", "--no-sync", stdin="\n".join(qrs) + "\n"
    )
    final_codes = [v["code"] for v in _verdicts(final)]
    assert set(final_codes) <= {"OK", "REPLAY"}, final_codes  # never a DOUBLE_SPEND after a crash
    with_journal = json.loads(_scanner("status", "--data", str(data), "--json").stdout)
    assert with_journal["scans"] == {"OK": len(qrs)}
    replayed = {v["token_id"] for v in _verdicts(final) if v["code"] == "REPLAY"}
    assert shown_ok <= replayed  # every OK shown before a kill was already on disk


def test_sync_killed_at_random_points_counts_every_scan_once(server, tmp_path: Path) -> None:
    data = tmp_path / "till"
    _enrolled(server, data)
    member = _member(server)
    now = now_s()
    qrs = [member.pay(10, iat=now) for _ in range(200)]
    run = _scanner(
        "run", "--data", str(data), "--headless", "--no-sync", stdin="\n".join(qrs) + "\n"
    )
    assert [v["code"] for v in _verdicts(run)] == ["OK"] * len(qrs)
    before = _server_scans(server)
    rng = random.Random(2)
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "scanner.cli", "sync", "--data", str(data),
             "--batch-size", "15"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=_ENV,
        )  # fmt: skip
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = _scanner("sync", "--data", str(data), "--batch-size", "15")
    assert done.returncode == 0, done.stderr
    assert json.loads(_scanner("status", "--data", str(data), "--json").stdout)["unsent_scans"] == 0
    assert _server_scans(server) == before + len(qrs)


def test_a_rolled_back_trust_list_is_refused(server, tmp_path: Path) -> None:
    from keys.trust_list import TrustListRollback
    from scanner.store import ScannerStore

    data = tmp_path / "till"
    _enrolled(server, data)
    store = ScannerStore(data)
    old = (data / "trust-list.cose").read_bytes()
    server.admin("member", "revoke", server.admin("member", "add", "--name", "X")["member_id"])
    assert _scanner("sync", "--data", str(data)).returncode == 0
    newer = store.trust_list()
    assert newer.revoked_members  # the revocation reached the till
    with pytest.raises(TrustListRollback):
        store.install_trust_list(old, store.config().root_key)


def test_the_running_till_syncs_by_itself_when_the_network_is_there(server, tmp_path: Path) -> None:
    data = tmp_path / "till"
    _enrolled(server, data)
    qr = _member(server).pay(450, iat=now_s())
    before = _server_scans(server)
    till = subprocess.Popen(
        [sys.executable, "-m", "scanner.cli", "run", "--data", str(data), "--headless",
         "--sync-interval", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=_ENV,
    )  # fmt: skip
    try:
        till.stdin.write(qr + "\n")
        till.stdin.flush()
        assert json.loads(till.stdout.readline())["code"] == "OK"
        deadline = time.monotonic() + 30
        while _server_scans(server) == before and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _server_scans(server) == before + 1
    finally:
        till.stdin.close()
        till.wait(30)
    assert json.loads(_scanner("status", "--data", str(data), "--json").stdout)["unsent_scans"] == 0


def test_a_revoked_tills_unsent_scans_reach_the_caisse_through_its_replacement(
    server, tmp_path: Path
) -> None:
    from keys.b64url import b64url_encode
    from scanner.store import ScannerStore

    old, new = tmp_path / "old-till", tmp_path / "new-till"
    merchant_id = _enrolled(server, old)
    code = server.admin("merchant", "code", merchant_id)["enrollment_code"]
    enrolled = _scanner("enroll", "--server", server.url, "--code", code, "--data", str(new),
                        "--kdf", "interactive")  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    member = _member(server)
    now = now_s()
    qrs = [member.pay(100, iat=now) for _ in range(3)]
    run = _scanner("run", "--data", str(old), "--headless", "--no-sync", stdin="\n".join(qrs))
    assert [v["code"] for v in _verdicts(run)] == ["OK"] * 3

    stolen_key = bytes.fromhex(ScannerStore(old).config().merchant_public_key)
    server.admin("merchant", "revoke-device", "--merchant", merchant_id,
                 "--key", b64url_encode(stolen_key))  # fmt: skip
    refused = _scanner("sync", "--data", str(old), "--lang", "en")
    assert refused.returncode == 4 and "Traceback" not in refused.stderr  # 4: refused by the caisse
    assert "This till was deactivated by the SSA caisse" in refused.stderr

    before = _server_scans(server)
    handed = _scanner("handover", "--from", str(old), "--data", str(new))
    assert handed.returncode == 0, handed.stderr
    assert json.loads(handed.stdout) == {"scans": 3, "taken": 3, "already_here": 0}
    synced = json.loads(_scanner("sync", "--data", str(new)).stdout)
    assert synced["received"] == 3
    assert _server_scans(server) == before + 3
    assert json.loads(_scanner("status", "--data", str(old), "--json").stdout)["unsent_scans"] == 0


def test_scans_are_never_handed_to_another_shops_till(server, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _enrolled(server, a)
    _enrolled(server, b)
    proc = _scanner("handover", "--from", str(a), "--data", str(b))
    assert proc.returncode == 1 and "scans stay with their shop" in proc.stderr


def test_a_payment_the_till_accepted_before_it_knew_of_a_revocation_is_paid(
    server, tmp_path: Path
) -> None:
    """SPEC 1.1 §8: the till sends the seq of its list; the server judges by that list."""
    data = tmp_path / "till"
    _enrolled(server, data)
    member = _member(server)
    server.admin("member", "revoke", member.sub.hex())  # the till has not fetched it yet
    qr = member.pay(650, iat=now_s())
    run = _scanner("run", "--data", str(data), "--headless", "--no-sync", stdin=qr + "\n")
    assert [v["code"] for v in _verdicts(run)] == ["OK"]
    synced = _scanner("sync", "--data", str(data))
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["received"] == 1
    after = _scanner("run", "--data", str(data), "--headless", "--no-sync",
                     stdin=member.pay(100, iat=now_s()) + "\n")  # fmt: skip
    assert [v["code"] for v in _verdicts(after)] == ["REVOKED"]  # now it knows
