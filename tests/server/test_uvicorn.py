"""One real server: ``ssa-server`` under uvicorn in a subprocess, spoken to over TCP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey

from keys.signed_request import b64url_encode, sign_request
from server.cli.admin import main as admin
from tests.conftest import now_s

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ssa_server_serves_the_api_over_real_http(tmp_path, backend, monkeypatch, capsys):
    monkeypatch.setenv("SSA_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("SSA_DATABASE_URL", raising=False)
    data = str(tmp_path / "caisse")
    db = [] if backend.url is None else ["--database", f"{backend.url}?schema={backend.schema}"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    assert (
        admin(
            [
                "--data",
                data,
                *db,
                "init",
                "--caisse",
                "be-real",
                "--kdf",
                "interactive",
                "--base-url",
                base,
            ]
        )
        == 0
    )
    assert admin(["--data", data, *db, "member", "add", "--name", "Ada"]) == 0
    code = capsys.readouterr().out.split('"activation_code": "')[1].split('"')[0]
    env = {**os.environ, "SSA_PASSPHRASE": PASSPHRASE}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli.serve", "--data", data, *db, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        tl = httpx.get(f"{base}/api/v1/trust-list")
        assert tl.status_code == 200 and tl.headers["content-type"] == "application/cose"
        key = SigningKey.generate()
        r = httpx.post(
            f"{base}/api/v1/wallet/activate",
            json={"code": code, "public_key": b64url_encode(bytes(key.verify_key))},
        )
        assert r.status_code == 200, r.text
        path = "/api/v1/wallet/credential"
        header = sign_request(key, "GET", path, b"", now_s())
        r = httpx.get(base + path, headers={"Authorization": header})
        assert r.status_code == 200 and len(r.json()["credentials"]) >= 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert code not in err  # activation codes never reach the logs
    assert '"event": "request"' in err


@pytest.mark.parametrize("port", ["abc", "0", "65536", "80a", "-1", "٣"])
def test_a_bad_port_in_the_environment_is_one_clear_usage_error(port, monkeypatch, capsys):
    from server.cli.serve import parser

    monkeypatch.setenv("SSA_PORT", port)
    with pytest.raises(SystemExit) as stop:
        parser().parse_args([])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "a port is a number from 1 to 65535" in err and "Traceback" not in err
