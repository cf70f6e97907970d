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

from server.banking import is_valid_bic, is_valid_iban

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
    till_dir: str | None = None  # the shop's browser till (default: till_pwa/ of the checkout)
    # Whom a shop or a member calls (phone, e-mail): shown on a till the caisse revoked.
    contact: str | None = None
    # The caisse as people read it on letters and statements ("Caisse alimentaire de
    # Schaerbeek"); the id above stays the technical one.
    display_name: str | None = None
    # When and where people find the caisse ("Tuesday 17:00-19:00, Rue Haute 12"), on letters.
    opening_hours: str | None = None
    # Reconciliation and settlement (docs/reconciliation.md).
    sepa_debtor_name: str | None = None
    sepa_debtor_iban: str | None = None
    sepa_debtor_bic: str | None = None
    sepa_schema: str = "pain.001.001.03"
    settle_conflicts: str = "all"  # "all": pay every shop in good faith; "first": first scan only
    block_on_fraud: str = "member"  # "member", "credential" or "none"
    # Households and contributions (docs/households.md): rule versions as JSON data,
    # checked by server.caisse.allowance / contributions; none: the flat allowance.
    allowance_rules: list | None = None
    contribution_schemes: list | None = None
    contribution_unpaid: str = "remind"  # "remind" (allowance never suspended) or "suspend"
    sepa_creditor_id: str | None = None  # SEPA creditor identifier, for direct debits
    sepa_creditor_address: str | None = None  # printed on the mandate form, as the rulebook asks
    sepa_prenotice_days: int = 14  # a debit's amount and date are told this many days before
    # Planning (docs/simulation.md): the runway's warning threshold, the subsidies and
    # costs expected; checked by server.ledger.runway.
    budget: dict | None = None
    # Paper vouchers and letters (docs/vouchers.md): the face values a paper share is
    # printed in (None: 20/10/5/2 €), and what every sheet and letter says of the caisse.
    voucher_denominations_cents: list | None = None
    caisse_name: str | None = None  # e.g. "Caisse alimentaire de Schaerbeek"
    caisse_contact: str | None = None  # address, phone, e-mail, one line
    caisse_hours: str | None = None  # the permanence's opening hours, one line

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

    @property
    def display(self) -> str:
        """The caisse's name for people: its display name, else its bank name, else its id."""
        return self.display_name or self.sepa_debtor_name or self.caisse

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
    if config.contact is not None and (
        not isinstance(config.contact, str) or len(config.contact) > 200
    ):
        raise ConfigError("contact must be a text of at most 200 characters")
    if config.display_name is not None and (
        not isinstance(config.display_name, str)
        or not config.display_name.strip()
        or len(config.display_name) > 100
    ):
        raise ConfigError("display_name must be 1 to 100 characters")
    if config.opening_hours is not None and (
        not isinstance(config.opening_hours, str) or len(config.opening_hours) > 300
    ):
        raise ConfigError("opening_hours must be a text of at most 300 characters")
    if config.kdf_profile not in ("sensitive", "interactive"):
        raise ConfigError("kdf_profile must be 'sensitive' or 'interactive'")
    _check_settlement(config)
    _check_contributions(config)
    _check_paper(config)
    return config


def _check_paper(config: Config) -> None:
    """Paper vouchers' face values and the caisse's printed name, contact and hours."""
    values = config.voucher_denominations_cents
    if values is not None and not (
        isinstance(values, list)
        and 1 <= len(values) <= 12
        and all(type(v) is int and 1 <= v <= 100_000 for v in values)
        and len(set(values)) == len(values)
    ):
        raise ConfigError(
            "voucher_denominations_cents must list 1 to 12 different values in cents (1 to 100000)"
        )
    for name in ("caisse_name", "caisse_contact", "caisse_hours"):
        value = getattr(config, name)
        if value is not None and (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > 200
            or any(ord(c) < 32 for c in value)
        ):
            raise ConfigError(f"{name} must be one line of 1 to 200 characters")


def _check_contributions(config: Config) -> None:
    """The shape of the household settings; their content is checked by their engines."""
    from stdnum.eu import at_02

    for name in ("allowance_rules", "contribution_schemes"):
        value = getattr(config, name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            raise ConfigError(f"{name} must be a list of JSON objects")
    if config.budget is not None and not isinstance(config.budget, dict):
        raise ConfigError("budget must be a JSON object")
    if config.contribution_unpaid not in ("remind", "suspend"):
        raise ConfigError("contribution_unpaid must be 'remind' or 'suspend'")
    if config.sepa_creditor_id is not None and not at_02.is_valid(config.sepa_creditor_id):
        raise ConfigError("sepa_creditor_id is not a valid SEPA creditor identifier")
    days = config.sepa_prenotice_days
    if type(days) is not int or not 0 <= days <= 60:
        raise ConfigError("sepa_prenotice_days must be 0 to 60")


def _check_settlement(config: Config) -> None:
    """The reconciliation policy and the caisse's own bank account (SEPA debtor)."""
    if config.settle_conflicts not in ("all", "first"):
        raise ConfigError("settle_conflicts must be 'all' or 'first'")
    if config.block_on_fraud not in ("member", "credential", "none"):
        raise ConfigError("block_on_fraud must be 'member', 'credential' or 'none'")
    if config.sepa_schema not in ("pain.001.001.03", "pain.001.001.09"):
        raise ConfigError("sepa_schema must be 'pain.001.001.03' or 'pain.001.001.09'")
    if config.sepa_debtor_iban is not None and not is_valid_iban(config.sepa_debtor_iban):
        raise ConfigError("sepa_debtor_iban is not a valid IBAN")
    if config.sepa_debtor_bic is not None and not is_valid_bic(config.sepa_debtor_bic):
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


def update(config: Config, changes: dict[str, Any]) -> Config:
    """Change some settings in ``DIR/config.json`` and return the new configuration.

    Only the keys in ``changes`` are touched (None removes a key: its default applies
    again); every other line of the file stays as the caisse wrote it, so editing the
    file by hand and from the console go together. The result is checked like a
    loaded file, then written atomically.
    """
    path = config.data_dir / CONFIG_FILE
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from None
    for key, value in changes.items():
        if key in ("data_dir", "database_url", "rate_limit"):
            raise ConfigError(f"{key} cannot be changed this way")
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    updated = from_json(config.data_dir, document, config.database_url)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return updated
