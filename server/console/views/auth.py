"""Log in, log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response

from server.console.auth.accounts import check_login, normalize_email
from server.console.auth.sessions import (
    ABSOLUTE_S,
    COOKIE_PATH,
    LOGIN_COOKIE,
    LOGIN_FORM_S,
    SESSION_COOKIE,
)
from server.console.auth.slow import Busy
from server.console.call import Call

MAX_EMAIL = 254
MAX_PASSWORD = 1024


def _safe_next(target: str) -> str:
    """Only a path inside the console (no other site, no scheme-relative URL)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/admin") or "\\" in target:
        return "/admin/"
    return target


def _login_page(call: Call, *, email: str = "", error: str = "", status: int = 200) -> Response:
    token, cookie = call.site.sessions.new_login_token()
    response = call.site.pages.render(
        call.request,
        "login.html",
        {
            "email": email,
            "error": error,
            "next": _safe_next(call.param("next", 300) or call.field("next", 300)),
        },
        status=status,
        csrf_token=token,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        cookie,
        max_age=LOGIN_FORM_S,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_https(call),
    )
    return response


def _busy(call: Call, email: str) -> Response:
    response = _login_page(
        call,
        email=email,
        status=503,
        error=call._("The server is busy. Try again in a few seconds."),
    )
    response.headers["Retry-After"] = "5"
    return response


def _https(call: Call) -> bool:
    return call.request.url.scheme == "https"


async def login_form(call: Call) -> Response:
    if call.user is not None:
        return RedirectResponse(_safe_next(call.param("next", 300)), status_code=303)
    return _login_page(call)


async def login(call: Call) -> Response:
    email = normalize_email(call.field("email", MAX_EMAIL))
    password = call.form.get("password") if call.form is not None else None
    if not email or not isinstance(password, str) or not password:
        return _login_page(
            call,
            email=email,
            status=400,
            error=call._("Enter your e-mail address and your password."),
        )
    if len(password) > MAX_PASSWORD:
        password = password[: MAX_PASSWORD + 1]
    throttle, checks = call.site.throttle, call.site.checks
    if checks.full:
        return _busy(call, email)
    wait = await throttle.reserve(email, call.ip)  # counted before it is checked
    if wait > 0:
        minutes = max(1, (wait + 59) // 60)
        response = _login_page(
            call,
            email=email,
            status=429,
            error=call._(
                "Too many wrong passwords. Wait %(minutes)s minutes and try again.", minutes=minutes
            ),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        role = await check_login(call.ctx.storage, email, password, checks)
    except Busy:
        await throttle.cancel(email, call.ip)
        return _busy(call, email)
    now = call.now()
    if role is None:
        async with call.ctx.storage.transaction() as q:
            await q.console.append_audit(
                actor=None, action="login.failed", target=email, detail={"ip": call.ip}, now=now
            )
        return _login_page(
            call,
            email=email,
            status=401,
            error=call._("This e-mail address and password do not match."),
        )
    await throttle.succeeded(email, call.ip)
    cookie = await call.site.sessions.start(email, now)
    async with call.ctx.storage.transaction() as q:
        await q.console.admin_logged_in(email, now)
        await q.console.append_audit(
            actor=email, action="login", target=None, detail={"ip": call.ip}, now=now
        )
    response = RedirectResponse(_safe_next(call.field("next", 300)), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=ABSOLUTE_S,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_https(call),
    )
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


async def logout(call: Call) -> Response:
    assert call.user is not None
    await call.site.sessions.end(call.user.sid_hash)
    async with call.ctx.storage.transaction() as q:
        await call.audit(q, "logout", None)
    response = RedirectResponse(call.url("login") + "?done=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
