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


def _accepted(header: str) -> list[str]:
    """Languages of an Accept-Language header, best first."""
    ranked = []
    for position, part in enumerate(header.split(",")[:20]):
        piece = part.strip().split(";")
        tag = piece[0].strip().lower()[:2]
        quality = 1.0
        for param in piece[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag:
            ranked.append((-quality, position, tag))
    return [tag for negative_q, _, tag in sorted(ranked) if negative_q < 0]


def pick_language(request: Request) -> str:
    """``?lang=``, else the cookie, else the browser's Accept-Language, else French."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    for tag in _accepted(request.headers.get("accept-language", "")):
        if tag in LANGUAGES:
            return tag
    return DEFAULT
