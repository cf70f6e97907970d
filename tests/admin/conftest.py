"""Admin console fixtures: the server tests' real caisse (SQLite file and PostgreSQL
schema), plus console accounts and a logged-in httpx client.

The server area's helpers (Harness, make_caisse, backends) are loaded from
tests/server/conftest.py by path, so both areas test the same real setup.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.console.auth.accounts import add_user

from ..conftest import RealServer, serve_caisse

_SPEC = importlib.util.spec_from_file_location(
    "ssa_server_test_helpers", Path(__file__).resolve().parent.parent / "server" / "conftest.py"
)
server_helpers: Any = importlib.util.module_from_spec(_SPEC)  # type: ignore[arg-type]
sys.modules[_SPEC.name] = server_helpers  # type: ignore[union-attr]
_SPEC.loader.exec_module(server_helpers)  # type: ignore[union-attr]

Harness = server_helpers.Harness
anyio_backend = server_helpers.anyio_backend
key_material = server_helpers.key_material
backend = server_helpers.backend
caisse = server_helpers.caisse
api = server_helpers.api

ADMIN = ("admin@caisse.example", "admin-password-123")
OPERATOR = ("operator@caisse.example", "operator-password-123")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match[1]


class Console:
    """An httpx client of the console, logged in (or not) as one account."""

    def __init__(self, api: Any, email: str | None = None) -> None:
        self.api = api
        self.email = email
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api.app),
            base_url="http://testserver",
            headers={"Accept-Language": "en"},
        )
        self.token = ""

    async def login(self, email: str, password: str) -> httpx.Response:
        page = await self.client.get("/admin/login")
        return await self.client.post(
            "/admin/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": password},
        )

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        r = await self.client.get(path, **kw)
        if CSRF.search(r.text):
            self.token = csrf_of(r.text)
        return r

    async def post(self, path: str, data: dict | None = None, **kw: Any) -> httpx.Response:
        if not self.token:
            await self.get("/admin/")
        return await self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)

    async def close(self) -> None:
        await self.client.aclose()


@pytest.fixture
async def accounts(api: Any) -> Any:
    for (email, password), role in ((ADMIN, "admin"), (OPERATOR, "operator")):
        await add_user(api.ctx.storage, email=email, password=password, role=role, now=api.now)
    return api


async def _console(api: Any, who: tuple[str, str] | None) -> Console:
    console = Console(api, who[0] if who else None)
    if who:
        r = await console.login(*who)
        assert r.status_code == 303, r.text
        await console.get("/admin/")
    return console


@pytest.fixture
async def admin(accounts: Any) -> Any:
    console = await _console(accounts, ADMIN)
    yield console
    await console.close()


@pytest.fixture
async def operator(accounts: Any) -> Any:
    console = await _console(accounts, OPERATOR)
    yield console
    await console.close()


@pytest.fixture
async def anonymous(accounts: Any) -> Any:
    console = await _console(accounts, None)
    yield console
    await console.close()


# -- real server and real Chromium (browser tests) ------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def browser(service_missing, launch_chromium):
    """One Chromium for the browser module; closed after it, because Playwright's sync API
    holds an event loop that the async HTTP tests of the other modules cannot share."""
    if not CHROMIUM.exists():
        service_missing("Debian chromium is not installed (apt-get install chromium)")
    if not AXE.exists():
        service_missing("axe-core is not installed (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    """``ssa-server`` on a fresh caisse with a bank account for SEPA and two console accounts."""

    def prepare(server: RealServer) -> None:
        config_file = server.data / "config.json"
        config = json.loads(config_file.read_text())
        config.update(sepa_debtor_name="Caisse test", sepa_debtor_iban="BE62510007547061")
        config_file.write_text(json.dumps(config))
        server.admin("user", "add", "--email", ADMIN[0], "--role", "admin",
                     SSA_ADMIN_PASSWORD=ADMIN[1])  # fmt: skip
        server.admin("user", "add", "--email", OPERATOR[0], SSA_ADMIN_PASSWORD=OPERATOR[1])

    data = tmp_path_factory.mktemp("console-caisse")
    with serve_caisse(data, caisse="be-console-test", prepare=prepare) as server:
        yield {
            "url": server.url,
            "data": server.data,
            "env": server.env,
            "root_public_key": server.root_public_key,
            "cli": server.admin,
        }


def browser_login(page, url: str, who: tuple[str, str]) -> None:
    page.goto(url + "/admin/login")
    page.locator("#f-email").fill(who[0])
    page.locator("#f-password").fill(who[1])
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(url + "/admin/")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page, tags: list[str] | None = None) -> list[str]:
    if not page.evaluate("() => 'axe' in window"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target).join(' ')}`))",
        tags or AXE_TAGS,
    )
