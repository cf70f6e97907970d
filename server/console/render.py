"""Pages: one Jinja2 environment per language (gettext installed), autoescaped.

Templates get the user, the language, the CSRF token, Babel formatters and the
navigation for the user's role; they never query anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.console.auth.sessions import ADMIN, OPERATOR, User
from server.console.i18n import (
    LANG_COOKIE,
    LANGUAGES,
    N_,
    NAMES,
    Formats,
    load_translations,
    pick_language,
)
from server.console.words import Words
from server.languages import gettext_of, ngettext_of

TEMPLATES = Path(__file__).resolve().parent / "templates"

# (endpoint name, label msgid, role): the menu, in order.
NAV = (
    ("dashboard", N_("Dashboard"), OPERATOR),
    ("members", N_("Members"), OPERATOR),
    ("paper", N_("Paper vouchers"), OPERATOR),
    ("shops", N_("Shops"), OPERATOR),
    ("batches", N_("Batches"), OPERATOR),
    ("proposals", N_("Votes"), OPERATOR),
    ("households", N_("Households"), OPERATOR),
    ("contributions", N_("Contributions"), ADMIN),
    ("books", N_("Books"), ADMIN),
    ("reconciliation", N_("Reconciliation"), ADMIN),
    ("report", N_("Monthly report"), ADMIN),
    ("planning", N_("Planning"), ADMIN),
    ("keys", N_("Keys"), ADMIN),
    ("accounts", N_("Accounts"), ADMIN),
    ("audit", N_("Audit log"), ADMIN),
    ("settings", N_("Settings"), ADMIN),
)

# ?done=KEY after an action that redirects: the message shown once on the next page.
NOTICES = {
    "logout": N_("You are logged out."),
    "revoked": N_(
        "The member is revoked. A new trust list blocks their wallet at every shop "
        "from the shop's next sync."
    ),
    "suspended": N_("The shop is suspended: its scanners can no longer send batches."),
    "resumed": N_("The shop is active again."),
    "shop_edited": N_("The shop's details are saved."),
    "shop_edited_no_bic": N_(
        "The shop's details are saved. The console does not know the bank of this IBAN: "
        "ask the shop for its BIC (it is on its bank statement) and add it here."
    ),
    "member_edited": N_("The member's details are saved."),
    "unchanged": N_("Nothing was changed."),
    "settings_saved": N_(
        "The settings are saved: letters, statements and the SEPA file use them now."
    ),
    "till_revoked": N_(
        "The till is revoked: everything it sends is refused from now on. Make a new "
        "scanner enrolment code to enrol its replacement. Its unsent scans are lost unless "
        "its data directory is recovered and handed over to another till of the shop "
        "(ssa-scanner handover)."
    ),
    "rotated": N_("A new issuer key signs the credentials from now on."),
    "signed": N_("A new trust list is signed and published."),
    "reconciled": N_("Reconciliation has run."),
    "decided": N_("The decision is recorded."),
    "proposal_added": N_("The proposal is entered."),
    "screened": N_("The committee's screening is recorded."),
    "assembly_recorded": N_("The assembly's count is recorded; it is added at the close."),
    "proxy_recorded": N_("The proxy is recorded: the holder can vote for the member."),
    "account_added": N_("The account is added. Give its password to its owner in person."),
    "account_disabled": N_("The account is disabled: its sessions have ended."),
    "account_enabled": N_("The account is enabled again."),
    "password_reset": N_("The new password is set: the account's sessions have ended."),
    "household_added": N_("The household is added."),
    "household_changed": N_(
        "The household is changed. What is already shared out this month stays as it is."
    ),
    "contribution_set": N_("The contribution is recorded."),
    "entry_assigned": N_("The bank entry is settled."),
    "subsidy_added": N_("The subsidy is recorded."),
}


class Pages:
    def __init__(self, timezone: str, *, demo: bool = False, caisse: str = "") -> None:
        self.timezone = timezone
        self.demo = demo
        self.caisse = caisse  # the caisse's name for people, in the header
        self.envs: dict[str, Environment] = {}
        self.translations = {lang: load_translations(lang) for lang in LANGUAGES}
        for language in LANGUAGES:
            env = Environment(
                loader=FileSystemLoader(TEMPLATES),
                autoescape=select_autoescape(["html", "svg"]),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(self.translations[language], newstyle=True)  # type: ignore[attr-defined]
            self.envs[language] = env
        self.formats = {lang: Formats(lang, timezone) for lang in LANGUAGES}

    def gettext(self, language: str) -> Callable[..., str]:
        """``_(message, **values)`` for Python code, like the templates' new-style gettext."""
        return gettext_of(self.translations[language])

    def ngettext(self, language: str) -> Callable[..., str]:
        """``ngettext(singular, plural, n, **values)`` for Python code (``%(num)s`` is n)."""
        return ngettext_of(self.translations[language])

    def render(
        self,
        request: Request,
        template: str,
        values: dict[str, Any] | None = None,
        *,
        user: User | None = None,
        status: int = 200,
        csrf_token: str | None = None,
    ) -> HTMLResponse:
        language = pick_language(request)
        env = self.envs[language]
        _ = self.gettext(language)
        nav = [item for item in NAV if user is not None and user.may(item[2])]
        done = request.query_params.get("done", "")
        context = {
            "request": request,
            "user": user,
            "lang": language,
            "languages": [(code, NAMES[code]) for code in LANGUAGES],
            "csrf_token": csrf_token or (user.csrf_token if user else ""),
            "fmt": self.formats[language],
            "words": Words(_, self.ngettext(language), self.formats[language]),
            "nav": nav,
            "demo": self.demo,
            "caisse_name": self.caisse,
            "current": _current(request, nav),
            "lang_href": lambda code: _lang_href(request, code),
            "relang": None,
            "notice": _(NOTICES[done]) if done in NOTICES else "",
            "url": lambda name, **params: request.url_for(name, **params).path,
            **(values or {}),
        }
        html = env.get_template(f"admin/{template}").render(context)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE,
                language,
                max_age=365 * 86400,
                path="/admin",
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        return response


# Pages that live outside their menu entry's path: the section they belong to.
SECTIONS = {"settlements": "reconciliation", "findings": "reconciliation", "trust-list": "keys"}


def _current(request: Request, nav: list) -> str:
    """The menu entry of this page: its section, else the longest menu path that prefixes it."""
    path, best, length = request.url.path, "", 0
    root = request.url_for("dashboard").path
    section = SECTIONS.get(path[len(root) :].split("/", 1)[0]) if path.startswith(root) else None
    if section is not None and any(name == section for name, _label, _role in nav):
        return section
    for name, _label, _role in nav:
        target = request.url_for(name).path
        if (path == target or path.startswith(target.rstrip("/") + "/")) and len(target) > length:
            best, length = name, len(target)
    return best


def _lang_href(request: Request, code: str) -> str:
    """This page in another language (a POST's answer: the dashboard, a GET is safe)."""
    if request.method != "GET":
        return f"{request.url_for('dashboard').path}?lang={code}"
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    return f"{request.url.path}?{urlencode([*params, ('lang', code)])}"
