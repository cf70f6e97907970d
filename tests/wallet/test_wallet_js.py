"""Runs the wallet's JavaScript unit tests (`node --test tests/wallet/js/`) from pytest, so
`make test` covers them: the SSA1 encoder against tests/vectors/encoding.json byte for
byte, the strict decoders, the scan vectors read with them (the cancelling ones of SPEC
1.1 §3 among them), amounts, languages, and the service worker's shell list."""

from __future__ import annotations

import shutil
import subprocess

from wallet_browser import ROOT, VENDOR


def test_javascript_unit_tests_pass(service_missing):
    node = shutil.which("node")
    if node is None:
        service_missing("node is not installed")
    if not VENDOR.exists():
        service_missing("the wallet's npm packages are not installed (npm ci)")
    run = subprocess.run(
        [node, "--test", "tests/wallet/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
