"""The console's lookups of what a page's path names: the row, or ``NotFound``.

An id that cannot be one (wrong shape) is not looked up at all; either way the
visitor gets the same translated "there is no such ..." page, rendered once by
``guard`` (``server.console.errors``).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from server.console import ledger
from server.console.auth.accounts import EMAIL, normalize_email
from server.console.call import Call
from server.errors import NotFound

MEMBER_ID = re.compile(r"^[0-9a-f]{16}$")
MERCHANT_ID = re.compile(r"^[a-z0-9-]{1,60}$")
BATCH_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
FINDING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

T = TypeVar("T")


def found(row: T | None, message: str) -> T:
    """``row``, or ``NotFound(message)`` when there is none."""
    if row is None:
        raise NotFound(message)
    return row


async def member(call: Call) -> Any:
    member_id = call.path_param("member_id")
    row = None
    if MEMBER_ID.fullmatch(member_id):
        async with call.ctx.storage.read() as q:
            row = await q.member(member_id)
    return found(row, call._("There is no such member."))


async def shop(call: Call) -> Any:
    merchant_id = call.path_param("merchant_id")
    row = None
    if MERCHANT_ID.fullmatch(merchant_id):
        async with call.ctx.storage.read() as q:
            row = await q.merchant(merchant_id)
    return found(row, call._("There is no such shop."))


async def account(call: Call) -> Any:
    email = normalize_email(call.path_param("email"))
    row = None
    if EMAIL.fullmatch(email):
        async with call.ctx.storage.read() as q:
            row = await q.console.admin_user(email)
    return found(row, call._("There is no such account."))


async def batch(call: Call) -> Any:
    merchant_id, batch_id = call.path_param("merchant_id"), call.path_param("batch_id")
    row = None
    if MERCHANT_ID.fullmatch(merchant_id) and BATCH_ID.fullmatch(batch_id):
        async with call.ctx.storage.read() as q:
            row = await q.batch(merchant_id, batch_id)
    return found(row, call._("There is no such batch."))


def finding_id(call: Call) -> str:
    """The finding id of the path, if it can be one (the finding itself comes with its proof)."""
    value = call.path_param("finding_id")
    return found(
        value if FINDING_ID.fullmatch(value) else None, call._("There is no such finding.")
    )


def settlement_id(call: Call) -> int | None:
    raw = call.path_param("settlement_id")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


async def settlement(call: Call) -> tuple[Any, list[Any]]:
    """The settlement of the path and its payout lines."""
    sid = settlement_id(call)
    row, payouts = await ledger.settlement(call, sid) if sid is not None else (None, [])
    return found(row, call._("There is no such settlement.")), payouts
