"""`ssa-scanner verify`: judge QR texts offline — the conformance interface.

One JSON line per QR on stdout; exit 0 once the QRs could be judged, whatever
they were; exit 3 when the trust list does not verify against the root key;
exit 2 for unusable arguments (unreadable file, malformed key).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from keys.b64url import b64url_decode
from keys.tokens import CredentialCache
from keys.trust_list import TrustList, TrustListInvalid, open_trust_list
from keys.verify import ResultCode

from .journal import Journal, JournalError

EXIT_OK, EXIT_USAGE, EXIT_TRUST_LIST_INVALID = 0, 2, 3


class UsageError(Exception):
    """An argument cannot be used; the message says which and why."""


def parse_public_key(text: str) -> bytes:
    """A 32-byte Ed25519 public key given as hex (64 digits) or base64url."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else b64url_decode(text.rstrip("="))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise UsageError(f"root key must be 32 bytes in hex or base64url, got {text[:80]!r}")
    return key


def read_trust_list_file(path: Path) -> bytes:
    """The trust list's COSE bytes from a binary file or a file holding their hex."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read trust list {path}: {exc.strerror}") from None
    text = data.strip()
    try:
        return bytes.fromhex(text.decode("ascii")) if text else data
    except (UnicodeDecodeError, ValueError):
        return data


def qr_lines(args: list[str], stdin: TextIO) -> Iterator[str]:
    """The QRs named on the command line, or one per non-blank stdin line for ``-``."""
    if args == ["-"]:
        for line in stdin:
            if line.strip():
                yield line
    else:
        yield from args


def run_verify(
    *,
    trust_list_path: Path,
    root_key: str,
    merchant_id: str,
    now: int | None,
    journal_path: Path | None,
    qrs: Iterable[str],
    out: TextIO,
) -> int:
    trust_list_bytes = read_trust_list_file(trust_list_path)
    root = parse_public_key(root_key)
    try:
        trust_list = open_trust_list(trust_list_bytes, root)
    except TrustListInvalid as exc:
        _emit(out, {"code": ResultCode.TRUST_LIST_INVALID.value, "message": str(exc)})
        return EXIT_TRUST_LIST_INVALID
    try:
        journal = Journal(journal_path or ":memory:")
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    with journal:
        _judge_all(journal, trust_list, merchant_id, now, qrs, out)
    return EXIT_OK


def _judge_all(
    journal: Journal,
    trust_list: TrustList,
    merchant_id: str,
    now: int | None,
    qrs: Iterable[str],
    out: TextIO,
) -> None:
    credentials = CredentialCache()
    for qr in qrs:
        at = now if now is not None else int(time.time())
        result = journal.judge(
            qr, trust_list=trust_list, merchant_id=merchant_id, now=at, credentials=credentials
        )
        _emit(out, result.to_json())


def _emit(out: TextIO, document: dict) -> None:
    out.write(json.dumps(document) + "\n")
    out.flush()


def main(args, out: TextIO = sys.stdout) -> int:
    try:
        return run_verify(
            trust_list_path=Path(args.trust_list),
            root_key=args.root_key,
            merchant_id=args.merchant,
            now=args.now,
            journal_path=Path(args.journal) if args.journal else None,
            qrs=qr_lines(args.qr, sys.stdin),
            out=out,
        )
    except UsageError as exc:
        print(f"ssa-scanner verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
