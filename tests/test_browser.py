"""End to end in a real browser (issue 5): the running app, driven in headless Chromium
with Playwright, over a fresh index of one bundled report (the smallest, to keep the test
well under two minutes) built with the default (real) embedder. A delegate asks a dev question, gets an answer with citations, opens
a source card and sees the quoted text highlighted; an officer uploads a small text
report and finds it by asking about it. Screenshots go to ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.ui_latency import CHROMIUM_PATH, app_env, ask_in_page, gfmd, launch_chromium, running_app
from gfmd.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "artifacts"
REPORT = PROJECT_ROOT / "corpus" / "reports" / "iom-scpf-13-2008-pimd-update-fr.md"
QUESTION = "Quand la proposition collective du GMG concernant le PIMD a-t-elle été finalisée ?"
"""Dev question d07 (evals/dev_questions.jsonl); its gold passage is in REPORT."""
GOLD = "finalisée le 16 novembre 2007"
TOKEN = "browser-test-token"
"""The write token the app is started with (uploads need it in the address)."""

UPLOAD_TEXT = """Rapport de l'atelier de Tbilissi sur les migrations de retour (2024)

Messages essentiels

Les participants ont recommandé la création d'un observatoire régional des migrations \
de retour, chargé de suivre la réintégration des travailleurs revenus de l'étranger.

Le financement de l'observatoire reposera sur un partenariat entre les gouvernements \
et les organisations de la diaspora.
"""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM_PATH.exists():
        pytest.skip(f"{CHROMIUM_PATH} missing: install Debian's chromium (scripts/test.sh does)")
    pytest.importorskip("playwright.sync_api")
    env = app_env(tmp_path_factory.mktemp("browser-app"))
    env["GFMD_UI__WRITE_TOKEN"] = TOKEN
    gfmd("ingest", "--quiet", str(REPORT), env=env)
    with running_app(env) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url: str):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(30_000)
        pg.goto(f"{app_url}?token={TOKEN}")
        pg.wait_for_selector("#question textarea")
        yield pg
        browser.close()


def test_ask_answer_with_citations_and_open_a_source_card(page) -> None:
    seconds = ask_in_page(page, QUESTION)
    answer = page.locator("#chat .answer").last
    assert "not-found" not in (answer.get_attribute("class") or "")
    cites = answer.locator("a.cite")
    assert cites.count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ui-1-answer.png"), full_page=True)

    cites.first.click()
    card = page.locator("#src-0-1")
    card.locator("mark").first.wait_for(state="visible")
    assert card.locator("details").first.get_attribute("open") is not None
    quoted = _norm(card.locator("mark").first.inner_text())
    assert len(quoted) > 20 and quoted in _norm(answer.inner_text())
    assert GOLD in _norm(answer.inner_text())
    header = page.locator("#sources .turn-sources").first.inner_text()  # card or group header
    assert "SCPF/13" in header and "2008" in header
    page.screenshot(path=str(ARTIFACTS / "ui-2-source-card.png"), full_page=True)
    assert seconds < 30

    card.locator("a.open-ctx").click()  # into the document viewer, at the quoted span
    target = page.locator("#doc-view #doc-target mark")
    target.wait_for(state="visible")
    page.wait_for_function(  # scrolled to the quoted span
        "() => { const r = document.querySelector('#doc-target').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert _norm(target.inner_text()) in quoted or quoted in _norm(target.inner_text())
    page.screenshot(path=str(ARTIFACTS / "ui-3-in-document.png"))
    page.get_by_role("tab", name="Ask").click()


def test_upload_a_report_then_find_it(page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    report = tmp_path / "atelier tbilissi 2024.txt"
    report.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(str(report))
    page.locator('#upload td.filename[aria-label="atelier tbilissi 2024.txt"]').wait_for()
    page.click("#ingest")
    page.locator("#ingest-summary").get_by_text("1 added").wait_for(timeout=60_000)
    assert "atelier-tbilissi-2024" in page.locator("#ingest-results").inner_text()
    expect(page.locator("#doc-table")).to_contain_text("atelier-tbilissi-2024", use_inner_text=True)
    page.screenshot(path=str(ARTIFACTS / "ui-4-upload.png"), full_page=True)

    page.get_by_role("tab", name="Ask").click()
    ask_in_page(page, "Que recommande l'atelier de Tbilissi sur les migrations de retour ?")
    sources = page.locator("#sources .turn-sources").first
    assert "Rapport de l'atelier de Tbilissi" in sources.inner_text()  # the header's title
    assert sources.locator('a.open-ctx[data-doc="atelier-tbilissi-2024"]').count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ui-5-uploaded-found.png"), full_page=True)
