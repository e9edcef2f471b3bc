"""Issue 12's fixes at the handler level (the browser tests drive the same in Chromium):
untouched year boxes mean no filter, a filtered not-found offers "clear filters", nothing
is removed without a named confirmation and the write token, uploads have a total quota,
the API takes the meeting filter, exports record filters and use the locator."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

from assistant.retrieve import search
from gfmd.errors import QueryError
from gfmd.settings import Settings
from tests.test_ui import _last, _run_chat, build_index
from ui.app import DOC_COLUMNS, App, Turn, launch_kwargs, make_filters
from ui.export import conversation_markdown
from ui.render import SHORT_TITLE_CHARS, short_meeting, short_title
from ui.uploads import ingest_uploads


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return build_index(tmp_path)


def test_untouched_year_boxes_are_no_filter_and_one_bound_is_half_open() -> None:
    f = make_filters([], "", "  ", [], [], "")
    assert f.year_min is None and f.year_max is None
    half = make_filters(year_min="2011", year_max="")
    assert (half.year_min, half.year_max) == (2011, None)
    for bad in ("2011.5", "deux mille", "2011-2017"):
        with pytest.raises(QueryError, match="whole year"):
            make_filters(year_min=bad)


def test_chat_with_only_from_year_answers(settings: Settings) -> None:
    outputs = _run_chat(
        App(settings),
        "Que réduisent les transferts de fonds des migrants ?",
        year_min="2011",
        year_max="",
    )
    [turn] = _last(outputs, 2)
    assert turn.answer.status == "answered"
    assert turn.filters is not None and turn.filters.year_min == 2011


def test_filtered_not_found_says_so_and_shows_clear_filters(settings: Settings) -> None:
    app = App(settings)
    outputs = _run_chat(app, "Que réduisent les transferts de fonds ?", year_min="2030")
    [turn] = _last(outputs, 2)
    assert turn.answer.status == "not_found"
    final = _last(outputs, 1)[-1]["content"]
    assert "The filters (from 2030)" in final
    assert "No passage matches the filters" in _last(outputs, 3)
    assert _last(outputs, 4) == {"__type__": "update", "visible": True}
    cleared = app.clear_filters()
    assert cleared[:6] == ([], "", "", [], [], "") and cleared[6]["visible"] is False


def test_browse_counts_and_no_kind_lists_nothing(settings: Settings) -> None:
    app = App(settings)
    assert "Tick at least one kind" in app.browse([], None, "")
    assert "1 elements" in app.browse(["key_message"], None, "")
    assert "Marque al menos un tipo" in app.browse([], None, "", "es-ES")


def test_viewer_names_what_remove_would_remove(settings: Settings) -> None:
    html = App(settings).view_document("a")
    assert 'data-doc="a"' in html
    assert "Synthèse du Module III" in html and "(2011)" in html
    assert "3 passages, 1 elements" in html


def test_remove_and_ingest_need_the_write_token(settings: Settings, tmp_path: Path) -> None:
    app = App(settings, write_token="s3cret")
    with pytest.raises(gr.Error, match="token"):
        app.remove("b", "")
    with pytest.raises(gr.Error, match="token"):
        app.ingest(["x.txt"], "wrong", progress=lambda *a, **k: None)
    assert "b" in {d.meta.doc_id for d in app.res().store.documents()}
    status, _ = app.remove("b", "s3cret")
    assert status.startswith("Removed b")


def test_upload_total_quota_refuses_the_whole_request(tmp_path: Path) -> None:
    settings = build_index(tmp_path)
    settings = settings.model_copy(
        update={"ui": settings.ui.model_copy(update={"max_upload_total_mb": 0.002})}
    )
    root = tmp_path / "gradio"
    root.mkdir()
    files = []
    for i in range(3):  # each under the per-file limit, together over the total
        f = root / f"r{i}.txt"
        f.write_text("Les migrations de retour. " * 40, encoding="utf-8")
        files.append(f)
    report = ingest_uploads(files, settings=settings, upload_root=root)
    assert [r.status for r in report.files] == ["rejected"] * 3
    assert all("in total" in r.reason for r in report.files)
    assert not settings.upload_dir.exists() or not list(settings.upload_dir.iterdir())


def test_api_takes_the_meeting_filter(settings: Settings) -> None:
    app = App(settings)
    got = app.api_search("diaspora", kinds=["key_message"], meeting="Chisinau")
    assert got["hits"] and all("Chisinau" in (h["meeting"] or "") for h in got["hits"])
    assert app.api_search("diaspora", kinds=["key_message"], meeting="Batumi")["hits"] == []
    assert app.api_ask("diaspora", meeting="Batumi")["status"] == "not_found"


def test_meeting_filter_holds_when_the_question_names_another_meeting(settings: Settings) -> None:
    app = App(settings)
    question = "Quels sont les messages essentiels de l'atelier de Chisinau ?"
    assert app.api_ask(question)["status"] == "answered"
    assert app.api_ask(question, meeting="Chisinau")["status"] == "answered"
    filtered = app.api_ask(question, meeting="Batumi")
    assert filtered["status"] == "not_found" and filtered["citations"] == []


def test_no_list_notice_offers_closest_material_only_when_there_is_some(
    settings: Settings,
) -> None:
    got = App(settings).api_ask(
        "Quels sont les messages essentiels de l'atelier de Batumi ?", year_min=2030
    )
    assert got["status"] == "not_found" and got["closest"] == []
    assert "« batumi »" in got["notice"] and "plus proches" not in got["notice"]


def test_export_records_filters(settings: Settings) -> None:
    outputs = _run_chat(App(settings), "transferts de fonds pauvreté", year_min="2011")
    [turn] = _last(outputs, 2)
    assert isinstance(turn, Turn)
    md = conversation_markdown([turn.answer], filters=[turn.filters])
    assert "*Filters: from 2011*" in md


def test_first_screen_says_what_the_corpus_holds_in_the_ui_language(settings: Settings) -> None:
    summary, samples, panel = App(settings).welcome("fr-FR")
    assert summary.startswith("**Le corpus :** 2 documents (2011-2017) — 1 messages essentiels")
    assert samples["samples"][0] == [
        "Quels sont les messages essentiels de l'atelier de Chisinau ?"
    ]
    assert "Les sources des réponses" in panel
    assert App(settings).welcome("es")[0].startswith("**El corpus:** 2 documentos")


def test_reads_run_concurrently_and_writers_one_at_a_time(settings: Settings) -> None:
    from ui.app import READ_CONCURRENCY, WRITE_CONCURRENCY_ID, build_app

    demo = build_app(settings, write_token="t")
    fns = {getattr(fn, "name", ""): fn for fn in demo.fns.values()}
    for name in ("api_search", "api_ask", "browse"):
        assert fns[name].concurrency_limit == READ_CONCURRENCY, name
    for name in ("ingest", "remove"):
        assert fns[name].concurrency_limit == 1, name
        assert fns[name].concurrency_id == WRITE_CONCURRENCY_ID, name
    assert demo.write_token == "t"  # type: ignore[attr-defined]


def test_api_mistake_is_one_log_line_not_a_traceback(settings: Settings, capsys) -> None:
    app = App(settings)
    for call in (lambda: app.api_search(""), lambda: app.api_ask("  ")):
        with pytest.raises(gr.Error, match="empty query") as raised:
            call()
        assert raised.value.print_exception is False  # Gradio prints no traceback
    assert capsys.readouterr().err.count("gfmd: QueryError: empty query") == 2


def test_title_ending_with_its_year_is_not_given_it_twice() -> None:
    from assistant.models import titled

    title = "Migrations internationales et développement : rapport (2008)"
    assert titled(title, 2008) == title
    assert titled(title, "2008") == title
    assert titled("Module III synthesis", 2011) == "Module III synthesis (2011)"
    assert titled("Module III synthesis", None) == "Module III synthesis"


# ------------------------------------------------- remaining gaps of the browser check
def _theme_colour(theme: object, name: str) -> str:
    """A theme variable resolved through its ``*other_variable`` references to a colour."""
    value = str(getattr(theme, name))
    while value.startswith("*"):
        value = str(getattr(theme, value[1:]))
    return {"white": "#ffffff", "black": "#000000"}.get(value, value)


def _contrast(fg: str, bg: str) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours."""

    def lum(hex_: str) -> float:
        rgb = [int(hex_.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_theme_text_has_contrast_on_its_background() -> None:
    theme = launch_kwargs(Settings())["theme"]
    white = "#ffffff"
    pairs = {
        "primary button": ("button_primary_text_color", "button_primary_background_fill"),
        "hovered primary button": (
            "button_primary_text_color",
            "button_primary_background_fill_hover",
        ),
    }
    for what, (fg, bg) in pairs.items():
        ratio = _contrast(_theme_colour(theme, fg), _theme_colour(theme, bg))
        assert ratio >= 4.5, (what, ratio)
    for what, fg in {"selected tab": "color_accent", "footer": "body_text_color_subdued"}.items():
        ratio = _contrast(_theme_colour(theme, fg), white)
        assert ratio >= 4.5, (what, ratio)


def test_documents_table_headers_follow_the_ui_language(settings: Settings) -> None:
    table = App(settings).refresh(None, None, None, None, "fr-FR")[3]
    assert table["headers"][:3] == ["titre", "année", "réunion"]
    assert App(settings).refresh(None, None, None, None, "es")[3]["headers"][1] == "año"
    english = App(settings).refresh()[3]
    assert english["headers"] == DOC_COLUMNS and [r[-1] for r in english["data"]] == ["a", "b"]


def test_card_header_uses_short_title_and_meeting_with_full_tooltips() -> None:
    long = (
        "Rapport de synthèse du Module III : Outils pour des politiques migratoires et de "
        "développement reposant sur des faits probants"
    )
    assert short_title(long) == "Rapport de synthèse du Module III"
    cut = short_title("Document de réflexion de la coprésidence germano-marocaine du FMMD")
    assert cut.endswith("…") and len(cut) <= SHORT_TITLE_CHARS and " " in cut
    assert not cut.startswith("Rap…")
    assert short_meeting("FMMD 2011 (présidence suisse)") == "FMMD 2011"
    assert short_meeting("OIM, Comité permanent des programmes et des finances") == "OIM"


def test_card_header_html_shows_the_short_forms(settings: Settings) -> None:
    from assistant.retrieve import resources
    from ui import render

    res = resources(settings)
    hit = search("transferts de fonds", k=1, res=res)[0]
    head = render.card_header(render.Card("src-0-1", 1, hit, None), res.store)
    j = hit.to_json()
    full, short = render.titled(j["title"], j["year"]), short_title(j["title"])
    assert f'title="{render.esc(full)}">{render.esc(render.titled(short, j["year"]))}<' in head
