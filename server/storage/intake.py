"""SQL of batch intake beyond storing scans (migration 5): ``q.intake``.

What a batch id held, what each till (scanner key) reported before, the
verdict already stored for a token, a refusal replaced by a later judgement of
the same token, and refusals of a token already stored. Written for both
dialects; every write here is safe under concurrent uploads (a conditional
``UPDATE`` or an ``ON CONFLICT``), so two transactions never both win.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.db.seam import Row
from server.storage.core import SCAN_COLUMNS, Queries, ScanRow

_REFUSAL_COLUMNS = (
    "scan_key, merchant_id, batch_id, scanned_at, received_at, code, message, "
    "trust_list_seq, till_list_seq, judged_by, scanner_result"
)
_UPDATED = [c.strip() for c in SCAN_COLUMNS.split(",")][1:]  # every column but scan_key


class IntakeQueries:
    """Intake SQL on the connection of ``q`` (inside its read or transaction)."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn

    # -- batches ----------------------------------------------------------------------

    async def batch_content(self, merchant_id: str, batch_id: str) -> bytes | None:
        """The content digest of a batch id already received (b"" if it predates them)."""
        row = await self.conn.fetchone(
            "SELECT content_sha256 FROM batches WHERE merchant_id = ? AND batch_id = ?",
            merchant_id,
            batch_id,
        )
        if row is None:
            return None
        return b"" if row[0] is None else bytes(row[0])

    async def insert_batch(
        self,
        merchant_id: str,
        batch_id: str,
        device_key: bytes,
        received_at: int,
        counts: tuple[int, int, int, int],
        content_sha256: bytes,
    ) -> bool:
        """Record a batch; False if that id was stored meanwhile (nothing written)."""
        scans, received, duplicates, rejected = counts
        return bool(
            await self.conn.execute(
                "INSERT INTO batches (merchant_id, batch_id, device_key, received_at, scans, "
                "received, duplicates, rejected, content_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, batch_id) DO NOTHING",
                merchant_id,
                batch_id,
                device_key,
                received_at,
                scans,
                received,
                duplicates,
                rejected,
                content_sha256,
            )
        )

    # -- tills --------------------------------------------------------------------------

    async def till(self, device_key: bytes) -> Row | None:
        return await self.conn.fetchone(
            "SELECT last_upload_at, last_scan_at FROM tills WHERE device_key = ?", device_key
        )

    async def till_reports(self, device_key: bytes, above_seq: int) -> list[tuple[int, int]]:
        """(earliest scanned_at, seq) of each list seq above ``above_seq`` the till reported."""
        rows = await self.conn.fetchall(
            "SELECT first_scanned_at, seq FROM till_lists WHERE device_key = ? AND seq > ?",
            device_key,
            above_seq,
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def save_till(
        self, device_key: bytes, expected_upload_at: int | None, upload_at: int, scan_at: int
    ) -> bool:
        """Move the till's history on, only if no other upload of it moved it meanwhile."""
        if expected_upload_at is None:
            return bool(
                await self.conn.execute(
                    "INSERT INTO tills (device_key, last_upload_at, last_scan_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (device_key) DO NOTHING",
                    device_key,
                    upload_at,
                    scan_at,
                )
            )
        return bool(
            await self.conn.execute(
                "UPDATE tills SET last_upload_at = ?, "
                "last_scan_at = CASE WHEN last_scan_at > ? THEN last_scan_at ELSE ? END "
                "WHERE device_key = ? AND last_upload_at = ?",
                upload_at,
                scan_at,
                scan_at,
                device_key,
                expected_upload_at,
            )
        )

    async def report_lists(self, device_key: bytes, firsts: dict[int, int]) -> None:
        """Remember, per list seq, the earliest scan time at which the till reported it."""
        if firsts:
            await self.conn.executemany(
                "INSERT INTO till_lists (device_key, seq, first_scanned_at) VALUES (?, ?, ?) "
                "ON CONFLICT (device_key, seq) DO UPDATE SET first_scanned_at = CASE "
                "WHEN till_lists.first_scanned_at < excluded.first_scanned_at "
                "THEN till_lists.first_scanned_at ELSE excluded.first_scanned_at END",
                [(device_key, seq, at) for seq, at in sorted(firsts.items())],
            )

    # -- tokens already stored -------------------------------------------------------------

    async def stored_verdicts(self, scan_keys: Sequence[bytes]) -> dict[bytes, Row]:
        rows = await self.conn.fetch_in(
            "SELECT scan_key, status, code, merchant_id, scanned_at FROM scans WHERE {in}",
            column="scan_key",
            values=scan_keys,
            sql_type="bytea",
        )
        return {bytes(r["scan_key"]): r for r in rows}

    async def supersede(
        self,
        row: ScanRow,
        merchant_id: str,
        batch_id: str,
        received_at: int,
        final_codes: Sequence[str],
    ) -> bool:
        """Replace a stored refusal that depended on its upload (scan time, trust list,
        shop) by this new verdict; the old refusal is kept in ``scan_refusals``.

        False if the stored row is no such refusal (any more): a concurrent upload
        of the same token won, or the refusal was final.
        """
        replaceable = (
            f"scan_key = ? AND status = 'rejected' AND code NOT IN "
            f"({', '.join('?' * len(final_codes))})"
        )
        await self.conn.execute(
            f"INSERT INTO scan_refusals ({_REFUSAL_COLUMNS}) SELECT {_REFUSAL_COLUMNS} "
            f"FROM scans WHERE {replaceable} ON CONFLICT DO NOTHING",
            row.scan_key,
            *final_codes,
        )
        values = row.values(merchant_id, batch_id, received_at)[1:]
        assignments = ", ".join(f"{column} = ?" for column in _UPDATED)
        return bool(
            await self.conn.execute(
                f"UPDATE scans SET {assignments} WHERE {replaceable}",
                *values,
                row.scan_key,
                *final_codes,
            )
        )

    async def insert_refusals(
        self, merchant_id: str, batch_id: str, received_at: int, rows: Sequence[ScanRow]
    ) -> None:
        """Refusals of tokens already stored (another shop's, or refused before)."""
        if rows:
            await self.conn.executemany(
                f"INSERT INTO scan_refusals ({_REFUSAL_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (
                        r.scan_key,
                        merchant_id,
                        batch_id,
                        r.scanned_at,
                        received_at,
                        r.code,
                        r.message,
                        r.trust_list_seq,
                        r.till_list_seq,
                        r.judged_by,
                        r.scanner_result,
                    )
                    for r in rows
                ],
            )

    async def refusals_of(self, scan_key: bytes) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {_REFUSAL_COLUMNS} FROM scan_refusals WHERE scan_key = ? "
            "ORDER BY received_at, merchant_id, batch_id",
            scan_key,
        )


__all__ = ["IntakeQueries"]
