"""Hypothesis drives the wallet's JavaScript decoders through a node process: they never
fail with anything but their own errors, and they accept exactly what the Python decoders
accept (two readers must never read one token two ways). Every QR of the protocol vectors
reads to the same fields on both sides, and both strip the same white space (SPEC §1)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from keys import base45, cbor, cose, tokens
from keys.sample import SampleCaisse

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tests" / "wallet" / "js" / "decode_oracle.mjs"
VECTOR_FILES = sorted((ROOT / "tests" / "vectors").glob("*.json"))
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


# -- the protocol vectors' QRs, read by both sides -----------------------------------

KEY_NAMES = {
    name: getattr(tokens, name.upper())
    for name in ("iss", "sub", "aud", "exp", "nbf", "iat", "cti", "cnf",
                 "typ", "amt", "cred", "seq", "cum")
}  # fmt: skip
NAME_OF = {key: name for name, key in KEY_NAMES.items()}


def _plain(value: object) -> object:
    """A decoded CBOR item as the oracle writes it (decode_oracle.mjs, plain)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else {"int": str(value)}
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {"map": [[_plain(k), _plain(v)] for k, v in value.items()]}
    assert isinstance(value, cbor.Tag), value
    return {"tag": _plain(value.tag), "value": _plain(value.value)}


def _python_sign1(data: bytes, embedded: bool) -> dict:
    try:
        sign1 = cose.parse_sign1(data)
        payload = cbor.decode(sign1.payload)
    except (cose.MalformedCOSE, cbor.CBORError):
        return {"decoded": False, "stage": "cose"}
    read: dict = {"decoded": True, "header": _plain(sign1.header)}
    if not isinstance(payload, dict):
        return {**read, "payload": _plain(payload)}
    read["named"], read["other"] = {}, []
    for key, value in payload.items():
        name = NAME_OF.get(key) if type(key) is int else None
        if name is None:
            read["other"].append([_plain(key), _plain(value)])
        else:
            read["named"][name] = _plain(value)
    cred = payload.get(tokens.CRED)
    if embedded and type(cred) is bytes:
        read["credential"] = _python_sign1(cred, embedded=False)
    return read


def _python_reads(text: str) -> dict:
    """What keys.tokens and keys.cose read in QR text, in decode_oracle.mjs's shape."""
    try:
        data = tokens.from_qr(text)
    except tokens.MalformedToken:
        return {"decoded": False, "stage": "qr"}
    return {"cose": data.hex(), **_python_sign1(data, embedded=True)}


def _vector_qrs(path: Path) -> list[str]:
    vector = json.loads(path.read_text())
    if "scans" in vector:
        qrs = [scan["qr"] for scan in vector["scans"]]
        assert qrs or vector["expect_trust_list"] == "TRUST_LIST_INVALID", path.name
        return qrs
    return [qr for case in vector["cases"] for qr in (case["qr"], case.get("credential_qr")) if qr]


def _typed_fields(token: tokens.Token) -> dict:
    """The fields keys.tokens.decode_token gives a token, by payload key name."""
    hexed = lambda b: {"hex": b.hex()}  # noqa: E731
    if isinstance(token, tokens.Payment):
        fields = {"typ": 2, "amt": token.amount_cents, "seq": token.seq,
                  "cum": token.cumulative_cents, "iat": token.iat,
                  "cred": hexed(token.credential_cose)}  # fmt: skip
        return fields | ({"aud": token.aud} if token.aud is not None else {})
    if isinstance(token, tokens.Voucher):
        fields = {"typ": 3, "iss": token.iss, "cti": hexed(token.cti), "amt": token.amount_cents,
                  "nbf": token.nbf, "exp": token.exp}  # fmt: skip
        return fields | ({"sub": hexed(token.sub)} if token.sub is not None else {})
    assert isinstance(token, tokens.Credential), token
    return {"typ": 1, "iss": token.iss, "sub": hexed(token.sub), "cti": hexed(token.cti),
            "nbf": token.nbf, "exp": token.exp, "amt": token.allowance_cents}  # fmt: skip


def test_js_names_the_payload_keys_and_white_space_as_keys_tokens(oracle: Oracle) -> None:
    assert oracle.ask(kind="names")["keys"] == KEY_NAMES
    assert oracle.ask(kind="whitespace")["chars"] == tokens._WHITESPACE


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_js_reads_every_vector_qr_as_python_does(oracle: Oracle, path: Path) -> None:
    for i, qr in enumerate(_vector_qrs(path)):
        js = oracle.ask(kind="qr", text=qr)
        assert js["ok"], js["error"]
        python = _python_reads(qr)
        assert js["read"] == python, f"QR {i}"
        try:
            token = tokens.decode_token(tokens.from_qr(qr))
        except tokens.MalformedToken:
            continue
        if isinstance(token, tokens.OtherToken):
            continue
        # the fields both sides read are the ones Python's typed decoder gives the token
        named = python["named"]
        assert {k: named[k] for k in _typed_fields(token)} == _typed_fields(token), f"QR {i}"
        if isinstance(token, tokens.Payment):
            embedded = python["credential"]["named"]
            expected = _typed_fields(token.credential)
            assert {k: embedded[k] for k in expected} == expected, f"QR {i}"


_SCAN_QRS = [json.loads(p.read_text())["scans"][0]["qr"] for p in VECTOR_FILES
             if p.stem in ("000-ok-payment", "001-ok-voucher", "004-ok-whitespace")]  # fmt: skip
# Every character Python or JavaScript calls white space, and controls and marks near it.
_SPACE_LIKE = sorted(
    {chr(c) for c in range(0x3001) if chr(c).isspace() or chr(c) in " \t\r\n\x0b\x0c"}
    | {"\x00", "\x1b", "\u180e", "\u200b", "\u2060", "\ufeff", "\ufffe"}
)  # fmt: skip
_SPACES = st.text(st.sampled_from(_SPACE_LIKE), max_size=4)


@FUZZ
@given(_SPACES, st.sampled_from(_SCAN_QRS), _SPACES)
@example("\u00a0", _SCAN_QRS[0], "")
@example("", _SCAN_QRS[0], "\ufeff")
@example("\u2028", _SCAN_QRS[1], "\u2029")
@example("\r\n", _SCAN_QRS[0], "\r\n\x85")
@example(" \t\x0b\x0c", _SCAN_QRS[1], "\r\n")
def test_js_and_python_strip_the_same_white_space(
    oracle: Oracle, before: str, qr: str, after: str
) -> None:
    text = before + qr + after
    js = oracle.ask(kind="qr", text=text)
    assert js["ok"], js["error"]
    assert js["read"] == _python_reads(text)
    assert js["read"]["decoded"] == (text.strip(tokens._WHITESPACE) == qr.strip(tokens._WHITESPACE))
