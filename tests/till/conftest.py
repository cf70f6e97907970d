"""Fixtures of the till's tests: node, and a long-lived oracle running the shared JavaScript
SSA1 core (keys/js/) in-process, so hypothesis can hold it to the Python verifier."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tests" / "till" / "js" / "verify_oracle.mjs"
CORE_VENDOR = ROOT / "keys" / "js" / "vendor" / "noble-ed25519.js"


class VerifyOracle:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(ORACLE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=ROOT, encoding="utf-8", errors="surrogatepass",
        )  # fmt: skip

    def judge(self, **request: object) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert answer["ok"], answer["error"]
        return answer["lines"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


@pytest.fixture(scope="session")
def node(service_missing) -> str:
    found = shutil.which("node")
    if found is None:
        service_missing("node is not installed")
    if not CORE_VENDOR.exists():
        service_missing("the npm packages are not installed (npm ci)")
    return str(found)


@pytest.fixture(scope="module")
def verify_oracle(node):
    oracle = VerifyOracle()
    yield oracle
    oracle.close()


# -- the browser till ------------------------------------------------------------------

TILL_VENDOR = ROOT / "till_pwa" / "vendor" / "zxing-wasm" / "reader" / "zxing_reader.wasm"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium_ready(service_missing, node) -> None:
    if not CHROMIUM.exists():
        service_missing("Debian chromium is not installed (apt-get install chromium)")
    if not TILL_VENDOR.exists():
        service_missing("the till's npm packages are not installed (npm ci)")
