"""The ledger's printable HTML pages (shop statement, monthly report), from ``templates/``.

One autoescaped Jinja2 environment: a shop's name or a note can never become
markup. The templates get plain values and never query anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

TEMPLATES = Path(__file__).resolve().parent / "templates"

_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)


def render(template: str, **values: Any) -> str:
    return _ENV.get_template(template).render(**values)
