"""What a caisse sets once and is not secret, changed from the console: its name for
people, contact, opening hours, its own bank account (the SEPA debtor) and the logo
on its letters.

The settings live in ``DIR/config.json`` (``server.config.update`` changes only
their keys, so the file stays editable by hand); the logo is ``DIR/logo.png``,
re-encoded from what was uploaded (PNG or JPEG), at most 600 × 200 pixels.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server import banking
from server.config import Config, ConfigError, update
from server.errors import DomainError

EDITABLE = (
    "base_url",
    "display_name",
    "contact",
    "opening_hours",
    "sepa_debtor_name",
    "sepa_debtor_iban",
    "sepa_debtor_bic",
)
MAX = {"display_name": 100, "contact": 200, "opening_hours": 300, "sepa_debtor_name": 70}
LOGO_FILE = "logo.png"
MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_BOX = (600, 200)


class SettingsError(DomainError):
    """A setting cannot take this value; ``field`` says which."""

    code = "INVALID"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    changes: dict[str, list[Any]]


def clean(values: dict[str, str | None]) -> dict[str, str | None]:
    """Each setting as it is stored ('' is no value); raises SettingsError on the first bad one."""
    out: dict[str, str | None] = {}
    for field, raw in values.items():
        if field not in EDITABLE:
            raise SettingsError(field, f"{field} is not a setting of the console")
        text = (raw or "").strip()
        if not text and field == "base_url":
            raise SettingsError(field, "base_url is needed: letters and codes point there")
        if not text:
            out[field] = None
            continue
        if field in MAX:
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            text = "\n".join(lines) if field == "opening_hours" else " ".join(lines)
            if len(text) > MAX[field] or any(ord(c) < 32 and c != "\n" for c in text):
                raise SettingsError(field, f"{field} must be at most {MAX[field]} characters")
        elif field == "base_url":
            text = check_base_url(text)
        elif field == "sepa_debtor_iban":
            try:
                text = str(banking.check_iban(text).compact)
            except banking.BankError as exc:
                raise SettingsError(field, exc.message) from None
        elif field == "sepa_debtor_bic":
            try:
                text = banking.check_bic(text) or ""
            except banking.BankError as exc:
                raise SettingsError(field, exc.message) from None
        out[field] = text
    return out


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_base_url(text: str) -> str:
    """The server's public address: https (plain http only on this machine), no path."""
    parts = urlsplit(text.strip())
    host = parts.hostname or ""
    if (
        parts.scheme not in ("https", "http")
        or not host
        or (parts.scheme == "http" and host not in LOOPBACK)
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or len(text) > 200
    ):
        raise SettingsError(
            "base_url", "base_url must be https://your.domain (http only for 127.0.0.1)"
        )
    return f"{parts.scheme}://{parts.netloc}"


def base_url_problem(config: Config, seen_host: str | None) -> str | None:
    """Why letters and codes may point where phones cannot go: 'loopback' (the server's
    own machine, while the console is opened from elsewhere) or 'http' (no https)."""
    parts = urlsplit(config.base_url)
    host = parts.hostname or ""
    if host in LOOPBACK and seen_host and seen_host not in LOOPBACK:
        return "loopback"
    if parts.scheme == "http" and host not in LOOPBACK:
        return "http"
    return None


def change(config: Config, values: dict[str, str | None]) -> tuple[Config, SettingsChanged]:
    """Save the settings that differ from ``config``; the new configuration and the changes."""
    wanted = clean(values)
    changes = {k: [getattr(config, k), v] for k, v in wanted.items() if getattr(config, k) != v}
    if not changes:
        return config, SettingsChanged({})
    try:
        updated = update(config, {k: v[1] for k, v in changes.items()})
    except ConfigError as exc:
        raise SettingsError("", str(exc)) from None
    return updated, SettingsChanged(changes)


def logo_path(config: Config) -> Path | None:
    path = config.data_dir / LOGO_FILE
    return path if path.is_file() else None


def save_logo(config: Config, data: bytes) -> tuple[int, int]:
    """Check an uploaded logo (PNG or JPEG), shrink it into 600 × 200, store it as PNG."""
    if len(data) > MAX_LOGO_BYTES:
        raise SettingsError("logo", "the logo must be at most 2 MB")
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise SettingsError("logo", "the logo must be a PNG or JPEG image")
    from PIL import Image, UnidentifiedImageError  # installed with fpdf2

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 40_000_000:
                raise SettingsError("logo", "the logo is far too large")
            image.load()
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError):
        raise SettingsError("logo", "the logo must be a PNG or JPEG image") from None
    picture.thumbnail(LOGO_BOX)
    path = config.data_dir / LOGO_FILE
    tmp = path.with_name(path.name + ".tmp")
    picture.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, path)
    return picture.width, picture.height


def remove_logo(config: Config) -> bool:
    path = config.data_dir / LOGO_FILE
    if path.is_file():
        path.unlink()
        return True
    return False
