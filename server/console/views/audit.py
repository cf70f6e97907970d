"""The audit log (admins only): who did what, when, to what; newest first."""

from __future__ import annotations

import json

from starlette.responses import Response

from server.console.audit_chain import verify_audit_chain
from server.console.call import Call
from server.console.pagination import paginate
from server.console.words import ACTIONS

PAGE_SIZE = 50


async def audit_view(call: Call) -> Response:
    actor = call.param("actor", 254)
    action = call.param("action", 60)
    page = paginate(call.param("page", 6), PAGE_SIZE)
    async with call.ctx.storage.read() as q:
        rows, total = await q.console.audit_page(
            limit=page.size, offset=page.offset, actor=actor or None, action=action or None
        )
        broken = verify_audit_chain(await q.console.audit_chain()) if page.number == 1 else None
    entries = [{**dict(row), "detail": json.loads(row["detail"] or "{}")} for row in rows]
    return call.render(
        "audit.html",
        {
            "entries": entries,
            "page": page.with_total(total),
            "actor": actor,
            "action": action,
            "actions": sorted(ACTIONS, key=lambda a: call._(ACTIONS[a]))
            + ([action] if action and action not in ACTIONS else []),
            "broken": broken,
        },
    )
