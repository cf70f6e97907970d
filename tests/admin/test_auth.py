"""Accounts, sessions, CSRF, headers, throttling and the audit log of the admin console."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from server.console.audit_chain import verify_audit_chain
from server.console.auth import sessions
from server.console.auth.passwords import hash_password, verify_password

from .conftest import ADMIN, OPERATOR, Console, Harness, csrf_of

pytestmark = pytest.mark.anyio


def test_passwords_are_argon2id_and_verify_only_the_right_one() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long enough password")
    assert not verify_password(stored, "a long enough passwore")
    assert not verify_password(None, "anything")
    assert not verify_password("garbage", "anything")


async def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(accounts) -> None:
    console = Console(accounts)
    r = await console.login(*ADMIN)
    assert r.status_code == 303 and r.headers["location"] == "/admin/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ssa_admin_session"))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert (await console.get("/admin/")).status_code == 200
    stolen = console.client.cookies.get("ssa_admin_session")
    assert (await console.post("/admin/logout")).status_code == 303
    assert (await console.get("/admin/")).status_code == 303
    # the old cookie is dead server-side too, not just deleted in this browser
    replay = Console(accounts)
    replay.client.cookies.set("ssa_admin_session", stolen, path="/admin")
    assert (await replay.get("/admin/")).status_code == 303
    await console.close()
    await replay.close()


async def test_cookie_is_secure_when_served_over_https(accounts) -> None:
    console = Console(accounts)
    console.client.base_url = "https://testserver"
    r = await console.login(*ADMIN)
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ssa_admin_session"))
    assert "Secure" in cookie
    assert "Strict-Transport-Security" in r.headers
    await console.close()


async def test_a_session_expires_after_an_idle_hour(admin) -> None:
    admin.api.clock.advance(sessions.IDLE_S - 30)
    assert (await admin.get("/admin/")).status_code == 200
    admin.api.clock.advance(sessions.IDLE_S + 1)
    r = await admin.get("/admin/members")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


async def test_a_forged_or_tampered_cookie_is_refused(accounts) -> None:
    console = Console(accounts)
    console.client.cookies.set("ssa_admin_session", "abc.def.ghi", path="/admin")
    assert (await console.get("/admin/")).status_code == 303
    await console.close()


async def test_wrong_password_is_refused_without_saying_which_part(accounts) -> None:
    console = Console(accounts)
    wrong = await console.login(ADMIN[0], "not-the-password")
    unknown = await console.login("nobody@caisse.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.text and "do not match" in unknown.text
    await console.close()


async def test_ten_wrong_passwords_slow_the_account_down(accounts) -> None:
    console = Console(accounts)
    codes = [(await console.login(ADMIN[0], f"wrong-{i}")).status_code for i in range(10)]
    assert codes[:5] == [401] * 5 and 429 in codes[5:]
    blocked = await console.login(*ADMIN)  # even the right password must wait now
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    accounts.clock.advance(int(blocked.headers["retry-after"]) + 1)
    assert (await console.login(*ADMIN)).status_code == 303
    await console.close()


async def test_a_restarted_server_still_slows_the_account_down(accounts) -> None:
    console = Console(accounts)
    for i in range(6):
        await console.login(ADMIN[0], f"wrong-{i}")
    await console.close()
    restarted = await Harness(accounts.cfg, accounts.backend, accounts.keys, accounts.clock).start()
    try:
        console = Console(restarted)
        assert (await console.login(*ADMIN)).status_code == 429
        await console.close()
    finally:
        await restarted.stop()


async def test_one_address_guessing_many_accounts_is_blocked(accounts) -> None:
    console = Console(accounts)
    for i in range(30):
        await console.login(f"guess{i}@caisse.example", "wrong-password")
    assert (await console.login(*OPERATOR)).status_code == 429
    await console.close()


async def test_forms_without_a_valid_csrf_token_are_refused(admin, accounts) -> None:
    before = await accounts.counts()
    for token in (None, "", "forged-token"):
        data = {"name": "Sans Jeton"} | ({"csrf_token": token} if token is not None else {})
        r = await admin.client.post("/admin/members/new", data=data)
        assert r.status_code == 403, token
    r = await admin.client.post("/admin/members/new", json={"name": "JSON"})
    assert r.status_code == 403
    assert await accounts.counts() == before


async def test_the_login_form_itself_needs_its_token(accounts) -> None:
    console = Console(accounts)
    r = await console.client.post(
        "/admin/login", data={"email": ADMIN[0], "password": ADMIN[1], "csrf_token": "x"}
    )
    assert r.status_code == 403
    await console.close()


async def test_every_console_answer_carries_the_security_headers(admin) -> None:
    for path in ("/admin/", "/admin/login", "/admin/nope", "/admin/static/admin.css"):
        r = await admin.client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    assert (await admin.client.get("/admin/")).headers["cache-control"] == "no-store"
    api = await admin.client.get("/healthz")
    assert "content-security-policy" not in api.headers  # the API is not the console's business


async def test_pages_contain_no_inline_script_or_style(admin) -> None:
    for path in ("/admin/", "/admin/members", "/admin/members/new", "/admin/keys"):
        html = (await admin.get(path)).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " on" + "click=" not in html


async def test_the_audit_log_records_who_did_what_and_chains(admin, accounts) -> None:
    await admin.post("/admin/members/new", {"name": "Audité", "language": "fr"})
    async with accounts.ctx.storage.read() as q:
        chain = await q.console.audit_chain()
    actions = [(r["actor"], r["action"]) for r in chain]
    assert ("admin@caisse.example", "login") in actions
    assert ("admin@caisse.example", "member.add") in actions
    assert verify_audit_chain(chain) is None
    async with accounts.ctx.storage.transaction() as q:  # someone edits the database by hand
        await q.conn.execute("UPDATE admin_audit SET actor = 'x' WHERE seq = 2")
        chain = await q.console.audit_chain()
    assert verify_audit_chain(chain) == 2
    page = await admin.get("/admin/audit")
    assert "altered at entry 2" in page.text


async def test_operators_never_see_the_audit_log_or_payments(operator) -> None:
    assert (await operator.get("/admin/audit")).status_code == 403
    assert "Audit log" not in (await operator.get("/admin/")).text


async def test_the_session_secret_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    first = sessions.load_secret(tmp_path)
    assert sessions.load_secret(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / sessions.SECRET_FILE).st_mode) == 0o600


async def test_language_follows_the_browser_then_the_switch(accounts) -> None:
    console = Console(accounts)
    console.client.headers["Accept-Language"] = "nl-BE,nl;q=0.9"
    assert "Aanmelden" in (await console.get("/admin/login")).text
    assert "Se connecter" in (await console.get("/admin/login?lang=fr")).text
    assert "Se connecter" in (await console.get("/admin/login")).text  # remembered (cookie)
    await console.close()


def test_ssa_admin_user_add_reads_the_password_from_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "caisse"
    env = {**os.environ, "SSA_PASSPHRASE": "p", "SSA_ADMIN_PASSWORD": "short"}
    bin_dir = Path(sys.executable).parent
    init = [
        bin_dir / "ssa-admin",
        "--data",
        str(data),
        "init",
        "--caisse",
        "be-t",
        "--kdf",
        "interactive",
    ]
    assert subprocess.run(init, env=env, capture_output=True).returncode == 0
    add = [bin_dir / "ssa-admin", "--data", str(data), "user", "add", "--email", "V@Example.org"]
    refused = subprocess.run(add, env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "at least 12" in refused.stderr
    env["SSA_ADMIN_PASSWORD"] = "long enough password"
    done = subprocess.run([*add, "--role", "admin"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"email": "v@example.org"' in done.stdout and '"role": "admin"' in done.stdout


async def test_login_page_token_is_bound_to_its_cookie(accounts) -> None:
    one, two = Console(accounts), Console(accounts)
    token = csrf_of((await one.get("/admin/login")).text)
    await two.get("/admin/login")
    r = await two.client.post(
        "/admin/login", data={"csrf_token": token, "email": ADMIN[0], "password": ADMIN[1]}
    )
    assert r.status_code == 403
    await one.close()
    await two.close()
