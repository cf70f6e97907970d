"""The console as an ASGI app of its own, mounted at /admin by ``server.app``.

Its own middleware (security headers) and error pages apply to /admin only;
the JSON API and the wallet are untouched. A view's domain errors are rendered
by ``guard``; what still reaches this app's handlers gets the generic page of
its status (a domain error ``guard`` did not expect: 500, logged here).
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.console.auth.sessions import Sessions, load_secret
from server.console.auth.slow import SlowChecks
from server.console.auth.throttle import PASSPHRASE, LoginThrottle
from server.console.call import Site, guard
from server.console.render import Pages
from server.console.routes import PAGES
from server.console.security import SecurityHeaders
from server.context import AppContext
from server.errors import ApiError, DomainError

log = logging.getLogger("ssa.admin")
STATIC = Path(__file__).resolve().parent / "static" / "admin"


def _error_page(request: Request, status: int) -> Response:
    site: Site = request.app.state.site
    pages = site.pages
    from server.console.i18n import pick_language

    _ = pages.gettext(pick_language(request))
    message = {
        404: _("This page does not exist."),
        405: _("This address cannot be used this way."),
    }.get(status, _("Something went wrong. Nothing was changed; please try again."))
    return pages.render(
        request, "error.html", {"status": status, "message": message}, status=status
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 400
    return _error_page(request, status if 400 <= status < 600 else 400)


async def _api_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, exc.status if isinstance(exc, ApiError) else 400)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("admin console error", exc_info=exc, extra={"path": request.url.path})
    return _error_page(request, 500)


def create_admin_app(ctx: AppContext) -> Starlette:
    routes: list = [Route(p.path, guard(p), methods=[p.method], name=p.name) for p in PAGES]
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="admin_static"))
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,
            ApiError: _api_error,
            DomainError: _internal_error,
            Exception: _internal_error,
        },
    )
    app.state.site = Site(
        ctx=ctx,
        sessions=Sessions(ctx.storage, load_secret(ctx.config.data_dir)),
        pages=Pages(ctx.config.timezone, demo=ctx.config.demo, caisse=ctx.config.display),
        throttle=LoginThrottle(ctx.storage, ctx.clock),
        passphrases=LoginThrottle(ctx.storage, ctx.clock, PASSPHRASE),
        checks=SlowChecks(),
    )
    app.add_middleware(SecurityHeaders)
    return app
