"""Every console route, as anonymous, operator and admin, generated from the route table.

A route added to ``server.console.routes.PAGES`` is tested here without anyone
writing a line: anonymous visitors are sent to the login page (GET) or refused
(POST), operators get 403 on every admin route (keys, payouts, money, audit),
and nobody ever gets a 500.
"""

from __future__ import annotations

import pytest
from starlette.routing import Mount, Route

from server.console.auth.sessions import ADMIN, TREASURER
from server.console.routes import PAGES

from .conftest import ADMIN as ADMIN_LOGIN
from .conftest import OPERATOR as OPERATOR_LOGIN
from .conftest import Console

pytestmark = pytest.mark.anyio


async def test_the_route_table_is_the_whole_console(api) -> None:
    mount = next(r for r in api.app.routes if isinstance(r, Mount) and r.path == "/admin")
    served = {
        (r.path, m)
        for r in mount.app.routes
        if isinstance(r, Route)
        for m in r.methods
        if m != "HEAD"
    }
    assert served == {(p.path, p.method) for p in PAGES}
    assert all(p.role in (None, "operator", "admin", "treasurer") for p in PAGES)
    keys_and_money = [
        p
        for p in PAGES
        if p.path.startswith(
            (
                "/keys",
                "/trust-list",
                "/audit",
                "/reconciliation",
                "/settlements",
                "/findings",
                "/report",
                "/accounts",
            )
        )
        or "payouts" in p.path
    ]
    assert keys_and_money and all(p.role == ADMIN for p in keys_and_money)


def _path(template: str, ids: dict[str, str]) -> str:
    path = "/admin" + template
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


async def _ids(api) -> dict[str, str]:
    member = await api.activate()
    shop = await api.enroll()
    return {
        "member_id": member.member_id,
        "merchant_id": shop.merchant_id,
        "batch_id": "no-such-batch",
        "finding_id": "no-such-finding",
        "settlement_id": "1",
        "email": OPERATOR_LOGIN[0],  # never the admin's own: disabling oneself is refused
        "household_id": "1",  # the member's own household
        "entry_key": "0" * 32,
        "period": "2026-01",
    }


# logout last: it ends the session the other requests use
ORDERED = sorted(PAGES, key=lambda p: (p.name == "logout", p.method == "POST"))


async def test_anonymous_visitors_reach_only_the_login_page(accounts) -> None:
    ids = await _ids(accounts)
    console = Console(accounts)
    for page in ORDERED:
        path = _path(page.path, ids)
        r = await (console.get(path) if page.method == "GET" else console.client.post(path))
        if page.role is None:
            assert r.status_code in (200, 403), (page.name, r.status_code)  # 403: no CSRF
        elif page.method == "GET":
            assert r.status_code == 303, page.name
            assert r.headers["location"].startswith("/admin/login?next="), page.name
        else:
            assert r.status_code == 403, page.name
    await console.close()


@pytest.mark.parametrize("who", ["operator", "admin"])
async def test_each_role_reaches_exactly_its_routes(accounts, who: str) -> None:
    ids = await _ids(accounts)
    console = Console(accounts)
    login = OPERATOR_LOGIN if who == "operator" else ADMIN_LOGIN
    assert (await console.login(*login)).status_code == 303
    for page in ORDERED:
        if page.role is None:
            continue
        path = _path(page.path, ids)
        r = await (console.get(path) if page.method == "GET" else console.post(path))
        forbidden = (page.role == ADMIN and who == "operator") or page.role == TREASURER
        assert r.status_code < 500, (page.name, r.status_code, r.text[:500])
        if forbidden:
            assert r.status_code == 403, page.name
        else:
            assert r.status_code != 403, (page.name, r.text[:300])
    await console.close()
