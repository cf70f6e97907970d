"""Caisse administration shared by ``ssa-admin``, the demo and tests: setup and keys.

``open_caisse`` gives a migrated storage for a data directory; ``init_caisse``
creates config, keys and the first trust list; ``rotate_issuer_key`` starts a
new issuer key and keeps the old one in the trust list until its credentials
expire.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from server import config as config_mod
from server.caisse.keyring import create_issuer_key, create_root_key, root_path
from server.caisse.trust import issuer_not_after, sign_new_list
from server.config import Config, ConfigError
from server.db.seam import open_database
from server.errors import DomainError
from server.storage.core import Storage


class AdminError(DomainError):
    """An administrative action cannot be done; the message says why."""

    code = "ADMIN_REFUSED"


@dataclass(slots=True)
class Caisse:
    config: Config
    storage: Storage


@dataclass(frozen=True, slots=True)
class CaisseCreated:
    caisse: str
    data_dir: str
    root_public_key: str  # hex
    issuer_kid: str  # hex
    trust_list_seq: int
    allowance_cents: int


@dataclass(frozen=True, slots=True)
class KeyRotated:
    issuer_kid: str  # hex, the key that signs from now on
    retired: int  # how many older keys got their end date
    trust_list_seq: int


@dataclass(frozen=True, slots=True)
class TrustListSigned:
    trust_list_seq: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class IssuerKey:
    kid: str  # hex
    not_before: int
    retired_at: int | None
    not_after: int | None


@dataclass(frozen=True, slots=True)
class CaisseStatus:
    caisse: str
    trust_list_seq: int | None
    trust_list_issued_at: int | None
    issuer_keys: list[IssuerKey]
    counts: dict[str, int]


@asynccontextmanager
async def open_caisse(
    data_dir: str | Path, database_url: str | None = None, *, schema: str | None = None
) -> AsyncIterator[Caisse]:
    cfg = config_mod.load(data_dir, database_url)
    storage = Storage(open_database(cfg.database, schema=schema))
    await storage.open()
    try:
        yield Caisse(cfg, storage)
    finally:
        await storage.close()


CONFIG_META = "config_json"  # the configuration as last recorded in the audit log


async def record_config(storage: Storage, config: Config, actor: str, now: int) -> bool:
    """Audit the configuration when it differs from the one last recorded (a hand edit of
    config.json included): ``config.change`` with each changed setting, old and new.

    Called when a server or an ``ssa-admin`` command starts; True if it recorded."""
    current = json.dumps(config.to_json(), sort_keys=True)
    async with storage.transaction() as q:
        before = await q.get_meta(CONFIG_META)
        if before == current:
            return False
        old = json.loads(before) if before else {}
        new = json.loads(current)
        changed = {k: [old.get(k), new.get(k)] for k in sorted(new.keys() | old.keys())
                   if old.get(k) != new.get(k)}  # fmt: skip
        await q.console.append_audit(
            actor=actor,
            action="config.change" if before else "config.record",
            target=config.caisse,
            detail={"changed": changed},
            now=now,
        )
        await q.set_meta(CONFIG_META, current)
    return True


async def init_caisse(
    cfg: Config,
    passphrase: str,
    now: int,
    *,
    schema: str | None = None,
    root: SigningKey | None = None,
    issuer: tuple[SigningKey, bytes, str] | None = None,
) -> CaisseCreated:
    """Create the caisse in ``cfg.data_dir``: config, root and issuer keys, database, trust list.

    ``root``/``issuer`` let tests reuse key files made once (the KDF is slow on purpose).
    """
    if (cfg.data_dir / config_mod.CONFIG_FILE).exists() or (
        root is None and root_path(cfg).exists()
    ):
        raise AdminError(f"{cfg.data_dir} already holds a caisse; refusing to overwrite it")
    try:
        config_mod.save(cfg)
    except ConfigError as exc:
        raise AdminError(str(exc)) from None
    root_key = root if root is not None else create_root_key(cfg, passphrase)[0]
    issuer_key, kid, file = issuer if issuer is not None else create_issuer_key(cfg, passphrase)
    storage = Storage(open_database(cfg.database, schema=schema))
    await storage.open()
    try:
        async with storage.transaction() as q:
            if await q.active_issuer_key() is not None:
                raise AdminError("the database already holds a caisse; use another database")
            await q.set_meta("caisse", cfg.caisse)
            await q.add_issuer_key(kid, bytes(issuer_key.verify_key), file, now)
            signed = await sign_new_list(q, cfg, root_key, now, "caisse created")
    finally:
        await storage.close()
    return CaisseCreated(
        caisse=cfg.caisse,
        data_dir=str(cfg.data_dir),
        root_public_key=bytes(root_key.verify_key).hex(),
        issuer_kid=kid.hex(),
        trust_list_seq=signed.seq,
        allowance_cents=cfg.allowance_cents,
    )


async def rotate_issuer_key(
    caisse: Caisse, passphrase: str, root: SigningKey, now: int
) -> KeyRotated:
    """A new issuer key signs from now on; the old ones stay listed until their credentials end."""
    cfg = caisse.config
    new_key, kid, file = create_issuer_key(cfg, passphrase)
    async with caisse.storage.transaction() as q:
        await q.add_issuer_key(kid, bytes(new_key.verify_key), file, now)
        retired = await q.retire_issuer_keys(kid, now, issuer_not_after(cfg, now))
        signed = await sign_new_list(q, cfg, root, now, "issuer key rotated")
    return KeyRotated(kid.hex(), retired, signed.seq)


async def resign_trust_list(caisse: Caisse, root: SigningKey, now: int) -> TrustListSigned:
    async with caisse.storage.transaction() as q:
        signed = await sign_new_list(q, caisse.config, root, now, "signed by admin")
    return TrustListSigned(signed.seq, signed.expires_at)


async def status(caisse: Caisse) -> CaisseStatus:
    async with caisse.storage.read() as q:
        latest = await q.latest_trust_list()
        keys = await q.issuer_keys()
        counts = await q.counts()
    return CaisseStatus(
        caisse=caisse.config.caisse,
        trust_list_seq=latest["seq"] if latest else None,
        trust_list_issued_at=latest["issued_at"] if latest else None,
        issuer_keys=[
            IssuerKey(bytes(k["kid"]).hex(), k["not_before"], k["retired_at"], k["not_after"])
            for k in keys
        ],
        counts=counts,
    )
