"""Members: find, add (activation link, QR, letter), edit, import a CSV, re-enrol, revoke."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.responses import Response

from server.caisse import codes, member_csv, members, settings
from server.caisse import member_list as listing
from server.console import lookups
from server.console.call import Call
from server.console.forms import Errors, upload
from server.console.i18n import LANGUAGES, NAMES
from server.console.member_actions import MAX_IMPORT_ROWS, check_member_fields, csv_error
from server.console.pagination import paginate
from server.console.qr import qr_svg
from server.console.views.households import household_transfer
from server.errors import Conflict, Invalid
from server.storage.core import MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED

STATUSES = (MEMBER_ACTIVE, MEMBER_PENDING, MEMBER_REVOKED)
PAGE_SIZE = 25


def _filters(call: Call) -> listing.Filters:
    """The list's filters from the query string; a value that cannot be one is ignored."""
    status = call.param("status", 20)
    language = call.param("language", 5)
    activation = call.param("activation", 20)
    return listing.Filters(
        status=status if status in listing.STATUSES else None,
        language=language if language in LANGUAGES else None,
        activation=activation if activation in listing.ACTIVATIONS else None,
        search=call.param("q", 100) or None,
    )


def _filter_params(filters: listing.Filters) -> str:
    return urlencode(
        {
            "q": filters.search or "",
            "status": filters.status or "",
            "language": filters.language or "",
            "activation": filters.activation or "",
        }
    )


async def member_list(call: Call) -> Response:
    filters = _filters(call)
    page = paginate(call.param("page", 6), PAGE_SIZE)
    async with call.ctx.storage.read() as q:
        found = await listing.list_members(q, filters, call.now())
    found.reverse()  # newest first
    return call.render(
        "members.html",
        {
            "rows": found[page.offset : page.offset + page.size],
            "q": filters.search or "",
            "status": filters.status or "",
            "language_filter": filters.language or "",
            "activation": filters.activation or "",
            "statuses": STATUSES,
            "activations": listing.ACTIVATIONS,
            "filter_params": _filter_params(filters),
            "page": page.with_total(len(found)),
            "done": call.param("done", 40),
        },
    )


async def member_export(call: Call) -> Response:
    """The members of the list's filters as a CSV file (Excel, fr-BE and nl-BE)."""
    filters = _filters(call)
    async with call.ctx.storage.read() as q:
        found = await listing.list_members(q, filters, call.now())
    titles = {
        "name": call._("name"),
        "email": call._("e-mail"),
        "language": call._("language"),
        "status": call._("status"),
        "member_id": call._("number"),
        "created_at": call._("added"),
        "activated_at": call._("wallet activated"),
        "revoked_at": call._("revoked"),
        "code_expires_at": call._("activation code valid until"),
    }
    statuses = {
        MEMBER_ACTIVE: call._("active"),
        MEMBER_PENDING: call._("waiting for activation"),
        MEMBER_REVOKED: call._("revoked"),
    }

    def words(column: str, value: str) -> str:
        return statuses.get(value, value) if column == "status" else NAMES.get(value, value)

    body = listing.to_csv(found, call.ctx.config.timezone, titles=titles, words=words)
    async with call.ctx.storage.transaction() as q:
        await call.audit(
            q,
            "member.export",
            None,
            {"members": len(found), **{k: v for k, v in asdict(filters).items() if v}},
        )
    day = datetime.fromtimestamp(call.now(), ZoneInfo(call.ctx.config.timezone)).date()
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="members-{day}.csv"'},
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
            caisse=call.ctx.config.display,
            contact=call.ctx.config.contact,
            opening_hours=call.ctx.config.opening_hours,
            logo=call.url("logo") if settings.logo_path(call.ctx.config) else None,
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
    seq = getattr(out, "trust_list_seq", None)  # a re-enrolment's
    return call.render(
        "member_code.html",
        {
            "member_id": out.member_id,
            "name": name,
            "link": url,
            "code": out.activation_code,
            "created": created,
            "trust_list_seq": seq,
            "relang": {
                "action": call.url("member_shown", member_id=out.member_id),
                "fields": {
                    "code": out.activation_code,
                    "created": "yes" if created else "",
                    "language": language,
                    "trust_list_seq": seq or "",
                },
            },
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


async def member_shown(call: Call) -> Response:
    """The page of a code just made, again (in another language): the code is shown only
    while it still works for this member, and nothing is changed."""
    member = await lookups.member(call)
    code = call.field("code", 40)
    digest = codes.code_hash(code)
    subject = None
    if digest is not None:
        async with call.ctx.storage.read() as q:
            subject = await q.code_subject(digest, members.KIND, call.now())
    if subject != member["member_id"]:
        raise Conflict(call._("This code no longer works: make a new one on the member's page."))
    seq = call.field("trust_list_seq", 12)
    out = members.Reenrolment(
        member["member_id"],
        code,
        members.activation_url(call.ctx.config, code),
        0,
        int(seq) if seq.isdigit() else None,
    )
    created = call.field("created", 5) == "yes"
    return _code_page(call, out, member["name"], _language(call), created=created)


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


async def member_edit(call: Call) -> Response:
    member = await lookups.member(call)
    async with call.ctx.storage.read() as q:
        language = await q.console.member_language(member["member_id"])
    values = {"name": member["name"], "email": member["email"] or "", "language": language}
    return call.render("member_edit.html", {"member": member, "values": values, "errors": Errors()})


async def member_update(call: Call) -> Response:
    member = await lookups.member(call)
    name, email = call.field("name", 300), call.field("email", 300)
    language = _language(call)
    errors = Errors()
    check_member_fields(name, email, call._, errors)
    if errors:
        values = {"name": name, "email": email, "language": language}
        return call.render(
            "member_edit.html",
            {"member": member, "values": values, "errors": errors},
            status=400,
        )
    async with call.ctx.storage.transaction() as q:
        out = await members.edit_member(
            q, member["member_id"], name=name, email=email, language=language
        )
        if out.changes:
            await call.audit(q, "member.edit", member["member_id"], {"changes": out.changes})
    done = "member_edited" if out.changes else "unchanged"
    return call.redirect("member", done=done, member_id=member["member_id"])


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


def _preview(call: Call, text: str) -> tuple[list[dict], member_csv.CsvFile]:
    """Each line of the file as the preview shows it: its fields, or its error in words."""
    read = member_csv.read(text)
    if read.error:
        return [{"line": 1, "error": csv_error(read.error, call._)}], read
    rows: list[dict] = []
    for item in read.lines:
        if len(rows) >= MAX_IMPORT_ROWS:
            rows.append(
                {
                    "line": item.line,
                    "error": call._(
                        "Too many lines: import at most %(n)s at a time.", n=MAX_IMPORT_ROWS
                    ),
                }
            )
            break
        if item.error in (member_csv.MORE_FIELDS, member_csv.UNREADABLE):
            rows.append({"line": item.line, "error": csv_error(item.error, call._)})
            continue
        errors = Errors()
        check_member_fields(item.name, item.email, call._, errors)
        if item.error == member_csv.UNKNOWN_LANGUAGE:
            errors.add("language", csv_error(item.error, call._, value=item.language_cell))
        rows.append(
            {
                "line": item.line,
                "name": item.name,
                "email": item.email,
                "language": item.language,
                "error": " ".join(errors.fields.values()) or None,
            }
        )
    return rows, read


async def member_import_form(call: Call) -> Response:
    return call.render("member_import.html", {"errors": Errors(), "language": call.language})


async def member_import_preview(call: Call) -> Response:
    data = await upload(call.form, "file")
    if not data:
        errors = Errors()
        errors.add("file", call._("Choose a CSV file to import."))
        return call.render(
            "member_import.html", {"errors": errors, "language": _language(call)}, status=400
        )
    text, _encoding = member_csv.decode(data)
    rows, read = _preview(call, text)
    good = sum(1 for r in rows if not r["error"])
    return call.render(
        "member_import_preview.html",
        {
            "rows": rows,
            "good": good,
            "bad": len(rows) - good,
            "ignored": read.ignored,
            "has_language": member_csv.LANGUAGE in read.columns,
            "csv": text,
            "language": _language(call),
        },
    )


async def member_import_confirm(call: Call) -> Response:
    text = call.field("csv", 2 * 1024 * 1024)
    language = _language(call)
    rows, _read = _preview(call, text)
    good = [r for r in rows if not r["error"]]
    if not good:
        raise Invalid(call._("There is no valid line to import."))
    created = []
    async with call.ctx.storage.transaction() as q:
        for row in good:
            chosen = row["language"] or language
            out = await members.add_member(
                q,
                call.ctx.config,
                name=row["name"],
                email=row["email"] or None,
                now=call.now(),
                language=chosen,
            )
            created.append({"name": row["name"], "language": chosen, **asdict(out)})
        await call.audit(
            q, "member.import", None, {"created": len(created), "refused": len(rows) - len(good)}
        )
    letters = [
        letter(
            call, m["language"], name=m["name"], url=m["activation_url"], code=m["activation_code"]
        )
        for m in created
    ]
    return call.render(
        "member_import_done.html",
        {"created": created, "refused": [r for r in rows if r["error"]], "letters": letters},
    )
