"""Server test fixtures: a real caisse on SQLite and on PostgreSQL, real HTTP through ASGI.

Key files are made once per session (argon2id is slow on purpose) and copied
into each test's data directory. Every test using ``api`` or ``caisse`` runs
twice: on a SQLite file and on its own PostgreSQL schema (dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from keys import signed_request, tokens
from keys.signed_request import b64url_decode, b64url_encode
from server.app import create_app
from server.caisse import members, merchants
from server.caisse.keyring import KeyRing, create_issuer_key, create_root_key
from server.caisse.setup import init_caisse
from server.config import Config, RateLimit
from server.db.postgres import LOCAL_TEST_URLS, first_reachable
from tests.conftest import Clock

PASSPHRASE = "test-passphrase"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class KeyMaterial:
    keys_dir: Path
    root: SigningKey
    issuer: tuple[SigningKey, bytes, str]


@pytest.fixture(scope="session")
def key_material(tmp_path_factory: pytest.TempPathFactory) -> KeyMaterial:
    base = tmp_path_factory.mktemp("keys-template")
    cfg = Config(data_dir=base, caisse="test-caisse", kdf_profile="interactive")
    root, _ = create_root_key(cfg, PASSPHRASE)
    issuer = create_issuer_key(cfg, PASSPHRASE)
    return KeyMaterial(cfg.keys_dir, root, issuer)


_pg_url: list[str | None] = []


def postgres_url() -> str | None:
    if not _pg_url:
        _pg_url.append(
            os.environ.get("SSA_TEST_POSTGRES") or asyncio.run(first_reachable(LOCAL_TEST_URLS))
        )
    return _pg_url[0]


@dataclass(frozen=True)
class Backend:
    name: str
    url: str | None  # None: the SQLite file in the data dir
    schema: str | None


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, service_missing: Any) -> Any:
    if request.param == "sqlite":
        yield Backend("sqlite", None, None)
        return
    url = postgres_url()
    if url is None:
        service_missing("PostgreSQL is not reachable at 127.0.0.1:5432 (database test)")
    schema = f"ssa_t_{secrets.token_hex(6)}"
    yield Backend("postgres", url, schema)

    async def drop() -> None:
        from server.db.postgres import PostgresDatabase

        await PostgresDatabase(url, schema=schema).drop_schema()

    asyncio.run(drop())


def make_config(data_dir: Path, backend: Backend, **overrides: Any) -> Config:
    values: dict[str, Any] = dict(
        data_dir=data_dir,
        caisse="test-caisse",
        kdf_profile="interactive",
        database_url=backend.url,
        rate_limit=RateLimit(per_ip=5, global_=20, window_s=60),
    )
    values.update(overrides)
    return Config(**values)


async def make_caisse(
    data_dir: Path, backend: Backend, keys: KeyMaterial, now: int, **overrides: Any
) -> Config:
    cfg = make_config(data_dir, backend, **overrides)
    shutil.copytree(keys.keys_dir, cfg.keys_dir)
    await init_caisse(
        cfg, PASSPHRASE, now, schema=backend.schema, root=keys.root, issuer=keys.issuer
    )
    return cfg


@dataclass
class Member:
    member_id: str
    code: str
    key: SigningKey
    credential: bytes | None = None

    def pay(
        self,
        amount: int,
        seq: int,
        cum: int,
        iat: int,
        aud: str | None = None,
        credential: bytes | None = None,
    ) -> str:
        cred = credential or self.credential
        assert cred is not None
        return tokens.to_qr(
            tokens.encode_payment(
                credential_cose=cred,
                amount_cents=amount,
                seq=seq,
                cumulative_cents=cum,
                iat=iat,
                member_key=self.key,
                aud=aud,
            )
        )


@dataclass
class Shop:
    merchant_id: str
    code: str
    key: SigningKey


class Harness:
    """The app of one caisse, an httpx client on it, and shortcuts for common steps."""

    def __init__(self, cfg: Config, backend: Backend, keys: KeyMaterial, clock: Clock) -> None:
        self.cfg, self.backend, self.keys, self.clock = cfg, backend, keys, clock
        keyring = KeyRing(cfg, keys.root, {keys.issuer[1]: keys.issuer[0]}, PASSPHRASE)
        self.app = create_app(cfg, keyring=keyring, clock=clock, schema=backend.schema)
        self.ctx = self.app.state.ctx
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
        )
        self._lifespan: Any = None

    async def start(self) -> Harness:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        return self

    async def stop(self) -> None:
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)

    @property
    def now(self) -> int:
        return int(self.clock())

    async def signed(
        self,
        method: str,
        path: str,
        key: SigningKey,
        body: Any = None,
        *,
        ts: int | None = None,
        raw: bytes | None = None,
    ) -> httpx.Response:
        data = raw if raw is not None else (b"" if body is None else _json(body))
        header = signed_request.sign_request(
            key, method, path, data, self.now if ts is None else ts
        )
        return await self.client.request(
            method,
            path,
            content=data,
            headers={"Authorization": header, "Content-Type": "application/json"},
        )

    async def add_member(self, name: str = "Test member") -> Member:
        async with self.ctx.storage.transaction() as q:
            out = await members.add_member(q, self.cfg, name=name, email=None, now=self.now)
        return Member(out.member_id, out.activation_code, SigningKey.generate())

    async def activate(self, member: Member | None = None) -> Member:
        member = member or await self.add_member()
        r = await self.client.post(
            "/api/v1/wallet/activate",
            json={"code": member.code, "public_key": b64url_encode(bytes(member.key.verify_key))},
        )
        assert r.status_code == 200, r.text
        member.credential = b64url_decode(r.json()["credential"])
        return member

    async def add_shop(self, name: str = "Test shop") -> Shop:
        async with self.ctx.storage.transaction() as q:
            out = await merchants.add_merchant(
                q, self.cfg, name=name, iban="BE71 0961 2345 6769", bic=None, now=self.now
            )
        return Shop(out.merchant_id, out.enrollment_code, SigningKey.generate())

    async def enroll(self, shop: Shop | None = None) -> Shop:
        shop = shop or await self.add_shop()
        r = await self.client.post(
            "/api/v1/merchant/enroll",
            json={"code": shop.code, "public_key": b64url_encode(bytes(shop.key.verify_key))},
        )
        assert r.status_code == 200, r.text
        assert r.json()["merchant_id"] == shop.merchant_id
        return shop

    async def upload(
        self, shop: Shop, scans: list[dict], batch_id: str | None = None
    ) -> httpx.Response:
        body = {"batch_id": batch_id or secrets.token_hex(8), "scans": scans}
        return await self.signed("POST", "/api/v1/merchant/batches", shop.key, body)

    async def counts(self) -> dict[str, int]:
        async with self.ctx.storage.read() as q:
            return await q.counts()


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


@pytest.fixture
async def caisse(
    tmp_path: Path, backend: Backend, key_material: KeyMaterial, clock: Clock
) -> Config:
    return await make_caisse(tmp_path / "data", backend, key_material, int(clock()))


@pytest.fixture
async def api(caisse: Config, backend: Backend, key_material: KeyMaterial, clock: Clock) -> Any:
    harness = await Harness(caisse, backend, key_material, clock).start()
    clock.advance(60)  # scans a few seconds old must not predate the caisse itself
    try:
        yield harness
    finally:
        await harness.stop()
