"""A shop's tills (scanner keys) as the console shows them: a short fingerprint and dates."""

from __future__ import annotations

from typing import Any

from keys.signed_request import b64url_encode

FINGERPRINT_CHARS = 8  # the start of the key as `ssa-admin merchant devices` prints it


def tills_of(rows: list[Any]) -> list[dict[str, Any]]:
    """The shop's scanner keys, in the query's order (oldest enrolment first)."""
    tills = []
    for row in rows:
        key = b64url_encode(bytes(row["public_key"]))
        tills.append(
            {
                "key": key,
                "fingerprint": key[:FINGERPRINT_CHARS],
                "enrolled_at": row["enrolled_at"],
                "revoked_at": row["revoked_at"],
                "last_upload_at": row["last_upload_at"],
            }
        )
    return tills
