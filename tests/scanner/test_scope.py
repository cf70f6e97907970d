"""The members' decision reaches the till: a shop approved for some products only learns
its scope when its scanner enrols, and the till's status line says it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scanner.messages import Messages
from scanner.status import screen

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "SSA_PASSPHRASE": "till-scope-passphrase"}


def scanner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", *args],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_till_shows_what_its_shop_is_approved_for(real_server, tmp_path: Path) -> None:
    shop = real_server.admin(
        "merchant",
        "add",
        "--name",
        "Grand Frais",
        "--iban",
        "BE71096123456769",
        "--scope",
        "fruits et légumes",
    )
    data = tmp_path / "till"
    enrolled = scanner(
        "enroll",
        "--server",
        real_server.url,
        "--code",
        shop["enrollment_code"],
        "--data",
        str(data),
        "--kdf",
        "interactive",
    )
    assert enrolled.returncode == 0, enrolled.stderr
    shown = scanner("status", "--json", "--data", str(data))
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["scope"] == "fruits et légumes"
    now = doc["trust_list"]["issued_at"] + 60
    assert screen(doc, now, Messages("fr")).line.startswith("Accepté pour : fruits et légumes · ")
    whole = {**doc, "scope": None}
    assert "Accepté" not in screen(whole, now, Messages("fr")).line
