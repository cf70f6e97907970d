"""The council report: one page, HTML and PDF, in French and Dutch, from a simulated scenario."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from pypdf import PdfReader

from server.cli.admin import main
from server.console import council
from server.console.i18n import Formats
from server.ledger.scenario import read_scenario
from server.ledger.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "grenoble.toml"
CREATED = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def result():
    return simulate(read_scenario(EXAMPLE.read_text(), "grenoble.toml"))


def money(language: str, cents: int) -> str:
    return Formats(language, "Europe/Brussels").money(cents)


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Budget d'un projet pilote", "Qui cotise, qui reçoit", "janvier 2027"]),
        ("nl", ["Begroting van een proefproject", "Wie draagt bij, wie ontvangt", "januari 2027"]),
        ("en", ["Budget of a pilot", "Who contributes, who receives"]),
    ],
)
def test_the_html_report_speaks_the_council_language(result, language, words):
    html = council.report_html(result, language)
    assert html.startswith("<!doctype html>") and f'<html lang="{language}">' in html
    for word in words:
        assert word.replace("'", "&#39;") in html or word in html, word
    assert money(language, 435000) in html  # allowances a month
    assert money(language, 3915000) in html  # subsidy needed a year
    assert council.Words(language).percent(0.25) in html  # coverage
    assert html.count("<svg") == 1 and "<style>" in html
    assert 'id="council-runway"' in html


def test_the_html_report_links_its_stylesheet_when_served(result):
    html = council.report_html(result, "fr", stylesheet_href="/admin/static/council.css")
    assert "<style>" not in html and 'href="/admin/static/council.css"' in html
    assert ' style="' not in html  # the console's policy allows no inline style


@pytest.mark.parametrize(
    ("language", "heading", "who"),
    [
        ("fr", "Budget d'un projet pilote", "1 adulte"),
        ("nl", "Begroting van een proefproject", "1 volwassene"),
    ],
)
def test_the_pdf_report_is_one_page(result, language, heading, who):
    pages, text = pdf_text(council.report_pdf(result, language, created=CREATED))
    assert pages == 1
    assert heading in text and who in text
    assert "€" in text  # DejaVu Sans prints the euro sign
    assert money(language, 3915000).replace("\u202f", " ") in text.replace("\u202f", " ")


def test_the_pdf_report_without_the_unicode_font(result, monkeypatch, tmp_path):
    monkeypatch.setattr(council, "FONT_DIR", tmp_path)
    pages, text = pdf_text(council.report_pdf(result, "fr", created=CREATED))
    assert pages == 1 and "EUR" in text and "Budget d'un projet pilote" in text


def test_a_long_horizon_still_fits_one_page(result):
    long = simulate(read_scenario(EXAMPLE.read_text(), "grenoble.toml", months=120))
    pages, _ = pdf_text(council.report_pdf(long, "nl", created=CREATED))
    assert pages == 1


def test_simulate_writes_the_report(tmp_path, capsys):
    html, pdf = tmp_path / "conseil.html", tmp_path / "raad.pdf"
    assert main(["simulate", str(EXAMPLE), "--report", str(html)]) == 0
    assert main(["simulate", str(EXAMPLE), "--report", str(pdf), "--lang", "nl"]) == 0
    err = capsys.readouterr().err
    assert "report written" in err
    assert "Budget d&#39;un projet pilote" in html.read_text()
    assert pdf_text(pdf.read_bytes())[0] == 1


def test_every_message_of_the_report_and_the_planning_page_is_translated():
    jinja = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}
    templates = ROOT / "server/console/templates/admin"
    sources = [
        (ROOT / "server/console/council.py", "python", {}),
        (ROOT / "server/console/views/planning.py", "python", {}),
        (templates / "council_body.html", "jinja2", jinja),
        (templates / "planning.html", "jinja2", jinja),
    ]
    ids = set()
    for path, method, options in sources:
        for _line, message, _c, _ctx in extract_from_file(method, str(path), options=options):
            ids.add(message if isinstance(message, str) else message[0])
    assert len(ids) > 40
    for language in ("fr", "nl"):
        path = ROOT / f"server/locale/{language}/LC_MESSAGES/admin.po"
        with path.open("rb") as f:
            catalog = read_po(f, locale=language)
        missing = [i for i in ids if not catalog.get(i) or not catalog.get(i).string]
        assert not missing, (language, missing)
