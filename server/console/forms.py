"""Reading console forms: bounded bodies, strict field access, errors tied to fields.

A form is read once (``read_form``) with a size limit; fields are fetched by
name as text with a maximum length, never trusted to be there or to be text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from server.validation import read_body

MAX_FORM_BYTES = 2 * 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(request: Request) -> FormData:
    """The form of a POST (an empty one for other content types: the CSRF check refuses it).

    The body is read under a hard limit first (413 beyond), then parsed.
    """
    body = await read_body(request, MAX_FORM_BYTES)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        return FormData()
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request(request.scope, replay).form(
        max_files=1, max_fields=200, max_part_size=MAX_FORM_BYTES
    )


def text(form: FormData | None, name: str, *, max_len: int = 500) -> str:
    """A text field, stripped; '' when absent, not text, or over ``max_len`` (then flagged)."""
    if form is None:
        return ""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip()[: max_len + 1]


async def upload(form: FormData | None, name: str) -> bytes | None:
    value = form.get(name) if form is not None else None
    if isinstance(value, UploadFile):
        return await value.read()
    if isinstance(value, str) and value:
        return value.encode()
    return None


@dataclass
class Errors:
    """Field name → translated message; ``summary`` lists them at the top of the form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def too_long(value: str, max_len: int) -> bool:
    return len(value) > max_len


Translator = Callable[..., str]
