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
    # Democratic conventionnement (server/caisse/proposals.py, docs/democracy.md): the
    # statutes' decision rules, the charter, proposals and their ballots (wallet, proxy),
    # assembly counts, proxies, panels drawn by lot, members' strata, the approved shops'
    # public profile, assessments, the public decisions log and scheduled rule changes.
    # Self-contained: it refers only to members and merchants (migration 1).
    5: [
        """CREATE TABLE statutes (
            kind TEXT PRIMARY KEY,
            rule TEXT NOT NULL,
            changed_at BIGINT NOT NULL,
            proposal_id TEXT
        )""",
        """CREATE TABLE charter_versions (
            version BIGINT PRIMARY KEY,
            criteria TEXT NOT NULL,
            period TEXT NOT NULL,
            adopted_at BIGINT NOT NULL,
            proposal_id TEXT,
            note TEXT
        )""",
        """CREATE TABLE proposals (
            proposal_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            options TEXT NOT NULL,
            details TEXT NOT NULL,
            rule TEXT NOT NULL,
            panel_id TEXT,
            subject TEXT,
            status TEXT NOT NULL,
            opens_at BIGINT,
            closes_at BIGINT,
            proposed_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            screened_at BIGINT,
            screening_note TEXT,
            closed_at BIGINT,
            result TEXT
        )""",
        """CREATE INDEX proposals_status ON proposals (status, closes_at)""",
        """CREATE INDEX proposals_subject ON proposals (subject)""",
        # One ballot per member and proposal, replaced when changed before the close.
        # receipt = SHA-256 of (proposal, member, choice, nonce): published in the result.
        """CREATE TABLE ballots (
            proposal_id TEXT NOT NULL REFERENCES proposals (proposal_id),
            member_id TEXT NOT NULL REFERENCES members (member_id),
            choice TEXT NOT NULL,
            nonce TEXT NOT NULL,
            receipt TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            holder_id TEXT,
            cast_at BIGINT NOT NULL,
            changes BIGINT NOT NULL,
            PRIMARY KEY (proposal_id, member_id)
        )""",
        """CREATE TABLE assembly_counts (
            proposal_id TEXT NOT NULL REFERENCES proposals (proposal_id),
            count_id BIGINT NOT NULL,
            meeting TEXT NOT NULL,
            counts TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            PRIMARY KEY (proposal_id, count_id)
        )""",
        """CREATE TABLE proxies (
            proposal_id TEXT NOT NULL REFERENCES proposals (proposal_id),
            grantor_id TEXT NOT NULL REFERENCES members (member_id),
            holder_id TEXT NOT NULL REFERENCES members (member_id),
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            PRIMARY KEY (proposal_id, grantor_id)
        )""",
        """CREATE INDEX proxies_holder ON proxies (proposal_id, holder_id)""",
        """CREATE TABLE panels (
            panel_id TEXT PRIMARY KEY,
            purpose TEXT NOT NULL,
            size BIGINT NOT NULL,
            strata TEXT NOT NULL,
            commitment TEXT NOT NULL,
            seed TEXT,
            eligible TEXT,
            result TEXT,
            announced_at BIGINT NOT NULL,
            drawn_at BIGINT
        )""",
        """CREATE TABLE panel_declines (
            panel_id TEXT NOT NULL REFERENCES panels (panel_id),
            member_id TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            PRIMARY KEY (panel_id, member_id)
        )""",
        """CREATE TABLE member_strata (
            member_id TEXT PRIMARY KEY REFERENCES members (member_id),
            age_band TEXT,
            household TEXT,
            contribution_band TEXT,
            updated_at BIGINT NOT NULL
        )""",
        """CREATE TABLE shop_profiles (
            merchant_id TEXT PRIMARY KEY REFERENCES merchants (merchant_id),
            address TEXT NOT NULL,
            hours TEXT NOT NULL,
            scope TEXT,
            approved_at BIGINT NOT NULL,
            proposal_id TEXT,
            review_at BIGINT,
            withdrawn_from BIGINT,
            withdrawal_proposal_id TEXT
        )""",
        """CREATE TABLE assessments (
            assessment_id BIGINT PRIMARY KEY,
            proposal_id TEXT NOT NULL REFERENCES proposals (proposal_id),
            charter_version BIGINT NOT NULL,
            evaluations TEXT NOT NULL,
            summary TEXT NOT NULL,
            assessed_by TEXT NOT NULL,
            assessed_at BIGINT NOT NULL
        )""",
        """CREATE TABLE decisions (
            decision_id BIGINT PRIMARY KEY,
            proposal_id TEXT NOT NULL UNIQUE REFERENCES proposals (proposal_id),
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            outcome TEXT NOT NULL,
            record TEXT NOT NULL,
            decided_at BIGINT NOT NULL
        )""",
        """CREATE TABLE scheduled_rules (
            proposal_id TEXT PRIMARY KEY REFERENCES proposals (proposal_id),
            topic TEXT NOT NULL,
            period TEXT NOT NULL,
            value TEXT NOT NULL,
            decided_at BIGINT NOT NULL
        )""",
        """CREATE INDEX scheduled_rules_topic ON scheduled_rules (topic, period)""",
    ],
    # Households, allowances by household and contributions according to means
    # (docs/households.md): self-contained, renumber freely before release.
    6: [
        """CREATE TABLE households (
            household_id BIGINT PRIMARY KEY,
            label TEXT,
            adults BIGINT NOT NULL,
            children BIGINT NOT NULL,
            birth_years TEXT,
            reference TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )""",
        """ALTER TABLE members ADD COLUMN household_id BIGINT""",
        """ALTER TABLE members ADD COLUMN share_weight BIGINT""",
        """CREATE INDEX members_household ON members (household_id)""",
        # The allowance rule of a credential period, fixed when its first credential
        # is issued, and each holder's share: a later change waits for the next month.
        """CREATE TABLE allowance_periods (
            period TEXT PRIMARY KEY,
            rule TEXT NOT NULL,
            fixed_at BIGINT NOT NULL
        )""",
        """CREATE TABLE allowance_shares (
            period TEXT NOT NULL,
            member_id TEXT NOT NULL,
            household_id BIGINT NOT NULL,
            share_cents BIGINT NOT NULL,
            household_cents BIGINT NOT NULL,
            fixed_at BIGINT NOT NULL,
            PRIMARY KEY (period, member_id)
        )""",
        """CREATE INDEX allowance_shares_household ON allowance_shares (household_id, period)""",
        # What a household owes from a month on: only what its scheme needs.
        """CREATE TABLE contribution_choices (
            household_id BIGINT NOT NULL,
            from_period TEXT NOT NULL,
            monthly_cents BIGINT NOT NULL,
            band TEXT,
            declared_income_cents BIGINT,
            cpas BIGINT NOT NULL,
            scheme_kind TEXT NOT NULL,
            set_at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            PRIMARY KEY (household_id, from_period)
        )""",
        # Money received (negative: a returned debit), by channel.
        """CREATE TABLE contribution_payments (
            payment_id TEXT PRIMARY KEY,
            household_id BIGINT NOT NULL,
            amount_cents BIGINT NOT NULL,
            channel TEXT NOT NULL,
            received_on TEXT NOT NULL,
            source TEXT,
            note TEXT,
            recorded_at BIGINT NOT NULL,
            actor TEXT NOT NULL
        )""",
        """CREATE INDEX contribution_payments_household ON contribution_payments (household_id)""",
        """CREATE INDEX contribution_payments_received ON contribution_payments (received_on)""",
        """CREATE TABLE bank_statements (
            statement_key TEXT PRIMARY KEY,
            format TEXT NOT NULL,
            account TEXT,
            statement_id TEXT,
            sha256 {blob} NOT NULL,
            lines BIGINT NOT NULL,
            imported_at BIGINT NOT NULL,
            actor TEXT NOT NULL
        )""",
        # One row per bank entry ever seen, whatever statement brought it.
        """CREATE TABLE bank_entries (
            entry_key TEXT PRIMARY KEY,
            statement_key TEXT NOT NULL,
            booked_on TEXT NOT NULL,
            amount_cents BIGINT NOT NULL,
            counterparty_iban TEXT,
            counterparty_name TEXT,
            communication TEXT,
            structured_ref TEXT,
            end_to_end_id TEXT,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            household_id BIGINT,
            how TEXT,
            decided_by TEXT,
            decided_at BIGINT,
            imported_at BIGINT NOT NULL
        )""",
        """CREATE INDEX bank_entries_status ON bank_entries (status, booked_on)""",
        """CREATE TABLE household_ibans (
            iban TEXT NOT NULL,
            household_id BIGINT NOT NULL,
            PRIMARY KEY (iban, household_id)
        )""",
        """CREATE TABLE mandates (
            mandate_id TEXT PRIMARY KEY,
            household_id BIGINT NOT NULL,
            iban TEXT NOT NULL,
            bic TEXT,
            debtor_name TEXT NOT NULL,
            signed_on TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT
        )""",
        """CREATE INDEX mandates_household ON mandates (household_id)""",
        """CREATE TABLE debit_transactions (
            end_to_end_id TEXT PRIMARY KEY,
            msg_id TEXT NOT NULL,
            mandate_id TEXT NOT NULL,
            household_id BIGINT NOT NULL,
            period TEXT NOT NULL,
            amount_cents BIGINT NOT NULL,
            sequence TEXT NOT NULL,
            collection_date TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            returned_at BIGINT,
            return_reason TEXT
        )""",
        """CREATE INDEX debit_transactions_mandate ON debit_transactions (mandate_id)""",
        """CREATE TABLE debit_files (
            msg_id TEXT PRIMARY KEY,
            collection_date TEXT NOT NULL,
            transactions BIGINT NOT NULL,
            control_sum_cents BIGINT NOT NULL,
            sha256 {blob} NOT NULL,
            body {blob} NOT NULL,
            created_at BIGINT NOT NULL
        )""",
        """CREATE TABLE subsidies (
            subsidy_id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            amount_cents BIGINT NOT NULL,
            received_on TEXT NOT NULL,
            note TEXT,
            recorded_at BIGINT NOT NULL,
            actor TEXT NOT NULL
        )""",
    ],
    # Members without a smartphone (docs/vouchers.md): a member's channel (wallet, paper
    # or both, with the paper part of "both"), and a month's vouchers as one sheet per
    # member, reprinted as stored and voided whole. Self-contained: renumber freely.
    7: [
        """ALTER TABLE members ADD COLUMN channel TEXT""",
        """ALTER TABLE members ADD COLUMN paper_cents BIGINT""",
        """CREATE TABLE voucher_sheets (
            sheet_id BIGINT PRIMARY KEY,
            member_id TEXT NOT NULL REFERENCES members (member_id),
            period TEXT NOT NULL,
            share_cents BIGINT NOT NULL,
            amount_cents BIGINT NOT NULL,
            vouchers BIGINT NOT NULL,
            replaces BIGINT,
            issued_at BIGINT NOT NULL,
            issued_by TEXT,
            printed BIGINT NOT NULL,
            printed_at BIGINT NOT NULL,
            voided_at BIGINT,
            voided_by TEXT,
            void_reason TEXT
        )""",
        # One sheet in force per member and month: printing twice reprints it.
        """CREATE UNIQUE INDEX voucher_sheets_in_force ON voucher_sheets (member_id, period)
            WHERE voided_at IS NULL""",
        """CREATE INDEX voucher_sheets_period ON voucher_sheets (period, member_id)""",
        """ALTER TABLE vouchers ADD COLUMN sheet_id BIGINT""",
        """ALTER TABLE vouchers ADD COLUMN position BIGINT""",
        """ALTER TABLE vouchers ADD COLUMN period TEXT""",
        """ALTER TABLE vouchers ADD COLUMN serial TEXT""",
        """ALTER TABLE vouchers ADD COLUMN cose {blob}""",
        """CREATE INDEX vouchers_sheet ON vouchers (sheet_id, position)""",
        """CREATE INDEX vouchers_member ON vouchers (member_id, period)""",
        """CREATE UNIQUE INDEX vouchers_serial ON vouchers (serial)""",
    ],
    # Shop details (issue 18): the language of a shop's statements and letters, and
    # what the console edits and a directory may show (address, opening hours, what
    # the shop sells for the allowance). Free text, all optional.
    8: [
        """ALTER TABLE merchants ADD COLUMN language TEXT""",
        """ALTER TABLE merchants ADD COLUMN address TEXT""",
        """ALTER TABLE merchants ADD COLUMN hours TEXT""",
        """ALTER TABLE merchants ADD COLUMN scope TEXT""",
    ],
    # Intake under attack (issue 11, SPEC 1.1 §8): what each till reported, how each
    # scan was judged, every superseded refusal, and the content of each batch id.
    9: [
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
