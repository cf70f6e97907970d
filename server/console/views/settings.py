"""The caisse's settings (admins): its name for people, contact, opening hours, its own
bank account for the SEPA file, the logo on its letters. Validated field by field,
audited with before and after; ``config.json`` stays editable by hand (only the changed
keys are written). A change applies at once in this server process."""

from __future__ import annotations

from starlette.responses import FileResponse, Response

from server.caisse import settings
from server.console.call import Call
from server.console.forms import Errors, upload
from server.errors import NotFound

FIELDS = settings.EDITABLE


def _messages(call: Call) -> dict[str, str]:
    return {
        "base_url": call._(
            "Write the address as people type it, with https:// and no path "
            "(example: https://caisse.example.be)."
        ),
        "display_name": call._("At most %(max)s characters, please.", max=100),
        "contact": call._("At most %(max)s characters, please.", max=200),
        "opening_hours": call._("At most %(max)s characters, please.", max=300),
        "sepa_debtor_name": call._(
            "The account holder's name as the bank knows it: at most 70 characters."
        ),
        "sepa_debtor_iban": call._(
            "This IBAN is not valid: copy it from the caisse's bank statement "
            "(example: BE71 0961 2345 6769)."
        ),
        "sepa_debtor_bic": call._("This BIC is not valid (example: GKCCBEBB), or leave it empty."),
        "logo": call._("The logo must be a PNG or JPEG picture of at most 2 MB."),
    }


def _values(call: Call) -> dict[str, str | None]:
    return {f: call.field(f, settings.MAX.get(f, 60) + 50) for f in FIELDS}


def _current(call: Call) -> dict[str, str | None]:
    config = call.ctx.config
    values = {f: getattr(config, f) or "" for f in FIELDS}
    values["sepa_debtor_iban"] = call.site.pages.formats[call.language].iban(
        config.sepa_debtor_iban
    )
    return values


def _page(call: Call, values: dict[str, str | None], errors: Errors, status: int = 200) -> Response:
    return call.render(
        "settings.html",
        {
            "values": values,
            "errors": errors,
            "logo": settings.logo_path(call.ctx.config) is not None,
            "done": call.param("done", 40),
            "config_file": str(call.ctx.config.data_dir / "config.json"),
        },
        status=status,
    )


async def settings_form(call: Call) -> Response:
    return _page(call, _current(call), Errors())


async def settings_save(call: Call) -> Response:
    values = _values(call)
    errors = Errors()
    messages = _messages(call)
    for field in FIELDS:  # each field on its own, so every error shows at once
        try:
            settings.clean({field: values[field]})
        except settings.SettingsError:
            errors.add(field, messages[field])
    logo = await upload(call.form, "logo")
    if errors:
        return _page(call, values, errors, status=400)
    config = call.ctx.config
    try:
        updated, changed = settings.change(config, values)
    except settings.SettingsError as exc:
        errors.general.append(exc.message)
        return _page(call, values, errors, status=400)
    logo_changed = None
    if logo:
        try:
            size = settings.save_logo(updated, logo)
        except settings.SettingsError:
            errors.add("logo", messages["logo"])
            return _page(call, values, errors, status=400)
        logo_changed = {"width": size[0], "height": size[1]}
    elif call.field("remove_logo", 5) == "yes" and settings.remove_logo(updated):
        logo_changed = {"removed": True}
    async with call.ctx.storage.transaction() as q:
        if changed.changes:
            await call.audit(q, "settings.edit", None, {"changes": changed.changes})
        if logo_changed is not None:
            await call.audit(q, "logo.upload", None, logo_changed)
    call.ctx.config = updated
    call.site.pages.caisse = updated.display
    done = "settings_saved" if changed.changes or logo_changed else "unchanged"
    return call.redirect("settings", done=done)


async def logo(call: Call) -> Response:
    """The logo, for the letters printed from the console."""
    path = settings.logo_path(call.ctx.config)
    if path is None:
        raise NotFound(call._("There is no logo yet."))
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-cache"})
