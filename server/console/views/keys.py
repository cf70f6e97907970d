"""Keys (admins only): issuer keys and their validity, rotation, the trust list's state."""

from __future__ import annotations

from starlette.responses import Response

from keys import keystore
from keys.trust_list import TrustListInvalid, open_trust_list
from server.caisse.keyring import load_root_key
from server.caisse.setup import Caisse, rotate_issuer_key
from server.console.auth.slow import Busy
from server.console.call import Call
from server.console.forms import Errors


async def keys_page(call: Call, errors: Errors | None = None, status: int = 200) -> Response:
    c = call.ctx
    async with c.storage.read() as q:
        issuers = await q.issuer_keys()
        latest = await q.latest_trust_list()
        history = await q.console.trust_list_history(10)
    parsed = None
    if latest is not None:
        try:
            parsed = open_trust_list(bytes(latest["body"]), c.keyring.root_public_key)
        except TrustListInvalid:
            parsed = None
    return call.render(
        "keys.html",
        {
            "issuers": issuers,
            "latest": latest,
            "parsed": parsed,
            "history": history,
            "age_s": None if latest is None else call.now() - latest["issued_at"],
            "errors": errors or Errors(),
            "done": call.param("done", 40),
        },
        status=status,
    )


async def keys_view(call: Call) -> Response:
    return await keys_page(call)


async def rotate_confirm(call: Call) -> Response:
    return call.render("keys_rotate.html", {"errors": Errors()})


async def rotate(call: Call) -> Response:
    """A new issuer key; the typed passphrase confirms the action and encrypts the new file."""
    c = call.ctx
    assert call.user is not None
    passphrase = call.form.get("passphrase") if call.form is not None else None
    errors = Errors()
    status = 400
    if not isinstance(passphrase, str) or not passphrase or len(passphrase) > 1024:
        errors.add("passphrase", call._("Type the passphrase of the caisse keys."))
    elif wait := await call.site.passphrases.reserve(call.user.email, call.ip):
        # Throttled like logins: counted before it is checked, per account and address.
        minutes = max(1, (wait + 59) // 60)
        errors.add(
            "passphrase",
            call._(
                "Too many wrong passphrases. Wait %(minutes)s minutes and try again.",
                minutes=minutes,
            ),
        )
        status = 429
    else:
        try:
            await call.site.checks.run(load_root_key, c.config, passphrase)
        except keystore.KeyFileError:
            errors.add("passphrase", call._("This is not the passphrase of the caisse keys."))
        except Busy:
            await call.site.passphrases.cancel(call.user.email, call.ip)
            errors.add("passphrase", call._("The server is busy. Try again in a few seconds."))
            status = 503
        else:
            await call.site.passphrases.succeeded(call.user.email, call.ip)
    if errors:
        async with c.storage.transaction() as q:
            action = "keys.rotate_throttled" if status == 429 else "keys.rotate_refused"
            await call.audit(q, action, None, {"ip": call.ip})
        return call.render("keys_rotate.html", {"errors": errors}, status=status)
    assert isinstance(passphrase, str)
    now = call.now()
    out = await rotate_issuer_key(Caisse(c.config, c.storage), passphrase, c.keyring.root, now)
    kid = bytes.fromhex(out.issuer_kid)
    async with c.storage.read() as q:
        row = next(r for r in await q.issuer_keys() if bytes(r["kid"]) == kid)
    key = await call.site.checks.run(
        keystore.load_signing_key, c.config.keys_dir / row["file"], passphrase
    )
    c.keyring.issuers[kid] = key
    async with c.storage.transaction() as q:
        await call.audit(q, "keys.rotate", out.issuer_kid, {"trust_list_seq": out.trust_list_seq})
    return call.redirect("keys", done="rotated")


async def sign_trust_list(call: Call) -> Response:
    c = call.ctx
    signed = await c.trust_lists.resign(call.now(), "signed from the console")
    async with c.storage.transaction() as q:
        await call.audit(q, "trust_list.sign", str(signed.seq))
    return call.redirect("keys", done="signed")
