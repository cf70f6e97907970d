"""Members: find, add (activation link, QR, letter), import a CSV, re-enrol, revoke."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict

from markupsafe import Markup
from starlette.responses import Response

from server.caisse import members
from server.console import lookups
from server.console.call import Call
from server.console.forms import Errors, upload
from server.console.i18n import LANGUAGES
from server.console.member_actions import MAX_IMPORT_ROWS, check_member_fields, csv_error
from server.console.pagination import paginate
from server.console.qr import qr_svg
from server.console.views.households import household_transfer
from server.errors import Conflict, Invalid
from server.storage.core import MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED

STATUSES = (MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED)
PAGE_SIZE = 25


def folded(text: str | None) -> str:
    """Lower case without accents: 'Élise' and 'elise' match."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def member_list(call: Call) -> Response:
    query = call.param("q", 100)
    status = call.param("status", 20)
    status = status if status in STATUSES else ""
    page = paginate(call.param("page", 6), PAGE_SIZE)
    async with call.ctx.storage.read() as q:
        if query:
            needle = folded(query)
            found = [
                row
                for row in await q.console.member_rows(status or None)
                if needle in folded(row["name"])
                or needle in folded(row["email"])
                or row["member_id"].startswith(needle)
            ]
            total, rows = len(found), found[page.offset : page.offset + page.size]
        else:
            rows, total = await q.console.member_page(
                status=status or None, limit=page.size, offset=page.offset
            )
    return call.render(
        "members.html",
        {
            "rows": rows,
            "q": query,
            "status": status,
            "statuses": STATUSES,
            "page": page.with_total(total),
            "done": call.param("done", 40),
        },
    )


def letter(
    call: Call, language: str, *, name: str, url: str, code: str, household_id: int | None = None
) -> Markup:
    """The activation letter, in the member's language (not necessarily the console's)."""
    pages = call.site.pages
    html = (
        pages.envs[language]
        .get_template("admin/letter.html")
        .render(
            name=name,
            url=url,
            code=code,
            caisse=call.ctx.config.caisse,
            fmt=pages.formats[language],
            today=call.now(),
            lang=language,
            qr=qr_svg(url, label=pages.gettext(language)("QR code of the activation link")),
            transfer=household_transfer(call, household_id),
        )
    )
    return Markup(html)


def _language(call: Call) -> str:
    chosen = call.field("language", 5)
    return chosen if chosen in LANGUAGES else call.language


async def member_new(call: Call) -> Response:
    return call.render(
        "member_new.html", {"values": {"language": call.language}, "errors": Errors()}
    )


async def member_create(call: Call) -> Response:
    name, email = call.field("name", 300), call.field("email", 300)
    language = _language(call)
    errors = Errors()
    check_member_fields(name, email, call._, errors)
    if errors:
        return call.render(
            "member_new.html",
            {"values": {"name": name, "email": email, "language": language}, "errors": errors},
            status=400,
        )
    async with call.ctx.storage.transaction() as q:
        out = await members.add_member(
            q, call.ctx.config, name=name, email=email or None, now=call.now()
        )
        await q.console.set_member_language(out.member_id, language)
        await call.audit(q, "member.add", out.member_id, {"language": language})
    return _code_page(call, out, name, language, created=True)


def _code_page(
    call: Call, out: members.ActivationCode, name: str, language: str, *, created: bool
) -> Response:
    url = out.activation_url
    return call.render(
        "member_code.html",
        {
            "member_id": out.member_id,
            "name": name,
            "link": url,
            "code": out.activation_code,
            "created": created,
            "trust_list_seq": getattr(out, "trust_list_seq", None),  # a re-enrolment's
            "qr": qr_svg(url, label=call._("QR code of the activation link")),
            "letter": letter(
                call,
                language,
                name=name,
                url=url,
                code=out.activation_code,
                household_id=getattr(out, "household_id", None),  # a new member: NewMember
            ),
        },
    )


async def member_detail(call: Call) -> Response:
    member = await lookups.member(call)
    async with call.ctx.storage.read() as q:
        credentials = await q.console.member_credentials(member["member_id"])
        received = await q.console.member_received(member["member_id"])
        language = await q.console.member_language(member["member_id"])
        household_id = await q.households.member_household(member["member_id"])
    nothing = {"last_seq": 0, "payments": 0, "received_cents": 0, "paid_cents": 0}
    return call.render(
        "member.html",
        {
            "member": member,
            "household_id": household_id,
            "credentials": [
                {**dict(c), **received.get(bytes(c["cti"]), nothing)} for c in credentials
            ],
            "language": language or call.language,
            "done": call.param("done", 40),
        },
    )


async def member_code(call: Call) -> Response:
    """A new activation code for a member who never activated (letter lost, code expired)."""
    member = await lookups.member(call)
    if member["status"] != MEMBER_PENDING:
        raise Conflict(
            call._(
                "Only a member who has not activated a wallet yet "
                "gets a new code this way; use “Lost phone”."
            )
        )
    language = _language(call)
    async with call.ctx.storage.transaction() as q:
        out = await members.new_activation_code(q, call.ctx.config, member["member_id"], call.now())
        await q.console.set_member_language(member["member_id"], language)
        await call.audit(q, "member.code", member["member_id"])
    return _code_page(call, out, member["name"], language, created=False)


async def member_reenrol_confirm(call: Call) -> Response:
    return await _confirm(call, "reenrol")


async def member_revoke_confirm(call: Call) -> Response:
    return await _confirm(call, "revoke")


async def _confirm(call: Call, action: str) -> Response:
    member = await lookups.member(call)
    if member["status"] == MEMBER_REVOKED:
        raise Conflict(call._("This member is already revoked."))
    async with call.ctx.storage.read() as q:
        language = await q.console.member_language(member["member_id"])
    return call.render(
        "member_confirm.html",
        {"member": member, "action": action, "language": language or call.language},
    )


async def member_reenrol(call: Call) -> Response:
    member = await lookups.member(call)
    language = _language(call)
    try:
        async with call.ctx.storage.transaction() as q:
            out = await members.reenrol(
                q, call.ctx.config, call.ctx.keyring.root, member["member_id"], call.now()
            )
            await q.console.set_member_language(member["member_id"], language)
            await call.audit(
                q, "member.reenrol", member["member_id"], {"trust_list_seq": out.trust_list_seq}
            )
    except members.MemberError:
        raise Conflict(
            call._("This member is revoked: a revoked member cannot get a new wallet.")
        ) from None
    return _code_page(call, out, member["name"], language, created=False)


async def member_revoke(call: Call) -> Response:
    member = await lookups.member(call)
    try:
        async with call.ctx.storage.transaction() as q:
            out = await members.revoke_member(
                q, call.ctx.config, call.ctx.keyring.root, member["member_id"], call.now()
            )
            await call.audit(
                q, "member.revoke", member["member_id"], {"trust_list_seq": out.trust_list_seq}
            )
    except members.MemberError:
        raise Conflict(call._("This member is already revoked.")) from None
    return call.redirect("member", done="revoked", member_id=member["member_id"])


async def member_payments(call: Call) -> Response:
    member = await lookups.member(call)
    async with call.ctx.storage.read() as q:
        rows = await q.console.member_payments(bytes(member["sub"]))
    spent = sum(r["amount_cents"] or 0 for r in rows if r["status"] == "accepted")
    return call.render("member_payments.html", {"member": member, "rows": rows, "spent": spent})


# -- CSV import -------------------------------------------------------------------------


def _preview(call: Call, text: str) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    for line, row, error in members.read_csv(text):
        if len(rows) >= MAX_IMPORT_ROWS:
            rows.append(
                {
                    "line": line,
                    "error": call._(
                        "Too many lines: import at most %(n)s at a time.", n=MAX_IMPORT_ROWS
                    ),
                }
            )
            break
        if row is None:
            rows.append({"line": line, "error": csv_error(error or "", call._)})
            continue
        errors = Errors()
        name, email = row.get("name", ""), row.get("email", "")
        check_member_fields(name, email, call._, errors)
        rows.append(
            {
                "line": line,
                "name": name,
                "email": email,
                "error": " ".join(errors.fields.values()) or None,
            }
        )
    return rows, members.ignored_columns(text)


async def member_import_form(call: Call) -> Response:
    return call.render("member_import.html", {"errors": Errors(), "language": call.language})


async def member_import_preview(call: Call) -> Response:
    data = await upload(call.form, "file")
    errors = Errors()
    text = ""
    if not data:
        errors.add("file", call._("Choose a CSV file to import."))
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.add("file", call._("This file is not UTF-8 text: save it as “CSV UTF-8”."))
    if errors:
        return call.render(
            "member_import.html", {"errors": errors, "language": _language(call)}, status=400
        )
    rows, ignored = _preview(call, text)
    good = sum(1 for r in rows if not r["error"])
    return call.render(
        "member_import_preview.html",
        {
            "rows": rows,
            "good": good,
            "bad": len(rows) - good,
            "ignored": ignored,
            "csv": text,
            "language": _language(call),
        },
    )


async def member_import_confirm(call: Call) -> Response:
    text = call.field("csv", 2 * 1024 * 1024)
    language = _language(call)
    rows, _ignored = _preview(call, text)
    good = [r for r in rows if not r["error"]]
    if not good:
        raise Invalid(call._("There is no valid line to import."))
    created = []
    async with call.ctx.storage.transaction() as q:
        for row in good:
            out = await members.add_member(
                q, call.ctx.config, name=row["name"], email=row["email"] or None, now=call.now()
            )
            await q.console.set_member_language(out.member_id, language)
            created.append({"name": row["name"], **asdict(out)})
        await call.audit(
            q, "member.import", None, {"created": len(created), "refused": len(rows) - len(good)}
        )
    letters = [
        letter(call, language, name=m["name"], url=m["activation_url"], code=m["activation_code"])
        for m in created
    ]
    return call.render(
        "member_import_done.html",
        {"created": created, "refused": [r for r in rows if r["error"]], "letters": letters},
    )
