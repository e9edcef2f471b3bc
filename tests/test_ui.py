"""The chat app's view logic over a small hashing index: rendering (escaping, citation
links, source cards, not-found), filters reaching retrieval, the streamed chat handler,
browsing, the document viewer, export, uploads and removal."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from assistant.models import Answer, Citation, Hit
from assistant.retrieve import resources, search
from corpus.embeddings import HashingEmbedder
from corpus.store import EmbeddedStore
from gfmd.errors import QueryError
from gfmd.settings import AnswerSettings, EmbeddingSettings, Settings, UISettings
from ingest.models import Block, Document, DocumentMeta, PageSpan
from tests.factories import make_doc
from ui import app as ui_app
from ui import render
from ui.app import App, Turn, make_filters
from ui.export import conversation_markdown, write_docx
from ui.uploads import check_upload, ingest_uploads, remove_document, sanitise_filename

NASTY = "Les profils <script>alert(1)</script> & ${x} {{value}} regroupent les données."

DOC_A = make_doc(
    "a",
    [
        "Les transferts de fonds des migrants réduisent la pauvreté dans les pays d'origine.",
        NASTY,
        "La diaspora contribue au développement local des communautés.",
    ],
    year=2011,
    elements=[("key_message", 2)],
    title="Synthèse du Module III",
)
DOC_B = make_doc(
    "b",
    ["Remittances reduce poverty in countries of origin.", "Circular migration helps skills."],
    year=2017,
    language="en",
    title="Concept paper",
    meeting="Roundtable 2.2",
)


def make_settings(tmp_path: Path, *, min_dense: float = 0.1, max_mb: float = 50.0) -> Settings:
    """Settings of a throwaway index in ``tmp_path`` (hashing embedder)."""
    return Settings(
        index_dir=tmp_path / "index",
        upload_dir=tmp_path / "uploads",
        embedding=EmbeddingSettings(backend="hashing"),
        answer=AnswerSettings(min_dense_score=min_dense),
        ui=UISettings(max_upload_mb=max_mb),
    )


def build_index(tmp_path: Path, **kwargs: float) -> Settings:
    """Write DOC_A and DOC_B into a fresh index and return its settings."""
    settings = make_settings(tmp_path, **kwargs)
    emb = HashingEmbedder()
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=emb.name, create=True)
    store.write([DOC_A, DOC_B], vectors=emb.embed)
    store.close()
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return build_index(tmp_path)


def _run_chat(app: App, question: str, turns: list | None = None, **filters):
    args = [
        filters.get(k) for k in ("doc_ids", "year_min", "year_max", "languages", "kinds", "meeting")
    ]
    outputs = list(app.respond(question, [], turns or [], *args))
    return outputs


def _last(outputs: list, index: int):
    """The last value actually sent for output ``index`` (skips gr.skip())."""
    for out in reversed(outputs):
        value = out[index]
        if not (isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1):
            return value
    raise AssertionError("output never set")


# ------------------------------------------------------------------ rendering
def test_esc_neutralises_markup_and_template_syntax() -> None:
    out = render.esc(NASTY)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "$" not in out and "{" not in out and "}" not in out
    assert "&amp;" in out


def test_excerpt_highlights_quote_with_context_on_word_boundaries() -> None:
    text = "alpha beta gamma delta. The quoted sentence is here. epsilon zeta eta theta"
    unit = (text.index("The"), text.index("epsilon"))
    q = "quoted sentence"
    html = render.excerpt_html(
        text, unit, (text.index(q), text.index(q) + len(q)), context_chars=12
    )
    assert f"<mark>{q}</mark>" in html
    before = re.search(r'<span class="ctx">(.*?)</span>', html).group(1)
    assert before.startswith("…") and before.endswith("delta. ")
    assert "alpha" not in html and "theta" not in html


def _hit(settings: Settings, query: str, **kw) -> Hit:
    return search(query, res=resources(settings), **kw)[0]


def test_answer_links_only_existing_markers_and_escapes_text(settings: Settings) -> None:
    hit = _hit(settings, "transferts de fonds pauvreté")
    answer = Answer(
        "q", "answered", "« <b>x</b> » [1]\nsee also [7]", (Citation(1, hit, hit.text[:20]),)
    )
    html = render.answer_html(answer, 3)
    assert '<a class="cite" href="#src-3-1"' in html
    assert "[7]" in html and "#src-3-7" not in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "\n" not in html  # one HTML block for the Markdown renderer


def test_not_found_is_a_banner_with_closest_material_not_citations(settings: Settings) -> None:
    res = resources(settings)
    hits = search("diaspora", res=res, k=2)
    answer = Answer("q", "not_found", "", (), tuple(hits), question_language="fr", notice="n/a")
    html = render.answer_html(answer, 0)
    assert "Pas de réponse" in html and "cite" not in html
    panel = render.turn_sources_html(0, "q", answer, (), res.store)
    assert "closest material" in panel and 'id="near-0-1"' in panel
    assert "<mark>" not in panel  # nothing is presented as a quoted answer


def test_source_card_shows_citation_fields_and_highlighted_quote(settings: Settings) -> None:
    res = resources(settings)
    hit = _hit(settings, "profils regroupent données")
    assert hit.passage.doc_id == "a"
    quote = "regroupent les données"
    card = render.card_html(render.Card("src-0-1", 1, hit, quote), res.store)
    assert 'id="src-0-1"' in card and "Synthèse du Module III" in card and "2011" in card
    assert f"<mark>{quote}</mark>" in card
    assert "&lt;script&gt;" in card and "<script>" not in card
    # context from the document text around the passage
    assert "réduisent la pauvreté" in card and "diaspora" in card
    assert 'data-doc="a"' in card


def test_element_card_names_kind_and_meeting(settings: Settings) -> None:
    res = resources(settings)
    [hit] = search("diaspora", res=res, k=1, filters=make_filters(kinds=["key_message"]))
    assert hit.element is not None
    card = render.card_html(render.Card("src-0-1", 1, hit, hit.element.text), res.store)
    assert "key message" in card and "Réunion thématique — Chisinau" in card
    assert f"<mark>{render.esc(hit.element.text)}</mark>" in card


def test_document_viewer_renders_sections_pages_and_target() -> None:
    pieces = ["Titre <1>", "Premier paragraphe.", "- point un", "1 Une note."]
    text = "\n\n".join(pieces)
    spans = [(text.index(p), text.index(p) + len(p)) for p in pieces]
    blocks = (
        Block("heading", *spans[0], ("Titre <1>",), level=1, page_start=1, page_end=1),
        Block("paragraph", *spans[1], ("Titre <1>",), page_start=1, page_end=1),
        Block("list_item", *spans[2], ("Titre <1>",), label="i", page_start=2, page_end=2),
        Block("footnote", *spans[3], ("Titre <1>",), label="1", page_start=2, page_end=2),
    )
    doc = Document(
        DocumentMeta("d", "Doc & co", 2008), "/x", "h", text, (PageSpan(1, 0, 30),), blocks
    )
    html = render.document_html(doc, highlight=(spans[2][0] + 2, spans[2][1]))
    assert "<h3>Titre &lt;1&gt;</h3>" in html
    assert html.index("p. 1") < html.index("Premier") < html.index("p. 2")
    assert '<p class="li" id="doc-target"><span class="label">i)</span> - <mark>' in html
    assert '<p class="fn">1 Une note.</p>' in html and "Doc &amp; co" in html  # no double label


# -------------------------------------------------------------------- filters
def test_make_filters_converts_widget_values() -> None:
    f = make_filters(["a"], 2010.0, None, ["fr"], ["key_message"], "  ")
    assert f.doc_ids == ("a",) and f.year_min == 2010 and f.year_max is None
    assert f.languages == ("fr",) and f.kinds == ("key_message",) and f.meeting is None
    with pytest.raises(QueryError):
        make_filters(year_min=2010.5)


def test_filters_reach_retrieval(settings: Settings) -> None:
    app = App(settings)
    only_b = app.api_search("poverty remittances transferts", doc_ids=["b"])
    assert only_b["hits"] and {h["doc_id"] for h in only_b["hits"]} == {"b"}
    recent = app.api_search("poverty remittances transferts", year_min=2015)
    assert {h["year"] for h in recent["hits"]} == {2017}
    kinds = app.api_search("diaspora développement", kinds=["key_message"])
    assert kinds["hits"] and all(h["element_kind"] == "key_message" for h in kinds["hits"])
    french = app.api_search("poverty", languages=["fr"])
    assert {h["language"] for h in french["hits"]} == {"fr"}


def test_api_json_is_the_cli_json(settings: Settings) -> None:
    app = App(settings)
    res = resources(settings)
    got = app.api_search("diaspora", k=3)
    assert got == {
        "query": "diaspora",
        "hits": [h.to_json() for h in search("diaspora", k=3, res=res)],
    }
    from assistant.answer import ask

    assert (
        app.api_ask("Que réduisent les transferts de fonds ?")
        == ask("Que réduisent les transferts de fonds ?", res=res).to_json()
    )


def test_api_errors_become_gradio_errors(settings: Settings) -> None:
    import gradio as gr

    with pytest.raises(gr.Error, match="unknown document"):
        App(settings).api_search("x", doc_ids=["nope"])


# ----------------------------------------------------------------------- chat
def test_chat_streams_then_renders_cited_answer_and_cards(settings: Settings) -> None:
    outputs = _run_chat(App(settings), "Que réduisent les transferts de fonds des migrants ?")
    streamed = [o[1][-1]["content"] for o in outputs if isinstance(o[1], list)]
    assert any("streaming" in c for c in streamed[:-1])  # tokens arrived before the answer
    final = streamed[-1]
    assert '<a class="cite" href="#src-0-1"' in final
    turns = _last(outputs, 2)
    assert len(turns) == 1 and turns[0].answer.status == "answered"
    panel = _last(outputs, 3)
    for c in turns[0].answer.citations:
        assert f'id="src-0-{c.marker}"' in panel
    assert "<mark>" in panel


def test_chat_not_found_offers_closest_material(tmp_path: Path) -> None:
    settings = build_index(tmp_path, min_dense=0.99)
    outputs = _run_chat(App(settings), "Quel est le budget du Fonds pour 2031 ?")
    final = _last(outputs, 1)[-1]["content"]
    assert "not-found" in final and "cite" not in final
    assert "closest material" in _last(outputs, 3)


def test_chat_filters_restrict_sources(settings: Settings) -> None:
    outputs = _run_chat(App(settings), "poverty remittances", doc_ids=["b"])
    [turn] = _last(outputs, 2)
    assert turn.answer.citations
    assert {c.hit.passage.doc_id for c in turn.answer.citations} == {"b"}


def test_chat_answers_the_resolved_follow_up_and_shows_it(settings: Settings, monkeypatch) -> None:
    seen: list = []
    real = ui_app.ask_stream

    def recording(question, **kw):
        seen.append(question)
        return real(question, **kw)

    monkeypatch.setattr(ui_app, "ask_stream", recording)
    app = App(settings)
    first = "Quels sont les messages essentiels de l'atelier de Marseille ?"
    turns = _last(_run_chat(app, first), 2)
    outputs = _run_chat(app, "Et pour Chisinau ?", turns)
    assert seen == [first, "Quels sont les messages essentiels de l'atelier de Chisinau ?"]
    user = _last(outputs, 1)[-2]["content"]
    assert "Et pour Chisinau ?" in user
    assert "Answering: Quels sont les messages essentiels de l&#x27;atelier de Chisinau ?" in user
    [_, second] = _last(outputs, 2)
    assert second.asked == "Et pour Chisinau ?"
    assert second.answer.question.endswith("Chisinau ?")


def test_chat_error_is_a_message_not_a_crash(settings: Settings) -> None:
    with pytest.warns(UserWarning, match="year range"):
        outputs = _run_chat(App(settings), "diaspora", year_min=2020, year_max=2010)
    assert "year range" in _last(outputs, 1)[-1]["content"]
    assert _last(outputs, 2) == []


def test_chat_without_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="No index yet"):
        outputs = _run_chat(App(make_settings(tmp_path)), "diaspora")
    assert "no index" in _last(outputs, 1)[-1]["content"]


# --------------------------------------------------------------------- browse
def test_browse_groups_by_document_and_meeting_and_filters_text(settings: Settings) -> None:
    app = App(settings)
    html = app.browse(["key_message"], None, "")
    assert "Synthèse du Module III (2011)" in html and "Réunion thématique — Chisinau" in html
    assert "&lt;script&gt;" not in html or "<script>" not in html
    assert 'class="open-ctx"' in html and "<mark>" in html
    assert "No elements match" in app.browse(["key_message"], None, "introuvable")
    assert "Chisinau" in app.browse(["key_message"], None, "DEVELOPPEMENT")  # accent-folded
    assert "No elements match" in app.browse(["recommendation"], None, "")
    assert "No elements match" in app.browse(None, ["b"], "")


def test_open_context_switches_to_the_document_with_the_span_marked(settings: Settings) -> None:
    import gradio as gr

    app = App(settings)
    el = resources(settings).store.elements()[0]
    evt = gr.EventData(None, {"doc": el.doc_id, "start": el.start, "end": el.end})
    tabs, doc_id, html = app.open_context(evt)
    assert doc_id == "a" and tabs.selected == "documents"
    assert 'id="doc-target"' in html and "<mark>" in html


def test_documents_table_lists_metadata_and_counts(settings: Settings) -> None:
    rows = render.documents_rows(resources(settings).store)
    by_id = {r[-1]: r for r in rows}
    assert by_id["a"][:2] == ["Synthèse du Module III", 2011]
    assert by_id["a"][6:8] == [3, 1] and by_id["b"][4] == "en"


# --------------------------------------------------------------------- export
def _answers(settings: Settings) -> list[Answer]:
    res = resources(settings)
    hit = search("profils regroupent", res=res)[0]
    quote = "regroupent les *données*" if "*" in hit.text else "regroupent les données"
    answered = Answer("Quoi ?", "answered", f"« {quote} » [1]", (Citation(1, hit, quote),))
    missing = Answer("Budget 2031 ?", "not_found", "", (), (hit,), notice="Pas trouvé.")
    return [answered, missing]


def test_markdown_export_has_citations_quotes_and_not_found(settings: Settings) -> None:
    md = conversation_markdown(_answers(settings))
    assert "## 1. Quoi ?" in md and "« regroupent les données » [1]" in md
    assert "[1] Synthèse du Module III (2011), no page numbers in this source — Section [a]" in md
    assert "> regroupent les données" in md
    assert "**Not found.** Pas trouvé." in md and "\\*" not in md.split("Sources:")[0]
    assert (
        conversation_markdown([Answer("a *b* [x](y)", "not_found", "")]).count("\\*") == 2
        and "Closest material (not an answer)" in md
    )


def test_docx_export_round_trips(settings: Settings, tmp_path: Path) -> None:
    from docx import Document as Docx

    path = write_docx(_answers(settings), tmp_path / "c.docx")
    paras = [p.text for p in Docx(str(path)).paragraphs]
    assert "1. Quoi ?" in paras and "regroupent les données" in paras
    assert any(p.startswith("[1] Synthèse du Module III") for p in paras)
    assert any("Not found." in p for p in paras)


def test_export_handler_writes_a_file(settings: Settings) -> None:
    app = App(settings)
    turns = [Turn(a, "") for a in _answers(settings)]
    update = app.export(turns, "md")
    assert update["visible"] is True
    assert Path(update["value"]).read_text(encoding="utf-8").startswith("# GFMD assistant")


# -------------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Rapport FMMD 2019 (été).PDF", "Rapport-FMMD-2019-ete.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\win.md", "win.md"),
        (".hidden.txt", "hidden.txt"),
        ("نص.txt", "upload.txt"),
        ("a" * 300 + ".md", "a" * 117 + ".md"),
    ],
)
def test_sanitise_filename(raw: str, safe: str) -> None:
    assert sanitise_filename(raw) == safe


def test_check_upload_refuses_foreign_paths_types_sizes(tmp_path: Path) -> None:
    root = tmp_path / "gradio"
    root.mkdir()
    ok = root / "r.txt"
    ok.write_text("Un rapport.", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    exe = root / "r.exe"
    exe.write_bytes(b"MZ")
    big = root / "big.txt"
    big.write_bytes(b"x" * 3000)
    (root / "link.txt").symlink_to(outside)
    assert check_upload(ok, upload_root=root, max_mb=1) is None
    assert check_upload(outside, upload_root=root, max_mb=1) == "not an uploaded file"
    assert check_upload(root / "link.txt", upload_root=root, max_mb=1) == "not an uploaded file"
    assert check_upload(root / ".." / "secret.txt", upload_root=root, max_mb=1) is not None
    assert "not accepted" in check_upload(exe, upload_root=root, max_mb=1)
    assert "too large" in check_upload(big, upload_root=root, max_mb=0.001)


def _fake_ingest(statuses: dict[str, str]):
    """A stand-in for corpus.indexer.ingest_paths: status by file name, no index write."""
    from corpus.indexer import FileResult, IngestReport

    def fake(paths, *, settings, **kw):
        report = IngestReport(index_dir=str(settings.index_dir))
        report.files = [
            FileResult(
                str(p),
                statuses[p.name],
                p.stem,
                "" if statuses[p.name] != "rejected" else "corrupt PDF",
            )
            for p in paths
        ]
        return report

    return fake


def test_rejected_upload_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    import ui.uploads as uploads

    settings = make_settings(tmp_path)
    root = tmp_path / "gradio"
    root.mkdir()
    (settings.upload_dir).mkdir()
    old = settings.upload_dir / "r.pdf"
    old.write_bytes(b"%PDF old version")
    new = root / "r.pdf"
    new.write_bytes(b"%PDF corrupt new version")
    good = root / "good report.txt"
    good.write_text("Texte.", encoding="utf-8")
    bad = root / "notes.docx"
    bad.write_bytes(b"PK")
    monkeypatch.setattr(
        uploads, "ingest_paths", _fake_ingest({"r.pdf": "rejected", "good-report.txt": "added"})
    )
    report = ingest_uploads([new, good, bad], settings=settings, upload_root=root)
    assert [(f.path, f.status) for f in report.files] == [
        ("r.pdf", "rejected"),
        ("good report.txt", "added"),
        ("notes.docx", "rejected"),
    ]
    assert report.files[0].reason == "corrupt PDF" and "not accepted" in report.files[2].reason
    assert old.read_bytes() == b"%PDF old version"  # the previous file is back
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == ["good-report.txt", "r.pdf"]


def test_upload_ingest_search_and_remove(tmp_path: Path) -> None:
    settings = build_index(tmp_path)
    root = tmp_path / "gradio"
    root.mkdir()
    report_file = root / "Rapport Tbilissi.txt"
    report_file.write_text(
        "Atelier de Tbilissi\n\nLes participants ont recommandé la création d'un observatoire "
        "régional des migrations de retour à Tbilissi.\n",
        encoding="utf-8",
    )
    app = App(settings)
    report = ingest_uploads([report_file], settings=settings, upload_root=root)
    [result] = report.files
    assert result.status == "added", result
    stored = settings.upload_dir / "Rapport-Tbilissi.txt"
    assert stored.exists()
    resources(settings, reload=True)
    hits = app.api_search("observatoire des migrations de retour Tbilissi")["hits"]
    assert hits[0]["doc_id"] == result.doc_id
    again = ingest_uploads([report_file], settings=settings, upload_root=root)
    assert again.files[0].status == "skipped" and stored.exists()
    remove_document(result.doc_id, settings=settings)
    assert not stored.exists()
    resources(settings, reload=True)
    assert result.doc_id not in {h["doc_id"] for h in app.api_search("Tbilissi")["hits"]}


def test_queries_keep_working_during_an_ingest(tmp_path: Path) -> None:
    settings = build_index(tmp_path)
    root = tmp_path / "gradio"
    root.mkdir()
    upload = root / "observatoire.txt"
    upload.write_text("Un observatoire régional des migrations de retour.\n", encoding="utf-8")
    embedding, release = threading.Event(), threading.Event()

    class SlowEmbedder(HashingEmbedder):
        def embed(self, texts, *, query=False):
            if not query:
                embedding.set()
                release.wait(10)
            return super().embed(texts, query=query)

    app = App(settings)
    done: list = []
    worker = threading.Thread(
        target=lambda: done.append(
            ingest_uploads([upload], settings=settings, upload_root=root, embedder=SlowEmbedder())
        )
    )
    worker.start()
    try:
        assert embedding.wait(10)
        during = app.api_search("observatoire des migrations de retour")["hits"]
        assert during and "observatoire" not in {h["doc_id"] for h in during}
    finally:
        release.set()
        worker.join(20)
    assert done[0].files[0].status == "added"
    after = app.api_search("observatoire des migrations de retour")["hits"]
    assert after[0]["doc_id"] == "observatoire"


def test_serve_binds_localhost_without_share_link(settings: Settings, monkeypatch) -> None:
    import gradio as gr

    seen: dict = {}

    def fake_launch(self, **kw):
        seen.update(kw)
        return None, f"http://{kw['server_name']}:{kw['server_port']}/", None

    monkeypatch.setattr(gr.Blocks, "launch", fake_launch)
    monkeypatch.setattr(gr.Blocks, "block_thread", lambda self: None)
    ui_app.serve(settings, share=False)
    assert seen["server_name"] == "127.0.0.1" and seen["server_port"] == 7860
    assert seen["share"] is False
    assert seen["max_file_size"] == 50 * 1024 * 1024


def test_generative_answer_streams_model_tokens_and_links_citations(settings: Settings) -> None:
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.llm import LangChainChatModel

    reply = (
        "Les transferts de fonds des migrants réduisent la pauvreté dans les pays d'origine [1]."
    )
    llm = LangChainChatModel(GenericFakeChatModel(messages=iter([AIMessage(content=reply)])))
    outputs = _run_chat(App(settings, llm=llm), "Que réduisent les transferts de fonds ?")
    messages = [o[1][-1]["content"] for o in outputs if isinstance(o[1], list)]
    assert any("streaming" in m and "Les" in m for m in messages[:-1])
    [turn] = _last(outputs, 2)
    assert turn.answer.mode == "generative" and turn.answer.citations
    assert '<a class="cite" href="#src-0-1"' in messages[-1] and "(generated)" in messages[-1]


def test_remove_then_refresh_drops_stale_selections(settings: Settings) -> None:
    app = App(settings)
    status, _ = app.remove("b")
    assert status.startswith("Removed b; 1 documents left")
    f_docs, f_langs, b_docs, table, pick = app.refresh(["a", "b"], ["fr", "en"], ["b"], "b")
    assert f_docs["value"] == ["a"] and [c[1] for c in f_docs["choices"]] == ["a"]
    assert f_langs["value"] == ["fr"] and b_docs["value"] == [] and pick["value"] is None
    assert [row[-1] for row in table["data"]] == ["a"]
    import gradio as gr

    with pytest.raises(gr.Error, match="unknown document"):
        app.remove("b")


def test_section_shows_innermost_heading_with_full_path_as_tooltip() -> None:
    html = render.section_html("Module III > Réunion de Chisinau > " + "Messages " * 20)
    assert html.startswith('<span class="f-section" title="Module III &gt; Réunion de Chisinau')
    shown = html.split(">§ ", 1)[1]
    assert shown.startswith("Messages") and "Chisinau" not in shown
    assert len(shown.removesuffix("</span>")) == render.SECTION_CHARS


def test_first_upload_creates_the_index_and_reports_per_file(tmp_path: Path, monkeypatch) -> None:
    settings = make_settings(tmp_path)
    root = tmp_path / "gradio"
    root.mkdir()
    good = root / "retour.txt"
    good.write_text("Les migrations de retour et la réintégration.\n", encoding="utf-8")
    empty = root / "vide.md"
    empty.write_text("", encoding="utf-8")
    foreign = tmp_path / "ailleurs.txt"
    foreign.write_text("hors du dossier de Gradio", encoding="utf-8")
    monkeypatch.setattr(ui_app, "_upload_root", lambda: root)
    app = App(settings)
    rows, summary, cleared = app.ingest(
        [str(good), str(empty), str(foreign)], progress=lambda *a, **k: None
    )
    assert [r[:3] for r in rows] == [
        ["retour.txt", "added", "retour"],
        ["vide.md", "rejected", ""],
        ["ailleurs.txt", "rejected", ""],
    ]
    assert rows[2][3] == "not an uploaded file" and cleared is None
    assert summary.startswith("1 added, 2 rejected") and "1 documents" in summary
    assert app.api_search("réintégration")["hits"][0]["doc_id"] == "retour"
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == ["retour.txt"]


def test_exports_label_each_answer_in_its_question_language(
    settings: Settings, tmp_path: Path
) -> None:
    from dataclasses import replace

    from docx import Document as Docx

    answered, missing = _answers(settings)
    spanish = [replace(answered, question_language="es"), replace(missing, question_language="es")]
    md = conversation_markdown(spanish)
    assert "Fuentes:" in md and "**Sin respuesta.** Pas trouvé." in md
    assert "Pasajes más cercanos (no es una respuesta):" in md and "Sources:" not in md
    assert "sin números de página en esta fuente" in md
    paras = [p.text for p in Docx(str(write_docx(spanish, tmp_path / "es.docx"))).paragraphs]
    assert "Fuentes" in paras and not any("Not found" in p for p in paras)
