"""The shared JavaScript SSA1 core (keys/js/) judges as keys/verify.py judges: every protocol
vector in-process and through `npm run verify` (whose lines are byte for byte those of
`ssa-scanner verify`, exit codes included), and hypothesis-made tokens — valid ones,
mutated ones, re-signed ones with odd fields, sequences against one journal — give the
same line on both sides, message included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from keys import cbor, cose, ed25519, tokens
from keys.sample import SampleCaisse, key_with_leading_dash
from keys.tokens import CredentialCache
from keys.trust_list import TrustListInvalid, open_trust_list
from keys.verify import MemoryJournal, verify_qr
from tests.conftest import now_s, scan_vector_files

ROOT = Path(__file__).resolve().parents[2]
SCAN_VECTORS = scan_vector_files()
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
NOW = 1_800_000_000
MERCHANT = "m-diff"


def python_lines(
    trust_list: bytes, root: bytes, merchant: str, scans: list[tuple[int, str]], cache: bool = False
) -> list[str]:
    """What `ssa-scanner verify` prints for these scans, one till, an empty journal."""
    try:
        opened = open_trust_list(trust_list, root)
    except TrustListInvalid as exc:
        return [json.dumps({"code": "TRUST_LIST_INVALID", "message": str(exc)})]
    journal, credentials = MemoryJournal(), CredentialCache() if cache else None
    lines = []
    for now, qr in scans:
        result = verify_qr(
            qr,
            trust_list=opened,
            merchant_id=merchant,
            now=now,
            journal=journal,
            credentials=credentials,
        )
        journal.record(result)
        lines.append(json.dumps(result.to_json()))
    return lines


def js_lines(
    oracle,
    trust_list: bytes,
    root: bytes,
    merchant: str,
    scans: list[tuple[int, str]],
    cache: bool = False,
) -> list[str]:
    return oracle.judge(
        trust_list=trust_list.hex(),
        root_public_key=root.hex(),
        merchant_id=merchant,
        scans=[{"now": str(now), "qr": qr} for now, qr in scans],
        cache=cache,
    )


# -- the vectors ------------------------------------------------------------------


def _vector(path: Path) -> tuple[bytes, bytes, str, list[tuple[int, str]]]:
    v = json.loads(path.read_text())
    scans = [(s["now"], s["qr"]) for s in v["scans"]]
    return (
        bytes.fromhex(v["trust_list"]),
        bytes.fromhex(v["root_public_key"]),
        v["merchant_id"],
        scans,
    )


@pytest.mark.parametrize("path", SCAN_VECTORS, ids=lambda p: p.stem)
def test_vector_in_process_gives_the_python_lines(verify_oracle, path: Path) -> None:
    tl, root, merchant, scans = _vector(path)
    expected = python_lines(tl, root, merchant, scans)
    assert js_lines(verify_oracle, tl, root, merchant, scans) == expected
    assert js_lines(verify_oracle, tl, root, merchant, scans, cache=True) == expected
    vector = json.loads(path.read_text())
    if vector["expect_trust_list"] == "TRUST_LIST_INVALID":
        assert json.loads(expected[0])["code"] == "TRUST_LIST_INVALID"
        return
    for line, scan in zip(expected, vector["scans"], strict=True):
        got = json.loads(line)
        assert got["code"] == scan["expect"]["code"]
        if "amount_cents" in scan["expect"]:
            assert got["amount_cents"] == scan["expect"]["amount_cents"]


def npm_verify(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npm", "run", "--silent", "verify", "--", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "NO_UPDATE_NOTIFIER": "1"},
    )


def scanner_verify(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", "verify", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize("path", SCAN_VECTORS, ids=lambda p: p.stem)
def test_vector_through_npm_run_verify_with_a_journal_file(
    node, path: Path, tmp_path: Path
) -> None:
    """One call per scan, as tests/keys/test_vectors.py does: --journal carries the history."""
    tl, root, merchant, scans = _vector(path)
    (tmp_path / "tl.hex").write_text(tl.hex())
    expected = python_lines(tl, root, merchant, scans)
    base = [
        "--trust-list",
        str(tmp_path / "tl.hex"),
        "--root-key",
        root.hex(),
        "--merchant",
        merchant,
        "--journal",
        str(tmp_path / "journal.jsonl"),
    ]
    lines: list[str] = []
    for now, qr in scans or [(0, "SSA1:")]:
        proc = npm_verify(*base, "--now", str(now), "-", stdin=qr + "\n")
        lines.extend(proc.stdout.splitlines())
        want = 3 if expected and '"TRUST_LIST_INVALID"' in expected[0] else 0
        assert proc.returncode == want, proc.stderr
        if want == 3:
            break
    assert lines == expected


def test_npm_run_verify_prints_what_ssa_scanner_verify_prints(node, tmp_path: Path) -> None:
    """Arguments, stdin, white space, garbage, the clock by default: the same bytes and exit."""
    caisse = SampleCaisse(now=now_s(), root_key=key_with_leading_dash())
    (tmp_path / "tl.cose").write_bytes(caisse.signed_trust_list())
    import base64

    b64 = base64.urlsafe_b64encode(caisse.root_public_key).rstrip(b"=").decode()
    member = caisse.member()
    qrs = [
        member.pay(100, iat=now_s()),
        "",
        "garbage",
        caisse.voucher(300),
        "SSA1:é\u00a0",
        "SSA1:" + "A" * 5000,
        "\ufeff" + member.pay(50, iat=now_s()),
        "SSA1:\udcff",
    ]
    stdin = "\r\n".join(q for q in qrs if "\udcff" not in q) + "\r\n  \n"
    for args in (
        ["--trust-list", str(tmp_path / "tl.cose"), "--root-key", b64, "--merchant", "m-shop", "-"],
        [
            "--trust-list=" + str(tmp_path / "tl.cose"),
            "--root-key=" + b64,
            "--merch",
            "m-shop",
            "--now",
            str(now_s()),
            "-",
        ],
    ):
        js, py = npm_verify(*args, stdin=stdin), scanner_verify(*args, stdin=stdin)
        assert (js.returncode, js.stdout) == (py.returncode, py.stdout), js.stderr
    args = [
        "--trust-list",
        str(tmp_path / "tl.cose"),
        "--root-key",
        caisse.root_public_key.hex(),
        "--merchant",
        "m-shop",
        "--now",
        str(now_s()),
    ]
    singles = [q for q in qrs if q and "\udcff" not in q]
    js, py = npm_verify(*args, *singles), scanner_verify(*args, *singles)
    assert (js.returncode, js.stdout) == (py.returncode, py.stdout)
    assert [json.loads(line)["code"] for line in js.stdout.splitlines()][:2] == ["OK", "MALFORMED"]


def test_npm_run_verify_exit_codes_are_those_of_ssa_scanner_verify(node, tmp_path: Path) -> None:
    caisse = SampleCaisse(now=now_s())
    (tmp_path / "tl.cose").write_bytes(caisse.signed_trust_list())
    good = [
        "--trust-list",
        str(tmp_path / "tl.cose"),
        "--root-key",
        caisse.root_public_key.hex(),
        "--merchant",
        "m-shop",
    ]
    other_root = [*good]
    other_root[3] = SampleCaisse(now=0).root_public_key.hex()
    bad_key = [*good]
    bad_key[3] = "abcd"
    absent = [*good]
    absent[1] = str(tmp_path / "absent")
    for args in (
        [*other_root, "SSA1:"],
        [*bad_key, "x"],
        [*absent, "x"],
        good,
        [*good, "--now", "soon", "x"],
        [*good[:2], "x"],
        [*good, "--bogus", "x"],
    ):
        js, py = npm_verify(*args), scanner_verify(*args)
        assert (js.returncode, js.stdout) == (py.returncode, py.stdout), (args, js.stderr)
        if js.returncode == 2:
            assert "Traceback" not in js.stderr and js.stderr.strip()
    (tmp_path / "not-a-journal").write_text("hello\n")
    js = npm_verify(*good, "--journal", str(tmp_path / "not-a-journal"), "x")
    assert js.returncode == 2 and "journal" in js.stderr


def test_the_journal_file_carries_history_between_calls(node, tmp_path: Path) -> None:
    caisse = SampleCaisse(now=now_s())
    (tmp_path / "tl.cose").write_bytes(caisse.signed_trust_list())
    args = [
        "--trust-list",
        str(tmp_path / "tl.cose"),
        "--root-key",
        caisse.root_public_key.hex(),
        "--merchant",
        "m-shop",
        "--journal",
        str(tmp_path / "j.jsonl"),
    ]
    member = caisse.member()
    first, second = member.pay(100, iat=now_s()), member.pay(200, iat=now_s())
    member.seq, member.cumulative_cents = 1, 100  # a fork of seq 2
    fork = member.pay(300, iat=now_s())
    codes = [
        json.loads(npm_verify(*args, qr).stdout)["code"] for qr in (first, first, second, fork)
    ]
    assert codes == ["OK", "REPLAY", "OK", "DOUBLE_SPEND"]
    assert not (tmp_path / "j.jsonl.lock").exists()


# -- hypothesis: the same line for the same input ---------------------------------

CAISSE = SampleCaisse(now=NOW)
TRUST_LIST = CAISSE.signed_trust_list()
ROOT_KEY = CAISSE.root_public_key
# Text drawn from code points both Unicode databases assign (Python 3.11 knows Unicode 14;
# node a later one): repr() escapes an unassigned one, and they disagree on which those are.
TEXT = st.text(
    st.characters(codec="utf-8").filter(lambda c: unicodedata.category(c) != "Cn"), max_size=12
)
UINTS = st.one_of(
    st.integers(0, 3000), st.integers(0, 2**64 - 1), st.just(2**53), st.just(2**53 - 1)
)
ODD = st.one_of(
    UINTS,
    st.integers(-(2**64), -1),
    TEXT,
    st.binary(max_size=10),
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 5), max_size=3),
)


def _sign(payload: object, key: SigningKey, *, kid: bool, header: dict | None = None) -> bytes:
    protected = cbor.encode(
        header
        if header is not None
        else ({1: -8, 4: ed25519.key_id(bytes(key.verify_key))} if kid else {1: -8})
    )
    raw = cbor.encode(payload)
    signature = ed25519.sign(key, cose.sig_structure(protected, raw))
    return cbor.encode(cbor.Tag(18, [protected, {}, raw, signature]))


@st.composite
def credential_fields(draw) -> dict:
    member = SigningKey(draw(st.binary(min_size=32, max_size=32)))
    fields = {
        -1: 1,
        1: CAISSE.caisse_id,
        2: draw(st.binary(min_size=8, max_size=8)),
        7: draw(st.binary(min_size=8, max_size=16)),
        5: NOW - draw(st.integers(-50, 5000)),
        4: NOW + draw(st.integers(-50, 5000)),
        -2: draw(st.integers(0, 20_000)),
        8: {1: {1: 1, -1: 6, -2: bytes(member.verify_key)}},
    }
    for _ in range(draw(st.integers(0, 2))):  # an odd field, or an unknown key
        fields[draw(st.sampled_from([1, 2, 4, 5, 7, 8, -1, -2, 99, "x"]))] = draw(ODD)
    if draw(st.booleans()) and draw(st.booleans()):
        fields[1] = draw(TEXT)
    fields["_member"] = member
    return fields


@st.composite
def tokens_for_a_till(draw) -> list[str]:
    """A few QRs of one member (payments, some forks) and vouchers, sometimes damaged."""
    cred = draw(credential_fields())
    member = cred.pop("_member")
    issuer = CAISSE.issuer_key if draw(st.integers(0, 9)) else SigningKey(b"\x07" * 32)
    credential = _sign(cred, issuer, kid=True)
    qrs = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["payment", "payment", "payment", "voucher", "credential"]))
        if kind == "credential":
            data = credential
        elif kind == "voucher":
            fields = {
                -1: 3,
                1: CAISSE.caisse_id,
                7: draw(st.binary(min_size=8, max_size=9)),
                -2: draw(st.integers(0, 2000)),
                5: NOW - 10,
                4: NOW + draw(st.integers(-5, 50)),
            }
            if draw(st.booleans()):
                fields[2] = draw(st.sampled_from([cred[2], b"\x01" * 8]))
            data = _sign(fields, issuer, kid=True)
        else:
            amt = draw(st.integers(0, 3000))
            fields = {
                -1: 2,
                -4: credential,
                -2: amt,
                -5: draw(st.integers(0, 4)),
                -6: amt + draw(st.integers(-2, 3000)),
                6: NOW - draw(st.integers(-400, 700)),
            }
            if fields[-6] < 0:
                fields[-6] = 0
            if draw(st.booleans()):
                fields[3] = draw(st.sampled_from([MERCHANT, "m-other", "é"]))
            if draw(st.integers(0, 5)) == 0:
                fields[draw(st.sampled_from([-1, -2, -4, -5, -6, 6, 3]))] = draw(ODD)
            header = None
            if draw(st.integers(0, 9)) == 0:
                header = draw(
                    st.sampled_from([{1: -7}, {1: "EdDSA"}, {}, {1: -8, 4: "k"}, {1: -8, 4: None}])
                )
            data = _sign(fields, member, kid=False, header=header)
        mutation = draw(st.sampled_from(["none"] * 5 + ["byte", "cut", "tag", "text"]))
        if mutation == "byte":
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif mutation == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif mutation == "tag":
            data = data[1:]  # tag 18 removed: the same token, re-wrapped
        qr = tokens.to_qr(data)
        if mutation == "text":
            i = draw(st.integers(0, len(qr)))
            qr = qr[:i] + draw(st.text(max_size=2)) + qr[i:]
        qrs.append(qr)
        if draw(st.booleans()):
            qrs.append(draw(st.sampled_from(qrs)))  # the same code again: REPLAY
    return qrs


@FUZZ
@given(tokens_for_a_till(), st.integers(-700, 700), st.booleans())
@example(["SSA1:" + "0" * 3], 0, False)
def test_js_and_python_give_the_same_line_for_every_scan(verify_oracle, qrs, dt, cache) -> None:
    scans = [(NOW + dt, qr) for qr in qrs]
    expected = python_lines(TRUST_LIST, ROOT_KEY, MERCHANT, scans, cache)
    assert js_lines(verify_oracle, TRUST_LIST, ROOT_KEY, MERCHANT, scans, cache) == expected


@st.composite
def trust_lists(draw) -> tuple[bytes, int]:
    member_sub = b"\x01" * 8
    overrides: dict = {
        "seq": draw(UINTS),
        "expires_at": NOW + draw(st.integers(-10, 10)),
        "max_token_age_s": draw(st.integers(0, 900)),
        "max_clock_skew_s": draw(st.integers(0, 400)),
        "revoked_members": frozenset(draw(st.sampled_from([[], [member_sub]]))),
    }
    if draw(st.booleans()):
        issuer = CAISSE.issuer()
        overrides["issuers"] = (
            type(issuer)(
                issuer.caisse,
                issuer.kid,
                issuer.key,
                NOW + draw(st.integers(-5, 5)),
                NOW + draw(st.integers(-5, 5)),
            ),
        )
    signed = CAISSE.signed_trust_list(**overrides)
    if draw(st.integers(0, 5)) == 0:
        i = draw(st.integers(0, len(signed) - 1))
        signed = signed[:i] + bytes([signed[i] ^ draw(st.integers(1, 255))]) + signed[i + 1 :]
    return signed, draw(st.integers(-3, 3))


@FUZZ
@given(trust_lists(), tokens_for_a_till())
def test_trust_list_edges_give_the_same_line(verify_oracle, trust_list, qrs) -> None:
    signed, dt = trust_list
    scans = [(NOW + dt, qr) for qr in qrs]
    assert js_lines(verify_oracle, signed, ROOT_KEY, MERCHANT, scans) == python_lines(
        signed, ROOT_KEY, MERCHANT, scans
    )


@FUZZ
@given(st.one_of(st.text(max_size=80), st.binary(max_size=200).map(tokens.to_qr)))
def test_arbitrary_text_gets_the_same_line(verify_oracle, text: str) -> None:
    scans = [(NOW, text)]
    assert js_lines(verify_oracle, TRUST_LIST, ROOT_KEY, MERCHANT, scans) == python_lines(
        TRUST_LIST, ROOT_KEY, MERCHANT, scans
    )


def test_a_signature_libsodium_refuses_is_refused(verify_oracle) -> None:
    """S >= L (malleability), a small-order member key: both verifiers say BAD_SIGNATURE."""
    member = CAISSE.member()
    data = bytearray(tokens.from_qr(member.pay(100, iat=NOW)))
    s = int.from_bytes(data[-32:], "little") + 2**252 + 27742317777372353535851937790883648493
    data[-32:] = s.to_bytes(32, "little")
    scans = [(NOW, tokens.to_qr(bytes(data)))]
    lines = python_lines(TRUST_LIST, ROOT_KEY, MERCHANT, scans)
    assert json.loads(lines[0])["code"] == "BAD_SIGNATURE"
    assert js_lines(verify_oracle, TRUST_LIST, ROOT_KEY, MERCHANT, scans) == lines
