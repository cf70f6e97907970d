"""One console request as views see it: who, what form, and the helpers to answer.

``guard(page)`` turns a view into a Starlette endpoint that enforces the page's
rule before the view runs: anonymous visitors go to the login page (or get 403
on a POST), a role below the page's gets 403, and every POST must carry the
CSRF token of its session (or of the login form) or it is refused with 403.
It is also the console's one handler of domain errors: whatever a view raises
(``NotFound``, ``Conflict``, a service's error) becomes the error page, with
the status ``server.console.errors.STATUS`` gives its code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.console.auth.sessions import LOGIN_COOKIE, SESSION_COOKIE, Sessions, User
from server.console.auth.slow import SlowChecks
from server.console.auth.throttle import LoginThrottle
from server.console.errors import STATUS
from server.console.forms import read_form, text
from server.console.i18n import pick_language
from server.console.render import Pages
from server.context import AppContext, client_ip
from server.errors import ApiError, DomainError
from server.storage.core import Queries

log = logging.getLogger("ssa.admin")


@dataclass(slots=True)
class Site:
    """What the console keeps for its lifetime (in ``admin_app.state.site``)."""

    ctx: AppContext
    sessions: Sessions
    pages: Pages
    throttle: LoginThrottle  # wrong passwords at login
    passphrases: LoginThrottle  # wrong passphrases typed on the keys page
    checks: SlowChecks  # argon2id, off the event loop, a bounded number at once


@dataclass(frozen=True, slots=True)
class Page:
    """One console route: path, name, view, who may use it, method."""

    path: str
    name: str
    view: Callable[[Call], Awaitable[Response]]
    role: str | None  # None: anybody (login page, language switch)
    method: str = "GET"


@dataclass(slots=True)
class Call:
    request: Request
    site: Site
    user: User | None
    form: FormData | None = None
    language: str = field(default="fr")

    @property
    def ctx(self) -> AppContext:
        return self.site.ctx

    def now(self) -> int:
        return self.site.ctx.now()

    @property
    def ip(self) -> str:
        return client_ip(self.request)

    def _(self, message: str, **values: Any) -> str:
        return self.site.pages.gettext(self.language)(message, **values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self.site.pages.ngettext(self.language)(singular, plural, n, **values)

    def field(self, name: str, max_len: int = 500) -> str:
        return text(self.form, name, max_len=max_len)

    def param(self, name: str, max_len: int = 200) -> str:
        value = self.request.query_params.get(name, "")
        return value.strip()[:max_len]

    def path_param(self, name: str) -> str:
        return str(self.request.path_params.get(name, ""))

    def url(self, name: str, **params: Any) -> str:
        return self.request.url_for(name, **params).path

    def render(
        self, template: str, values: dict[str, Any] | None = None, status: int = 200
    ) -> Response:
        return self.site.pages.render(self.request, template, values, user=self.user, status=status)

    def redirect(self, name: str, *, done: str | None = None, **params: Any) -> Response:
        target = self.url(name, **params)
        if done:
            target += "?" + urlencode({"done": done})
        return RedirectResponse(target, status_code=303)

    async def audit(
        self, q: Queries, action: str, target: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        await q.console.append_audit(
            actor=self.user.email if self.user else None,
            action=action,
            target=target,
            detail=detail,
            now=self.now(),
        )


def problem(call: Call, status: int, message: str) -> Response:
    return call.render("error.html", {"status": status, "message": message}, status=status)


def guard(page: Page) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        site: Site = request.app.state.site
        now = site.ctx.now()
        user = await site.sessions.user(request.cookies.get(SESSION_COOKIE), now)
        call = Call(request, site, user, language=pick_language(request))
        if page.role is not None:
            if user is None:
                if request.method == "GET":
                    back = urlencode({"next": request.url.path})
                    return RedirectResponse(f"{call.url('login')}?{back}", status_code=303)
                return problem(call, 403, call._("Your session has ended. Please log in again."))
            if not user.may(page.role):
                return problem(call, 403, call._("This page is for administrators only."))
        if request.method == "POST":
            try:
                call.form = await read_form(request)
            except ApiError as exc:
                return problem(call, exc.status, call._("This form could not be read."))
            token = text(call.form, "csrf_token", max_len=200)
            if user is not None and page.role is not None:
                valid = bool(token) and _same(token, user.csrf_token)
            else:
                valid = site.sessions.login_token_ok(request.cookies.get(LOGIN_COOKIE), token)
            if not valid:
                log.warning("csrf refused", extra={"path": request.url.path})
                return problem(
                    call,
                    403,
                    call._(
                        "This form has expired or did not come from this console. "
                        "Go back, reload the page and try again."
                    ),
                )
        try:
            return await page.view(call)
        except ApiError:
            raise  # an HTTP error of the request itself: the site's generic page
        except DomainError as exc:
            status = STATUS.get(exc.code)
            if status is None:
                raise  # not a refusal the console expects: the site's 500 page, logged
            return problem(call, status, exc.message)

    endpoint.__name__ = page.name
    return endpoint


def _same(a: str, b: str) -> bool:
    import secrets

    return secrets.compare_digest(a.encode(), b.encode())
