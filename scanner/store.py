"""The scanner's data directory: its identity, its pinned root key and trust list.

Layout of ``DIR`` (default ``~/.local/share/ssa-scanner``, or ``SSA_SCANNER_DATA``):
``scanner.json`` (server URL, merchant id, root public key), ``merchant-key.json``
(the merchant's Ed25519 key, sealed with the passphrase), ``trust-list.cose``
(the installed list, replaced atomically) and ``journal.sqlite``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from keys.trust_list import TrustList, TrustListInvalid, check_rollback, open_trust_list

CONFIG = "scanner.json"
KEY_FILE = "merchant-key.json"
TRUST_LIST = "trust-list.cose"
JOURNAL = "journal.sqlite"


class NotEnrolled(Exception):
    """This data directory has no enrolled scanner yet."""


def default_data_dir() -> Path:
    env = os.environ.get("SSA_SCANNER_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ssa-scanner"


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    server_url: str
    merchant_id: str
    root_public_key: str  # hex
    merchant_public_key: str  # hex
    scope: str | None = None  # what the members approved the shop for; None: the whole shop

    @property
    def root_key(self) -> bytes:
        return bytes.fromhex(self.root_public_key)


def _atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class ScannerStore:
    """Files of one scanner's data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir)

    @property
    def key_path(self) -> Path:
        return self.dir / KEY_FILE

    @property
    def journal_path(self) -> Path:
        return self.dir / JOURNAL

    def ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def config(self) -> ScannerConfig:
        try:
            return ScannerConfig(**json.loads((self.dir / CONFIG).read_text()))
        except FileNotFoundError:
            raise NotEnrolled(
                f"no scanner is enrolled in {self.dir}: run `ssa-scanner enroll` first"
            ) from None
        except (ValueError, TypeError) as exc:
            raise NotEnrolled(f"{self.dir / CONFIG} is damaged: {exc}") from None

    def save_config(self, config: ScannerConfig) -> None:
        _atomic_write(self.dir / CONFIG, json.dumps(asdict(config), indent=1).encode())

    def trust_list(self) -> TrustList:
        """The installed trust list, re-verified against the pinned root key."""
        config = self.config()
        try:
            data = (self.dir / TRUST_LIST).read_bytes()
        except FileNotFoundError:
            raise NotEnrolled(f"no trust list installed in {self.dir}") from None
        return open_trust_list(data, config.root_key)

    def install_trust_list(self, data: bytes, root_key: bytes) -> TrustList:
        """Verify ``data`` and install it unless it is older than the installed list.

        Raises TrustListInvalid (not signed by the pinned root) or TrustListRollback.
        """
        new = open_trust_list(data, root_key)
        try:
            installed: int | None = open_trust_list(
                (self.dir / TRUST_LIST).read_bytes(), root_key
            ).seq
        except (FileNotFoundError, TrustListInvalid):
            installed = None
        check_rollback(new, installed)
        if installed != new.seq:
            _atomic_write(self.dir / TRUST_LIST, data)
        return new
