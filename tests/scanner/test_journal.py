"""The scanner journal: durable, atomic, and the memory rule 13 runs against."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from keys.sample import SampleCaisse
from keys.verify import ResultCode
from scanner.journal import _MIGRATIONS, Journal

NOW = 1_800_000_000
MERCHANT = "m-journal"


def _judge(journal: Journal, caisse: SampleCaisse, qr: str) -> ResultCode:
    return journal.judge(qr, trust_list=caisse.trust_list(), merchant_id=MERCHANT, now=NOW).code


def test_an_accepted_scan_survives_reopening_the_file(tmp_path: Path) -> None:
    caisse = SampleCaisse(now=NOW)
    qr = caisse.member().pay(1200, iat=NOW)
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, qr) is ResultCode.OK
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, qr) is ResultCode.REPLAY


def test_the_ok_is_committed_before_judge_returns(tmp_path: Path) -> None:
    caisse = SampleCaisse(now=NOW)
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, caisse.member().pay(100, iat=NOW)) is ResultCode.OK
        other = sqlite3.connect(tmp_path / "j.sqlite")  # another process's view
        assert other.execute("SELECT code FROM scans").fetchall() == [("OK",)]
        other.close()


def test_refused_scans_are_kept_as_evidence_but_replays_are_not_stored_twice(
    tmp_path: Path,
) -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member(allowance_cents=1000)
    qr = member.pay(600, iat=NOW)
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, qr) is ResultCode.OK
        for _ in range(5):
            assert _judge(journal, caisse, qr) is ResultCode.REPLAY
        assert _judge(journal, caisse, member.pay(600, iat=NOW)) is ResultCode.OVER_ALLOWANCE
        assert _judge(journal, caisse, "SSA1:not base45 ~") is ResultCode.MALFORMED
        assert journal.counts() == {"OK": 1, "OVER_ALLOWANCE": 1, "MALFORMED": 1}


def test_two_tills_sharing_a_journal_accept_a_token_once(tmp_path: Path) -> None:
    caisse = SampleCaisse(now=NOW)
    qr = caisse.member().pay(700, iat=NOW)
    with Journal(tmp_path / "j.sqlite") as a, Journal(tmp_path / "j.sqlite") as b:
        codes = {_judge(a, caisse, qr), _judge(b, caisse, qr)}
    assert codes == {ResultCode.OK, ResultCode.REPLAY}


def test_double_spending_is_judged_against_the_journal(tmp_path: Path) -> None:
    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    first = member.pay(5000, iat=NOW)
    member.seq, member.cumulative_cents = 0, 0  # a cloned wallet replays seq 1
    fork = member.pay(700, iat=NOW)
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, first) is ResultCode.OK
        assert _judge(journal, caisse, fork) is ResultCode.DOUBLE_SPEND


def test_undecodable_input_is_stored_escaped(tmp_path: Path) -> None:
    caisse = SampleCaisse(now=NOW)
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, "SSA1:\udcff\x00") is ResultCode.MALFORMED
        assert journal.counts() == {"MALFORMED": 1}


def test_a_token_with_a_uint_beyond_64_bits_is_malformed_and_stored(tmp_path: Path) -> None:
    """It used to pass verification and kill the till with OverflowError on insert."""
    from keys import tokens

    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    huge = tokens.to_qr(
        tokens.encode_payment(
            credential_cose=member.credential,
            amount_cents=1,
            seq=2**63,
            cumulative_cents=1,
            iat=NOW,
            member_key=member.key,
        )
    )
    with Journal(tmp_path / "j.sqlite") as journal:
        assert _judge(journal, caisse, huge) is ResultCode.MALFORMED
        assert _judge(journal, caisse, member.pay(100, iat=NOW)) is ResultCode.OK
        assert journal.counts() == {"MALFORMED": 1, "OK": 1}
        assert len(journal.pending_batch(NOW).scans) == 2


def test_each_scan_keeps_the_trust_list_it_was_judged_with_and_sends_it(tmp_path: Path) -> None:
    """SSA1 1.1 (SPEC §8): the server judges the token by the list the till had."""
    caisse = SampleCaisse(now=NOW)
    member = caisse.member()
    with Journal(tmp_path / "j.sqlite") as journal:
        for seq in (4, 5):
            tl = caisse.trust_list(seq=seq)
            journal.judge(member.pay(100, iat=NOW), trust_list=tl, merchant_id=MERCHANT, now=NOW)
        batch = journal.pending_batch(NOW)
    assert [s["trust_list_seq"] for s in batch.scans] == [4, 5]


def test_a_journal_from_before_ssa1_1_1_is_migrated_and_its_scans_go_as_they_were(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(_MIGRATIONS[1] + "; PRAGMA user_version = 1;")
    old.execute(
        "INSERT INTO scans (scanned_at, merchant_id, qr, code) VALUES (?, ?, 'SSA1:X', 'OK')",
        (NOW, MERCHANT),
    )
    old.commit()
    old.close()
    with Journal(path) as journal:
        [scan] = journal.pending_batch(NOW).scans
    assert scan == {"qr": "SSA1:X", "scanned_at": NOW, "result": "OK"}


def test_the_journal_and_the_trust_list_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    from scanner.store import ScannerConfig, ScannerStore

    caisse = SampleCaisse(now=NOW)
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.judge(caisse.member().pay(100, iat=NOW), trust_list=caisse.trust_list(),
                      merchant_id=MERCHANT, now=NOW)  # fmt: skip
    for name in ("j.sqlite", "j.sqlite-wal", "j.sqlite-shm"):
        if (tmp_path / name).exists():
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    store = ScannerStore(tmp_path / "till")
    store.ensure_dir()
    store.save_config(ScannerConfig("http://x", MERCHANT, caisse.root_public_key.hex(), "00"))
    store.install_trust_list(caisse.signed_trust_list(), caisse.root_public_key)
    assert (tmp_path / "till" / "trust-list.cose").stat().st_mode & 0o777 == 0o600
