"""The wallet PWA (built elsewhere) is served at /wallet/ when its directory has an index.html."""

from __future__ import annotations

import httpx
import pytest

from server.app import create_app
from server.caisse.keyring import KeyRing
from server.config import Config

pytestmark = pytest.mark.anyio


async def test_wallet_directory_is_served_at_wallet(tmp_path, key_material):
    wallet = tmp_path / "wallet"
    wallet.mkdir()
    (wallet / "index.html").write_text("<!doctype html><title>wallet</title>")
    cfg = Config(data_dir=tmp_path / "data", caisse="test-caisse", wallet_dir=str(wallet))
    app = create_app(cfg, keyring=KeyRing(cfg, key_material.root))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        r = await client.get("/wallet/")
        assert r.status_code == 200 and "wallet" in r.text
        r = await client.get("/wallet")
        assert r.status_code == 308 and r.headers["location"] == "/wallet/"


async def test_no_wallet_directory_means_no_wallet_route(tmp_path, key_material):
    cfg = Config(
        data_dir=tmp_path / "data", caisse="test-caisse", wallet_dir=str(tmp_path / "absent")
    )
    app = create_app(cfg, keyring=KeyRing(cfg, key_material.root))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        r = await client.get("/wallet/")
        assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"


async def test_wallet_files_carry_a_strict_csp_and_are_revalidated(tmp_path, key_material):
    wallet = tmp_path / "wallet"
    (wallet / "tools").mkdir(parents=True)
    (wallet / "index.html").write_text("<!doctype html><title>wallet</title>")
    (wallet / "sw.js").write_text("self.addEventListener('install', () => {});")
    (wallet / "tools" / "vendor.mjs").write_text("// build script")
    cfg = Config(data_dir=tmp_path / "data", caisse="test-caisse", wallet_dir=str(wallet))
    app = create_app(cfg, keyring=KeyRing(cfg, key_material.root))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        for path in ("/wallet/", "/wallet/sw.js"):
            r = await client.get(path)
            assert r.status_code == 200
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp
            assert r.headers["cache-control"] == "no-cache"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
        assert (await client.get("/wallet/tools/vendor.mjs")).status_code == 404
