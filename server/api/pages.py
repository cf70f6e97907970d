"""Two public pages anyone can open: where to pay (``/shops``) and what was decided
(``/decisions``), in French, Dutch or English (``?lang=``, else the browser's).

Plain HTML, every value escaped, no script; the same data as ``GET /api/v1/shops``
and ``GET /api/v1/decisions``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from server.caisse import decisions
from server.context import ctx

LANGS = ("fr", "nl", "en")
TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "shops": "Où payer ?",
        "intro": "Les commerces agréés par les membres de la caisse.",
        "scope": "Accepté pour : {scope}",
        "whole": "tout le magasin",
        "since": "agréé depuis le {date}",
        "until": "jusqu’au {date}",
        "none": "Aucun commerce agréé pour le moment.",
        "decisions": "Décisions des membres",
        "dintro": "Chaque vote clos, avec son décompte et les reçus des bulletins comptés.",
        "eligible": "{ballots} votes sur {eligible} membres appelés à voter",
        "quorum_no": "quorum non atteint",
        "receipts": "Reçus des bulletins comptés ({n})",
        "other": "Décisions",
        "other_shops": "Commerces",
        "outcome.adopted": "adopté",
        "outcome.rejected": "rejeté",
        "outcome.blocked": "bloqué par des objections",
        "outcome.no-quorum": "quorum non atteint",
        "outcome.chosen": "choix : {winner}",
        "outcome.tie": "égalité",
        "choice.yes": "oui",
        "choice.no": "non",
        "choice.abstain": "abstention",
        "nodecision": "Aucune décision pour le moment.",
    },
    "nl": {
        "shops": "Waar betalen?",
        "intro": "De winkels die de leden van de kas hebben goedgekeurd.",
        "scope": "Aanvaard voor: {scope}",
        "whole": "de hele winkel",
        "since": "goedgekeurd sinds {date}",
        "until": "tot {date}",
        "none": "Nog geen goedgekeurde winkel.",
        "decisions": "Beslissingen van de leden",
        "dintro": (
            "Elke afgesloten stemming, met de telling en de ontvangstbewijzen "
            "van de getelde stemmen."
        ),
        "eligible": "{ballots} stemmen van {eligible} stemgerechtigde leden",
        "quorum_no": "quorum niet gehaald",
        "receipts": "Ontvangstbewijzen van de getelde stemmen ({n})",
        "other": "Beslissingen",
        "other_shops": "Winkels",
        "outcome.adopted": "aangenomen",
        "outcome.rejected": "verworpen",
        "outcome.blocked": "geblokkeerd door bezwaren",
        "outcome.no-quorum": "quorum niet gehaald",
        "outcome.chosen": "keuze: {winner}",
        "outcome.tie": "gelijkspel",
        "choice.yes": "ja",
        "choice.no": "nee",
        "choice.abstain": "onthouding",
        "nodecision": "Nog geen beslissing.",
    },
    "en": {
        "shops": "Where to pay?",
        "intro": "The shops approved by the caisse's members.",
        "scope": "Accepted for: {scope}",
        "whole": "the whole shop",
        "since": "approved since {date}",
        "until": "until {date}",
        "none": "No approved shop yet.",
        "decisions": "Members' decisions",
        "dintro": "Every closed vote, with its count and the receipts of the ballots counted.",
        "eligible": "{ballots} votes of {eligible} members called to vote",
        "quorum_no": "quorum not met",
        "receipts": "Receipts of the ballots counted ({n})",
        "other": "Decisions",
        "other_shops": "Shops",
        "outcome.adopted": "adopted",
        "outcome.rejected": "rejected",
        "outcome.blocked": "blocked by objections",
        "outcome.no-quorum": "quorum not met",
        "outcome.chosen": "chosen: {winner}",
        "outcome.tie": "tie",
        "choice.yes": "yes",
        "choice.no": "no",
        "choice.abstain": "abstain",
        "nodecision": "No decision yet.",
    },
}
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}li{margin:.8rem 0}.muted{color:#555}code{font-size:.8rem;"
    "word-break:break-all}nav a{margin-right:1rem}"
)


def language(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in LANGS:
        return wanted
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.strip()[:2].lower()
        if tag in LANGS:
            return tag
    return "fr"


def _page(lang: str, title: str, body: str) -> Response:
    t = TEXT[lang]
    nav = (
        f'<nav><a href="/shops?lang={lang}">{escape(t["other_shops"])}</a>'
        f'<a href="/decisions?lang={lang}">{escape(t["other"])}</a>'
        + "".join(f'<a href="?lang={code}" lang="{code}">{code.upper()}</a>' for code in LANGS)
        + "</nav>"
    )
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{nav}<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Vary": "Accept-Language"})


def _date(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y") if lang != "en" else iso


def scope_line(scope: str | None, lang: str) -> str:
    t = TEXT[lang]
    return t["scope"].format(scope=scope or t["whole"])


async def shops_page(request: Request) -> Response:
    c = ctx(request)
    lang = language(request)
    t = TEXT[lang]
    async with c.storage.read() as q:
        listed = await decisions.directory(q, c.config, c.now())
    items = []
    for s in listed:
        lines = [f"<strong>{escape(s['name'])}</strong>"]
        lines += [escape(s[k]) for k in ("address", "hours") if s[k]]
        lines.append(escape(scope_line(s["scope"], lang)))
        since = t["since"].format(date=_date(s["approved_since"], lang))
        if s["until"]:
            since += ", " + t["until"].format(date=_date(s["until"], lang))
        lines.append(f'<span class="muted">{escape(since)}</span>')
        items.append(
            f'<li data-merchant="{escape(s["merchant_id"])}">' + "<br>".join(lines) + "</li>"
        )
    body = f"<p>{escape(t['intro'])}</p>" + (
        f"<ul>{''.join(items)}</ul>" if items else f"<p>{escape(t['none'])}</p>"
    )
    return _page(lang, t["shops"], body)


def _outcome(record: dict[str, Any], lang: str) -> str:
    t = TEXT[lang]
    text = t.get(f"outcome.{record['outcome']}", record["outcome"])
    return text.format(winner=record.get("winner") or "")


async def decisions_page(request: Request) -> Response:
    c = ctx(request)
    lang = language(request)
    t = TEXT[lang]
    tz = ZoneInfo(c.config.timezone)
    async with c.storage.read() as q:
        log = await decisions.decisions_log(q)
    items = []
    for d in log:
        when = datetime.fromtimestamp(d["decided_at"], tz).date().isoformat()
        tally = ", ".join(f"{escape(t.get('choice.' + k, k))} {v}" for k, v in d["tally"].items())
        counted = t["eligible"].format(ballots=d["ballots"], eligible=d["eligible"])
        receipts = "".join(f"<li><code>{escape(r)}</code></li>" for r in d["receipts"])
        items.append(
            f'<li id="{escape(d["proposal_id"])}"><strong>{escape(d["title"])}</strong> — '
            f"{escape(_outcome(d, lang))}<br>"
            f'<span class="muted">{escape(_date(when, lang))} · {escape(counted)}</span><br>'
            f"{tally}<details><summary>{escape(t['receipts'].format(n=len(d['receipts'])))}"
            f"</summary><ul>{receipts}</ul></details></li>"
        )
    body = f"<p>{escape(t['dintro'])}</p>" + (
        f"<ul>{''.join(items)}</ul>" if items else f"<p>{escape(t['nodecision'])}</p>"
    )
    return _page(lang, t["decisions"], body)
