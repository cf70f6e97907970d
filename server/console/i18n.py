"""The console in French, Dutch and English: the catalogues of ``server.languages``.

Each language's catalogue is installed in one Jinja2 environment
(``jinja2.ext.i18n``); this module adds what belongs to a request: which
language a visitor reads (``?lang=``, a cookie, ``Accept-Language``).
"""

from __future__ import annotations

from starlette.requests import Request

from server.languages import (
    BABEL_LOCALE,
    DEFAULT,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    N_,
    NAMES,
    Formats,
    from_header,
    load_translations,
)

LANG_COOKIE = "ssa_admin_lang"

__all__ = [
    "BABEL_LOCALE",
    "DEFAULT",
    "DOMAIN",
    "LANGUAGES",
    "LANG_COOKIE",
    "LOCALE_DIR",
    "NAMES",
    "N_",
    "Formats",
    "load_translations",
    "pick_language",
]


def pick_language(request: Request) -> str:
    """``?lang=``, else the cookie, else the browser's Accept-Language, else French."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return from_header(request.headers.get("accept-language", ""))
