"""The chat app delegates use: a Gradio Blocks view over the assistant and corpus APIs.

Tabs:
    - Ask: a chat whose answers stream in, with numbered citations linked to source
      cards beside it (each opens the passage with the quote highlighted), filters
      (documents, years, languages, element kinds, meeting), examples in French,
      English and Spanish, and export of the conversation (Markdown, DOCX).
    - Browse: key messages, guiding questions and recommendations grouped by document
      and meeting, filterable by kind, document and text.
    - Documents: the corpus table, a viewer of a document's cleaned text by section,
      upload of new reports (ingested with a progress bar and a per-file result) and
      removal.

Headless API (``gradio_client``): ``/search`` returns ``{"query", "hits"}`` and ``/ask``
returns :meth:`assistant.models.Answer.to_json`, the same JSON as ``gfmd search --json``
and ``gfmd ask --json``.

This module is a view: it calls :mod:`assistant.answer`, :mod:`assistant.retrieve`,
:mod:`corpus.store` (browsing) and :mod:`ui.uploads`; it never touches the embedding model
or the FAISS index itself (``tests/test_ui_thin.py``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.answer import ask, ask_stream
from assistant.models import Answer, Filters, Hit
from assistant.retrieve import Resources, resources, search
from gfmd.errors import GfmdError, QueryError, StoreError
from gfmd.settings import Settings, get_settings
from ingest.models import ELEMENT_KINDS
from ui import render
from ui.export import write_docx, write_markdown
from ui.uploads import ALLOWED_SUFFIXES, ingest_uploads, remove_document

if TYPE_CHECKING:
    from assistant.llm import ChatModel

EXAMPLES = [
    "Quels sont les messages essentiels de l'atelier de Chisinau ?",
    "What do impact evaluations examine?",
    "¿Qué son los perfiles migratorios?",
    "Quelles questions directrices ont été posées aux tables rondes du sommet de Berlin ?",
]
"""Example questions shown under the chat (French, English, Spanish)."""

DOC_COLUMNS = [
    "title",
    "year",
    "meeting",
    "type",
    "language",
    "pages",
    "passages",
    "elements",
    "id",
]
RESULT_COLUMNS = ["file", "status", "document", "reason", "pages", "passages", "elements"]

CHAT_CONCURRENCY = 4
"""Questions answered at the same time (per process); ingestion has its own queue."""

STREAM_INTERVAL_S = 0.05
"""Shortest time between two streamed updates of the answer (seconds): tokens that come
faster are sent together (an extractive answer's tokens all arrive at once; a chat model
yields ~20-50 per second), so the browser re-renders at most 20 times a second."""

NO_INDEX = (
    "No index yet: add reports in the Documents tab, or run 'gfmd ingest' and reload the page."
)

CSS = """
.sources-panel .card {border:1px solid var(--border-color-primary); border-radius:8px;
  padding:8px 10px; margin:6px 0; background:var(--background-fill-secondary);}
.sources-panel .card.flash {outline:3px solid var(--color-accent);}
.card-head .num {font-weight:700; color:var(--color-accent);}
.card-head .f-title {font-weight:600;}
.card-meta span {display:inline-block; margin-right:8px; font-size:0.85em; opacity:0.85;}
.card-meta span + span:before {content:"· "; }
.excerpt {white-space:pre-wrap; font-size:0.92em; line-height:1.45;}
.excerpt .ctx {opacity:0.55;}
mark {background:#ffe58a; color:inherit; padding:0 1px;}
.ts-title {font-weight:600; margin:4px 0;}
.ts-q {font-weight:400; opacity:0.7;}
.answer .notice, .answer .mode {font-size:0.85em; opacity:0.75; margin-top:6px;}
.answer.not-found .nf-banner {border-left:4px solid #d97706; padding-left:8px;}
.answer.not-found .nf-closest {font-size:0.9em; opacity:0.8; margin-top:4px;}
a.cite {font-weight:700; text-decoration:none; cursor:pointer;}
.browse .el-doc {margin-bottom:18px;}
.browse .el-heading {font-weight:600; margin-top:8px;}
.browse .el-cite, .doc-meta {font-size:0.85em; opacity:0.75;}
.browse ul.el-list {list-style:none; padding-left:8px;}
.browse li.element {margin:6px 0;}
.doc-view {max-height:70vh; overflow-y:auto; padding-right:8px;}
.doc-view .page-mark {font-size:0.8em; opacity:0.6; border-top:1px dashed #bbb; margin-top:10px;}
.doc-view p.li {margin-left:18px;} .doc-view p.fn {font-size:0.85em; opacity:0.85;}
"""

HEAD = """
<script>
document.addEventListener('click', function (ev) {
  var a = ev.target && ev.target.closest ? ev.target.closest('a.cite') : null;
  if (!a) return;
  var id = a.getAttribute('data-card') || (a.getAttribute('href') || '').replace(/^.*#/, '');
  var card = id ? document.getElementById(id) : null;
  if (!card) return;
  ev.preventDefault(); ev.stopPropagation();
  for (var p = card; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
  var d = card.querySelector('details'); if (d) d.open = true;
  card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  card.classList.add('flash'); setTimeout(function () { card.classList.remove('flash'); }, 1500);
}, true);
new MutationObserver(function () {
  var t = document.getElementById('doc-target');
  if (!t || t.getAttribute('data-shown')) return;
  t.setAttribute('data-shown', '1');
  setTimeout(function () { t.scrollIntoView({block: 'center'}); }, 150);
}).observe(document.documentElement, {childList: true, subtree: true});
</script>
"""
"""Page script: a click on a citation marker [n] opens its source card and scrolls to it;
a document shown at a span ("open in document") scrolls to that span."""

OPEN_CONTEXT_JS = """
element.addEventListener('click', (ev) => {
  const a = ev.target.closest('a.open-ctx');
  if (!a) return;
  ev.preventDefault();
  trigger('click', {doc: a.dataset.doc, start: Number(a.dataset.start), end: Number(a.dataset.end)});
});
"""
"""An "open in document" link in a source card or element sends (doc, start, end)."""


@dataclass(frozen=True)
class Turn:
    """One answered question of a conversation: the answer and its rendered sources."""

    answer: Answer
    sources_html: str


# ---------------------------------------------------------------- helpers
def make_filters(
    doc_ids: Sequence[str] | None = None,
    year_min: float | int | None = None,
    year_max: float | int | None = None,
    languages: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    meeting: str | None = None,
) -> Filters:
    """Retrieval filters from the filter widgets (empty widgets mean no constraint).

    Raises:
        QueryError: a year that is not a whole number.
    """

    def year(value: float | int | None, name: str) -> int | None:
        if value is None or value == "":
            return None
        if float(value) != int(float(value)):
            raise QueryError(f"{name} must be a whole year, not {value}")
        return int(float(value))

    return Filters(
        doc_ids=tuple(doc_ids or ()),
        year_min=year(year_min, "from year"),
        year_max=year(year_max, "to year"),
        languages=tuple(languages or ()),
        kinds=tuple(kinds or ()),
        meeting=(meeting or "").strip() or None,
    )


def _history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    return [(t.answer.question, t.answer.text or t.answer.notice or "") for t in turns]


def _upload_root() -> Path:
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def _chat_model(settings: Settings) -> ChatModel | None:
    if settings.llm.backend == "none":
        return None
    from assistant.llm import make_chat_model

    return make_chat_model(settings.llm)


# ------------------------------------------------------------------- app
class App:
    """The handlers of the app, bound to one settings object (and its chat model)."""

    def __init__(self, settings: Settings, *, llm: ChatModel | None = None) -> None:
        self.settings = settings
        self.llm = llm

    def res(self) -> Resources:
        """The loaded store/embedder (reloaded when the live index changed).

        Raises:
            StoreError: no index yet, or one built with other settings.
        """
        return resources(self.settings)

    # ------------------------------------------------------------- chat
    def respond(
        self,
        message: str,
        chat: list[dict[str, Any]],
        turns: list[Turn],
        doc_ids: list[str] | None,
        year_min: float | None,
        year_max: float | None,
        languages: list[str] | None,
        kinds: list[str] | None,
        meeting: str | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat; yields (textbox, chat, turns, sources panel)."""
        question = (message or "").strip()
        if not question:
            return
        turn = len(turns)
        done_panels = [t.sources_html for t in turns]
        chat = [
            *chat,
            {"role": "user", "content": render.esc(question)},
            {"role": "assistant", "content": render.answer_html(None, turn)},
        ]
        yield "", chat, turns, gr.skip()
        try:
            filters = make_filters(doc_ids, year_min, year_max, languages, kinds, meeting)
            res = self.res()
            text, last_sent = "", 0.0
            hits: tuple[Hit, ...] = ()
            for event in ask_stream(
                question, filters=filters, res=res, llm=self.llm, history=_history(turns)
            ):
                if event.kind == "sources":
                    hits = event.hits
                    panel = render.turn_sources_html(turn, question, None, hits, res.store)
                    yield gr.skip(), chat, turns, render.sources_panel_html([*done_panels, panel])
                elif event.kind == "token":
                    text += event.token
                    now = time.monotonic()
                    if now - last_sent < STREAM_INTERVAL_S:
                        continue
                    last_sent = now
                    partial = render.answer_html(None, turn, partial_text=text)
                    chat = [*chat[:-1], {"role": "assistant", "content": partial}]
                    yield gr.skip(), chat, turns, gr.skip()
                elif event.answer is not None:
                    answer = event.answer
                    panel = render.turn_sources_html(turn, question, answer, hits, res.store)
                    final = render.answer_html(answer, turn)
                    chat = [*chat[:-1], {"role": "assistant", "content": final}]
                    turns = [*turns, Turn(answer, panel)]
                    yield gr.skip(), chat, turns, render.sources_panel_html([*done_panels, panel])
        except GfmdError as exc:
            gr.Warning(NO_INDEX if _no_index(exc) else str(exc))
            error = f'<div class="answer error">{render.esc(str(exc))}</div>'
            chat = [*chat[:-1], {"role": "assistant", "content": error}]
            yield gr.skip(), chat, turns, gr.skip()

    def clear(self) -> tuple[Any, ...]:
        return [], [], render.sources_panel_html([])

    def export(self, turns: list[Turn], fmt: str) -> Any:
        """Write the conversation (``fmt`` ``md`` or ``docx``) to a temporary file and show
        it for download."""
        if not turns:
            gr.Warning("Nothing to export yet: ask a question first.")
            return gr.skip()
        folder = Path(tempfile.mkdtemp(prefix="gfmd-export-"))
        stamp = time.strftime("%Y%m%d-%H%M")
        answers = [t.answer for t in turns]
        if fmt == "docx":
            path = write_docx(answers, folder / f"gfmd-conversation-{stamp}.docx")
        else:
            path = write_markdown(answers, folder / f"gfmd-conversation-{stamp}.md")
        return gr.update(value=str(path), visible=True)

    # ------------------------------------------------------------ browse
    def browse(self, kinds: list[str] | None, doc_ids: list[str] | None, text: str | None) -> str:
        """The Browse tab's list for the current filters."""
        try:
            store = self.res().store
        except StoreError as exc:
            return f'<p class="empty">{render.esc(NO_INDEX if _no_index(exc) else str(exc))}</p>'
        chosen = set(doc_ids or ())
        elements = [
            e
            for kind in (kinds or ELEMENT_KINDS)
            for e in store.elements(kind=kind)
            if not chosen or e.doc_id in chosen
        ]
        order = {d.meta.doc_id: i for i, d in enumerate(store.documents())}
        elements.sort(key=lambda e: (order.get(e.doc_id, 0), e.start))
        if text and text.strip():
            elements = [e for e in elements if render.element_matches(e, text.strip())]
        return render.elements_html(elements, store)

    # --------------------------------------------------------- documents
    def view_document(self, doc_id: str | None, highlight: tuple[int, int] | None = None) -> str:
        if not doc_id:
            return '<p class="empty">Choose a document to read its text.</p>'
        try:
            doc = self.res().store.document(doc_id)
        except StoreError as exc:
            return f'<p class="empty">{render.esc(str(exc))}</p>'
        return render.document_html(doc, highlight=highlight)

    def select_row(self, evt: gr.SelectData) -> tuple[Any, ...]:
        """A row of the corpus table was clicked: open that document."""
        row = evt.row_value or []
        doc_id = row[DOC_COLUMNS.index("id")] if len(row) == len(DOC_COLUMNS) else None
        if not doc_id:
            return gr.skip(), gr.skip()
        return doc_id, self.view_document(str(doc_id))

    def open_context(self, evt: gr.EventData) -> tuple[Any, ...]:
        """An "open in document" link was clicked: show that span in the Documents tab."""
        data = getattr(evt, "_data", None) or {}
        doc_id = data.get("doc")
        if not isinstance(doc_id, str) or not doc_id:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            span = (int(data["start"]), int(data["end"]))
        except (KeyError, TypeError, ValueError):
            span = None
        return gr.Tabs(selected="documents"), doc_id, self.view_document(doc_id, span)

    def refresh(
        self,
        f_docs: list[str] | None = None,
        f_langs: list[str] | None = None,
        b_docs: list[str] | None = None,
        pick: str | None = None,
    ) -> tuple[Any, ...]:
        """Choices and tables that depend on the corpus (after load, ingest, removal).

        Args:
            f_docs, f_langs, b_docs, pick: the current selections of the chat's document
                and language filters, the Browse tab's documents and the viewer's document;
                selections the index no longer has are dropped.

        Returns:
            Updates of (chat documents, chat languages, browse documents, corpus table,
            viewer document).
        """
        try:
            store = self.res().store
        except StoreError:
            empty = gr.update(choices=[], value=[])
            return empty, empty, empty, [], gr.update(choices=[], value=None)
        docs = render.doc_choices(store)
        known = {d for _, d in docs}
        langs = store.languages()
        return (
            gr.update(choices=docs, value=[d for d in f_docs or () if d in known]),
            gr.update(choices=langs, value=[x for x in f_langs or () if x in langs]),
            gr.update(choices=docs, value=[d for d in b_docs or () if d in known]),
            render.documents_rows(store),
            gr.update(choices=docs, value=pick if pick in known else None),
        )

    def ingest(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """Ingest uploaded files; returns (result rows, summary, cleared upload)."""
        if not files:
            gr.Warning("Choose one or more report files (PDF, TXT, MD) first.")
            return gr.skip(), gr.skip(), gr.skip()
        try:
            embedder = self.res().embedder
        except StoreError:
            embedder = None

        def on_file(i: int, n: int, path: Path) -> None:
            progress((i, n), desc=f"Reading {path.name}", unit="files")

        def on_embed(done: int, total: int) -> None:
            progress((done, total), desc="Embedding passages", unit="passages")

        try:
            report = ingest_uploads(
                files,
                settings=self.settings,
                upload_root=_upload_root(),
                embedder=embedder,
                on_file=on_file,
                on_embed=on_embed,
            )
        except GfmdError as exc:
            raise gr.Error(str(exc)) from None
        if any(f.status in ("added", "replaced") for f in report.files):
            resources(self.settings, reload=True)
        rows = [
            [f.path, f.status, f.doc_id or "", f.reason, f.pages, f.passages, f.elements]
            for f in report.files
        ]
        counts: dict[str, int] = {}
        for f in report.files:
            counts[f.status] = counts.get(f.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        if report.documents:
            summary += f". Index: {report.documents} documents, {report.passages} passages."
        return rows, summary, None

    def remove(self, doc_id: str | None) -> tuple:
        """Remove a document (the button asks for confirmation in the browser)."""
        if not doc_id:
            gr.Warning("Choose the document to remove.")
            return gr.skip(), gr.skip()
        try:
            report = remove_document(doc_id, settings=self.settings)
        except GfmdError as exc:
            raise gr.Error(str(exc)) from None
        resources(self.settings, reload=True)
        gr.Info(f"Removed {doc_id}.")
        return f"Removed {doc_id}; {report.documents} documents left.", self.view_document(None)

    # --------------------------------------------------------------- API
    def api_search(
        self,
        query: str,
        k: int | None = None,
        doc_ids: list[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        languages: list[str] | None = None,
        kinds: list[str] | None = None,
    ) -> dict:
        """Hybrid search; the JSON of ``gfmd search --json``: ``{"query", "hits"}``.

        Arguments are checked by :func:`assistant.requests.parse_request` (types, k in
        1..100, years, languages, kinds); a refused one is a ``gr.Error`` with the reason.
        """
        from assistant.requests import parse_request

        try:
            req = parse_request(
                {
                    "q": query,
                    "k": k,
                    "doc_ids": doc_ids,
                    "year_min": year_min,
                    "year_max": year_max,
                    "languages": languages,
                    "kinds": kinds,
                }
            )
            hits = search(req.question, k=req.k, filters=req.filters, res=self.res())
        except GfmdError as exc:
            raise gr.Error(str(exc)) from None
        return {"query": query, "hits": [h.to_json() for h in hits]}

    def api_ask(
        self,
        question: str,
        doc_ids: list[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        languages: list[str] | None = None,
        kinds: list[str] | None = None,
    ) -> dict:
        """Answer with citations; the JSON of ``gfmd ask --json``.

        Arguments are checked by :func:`assistant.requests.parse_request`; a refused one
        is a ``gr.Error`` with the reason.
        """
        from assistant.requests import parse_request

        try:
            req = parse_request(
                {
                    "q": question,
                    "doc_ids": doc_ids,
                    "year_min": year_min,
                    "year_max": year_max,
                    "languages": languages,
                    "kinds": kinds,
                }
            )
            answer = ask(req.question, filters=req.filters, res=self.res(), llm=self.llm)
        except GfmdError as exc:
            raise gr.Error(str(exc)) from None
        return answer.to_json()


def _no_index(exc: BaseException) -> bool:
    return isinstance(exc, StoreError) and "no index" in str(exc)


def _initial(settings: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    try:
        store = resources(settings).store
    except StoreError:
        return [], []
    return render.doc_choices(store), store.languages()


def build_app(settings: Settings | None = None, *, llm: ChatModel | None = None) -> gr.Blocks:
    """Build the Blocks app.

    Args:
        settings: defaults to :func:`gfmd.settings.get_settings`.
        llm: a chat model for generative answers; default: the one ``settings.llm``
            names (None for backend ``none``: extractive answers).

    Returns:
        The app, not launched (see :func:`serve` and :func:`launch_kwargs`).

    Raises:
        ConfigError: the chat model named by the settings cannot be built.
    """
    settings = settings or get_settings()
    app = App(settings, llm=llm if llm is not None else _chat_model(settings))
    docs, langs = _initial(settings)
    kind_choices = [(render.KIND_LABELS[k], k) for k in ELEMENT_KINDS]

    with gr.Blocks(title="GFMD assistant", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown(
            "## GFMD document assistant\nAsk in English, French or Spanish. Every quote is "
            "verbatim from the reports; click a citation [n] to open its passage."
        )
        with gr.Tabs() as tabs:
            with gr.Tab("Ask", id="ask"), gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        elem_id="chat",
                        height=520,
                        latex_delimiters=[],
                        feedback_options=None,
                        buttons=["copy"],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Your question…",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                            max_lines=4,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-btn")
                    gr.Examples(EXAMPLES, inputs=question, label="Examples (fr, en, es)")
                    with gr.Row():
                        clear = gr.Button("New conversation", size="sm")
                        export_md = gr.Button("Export Markdown", size="sm", elem_id="export-md")
                        export_docx = gr.Button("Export DOCX", size="sm", elem_id="export-docx")
                    export_file = gr.File(
                        label="Export", interactive=False, elem_id="export", visible=False
                    )
                with gr.Column(scale=2):
                    with gr.Accordion("Filters", open=False, elem_id="filters"):
                        f_docs = gr.Dropdown(
                            choices=docs, multiselect=True, label="Documents", value=[]
                        )
                        with gr.Row():
                            f_ymin = gr.Number(label="From year", precision=0, value=None)
                            f_ymax = gr.Number(label="To year", precision=0, value=None)
                        f_langs = gr.CheckboxGroup(choices=langs, label="Language")
                        f_kinds = gr.CheckboxGroup(
                            choices=kind_choices, label="Element kind (only elements)"
                        )
                        f_meeting = gr.Textbox(
                            label="Meeting", placeholder="e.g. Chisinau, Table ronde 2.2"
                        )
                    sources = gr.HTML(
                        render.sources_panel_html([]),
                        elem_id="sources",
                        js_on_load=OPEN_CONTEXT_JS,
                    )
            with gr.Tab("Browse", id="browse"):
                with gr.Row():
                    b_kinds = gr.CheckboxGroup(
                        choices=kind_choices, label="Kind", value=list(ELEMENT_KINDS)
                    )
                    b_docs = gr.Dropdown(choices=docs, multiselect=True, label="Documents")
                    b_text = gr.Textbox(label="Text", placeholder="e.g. diaspora, données")
                b_html = gr.HTML(elem_id="browse", js_on_load=OPEN_CONTEXT_JS)
            with gr.Tab("Documents", id="documents"):
                d_table = gr.Dataframe(
                    headers=DOC_COLUMNS,
                    interactive=False,
                    elem_id="doc-table",
                    wrap=True,
                    column_widths=["30%", "6%", "20%", "10%", "6%", "6%", "7%", "7%", "8%"],
                )
                with gr.Row():
                    d_pick = gr.Dropdown(
                        choices=docs, label="Document", scale=4, elem_id="doc-pick"
                    )
                    d_remove = gr.Button("Remove document", variant="stop", scale=1)
                d_status = gr.Markdown()
                d_view = gr.HTML(elem_id="doc-view", js_on_load=None)
                with gr.Accordion("Add reports", open=True):
                    d_files = gr.File(
                        file_count="multiple",
                        file_types=list(ALLOWED_SUFFIXES),
                        label=f"PDF, TXT or MD, up to {settings.ui.max_upload_mb:g} MB each",
                        elem_id="upload",
                    )
                    d_ingest = gr.Button("Add to the corpus", variant="primary", elem_id="ingest")
                    d_summary = gr.Markdown(elem_id="ingest-summary")
                    d_results = gr.Dataframe(
                        headers=RESULT_COLUMNS, interactive=False, elem_id="ingest-results"
                    )

        filter_inputs = [f_docs, f_ymin, f_ymax, f_langs, f_kinds, f_meeting]
        chat_io: dict[str, Any] = {
            "fn": app.respond,
            "inputs": [question, chatbot, turns, *filter_inputs],
            "outputs": [question, chatbot, turns, sources],
            "concurrency_limit": CHAT_CONCURRENCY,
            "api_visibility": "private",
        }
        question.submit(**chat_io)
        send.click(**chat_io)
        clear.click(app.clear, outputs=[chatbot, turns, sources], api_visibility="private")
        chatbot.clear(app.clear, outputs=[chatbot, turns, sources], api_visibility="private")
        export_md.click(
            lambda t: app.export(t, "md"),
            inputs=turns,
            outputs=export_file,
            api_visibility="private",
        )
        export_docx.click(
            lambda t: app.export(t, "docx"),
            inputs=turns,
            outputs=export_file,
            api_visibility="private",
        )

        refresh_inputs = [f_docs, f_langs, b_docs, d_pick]
        refresh_outputs = [f_docs, f_langs, b_docs, d_table, d_pick]
        browse_inputs = [b_kinds, b_docs, b_text]
        for trigger in (b_kinds.change, b_docs.change, b_text.submit):
            trigger(app.browse, browse_inputs, b_html, api_visibility="private")
        for html in (sources, b_html):
            html.click(app.open_context, None, [tabs, d_pick, d_view], api_visibility="private")
        d_pick.input(app.view_document, d_pick, d_view, api_visibility="private")
        d_table.select(app.select_row, None, [d_pick, d_view], api_visibility="private")
        d_ingest.click(
            app.ingest,
            d_files,
            [d_results, d_summary, d_files],
            concurrency_limit=1,
            concurrency_id="index-write",
            api_visibility="private",
        ).then(app.refresh, refresh_inputs, refresh_outputs, api_visibility="private").then(
            app.browse, browse_inputs, b_html, api_visibility="private"
        )
        d_remove.click(
            app.remove,
            d_pick,
            [d_status, d_view],
            js="(d) => (d && confirm('Remove ' + d + ' from the index?')) ? d : null",
            concurrency_limit=1,
            concurrency_id="index-write",
            api_visibility="private",
        ).then(app.refresh, refresh_inputs, refresh_outputs, api_visibility="private").then(
            app.browse, browse_inputs, b_html, api_visibility="private"
        )
        demo.load(app.refresh, refresh_inputs, refresh_outputs, api_visibility="private").then(
            app.browse, browse_inputs, b_html, api_visibility="private"
        )
        gr.api(app.api_search, api_name="search")
        gr.api(app.api_ask, api_name="ask")
    return demo


def launch_kwargs(settings: Settings, *, share: bool = False) -> dict[str, Any]:
    """Keyword arguments of ``Blocks.launch``: the bind address, the upload size limit,
    no public link unless ``share``, no server-side rendering or analytics."""
    return {
        "server_name": settings.ui.host,
        "server_port": settings.ui.port,
        "share": share,
        "max_file_size": int(settings.ui.max_upload_mb * 1024 * 1024),
        "ssr_mode": False,
        "css": CSS,
        "head": HEAD,
        "footer_links": ["api"],
        "quiet": True,
    }


def serve(settings: Settings, *, share: bool = False) -> None:
    """Start the app and block until interrupted.

    Binds ``settings.ui.host:settings.ui.port`` (127.0.0.1:7860 by default) and prints the
    local URL. A public Gradio share link is created only when ``share`` is True or
    ``settings.ui.share`` is set.

    Raises:
        ConfigError: the chat model the settings name cannot be built.
    """
    demo = build_app(settings)
    try:
        resources(settings)
    except StoreError as exc:
        print(f"gfmd: {exc}. {NO_INDEX}", file=sys.stderr)
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    _, local_url, share_url = demo.launch(
        prevent_thread_lock=True, **launch_kwargs(settings, share=share or settings.ui.share)
    )
    print(f"GFMD assistant running at {local_url}", flush=True)
    if share_url:
        print(f"Public share link: {share_url}", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
