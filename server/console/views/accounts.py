"""Console accounts (admins only): list, add, disable and enable, reset a password.

What ``ssa-admin user add`` does, from the browser, so volunteers never need the
shell. Every change is audited in the same transaction; a disabled account or a
new password ends that account's sessions at once. An admin cannot disable their
own account, so the caisse always keeps at least one admin who can log in.
"""

from __future__ import annotations

from starlette.responses import Response

from server.console import lookups
from server.console.auth.accounts import EMAIL, normalize_email
from server.console.auth.passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from server.console.auth.sessions import OPERATOR, ROLES
from server.console.call import Call
from server.console.forms import Errors
from server.errors import Conflict


async def account_list(call: Call) -> Response:
    async with call.ctx.storage.read() as q:
        rows = await q.console.admin_users()
    return call.render("accounts.html", {"rows": rows})


async def account_new(call: Call) -> Response:
    return call.render("account_new.html", {"values": {"role": OPERATOR}, "errors": Errors()})


def _secret(call: Call, name: str) -> str:
    """A password field as typed (spaces kept, unlike other fields), bounded."""
    value = call.form.get(name) if call.form is not None else None
    return value[: MAX_LENGTH + 1] if isinstance(value, str) else ""


def _check_password(call: Call, password: str, again: str, errors: Errors) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        errors.add(
            "password",
            call._(
                "The password must have %(min)s to %(max)s characters.",
                min=MIN_LENGTH,
                max=MAX_LENGTH,
            ),
        )
    elif password != again:
        errors.add("password2", call._("The two passwords differ: type the same one twice."))


async def account_create(call: Call) -> Response:
    email = normalize_email(call.field("email", 260))
    role = call.field("role", 20)
    password, again = _secret(call, "password"), _secret(call, "password2")
    errors = Errors()
    if not EMAIL.fullmatch(email):
        errors.add("email", call._("Enter an e-mail address, like ana@caisse.example."))
    if role not in ROLES:
        errors.add("role", call._("Choose a role."))
    _check_password(call, password, again, errors)
    created = 0
    if not errors:
        hashed = await call.site.checks.run(hash_password, password)
        async with call.ctx.storage.transaction() as q:
            created = await q.console.insert_admin_user(email, hashed, role, call.now())
            if created:
                await call.audit(q, "user.add", email, {"role": role})
        if not created:
            errors.add(
                "email",
                call._("There is already an account with this address: reset its password."),
            )
    if errors:
        return call.render(
            "account_new.html",
            {"values": {"email": email, "role": role}, "errors": errors},
            status=400,
        )
    return call.redirect("accounts", done="account_added")


async def _set_disabled(call: Call, disable: bool) -> Response:
    account = await lookups.account(call)
    email = account["email"]
    if disable and call.user is not None and email == call.user.email:
        raise Conflict(call._("You cannot disable your own account: ask another administrator."))
    async with call.ctx.storage.transaction() as q:
        changed = await q.console.set_admin_disabled(email, call.now() if disable else None)
        if changed:
            await call.audit(q, "user.disable" if disable else "user.enable", email)
    return call.redirect("accounts", done="account_disabled" if disable else "account_enabled")


async def account_disable(call: Call) -> Response:
    return await _set_disabled(call, True)


async def account_enable(call: Call) -> Response:
    return await _set_disabled(call, False)


async def account_password_form(call: Call) -> Response:
    account = await lookups.account(call)
    return call.render("account_password.html", {"account": account, "errors": Errors()})


async def account_password(call: Call) -> Response:
    account = await lookups.account(call)
    errors = Errors()
    password = _secret(call, "password")
    _check_password(call, password, _secret(call, "password2"), errors)
    if errors:
        return call.render(
            "account_password.html", {"account": account, "errors": errors}, status=400
        )
    hashed = await call.site.checks.run(hash_password, password)
    async with call.ctx.storage.transaction() as q:
        await q.console.reset_admin_password(account["email"], hashed, call.now())
        await call.audit(q, "user.password_reset", account["email"])
    return call.redirect("accounts", done="password_reset")
