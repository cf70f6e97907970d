"""Numbered schema migrations, applied in order at start-up (and by ``ssa-admin init``).

Each migration is a list of statements written for both dialects (``{blob}`` is
BLOB or BYTEA). A migration never changes once released: add a new number.
"""

from __future__ import annotations

import time

from server.db.seam import Database

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
    # Reconciliation and settlement (server/reconcile.py, docs/reconciliation.md).
    2: [
        # Set when a receipt enters a settlement (paid or withheld); the partial
        # index keeps the nightly search for unsettled receipts off the history.
        """ALTER TABLE scans ADD COLUMN settlement_id BIGINT""",
        """CREATE INDEX scans_unsettled ON scans (cti)
            WHERE status = 'accepted' AND settlement_id IS NULL""",
        # A token already received, accepted again by ANOTHER shop (a copied QR, a
        # paper voucher redeemed twice): a receipt of its own, to judge and settle.
        """CREATE TABLE scan_copies (
            scan_key {blob} NOT NULL REFERENCES scans (scan_key),
            merchant_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            scanned_at BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            scanner_result TEXT,
            settlement_id BIGINT,
            PRIMARY KEY (scan_key, merchant_id)
        )""",
        """CREATE INDEX scan_copies_unsettled ON scan_copies (scan_key)
            WHERE settlement_id IS NULL""",
        """CREATE TABLE settlements (
            settlement_id BIGINT PRIMARY KEY,
            until_ts BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            policy TEXT NOT NULL,
            payments BIGINT NOT NULL,
            total_cents BIGINT NOT NULL,
            withheld BIGINT NOT NULL,
            withheld_cents BIGINT NOT NULL
        )""",
        # The ledger. A receipt (token, shop) is paid at most once: the partial
        # unique index holds whatever the code does (re-runs, crashes, races).
        """CREATE TABLE settlement_items (
            scan_key {blob} NOT NULL,
            merchant_id TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('paid', 'withheld')),
            settlement_id BIGINT NOT NULL REFERENCES settlements (settlement_id),
            amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
            token_id {blob} NOT NULL,
            kind TEXT NOT NULL,
            scanned_at BIGINT NOT NULL,
            finding_id TEXT,
            PRIMARY KEY (scan_key, merchant_id, outcome)
        )""",
        """CREATE UNIQUE INDEX settlement_items_paid_once
            ON settlement_items (scan_key, merchant_id) WHERE outcome = 'paid'""",
        """CREATE INDEX settlement_items_settlement
            ON settlement_items (settlement_id, merchant_id, scanned_at)""",
        """CREATE INDEX settlement_items_finding ON settlement_items (finding_id)""",
        # One line per shop and settlement; name and account copied as paid.
        """CREATE TABLE payouts (
            settlement_id BIGINT NOT NULL REFERENCES settlements (settlement_id),
            merchant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            iban TEXT NOT NULL,
            bic TEXT,
            payments BIGINT NOT NULL,
            amount_cents BIGINT NOT NULL,
            withheld BIGINT NOT NULL,
            withheld_cents BIGINT NOT NULL,
            reference TEXT NOT NULL,
            PRIMARY KEY (settlement_id, merchant_id)
        )""",
        """CREATE TABLE findings (
            finding_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            cti {blob} NOT NULL,
            member_sub {blob},
            detected_at BIGINT NOT NULL,
            amount_cents BIGINT NOT NULL,
            summary TEXT NOT NULL,
            blocked TEXT,
            decision TEXT,
            decision_note TEXT,
            decided_at BIGINT
        )""",
        """CREATE INDEX findings_detected ON findings (detected_at)""",
        """CREATE INDEX findings_cti ON findings (cti)""",
        # The proof: the receipts (signed tokens in scans) behind a finding.
        """CREATE TABLE finding_receipts (
            finding_id TEXT NOT NULL REFERENCES findings (finding_id),
            scan_key {blob} NOT NULL,
            merchant_id TEXT NOT NULL,
            PRIMARY KEY (finding_id, scan_key, merchant_id)
        )""",
        # Statements and SEPA files, stored as issued: never regenerated differently.
        """CREATE TABLE issued_documents (
            settlement_id BIGINT NOT NULL REFERENCES settlements (settlement_id),
            merchant_id TEXT NOT NULL,
            format TEXT NOT NULL,
            issued_at BIGINT NOT NULL,
            sha256 {blob} NOT NULL,
            body {blob} NOT NULL,
            PRIMARY KEY (settlement_id, merchant_id, format)
        )""",
        """CREATE TABLE vouchers (
            cti {blob} PRIMARY KEY,
            amount_cents BIGINT NOT NULL,
            nbf BIGINT NOT NULL,
            exp BIGINT NOT NULL,
            member_id TEXT REFERENCES members (member_id),
            issuer_kid {blob} NOT NULL,
            issued_at BIGINT NOT NULL,
            revoked_at BIGINT
        )""",
    ],
    # The admin console (server/console): accounts, sessions, the append-only audit
    # log (each entry hash-chained to the previous one), and a member's letter language.
    3: [
        """CREATE TABLE admin_users (
            email TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            password_changed_at BIGINT NOT NULL,
            last_login_at BIGINT,
            disabled_at BIGINT
        )""",
        """CREATE TABLE admin_sessions (
            sid_hash {blob} PRIMARY KEY,
            email TEXT NOT NULL REFERENCES admin_users (email),
            csrf_token TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            seen_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )""",
        """CREATE INDEX admin_sessions_email ON admin_sessions (email)""",
        """CREATE TABLE admin_audit (
            seq BIGINT PRIMARY KEY,
            at BIGINT NOT NULL,
            actor TEXT,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT NOT NULL,
            prev_hash {blob} NOT NULL,
            entry_hash {blob} NOT NULL
        )""",
        """CREATE INDEX admin_audit_actor ON admin_audit (actor, seq)""",
        """ALTER TABLE members ADD COLUMN language TEXT""",
    ],
    # Failure counters for rate limits, shared by every server process (storage_failures).
    4: [
        """CREATE TABLE failures (
            scope TEXT NOT NULL,
            subject TEXT NOT NULL,
            n BIGINT NOT NULL,
            since BIGINT NOT NULL,
            last_at BIGINT NOT NULL,
            PRIMARY KEY (scope, subject)
        )""",
        """CREATE INDEX failures_last_at ON failures (last_at)""",
    ],
    # Intake under attack (issue 11, SPEC 1.1 §8): what each till reported, how each
    # scan was judged, every superseded refusal, and the content of each batch id.
    5: [
        # SHA-256 of a batch's scans as received: the same id with other scans is refused.
        """ALTER TABLE batches ADD COLUMN content_sha256 {blob}""",
        """CREATE INDEX batches_device ON batches (device_key, received_at)""",
        # The seq of the list the till judged the scan with (as the till reported
        # it), which list the server used ('till', 'in_force' or 'upload', see
        # server/ledger/trust_choice.py), and the list in force at scanned_at that
        # revoked a token honoured under the till's older list (paid, and a finding).
        """ALTER TABLE scans ADD COLUMN till_list_seq BIGINT""",
        """ALTER TABLE scans ADD COLUMN judged_by TEXT""",
        """ALTER TABLE scans ADD COLUMN revoked_by_seq BIGINT""",
        # A refusal that a later judgement of the same token replaced or joined (a
        # scan time fixed, another shop's upload): every refusal stays explained.
        """CREATE TABLE scan_refusals (
            scan_key {blob} NOT NULL,
            merchant_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            scanned_at BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            trust_list_seq BIGINT,
            till_list_seq BIGINT,
            judged_by TEXT,
            scanner_result TEXT,
            PRIMARY KEY (scan_key, merchant_id, batch_id)
        )""",
        """CREATE INDEX scan_refusals_scanned ON scan_refusals (scanned_at)""",
        # Per till (scanner key): its latest upload holding scans (time, newest scan),
        # and the earliest scan time at which it reported each trust list seq.
        """CREATE TABLE tills (
            device_key {blob} PRIMARY KEY,
            last_upload_at BIGINT NOT NULL,
            last_scan_at BIGINT NOT NULL
        )""",
        """CREATE TABLE till_lists (
            device_key {blob} NOT NULL,
            seq BIGINT NOT NULL,
            first_scanned_at BIGINT NOT NULL,
            PRIMARY KEY (device_key, seq)
        )""",
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
