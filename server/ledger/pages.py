"""The ledger's printable HTML pages (shop statement, monthly report), from ``templates/``.

Autoescaped Jinja2 environments, one per language with the caisse's catalogue
installed (``server.languages``), so a statement reads in its shop's language:
a shop's name or a note can never become markup. The templates get plain
values and never query anything.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from server.languages import DEFAULT, translations

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _env(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(template: str, language: str = DEFAULT, **values: Any) -> str:
    return _env(language).get_template(template).render(lang=language, **values)
