"""Numbered schema migrations, applied in order at start-up (and by ``ssa-admin init``).

Each migration is a list of statements written for both dialects (``{blob}`` is
BLOB or BYTEA). A migration never changes once released: add a new number.
"""

from __future__ import annotations

import time

from .database import Database

MIGRATION_LOCK = 7_700_001

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE issuer_keys (
            kid {blob} PRIMARY KEY,
            public_key {blob} NOT NULL,
            file TEXT NOT NULL,
            not_before BIGINT NOT NULL,
            retired_at BIGINT,
            not_after BIGINT
        )""",
        """CREATE TABLE trust_lists (
            seq BIGINT PRIMARY KEY,
            issued_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            reason TEXT NOT NULL,
            body {blob} NOT NULL
        )""",
        """CREATE INDEX trust_lists_issued ON trust_lists (issued_at)""",
        """CREATE TABLE members (
            member_id TEXT PRIMARY KEY,
            sub {blob} NOT NULL UNIQUE,
            name TEXT NOT NULL,
            email TEXT,
            external_ref TEXT,
            public_key {blob} UNIQUE,
            status TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            activated_at BIGINT,
            revoked_at BIGINT
        )""",
        """CREATE TABLE merchants (
            merchant_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            iban TEXT NOT NULL,
            bic TEXT,
            status TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            suspended_at BIGINT
        )""",
        """CREATE TABLE merchant_devices (
            public_key {blob} PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
            enrolled_at BIGINT NOT NULL,
            revoked_at BIGINT
        )""",
        """CREATE TABLE codes (
            code_hash {blob} PRIMARY KEY,
            kind TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT
        )""",
        """CREATE INDEX codes_subject ON codes (kind, subject_id)""",
        """CREATE TABLE credentials (
            cti {blob} PRIMARY KEY,
            member_id TEXT NOT NULL REFERENCES members (member_id),
            period TEXT NOT NULL,
            nbf BIGINT NOT NULL,
            exp BIGINT NOT NULL,
            allowance_cents BIGINT NOT NULL,
            issuer_kid {blob} NOT NULL,
            member_public_key {blob} NOT NULL,
            cose {blob} NOT NULL,
            issued_at BIGINT NOT NULL,
            revoked_at BIGINT
        )""",
        """CREATE INDEX credentials_member ON credentials (member_id, period)""",
        """CREATE TABLE batches (
            merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
            batch_id TEXT NOT NULL,
            device_key {blob} NOT NULL,
            received_at BIGINT NOT NULL,
            scans BIGINT NOT NULL,
            received BIGINT NOT NULL,
            duplicates BIGINT NOT NULL,
            rejected BIGINT NOT NULL,
            PRIMARY KEY (merchant_id, batch_id)
        )""",
        # One row per token ever received: accepted (to pay) or rejected (kept with
        # its reason). scan_key = token id, or SHA-256 of the QR text when the
        # token could not even be parsed. Everything reconciliation needs is here.
        """CREATE TABLE scans (
            scan_key {blob} PRIMARY KEY,
            token_id {blob},
            status TEXT NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            kind TEXT,
            token {blob},
            qr TEXT,
            cti {blob},
            member_sub {blob},
            seq BIGINT,
            amount_cents BIGINT,
            cumulative_cents BIGINT,
            iat BIGINT,
            aud TEXT,
            merchant_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            scanned_at BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            trust_list_seq BIGINT,
            scanner_result TEXT
        )""",
        """CREATE INDEX scans_cti ON scans (cti)""",
        """CREATE INDEX scans_merchant ON scans (merchant_id, scanned_at)""",
        """CREATE INDEX scans_batch ON scans (merchant_id, batch_id)""",
    ],
}


async def migrate(db: Database, *, now: int | None = None) -> list[int]:
    """Apply the migrations not yet applied; the list of versions applied now."""
    applied_now: list[int] = []
    async with db.transaction() as conn:
        await db.lock(conn, MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"
        )
        done = {row[0] for row in await conn.fetchall("SELECT version FROM schema_migrations")}
        for version in sorted(MIGRATIONS):
            if version in done:
                continue
            for statement in MIGRATIONS[version]:
                await conn.execute(statement.format(blob=db.blob()))
            await conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                version,
                int(time.time()) if now is None else now,
            )
            applied_now.append(version)
    return applied_now


def latest_version() -> int:
    return max(MIGRATIONS)
