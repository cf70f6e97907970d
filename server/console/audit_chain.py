"""Checking the audit log's hash chain: the first entry that was edited, removed or reordered."""

from __future__ import annotations

import json
from collections.abc import Iterable

from server.db.seam import Row
from server.storage.console import GENESIS, AuditEntry, audit_hash


def verify_audit_chain(rows: Iterable[Row]) -> int | None:
    """The seq of the first entry that does not chain, or None when the log is intact."""
    prev, expected_seq = GENESIS, 1
    for row in rows:
        entry = AuditEntry(
            row["seq"],
            row["at"],
            row["actor"],
            row["action"],
            row["target"],
            json.loads(row["detail"] or "{}"),
        )
        if (
            row["seq"] != expected_seq
            or bytes(row["prev_hash"]) != prev
            or bytes(row["entry_hash"]) != audit_hash(prev, entry)
        ):
            return row["seq"]
        prev, expected_seq = bytes(row["entry_hash"]), expected_seq + 1
    return None
