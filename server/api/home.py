"""``/``: a page for people who type the caisse's address, and the favicon.

A member, a shop or a volunteer who opens the server's address gets a page in
their browser's language pointing to the wallet, the shops directory (when the
server has one) and the console; a program asking for JSON gets what ``/``
always answered (the service, the caisse, where the API is).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from server.context import ctx
from server.languages import LANGUAGES, NAMES, from_header, translations

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


@cache
def _env(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def _has_route(request: Request, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in request.app.router.routes)


async def index(request: Request) -> Response:
    c = ctx(request)
    wanted = request.headers.get("accept", "")
    if request.query_params.get("format") == "json" or (
        "application/json" in wanted and "text/html" not in wanted
    ):
        return JSONResponse(
            {
                "service": "ssa-vouchers caisse server",
                "caisse": c.config.caisse,
                "api": "/api/v1/openapi.json",
                "trust_list": "/api/v1/trust-list",
                "wallet": "/wallet/",
                "till": "/till/",
            }
        )
    chosen = request.query_params.get("lang")
    language = (
        chosen if chosen in LANGUAGES else from_header(request.headers.get("accept-language", ""))
    )
    html = (
        _env(language)
        .get_template("home.html")
        .render(
            lang=language,
            languages=[(code, NAMES[code]) for code in LANGUAGES],
            caisse=c.config.display,
            contact=c.config.contact,
            shops="/shops" if _has_route(request, "/shops") else None,
        )
    )
    return HTMLResponse(html, headers={"Vary": "Accept, Accept-Language"})


async def favicon(request: Request) -> Response:
    name = "favicon.svg" if request.url.path.endswith(".svg") else "favicon.ico"
    return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=86400"})
