"""Hypothesis drives the wallet's JavaScript decoders through a node process: they never
fail with anything but their own errors, and they accept exactly what the Python decoders
accept (two readers must never read one token two ways)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from keys import base45, cbor
from keys.sample import SampleCaisse

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tests" / "wallet" / "js" / "decode_oracle.mjs"
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


class Oracle:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(ORACLE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=ROOT,
        )  # fmt: skip

    def ask(self, **request: object) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def oracle(service_missing):
    if shutil.which("node") is None:
        service_missing("node is not installed")
    running = Oracle()
    yield running
    running.close()


keys_ = st.one_of(st.integers(-(2**64), 2**64 - 1), st.text(max_size=8))
values = st.recursive(
    st.one_of(
        st.integers(-(2**64), 2**64 - 1), st.binary(max_size=40), st.text(max_size=20),
        st.booleans(), st.none(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys_, children, max_size=5),
        st.builds(cbor.Tag, st.integers(0, 2**64 - 1), children),
    ),
    max_leaves=20,
)  # fmt: skip


@st.composite
def cbor_inputs(draw) -> bytes:
    """Valid deterministic CBOR, then (often) damaged: a byte changed, cut, or appended."""
    data = bytearray(cbor.encode(draw(values)))
    action = draw(st.sampled_from(["keep", "flip", "cut", "append", "raw"]))
    if action == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    elif action == "cut" and data:
        del data[draw(st.integers(0, len(data) - 1)) :]
    elif action == "append":
        data += draw(st.binary(min_size=1, max_size=4))
    elif action == "raw":
        data = bytearray(draw(st.binary(max_size=60)))
    return bytes(data)


def _python_canonical(data: bytes) -> str | None:
    try:
        return cbor.encode(cbor.decode(data)).hex()
    except cbor.CBORError:
        return None


@FUZZ
@given(cbor_inputs())
@example(bytes.fromhex("f93c00"))  # a half float: not SSA1 CBOR
@example(bytes.fromhex("f7"))  # undefined
@example(bytes.fromhex("a1410001"))  # a byte-string map key
@example(bytes.fromhex("bf01ff"))  # an indefinite-length map
def test_js_and_python_cbor_decoders_agree(oracle: Oracle, data: bytes) -> None:
    js = oracle.ask(kind="cbor", hex=data.hex())
    assert js["ok"] or js["own"], js["error"]  # never a TypeError or a RangeError
    assert (js["canonical"] if js["ok"] else None) == _python_canonical(data)


@FUZZ
@given(st.one_of(st.text(max_size=60), st.binary(max_size=40).map(base45.b45encode)))
def test_js_and_python_base45_decoders_agree(oracle: Oracle, text: str) -> None:
    js = oracle.ask(kind="base45", text=text)
    assert js["ok"] or js["own"], js["error"]
    try:
        expected = base45.b45decode(text).hex()
    except base45.Base45Error:
        expected = None
    assert (js["hex"] if js["ok"] else None) == expected


@FUZZ
@given(data=st.data())
def test_the_credential_reader_survives_any_mutation(oracle: Oracle, data) -> None:
    caisse = SampleCaisse(now=1_800_000_000)
    credential = caisse.member().credential
    mutated = bytearray(credential)
    for _ in range(data.draw(st.integers(1, 3))):
        mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    js = oracle.ask(kind="credential", hex=bytes(mutated).hex())
    assert js["ok"] or js["own"], js["error"]
    assert oracle.ask(kind="credential", hex=credential.hex())["ok"]
