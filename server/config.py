"""The caisse's configuration: ``DIR/config.json``, written by ``ssa-admin init``.

Everything a caisse may tune lives here with a safe default; the file is
human-editable JSON and unknown keys are refused so a typo is not silently
ignored. Paths (database, keys) derive from the data directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_FILE = "config.json"
DATABASE_ENV = "SSA_DATABASE_URL"
DAY = 86_400
CAISSE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class ConfigError(Exception):
    """The configuration is missing or invalid; the message says what to fix."""


# RateLimit's defaults: the global bound is a last resort, far above what a few
# addresses can reach (each stops at PER_IP), see server/caisse/code_throttle.py.
PER_IP, GLOBAL, WINDOW_S = 10, 1000, 60


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Wrong one-time codes per window: ``per_ip`` per address; over ``global_`` from
    everyone, addresses that failed in the window are refused too."""

    per_ip: int = PER_IP
    global_: int = GLOBAL
    window_s: int = WINDOW_S


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    caisse: str
    allowance_cents: int = 15_000
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Europe/Brussels"
    kdf_profile: str = "sensitive"
    demo: bool = False
    database_url: str | None = None
    # Trust list: lifetime of a signed list, and how often it is re-signed at least.
    trust_list_validity_s: int = 7 * DAY
    trust_list_refresh_s: int = DAY
    max_token_age_s: int = 600
    max_clock_skew_s: int = 300
    # Credentials: next month's one is handed out during the last days of a month.
    renewal_days: int = 5
    code_ttl_s: int = 30 * DAY
    # Batch intake: how old a scan may be when it reaches the server.
    max_scan_age_s: int = 45 * DAY
    max_batch_scans: int = 1000
    max_batch_bytes: int = 4 * 1024 * 1024
    max_body_bytes: int = 64 * 1024
    rate_limit: RateLimit = field(default_factory=RateLimit)
    wallet_dir: str | None = None
    # Reconciliation and settlement (docs/reconciliation.md).
    sepa_debtor_name: str | None = None
    sepa_debtor_iban: str | None = None
    sepa_debtor_bic: str | None = None
    sepa_schema: str = "pain.001.001.03"
    settle_conflicts: str = "all"  # "all": pay every shop in good faith; "first": first scan only
    block_on_fraud: str = "member"  # "member", "credential" or "none"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "caisse.sqlite3"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def database(self) -> str:
        """The database URL in force: explicit, else the SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for transient in ("data_dir", "database_url"):
            out.pop(transient)
        out["rate_limit"] = {
            "per_ip": self.rate_limit.per_ip,
            "global": self.rate_limit.global_,
            "window_s": self.rate_limit.window_s,
        }
        return out

    def with_(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _check(config: Config) -> Config:
    if not CAISSE_ID.fullmatch(config.caisse):
        raise ConfigError("caisse id must be 2-63 lowercase letters, digits or '-'")
    positive = (
        "allowance_cents",
        "trust_list_validity_s",
        "trust_list_refresh_s",
        "max_scan_age_s",
        "max_batch_scans",
        "max_batch_bytes",
        "max_body_bytes",
        "code_ttl_s",
    )
    for name in positive:
        value = getattr(config, name)
        if type(value) is not int or value <= 0:
            raise ConfigError(f"{name} must be a positive integer")
    for name in ("max_token_age_s", "max_clock_skew_s", "renewal_days"):
        value = getattr(config, name)
        if type(value) is not int or value < 0:
            raise ConfigError(f"{name} must be a non-negative integer")
    if config.trust_list_refresh_s >= config.trust_list_validity_s:
        raise ConfigError("trust_list_refresh_s must be shorter than trust_list_validity_s")
    if config.kdf_profile not in ("sensitive", "interactive"):
        raise ConfigError("kdf_profile must be 'sensitive' or 'interactive'")
    _check_settlement(config)
    return config


def _check_settlement(config: Config) -> None:
    """The reconciliation policy and the caisse's own bank account (SEPA debtor)."""
    from stdnum import bic, iban

    if config.settle_conflicts not in ("all", "first"):
        raise ConfigError("settle_conflicts must be 'all' or 'first'")
    if config.block_on_fraud not in ("member", "credential", "none"):
        raise ConfigError("block_on_fraud must be 'member', 'credential' or 'none'")
    if config.sepa_schema not in ("pain.001.001.03", "pain.001.001.09"):
        raise ConfigError("sepa_schema must be 'pain.001.001.03' or 'pain.001.001.09'")
    if config.sepa_debtor_iban is not None and not iban.is_valid(config.sepa_debtor_iban):
        raise ConfigError("sepa_debtor_iban is not a valid IBAN")
    if config.sepa_debtor_bic is not None and not bic.is_valid(config.sepa_debtor_bic):
        raise ConfigError("sepa_debtor_bic is not a valid BIC")
    name = config.sepa_debtor_name
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 70):
        raise ConfigError("sepa_debtor_name must be 1 to 70 characters")


def from_json(data_dir: Path, document: dict[str, Any], database_url: str | None = None) -> Config:
    """Build a Config from the JSON document; unknown keys are an error (typos)."""
    if not isinstance(document, dict):
        raise ConfigError("config.json must hold a JSON object")
    document = dict(document)
    limits = document.pop("rate_limit", {}) or {}
    known = {f.name for f in dataclasses.fields(Config)} - {"data_dir", "database_url"}
    unknown = set(document) - known
    if unknown:
        raise ConfigError(f"unknown settings in config.json: {', '.join(sorted(unknown))}")
    try:
        rate = RateLimit(
            per_ip=int(limits.get("per_ip", PER_IP)),
            global_=int(limits.get("global", GLOBAL)),
            window_s=int(limits.get("window_s", WINDOW_S)),
        )
        config = Config(data_dir=data_dir, database_url=database_url, rate_limit=rate, **document)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid config.json: {exc}") from None
    return _check(config)


def load(data_dir: str | os.PathLike[str], database_url: str | None = None) -> Config:
    """Read ``DIR/config.json``; the database URL comes from the argument or SSA_DATABASE_URL."""
    data_dir = Path(data_dir).resolve()
    path = data_dir / CONFIG_FILE
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"{path} not found: create the caisse first (ssa-admin --data {data_dir} init ...)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None
    return from_json(data_dir, document, database_url or os.environ.get(DATABASE_ENV) or None)


def save(config: Config) -> None:
    """Write the config atomically (mode 0600: it names the caisse's setup)."""
    _check(config)
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = config.data_dir / CONFIG_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(config.to_json(), indent=2) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
