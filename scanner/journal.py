"""The scanner's durable journal: every judged scan, in SQLite (WAL, synchronous=FULL).

It is also the ``JournalView`` that SPEC §5 rule 13 runs against: only OK scans
count there. ``judge`` verifies and records inside one ``BEGIN IMMEDIATE``
transaction, so two tills (or two processes) sharing a journal cannot both
accept one token, and an OK is on disk before the caller shows it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from keys.tokens import CredentialCache, Payment, Voucher
from keys.trust_list import TrustList
from keys.verify import AcceptedPayment, ResultCode, VerifyResult, verify_qr

SCHEMA_VERSION = 2

_MIGRATIONS = {
    1: """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        scanned_at INTEGER NOT NULL,
        merchant_id TEXT NOT NULL,
        qr TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        token_id BLOB,
        kind TEXT,
        credential_cti BLOB,
        voucher_cti BLOB,
        seq INTEGER,
        amount_cents INTEGER,
        cumulative_cents INTEGER,
        batch_id TEXT,
        sent_at INTEGER
    );
    CREATE UNIQUE INDEX scans_accepted_token ON scans(token_id) WHERE code = 'OK';
    CREATE UNIQUE INDEX scans_accepted_voucher ON scans(voucher_cti) WHERE code = 'OK';
    CREATE INDEX scans_accepted_credential ON scans(credential_cti) WHERE code = 'OK';
    CREATE INDEX scans_unsent ON scans(id) WHERE sent_at IS NULL;
    CREATE INDEX scans_batch ON scans(batch_id);
    CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        answer TEXT
    );
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # SSA1 1.1 (SPEC §8): the seq of the trust list each scan was judged with, sent
    # with it so the server judges the token by the same list.
    2: """
    ALTER TABLE scans ADD COLUMN trust_list_seq INTEGER;
    """,
}


@dataclass(frozen=True, slots=True)
class Batch:
    """Scans bound for the server under one ``batch_id``, fixed before the first try."""

    batch_id: str
    scans: list[dict]


class JournalError(Exception):
    """The journal file cannot be opened or is from a newer version of the scanner."""


class Journal:
    """A scanner's journal on one SQLite file (``":memory:"`` for a throw-away one)."""

    def __init__(self, path: str | Path) -> None:
        try:
            _private(path)
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise JournalError(f"journal {path} cannot be opened: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"journal schema {version} is newer than this scanner ({SCHEMA_VERSION})"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- JournalView (rule 13 sees only accepted scans) ---------------------------

    def has_token(self, token_id: bytes) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM scans WHERE code = 'OK' AND token_id = ?", (token_id,)
        ).fetchone()
        return row is not None

    def voucher_redeemed(self, cti: bytes) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM scans WHERE code = 'OK' AND voucher_cti = ?", (cti,)
        ).fetchone()
        return row is not None

    def payments_of(self, credential_cti: bytes) -> Iterable[AcceptedPayment]:
        rows = self._db.execute(
            "SELECT seq, amount_cents, cumulative_cents, token_id FROM scans"
            " WHERE code = 'OK' AND credential_cti = ?",
            (credential_cti,),
        )
        return [AcceptedPayment(*row) for row in rows]

    # -- judging and recording ----------------------------------------------------

    def judge(
        self,
        qr: str,
        *,
        trust_list: TrustList,
        merchant_id: str,
        now: int,
        credentials: CredentialCache | None = None,
    ) -> VerifyResult:
        """Verify ``qr`` against this journal and record the verdict, atomically.

        Returns only after the transaction holding an OK scan is committed to
        disk. REPLAY scans (a code held in front of the camera) are not stored
        again: the accepted scan is already there.
        """
        with self._transaction():
            result = verify_qr(
                qr,
                trust_list=trust_list,
                merchant_id=merchant_id,
                now=now,
                journal=self,
                credentials=credentials,
            )
            if result.code is not ResultCode.REPLAY:
                self._insert(qr, result, merchant_id, now, trust_list.seq)
        return result

    def _insert(
        self, qr: str, result: VerifyResult, merchant_id: str, now: int, list_seq: int
    ) -> None:
        token = result.token
        kind = credential_cti = voucher_cti = seq = cum = None
        if isinstance(token, Payment):
            kind, credential_cti = "payment", token.credential.cti
            seq, cum = token.seq, token.cumulative_cents
        elif isinstance(token, Voucher):
            kind, voucher_cti = "voucher", token.cti
        self._db.execute(
            "INSERT INTO scans (scanned_at, merchant_id, qr, code, message, token_id, kind,"
            " credential_cti, voucher_cti, seq, amount_cents, cumulative_cents, trust_list_seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                now,
                merchant_id,
                _storable(qr),
                result.code.value,
                result.message,
                result.token_id,
                kind,
                credential_cti,
                voucher_cti,
                seq,
                token.amount_cents if token is not None else None,
                cum,
                list_seq,
            ),
        )

    # -- batches for the server -----------------------------------------------------

    def pending_batch(self, now: int, limit: int = 500) -> Batch | None:
        """The batch to send next: an unsent one again (same id, same scans), else a new one.

        A new batch is committed before it is returned, so a retry after a crash or a
        timeout carries the same ``batch_id`` and the server counts it once.
        """
        with self._transaction():
            row = self._db.execute(
                "SELECT batch_id FROM batches WHERE sent_at IS NULL ORDER BY created_at LIMIT 1"
            ).fetchone()
            if row is None:
                ids = [
                    r[0]
                    for r in self._db.execute(
                        "SELECT id FROM scans WHERE batch_id IS NULL AND sent_at IS NULL"
                        " ORDER BY id LIMIT ?",
                        (limit,),
                    )
                ]
                if not ids:
                    return None
                batch_id = uuid.uuid4().hex
                self._db.execute(
                    "INSERT INTO batches (batch_id, created_at) VALUES (?, ?)", (batch_id, now)
                )
                self._db.executemany(
                    "UPDATE scans SET batch_id = ? WHERE id = ?", [(batch_id, i) for i in ids]
                )
            else:
                batch_id = row[0]
        rows = self._db.execute(
            "SELECT qr, scanned_at, code, trust_list_seq FROM scans WHERE batch_id = ? ORDER BY id",
            (batch_id,),
        )
        scans = []
        for qr, at, code, list_seq in rows:
            scan = {"qr": qr, "scanned_at": at, "result": code}
            if list_seq is not None:  # scans judged before SSA1 1.1 go as they were
                scan["trust_list_seq"] = list_seq
            scans.append(scan)
        return Batch(batch_id, scans)

    def mark_sent(self, batch_id: str, now: int, answer: dict) -> None:
        """Record the server's answer; only then are the batch's scans sent."""
        with self._transaction():
            self._db.execute(
                "UPDATE batches SET sent_at = ?, answer = ? WHERE batch_id = ?",
                (now, json.dumps(answer), batch_id),
            )
            self._db.execute("UPDATE scans SET sent_at = ? WHERE batch_id = ?", (now, batch_id))

    # -- handing scans over to another till of the same shop ------------------------

    _COLUMNS = (
        "scanned_at, merchant_id, qr, code, message, token_id, kind, credential_cti,"
        " voucher_cti, seq, amount_cents, cumulative_cents, trust_list_seq"
    )

    def unsent_scans(self) -> list[tuple]:
        """Every scan not yet sent (batched or not), oldest first, with its id."""
        return self._db.execute(
            f"SELECT id, {self._COLUMNS} FROM scans WHERE sent_at IS NULL ORDER BY id"
        ).fetchall()

    def take_over(self, scans: list[tuple]) -> int:
        """Adopt another till's unsent scans as this till's own, unsent; returns how many.

        A token this till already accepted is not taken twice (the accepted-token
        index refuses it): the server would count it once anyway.
        """
        marks = ", ".join("?" * 13)
        taken = 0
        with self._transaction():
            for scan in scans:
                cursor = self._db.execute(
                    f"INSERT OR IGNORE INTO scans ({self._COLUMNS}) VALUES ({marks})", scan[1:]
                )
                taken += cursor.rowcount
        return taken

    def mark_handed_over(self, ids: list[int], now: int, to: str) -> None:
        """Close scans handed to another till: this till will never send them."""
        batch_id = f"handover-{uuid.uuid4().hex}"
        with self._transaction():
            self._db.execute(
                "INSERT INTO batches (batch_id, created_at, sent_at, answer) VALUES (?, ?, ?, ?)",
                (batch_id, now, now, json.dumps({"handed_over_to": to})),
            )
            self._db.executemany(
                "UPDATE scans SET batch_id = ?, sent_at = ? WHERE id = ?",
                [(batch_id, now, i) for i in ids],
            )

    def unsent_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL").fetchone()[0]

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def accepted(self) -> list[dict]:
        """Every accepted scan, oldest first (for the shop's own records)."""
        rows = self._db.execute(
            "SELECT id, scanned_at, kind, amount_cents, seq, sent_at FROM scans"
            " WHERE code = 'OK' ORDER BY id"
        )
        keys = ("id", "scanned_at", "kind", "amount_cents", "seq", "sent_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def takings(self, since: int) -> tuple[int, int]:
        """(payments and vouchers accepted, their cents) since ``since`` (epoch seconds)."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM scans"
            " WHERE code = 'OK' AND scanned_at >= ?",
            (since,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def counts(self) -> dict[str, int]:
        """Number of stored scans per result code."""
        rows = self._db.execute("SELECT code, COUNT(*) FROM scans GROUP BY code")
        return dict(rows.fetchall())


def _private(path: str | Path) -> None:
    """The journal file exists with mode 0600 before SQLite opens it (its WAL and shared
    memory files take the same mode): it names every payment the shop accepted."""
    if str(path) == ":memory:":
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _storable(qr: str) -> str:
    """The scanned text as SQLite can store it (undecodable input kept visibly escaped)."""
    return qr.strip().encode("utf-8", "backslashreplace").decode("utf-8")
