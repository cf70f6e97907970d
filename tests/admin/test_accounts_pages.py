"""Console accounts managed from the browser (admins): add, disable, enable, new password."""

from __future__ import annotations

import html

import pytest

from server.console.auth.accounts import check_login

from .conftest import ADMIN, OPERATOR, Console

pytestmark = pytest.mark.anyio
NEW = ("carla@caisse.example", "carla-password-1234")


async def _audit(admin, action: str) -> str:
    return (await admin.get("/admin/audit", params={"action": action})).text


async def test_an_admin_adds_an_account_that_can_log_in_and_it_is_audited(admin, accounts) -> None:
    page = await admin.get("/admin/accounts")
    assert ADMIN[0] in page.text and OPERATOR[0] in page.text and "(you)" in page.text
    form = await admin.get("/admin/accounts/new")
    assert 'autocomplete="new-password"' in form.text
    r = await admin.post(
        "/admin/accounts/new",
        {
            "email": " Carla@Caisse.example ",
            "role": "admin",
            "password": NEW[1],
            "password2": NEW[1],
        },
    )
    assert r.status_code == 303 and "done=account_added" in r.headers["location"]
    assert await check_login(accounts.ctx.storage, *NEW) == "admin"
    assert NEW[0] in await _audit(admin, "user.add")
    carla = Console(accounts)
    assert (await carla.login(*NEW)).status_code == 303
    assert (await carla.get("/admin/keys")).status_code == 200
    await carla.close()


async def test_account_form_errors_are_shown_and_nothing_is_created(admin, accounts) -> None:
    r = await admin.post(
        "/admin/accounts/new",
        {"email": "nope", "role": "boss", "password": "short", "password2": "short"},
    )
    assert r.status_code == 400
    assert 'href="#f-email"' in r.text and 'href="#f-role"' in r.text
    assert 'href="#f-password"' in r.text and 'aria-invalid="true"' in r.text
    differ = await admin.post(
        "/admin/accounts/new",
        {"email": NEW[0], "role": "operator", "password": NEW[1], "password2": NEW[1] + "x"},
    )
    assert differ.status_code == 400 and 'href="#f-password2"' in differ.text
    again = await admin.post(
        "/admin/accounts/new",
        {"email": OPERATOR[0], "role": "admin", "password": NEW[1], "password2": NEW[1]},
    )
    assert again.status_code == 400 and "already an account" in again.text
    assert await check_login(accounts.ctx.storage, *OPERATOR) == "operator"  # unchanged
    assert await check_login(accounts.ctx.storage, *NEW) is None


async def test_disabling_an_account_ends_its_session_and_enabling_restores_it(
    admin, operator, accounts
) -> None:
    assert (await operator.get("/admin/members")).status_code == 200
    r = await admin.post(f"/admin/accounts/{OPERATOR[0]}/disable")
    assert r.status_code == 303 and "done=account_disabled" in r.headers["location"]
    shut = await operator.get("/admin/members")
    assert shut.status_code == 303 and "/admin/login" in shut.headers["location"]
    assert (await operator.login(*OPERATOR)).status_code != 303
    listing = await admin.get("/admin/accounts")
    assert "disabled" in listing.text and f"/admin/accounts/{OPERATOR[0]}/enable" in listing.text
    assert OPERATOR[0] in await _audit(admin, "user.disable")
    r = await admin.post(f"/admin/accounts/{OPERATOR[0]}/enable")
    assert r.status_code == 303
    assert OPERATOR[0] in await _audit(admin, "user.enable")
    assert (await operator.login(*OPERATOR)).status_code == 303  # the same password again


async def test_an_admin_cannot_disable_their_own_account(admin, accounts) -> None:
    listing = await admin.get("/admin/accounts")
    assert f"/admin/accounts/{ADMIN[0]}/disable" not in listing.text
    r = await admin.post(f"/admin/accounts/{ADMIN[0]}/disable")
    assert r.status_code == 409 and "your own account" in r.text
    assert (await admin.get("/admin/")).status_code == 200  # still logged in
    assert (
        "user.disable" not in html.unescape(await _audit(admin, "user.disable")).split("<tbody>")[1]
    )


async def test_a_password_reset_replaces_the_password_and_ends_sessions(
    admin, operator, accounts
) -> None:
    form = await admin.get(f"/admin/accounts/{OPERATOR[0]}/password")
    assert form.status_code == 200 and OPERATOR[0] in form.text
    short = await admin.post(
        f"/admin/accounts/{OPERATOR[0]}/password", {"password": "x", "password2": "x"}
    )
    assert short.status_code == 400 and 'href="#f-password"' in short.text
    new = "  a new long password  "  # spaces are kept, as typed
    r = await admin.post(
        f"/admin/accounts/{OPERATOR[0]}/password", {"password": new, "password2": new}
    )
    assert r.status_code == 303 and "done=password_reset" in r.headers["location"]
    assert (await operator.get("/admin/")).status_code == 303  # the session ended
    assert await check_login(accounts.ctx.storage, OPERATOR[0], OPERATOR[1]) is None
    assert await check_login(accounts.ctx.storage, OPERATOR[0], new) == "operator"
    assert OPERATOR[0] in await _audit(admin, "user.password_reset")


async def test_account_pages_refuse_operators_forged_forms_and_unknown_accounts(
    admin, operator
) -> None:
    assert (await operator.get("/admin/accounts")).status_code == 403
    assert (await operator.post(f"/admin/accounts/{ADMIN[0]}/disable")).status_code == 403
    forged = await admin.client.post(f"/admin/accounts/{OPERATOR[0]}/disable")
    assert forged.status_code == 403
    assert (await operator.get("/admin/members")).status_code == 200  # not disabled
    for path in ("/admin/accounts/nobody@caisse.example/password", "/admin/accounts/x/password"):
        assert (await admin.get(path)).status_code == 404
    assert (await admin.post("/admin/accounts/nobody@caisse.example/enable")).status_code == 404
