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

import contextlib
import hmac
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.answer import ask, ask_stream
from assistant.conversation import standalone_question
from assistant.models import Answer, Filters, Hit
from assistant.retrieve import Resources, resources, search, warm_up
from gfmd.errors import GfmdError, QueryError, StoreError
from gfmd.settings import Settings, get_settings
from ingest.models import ELEMENT_KINDS
from ui import render
from ui.export import describe_filters, write_docx, write_markdown
from ui.i18n import I18N
from ui.strings import EXAMPLES as LOCALISED_EXAMPLES
from ui.strings import lang_of, t
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


def doc_headers(ui_lang: str | None = None) -> list[str]:
    """The corpus table's column headers (:data:`DOC_COLUMNS`) in the UI language."""
    return [t(f"col_{c}", ui_lang) for c in DOC_COLUMNS]


RESULT_COLUMNS = ["file", "status", "document", "reason", "pages", "passages", "elements"]

CHAT_CONCURRENCY = 4
"""Chat questions streamed at the same time (per process); ingestion has its own queue."""

READ_CONCURRENCY = 64
"""Concurrent calls of each read-only event (the /ask and /search API, browsing, the
document viewer): they share nothing mutable, so 200 concurrent 100 ms asks should not
queue behind one another (issue 14 item 6); the bound is Gradio's worker threads
(``max_threads`` of ``launch``, :data:`MAX_THREADS`)."""

MAX_THREADS = 80
"""Worker threads of the server (Gradio's default is 40): room for :data:`READ_CONCURRENCY`
API calls beside the chat's streams."""

WRITE_CONCURRENCY_ID = "index-write"
"""The one queue shared by ingest and remove: writers run one at a time."""

LANG_JS = """(...args) => {
  args[args.length - 1] = document.documentElement.lang || navigator.language || 'en';
  return args;
}"""
"""Event preprocessing that puts the page's language (set by Gradio's i18n) in the last
input, so strings rendered by the server follow the interface language."""

TOKEN_JS = """(...args) => {
  args[args.length - 1] = new URLSearchParams(window.location.search).get('token') || '';
  return args;
}"""
"""Event preprocessing that sends the write token of the page's address (``?token=…``)
as the last input of ingest/remove."""

STREAM_INTERVAL_S = 0.05
"""Shortest time between two streamed updates of the answer (seconds): tokens that come
faster are sent together (an extractive answer's tokens all arrive at once; a chat model
yields ~20-50 per second), so the browser re-renders at most 20 times a second."""

THEME = gr.themes.Default(primary_hue="orange").set(
    color_accent="*primary_700",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover_dark="*primary_800",
    button_primary_text_color="white",
    button_primary_text_color_dark="white",
    body_text_color_subdued="*neutral_600",
)
"""Gradio's default theme with text contrast of at least 4.5:1 (WCAG 2.1 AA, 1.4.3): the
selected tab's text and the accent are orange 700 (5.2:1 on white, orange 500 is 2.8:1),
primary buttons white on orange 700 (5.2:1; on orange 500, 2.8:1) and subdued text
(footer links, hints) neutral 600 (neutral 400 is 1.9:1)."""

NO_INDEX = (
    "No index yet: add reports in the Documents tab, or run 'gfmd ingest' and reload the page."
)

CSS = """
.sources-panel .card {border:1px solid var(--border-color-primary); border-radius:8px;
  padding:8px 10px; margin:6px 0; background:var(--background-fill-secondary);}
.sources-panel .card.flash {outline:3px solid var(--color-accent);}
.card-head .num {font-weight:700; color:#9a3412;}
.card-head .f-title, .group-head .f-title {font-weight:600;}
.card-head {line-height:1.35;}
.card-meta span {font-size:0.8em; color:#374151;}
.card-meta span.f-locator {white-space:nowrap;}
#chat .prose.chatbot.md {opacity:1;}
.excerpt {white-space:pre-wrap; font-size:0.92em; line-height:1.45;}
.excerpt .ctx {color:#4b5563;}
mark {background:#ffe58a; color:inherit; padding:0 1px;}
.ts-title {font-weight:600; margin:4px 0;}
.ts-q {font-weight:400; color:#374151;}
.answer .notice, .answer .mode {font-size:0.85em; color:#374151; margin-top:6px;}
.answer.not-found .nf-banner {border-left:4px solid #d97706; padding-left:8px;}
.answer.not-found .nf-closest {font-size:0.9em; color:#374151; margin-top:4px;}
a.cite {font-weight:700; color:#1d4ed8; text-decoration:underline; cursor:pointer;
  position:relative; border-radius:3px;}
a.cite:focus-visible {outline:2px solid #1d4ed8; outline-offset:1px;}
a.cite:hover::after, a.cite:focus::after {content:attr(title); position:absolute; left:0;
  top:1.4em; z-index:20; width:min(28em, 70vw); white-space:normal; font-weight:400;
  background:#fff; color:#111; border:1px solid #888; border-radius:6px; padding:6px 8px;
  box-shadow:0 2px 8px rgba(0,0,0,.2); font-size:0.85em; text-decoration:none;}
.answering {font-size:0.85em; color:#374151; margin-top:4px; font-style:italic;}
.card-head .card-meta span, .group-head .card-meta span {margin-left:6px;}
.card-head .card-meta span:before, .group-head .card-meta span:before {content:"· ";}
.card-group {border-left:3px solid var(--border-color-primary); padding-left:6px; margin:6px 0;}
.group-head {font-weight:600;}
.group-head .f-count, .group-head > .f-locator {font-weight:400; color:#374151;}
.card-section {font-size:0.85em; color:#374151; margin:4px 0;}
.corpus-summary {font-size:0.95em;}
#relocalise, .relocalise {display:none !important;}
#doc-table table, #doc-table td, #doc-table th, #doc-table .virtual-row,
#doc-table .cell-wrap, #doc-table .header-table, #ingest-results .virtual-row,
#ingest-results .cell-wrap, #ingest-results .header-table {font-family:var(--font) !important;}
#doc-table th {word-break:normal; overflow-wrap:normal; hyphens:none;}
.browse .el-doc {margin-bottom:18px;}
.browse .el-heading {font-weight:600; margin-top:8px;}
.browse .el-cite, .doc-meta {font-size:0.85em; color:#374151;}
.browse ul.el-list {list-style:none; padding-left:8px;}
.browse li.element {margin:6px 0;}
.doc-view {max-height:70vh; overflow-y:auto; padding-right:8px;}
.doc-view .page-mark {font-size:0.8em; opacity:0.6; border-top:1px dashed #bbb; margin-top:10px;}
.doc-view p.li {margin-left:18px;} .doc-view p.fn {font-size:0.85em; opacity:0.85;}
"""

HEAD = """
<script>
document.addEventListener('click', function (ev) {
  var sw = ev.target && ev.target.closest ? ev.target.closest('#lang-switch a') : null;
  if (sw) {  // Gradio's Settings panel (language) in this tab: its footer button
    var settings = document.querySelector('footer button.settings, button.settings');
    if (settings) { ev.preventDefault(); ev.stopPropagation(); settings.click(); }
    return;
  }
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
var lastAnswers = 0;
new MutationObserver(function () {
  var n = document.querySelectorAll('#chat .answer').length;
  if (n !== lastAnswers) {  // a new answer: keep the chat on the newest message
    lastAnswers = n;
    var log = document.querySelector('#chat [role=log]') || document.querySelector('#chat .bubble-wrap');
    var msgs = document.querySelectorAll('#chat .message-row, #chat .message');
    if (msgs.length) msgs[msgs.length - 1].scrollIntoView({block: 'end'});
    if (log) log.scrollTop = log.scrollHeight;
  }
}).observe(document.documentElement, {childList: true, subtree: true});
var shownLang = document.documentElement.lang;
new MutationObserver(function () {
  var lang = document.documentElement.lang;
  if (lang === shownLang) return;
  shownLang = lang;
  if (!document.querySelector('[role=dialog]')) return;  // not a switch in Settings
  // the server re-renders its strings (corpus summary, examples, table headers)
  var again = document.querySelector('#relocalise');
  if (again) again.click();
  // Gradio re-translates a tab's label only once the tab is shown: show each in turn,
  // one after the other (buttons are re-rendered: look each up when clicking it)
  var tab = function (id) { return document.querySelector('button[role=tab][data-tab-id="' + id + '"]'); };
  var ids = Array.prototype.map.call(document.querySelectorAll('button[role=tab]'),
    function (b) { return b.getAttribute('data-tab-id'); });
  var current = document.querySelector('button[role=tab][aria-selected=true]');
  if (current) ids.push(current.getAttribute('data-tab-id'));
  var step = function (i, waited) {
    if (i >= ids.length) return;
    var b = tab(ids[i]);
    if (!b) return step(i + 1, 0);
    if (waited === 0) b.click();
    if (b.getAttribute('aria-selected') === 'true' || waited > 2000) return setTimeout(function () { step(i + 1, 0); }, 30);
    setTimeout(function () { step(i, waited + 30); }, 30);
  };
  step(0, 0);
}).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
new MutationObserver(function () {
  var t = document.getElementById('doc-target');
  if (!t || t.getAttribute('data-shown')) return;
  t.setAttribute('data-shown', '1');
  setTimeout(function () { t.scrollIntoView({block: 'center'}); }, 150);
}).observe(document.documentElement, {childList: true, subtree: true});
</script>
"""
"""Page script: a click on a citation marker [n] opens its source card and scrolls to it;
a document shown at a span ("open in document") scrolls to that span; the chat follows
the newest answer; the language link opens Gradio's Settings panel in the same tab (its
footer button; the link itself would open a new tab without the panel). A language
chosen in that panel re-renders the server's strings (the hidden ``#relocalise`` button)
and shows each tab once: Gradio 6.31 re-translates the label of a tab not on screen only
when it is shown."""

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
    """One answered question of a conversation.

    Attributes:
        answer: the answer; its ``question`` is the question actually answered (the
            standalone rewrite of a follow-up).
        sources_html: its rendered sources panel.
        asked: the question as the user typed it ("" = same as ``answer.question``).
        filters: the filters it was asked with (recorded in exports).
    """

    answer: Answer
    sources_html: str
    asked: str = ""
    filters: Filters | None = None


# ---------------------------------------------------------------- helpers
def make_filters(
    doc_ids: Sequence[str] | None = None,
    year_min: float | int | str | None = None,
    year_max: float | int | str | None = None,
    languages: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    meeting: str | None = None,
) -> Filters:
    """Retrieval filters from the filter widgets (empty widgets mean no constraint).

    A year comes as text from the filter boxes ("" = no bound, "2011") or as a number
    from the API; one bound alone is a half-open range.

    Raises:
        QueryError: a year that is not a whole number (never rounded).
    """

    def year(value: float | int | str | None, name: str) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # an untouched box: no bound
        if isinstance(value, bool):
            raise QueryError(f"{name} must be a whole year, not {value}")
        if isinstance(value, str):
            text = value.strip()
            if not re.fullmatch(r"[0-9]{1,4}", text):
                raise QueryError(f"{name} must be a whole year such as 2011, not {text!r}")
            return int(text)
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
    """The handlers of the app, bound to one settings object (and its chat model).

    Args:
        settings: the settings.
        llm: the chat model, or None (extractive answers, deterministic follow-ups).
        write_token: the secret ingest and remove require (see :meth:`authorised`);
            None = no check (library use and tests; :func:`build_app` always sets one).
    """

    def __init__(
        self, settings: Settings, *, llm: ChatModel | None = None, write_token: str | None = None
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.write_token = write_token

    def res(self) -> Resources:
        """The loaded store/embedder (reloaded when the live index changed).

        Raises:
            StoreError: no index yet, or one built with other settings.
        """
        return resources(self.settings)

    def authorised(self, token: str | None) -> bool:
        """Whether a write (ingest, remove) may run: the token the page sent matches the
        process's write token (constant-time comparison). A raw POST to
        ``/gradio_api/queue/join`` without the address ``gfmd serve`` printed cannot
        change the corpus (issue 11 item 10)."""
        if self.write_token is None:
            return True
        return hmac.compare_digest((token or "").encode(), self.write_token.encode())

    # ------------------------------------------------------------- chat
    def respond(
        self,
        message: str,
        chat: list[dict[str, Any]],
        turns: list[Turn],
        doc_ids: list[str] | None,
        year_min: float | str | None,
        year_max: float | str | None,
        languages: list[str] | None,
        kinds: list[str] | None,
        meeting: str | None,
        ui_lang: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat.

        A follow-up is first rewritten into the question actually answered
        (:func:`assistant.conversation.standalone_question`: the chat model's rewrite, or
        the deterministic resolver without one), shown as "Answering: …" under the user's
        message when it differs.

        Yields:
            (textbox, chat, turns, sources panel, "clear filters" button) updates; the
            button shows when the filters are what left the answer not found.
        """
        question = (message or "").strip()
        if not question:
            return
        lang = lang_of(ui_lang)
        turn = len(turns)
        done_panels = [t.sources_html for t in turns]
        standalone = standalone_question(question, _history(turns), llm=self.llm)
        user = render.esc(question)
        if standalone != question:
            user += f'<div class="answering">{render.esc(t("answering", lang, q=standalone))}</div>'
        chat = [
            *chat,
            {"role": "user", "content": user},
            {"role": "assistant", "content": render.answer_html(None, turn)},
        ]
        yield "", chat, turns, gr.skip(), gr.skip()
        try:
            filters = make_filters(doc_ids, year_min, year_max, languages, kinds, meeting)
            filtered = bool(describe_filters(filters))
            res = self.res()
            text, last_sent = "", 0.0
            hits: tuple[Hit, ...] = ()
            for event in ask_stream(standalone, filters=filters, res=res, llm=self.llm):
                if event.kind == "sources":
                    hits = event.hits
                    panel = render.turn_sources_html(
                        turn, standalone, None, hits, res.store, lang=lang, filtered=filtered
                    )
                    yield (
                        gr.skip(),
                        chat,
                        turns,
                        render.sources_panel_html([*done_panels, panel], lang),
                        gr.skip(),
                    )
                elif event.kind == "token":
                    text += event.token
                    now = time.monotonic()
                    if now - last_sent < STREAM_INTERVAL_S:
                        continue
                    last_sent = now
                    partial = render.answer_html(None, turn, partial_text=text)
                    chat = [*chat[:-1], {"role": "assistant", "content": partial}]
                    yield gr.skip(), chat, turns, gr.skip(), gr.skip()
                elif event.answer is not None:
                    answer = event.answer
                    by_filters = answer.status == "not_found" and filtered
                    notice = None
                    if by_filters:
                        notice = t("filters_not_found", lang, f=describe_filters(filters))
                        notice = " ".join(x for x in (notice, answer.notice) if x)
                    panel = render.turn_sources_html(
                        turn, standalone, answer, hits, res.store, lang=lang, filtered=filtered
                    )
                    final = render.answer_html(answer, turn, notice=notice)
                    chat = [*chat[:-1], {"role": "assistant", "content": final}]
                    turns = [*turns, Turn(answer, panel, asked=question, filters=filters)]
                    yield (
                        gr.skip(),
                        chat,
                        turns,
                        render.sources_panel_html([*done_panels, panel], lang),
                        gr.update(visible=by_filters),
                    )
        except GfmdError as exc:
            _log_user_error(exc)
            gr.Warning(NO_INDEX if _no_index(exc) else str(exc))
            error = f'<div class="answer error">{render.esc(str(exc))}</div>'
            chat = [*chat[:-1], {"role": "assistant", "content": error}]
            yield gr.skip(), chat, turns, gr.skip(), gr.skip()

    def clear(self) -> tuple[Any, ...]:
        return [], [], render.sources_panel_html([])

    def clear_filters(self) -> tuple[Any, ...]:
        """Reset every filter widget (the "clear filters" button of a filtered not-found)."""
        return [], "", "", [], [], "", gr.update(visible=False)

    def export(self, turns: list[Turn], fmt: str) -> Any:
        """Write the conversation (``fmt`` ``md`` or ``docx``) to a temporary file and show
        it for download; each question's filters are recorded."""
        if not turns:
            gr.Warning("Nothing to export yet: ask a question first.")
            return gr.skip()
        folder = Path(tempfile.mkdtemp(prefix="gfmd-export-"))
        stamp = time.strftime("%Y%m%d-%H%M")
        answers = [t.answer for t in turns]
        filters = [t.filters for t in turns]
        if fmt == "docx":
            path = write_docx(answers, folder / f"gfmd-conversation-{stamp}.docx", filters=filters)
        else:
            path = write_markdown(
                answers, folder / f"gfmd-conversation-{stamp}.md", filters=filters
            )
        return gr.update(value=str(path), visible=True)

    # ------------------------------------------------------------ browse
    def browse(
        self,
        kinds: list[str] | None,
        doc_ids: list[str] | None,
        text: str | None,
        ui_lang: str | None = None,
    ) -> str:
        """The Browse tab's list for the current filters, with its count; no kind ticked
        lists nothing (and says so)."""
        lang = lang_of(ui_lang)
        try:
            store = self.res().store
        except StoreError as exc:
            return f'<p class="empty">{render.esc(NO_INDEX if _no_index(exc) else str(exc))}</p>'
        if kinds is not None and not kinds:
            return f'<p class="empty">{render.esc(t("no_kind", lang))}</p>'
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
        if not elements:
            return f'<p class="empty">{render.esc(t("no_elements", lang))}</p>'
        count = f'<p class="count">{render.esc(t("browse_count", lang, n=len(elements)))}</p>'
        return count + render.elements_html(elements, store)

    # --------------------------------------------------------- documents
    def view_document(
        self,
        doc_id: str | None,
        highlight: tuple[int, int] | None = None,
        ui_lang: str | None = None,
    ) -> str:
        """The viewer: the document's text, headed by what removing it would remove
        (title, year, passages, elements), which the Remove confirmation repeats."""
        if not doc_id:
            return f'<p class="empty">{render.esc(t("choose_document", ui_lang))}</p>'
        try:
            store = self.res().store
            doc = store.document(doc_id)
        except StoreError as exc:
            return f'<p class="empty">{render.esc(str(exc))}</p>'
        summary = next((d for d in store.documents() if d.meta.doc_id == doc_id), None)
        year = f" ({doc.meta.year})" if doc.meta.year else ""
        counts = f"{summary.passages} passages, {summary.elements} elements" if summary else ""
        confirm = f"Remove «{doc.meta.title}»{year} — {counts} — from the index?"
        head = (
            f'<div class="doc-remove" data-doc="{render.esc(doc_id)}" '
            f'data-confirm="{render.esc(confirm)}">{render.esc(counts)}</div>'
        )
        return head + render.document_html(doc, highlight=highlight)

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
        ui_lang: str | None = None,
    ) -> tuple[Any, ...]:
        """Choices and tables that depend on the corpus (after load, ingest, removal).

        Args:
            f_docs, f_langs, b_docs, pick: the current selections of the chat's document
                and language filters, the Browse tab's documents and the viewer's document;
                selections the index no longer has are dropped.
            ui_lang: the page's language: the corpus table's column headers follow it
                (Gradio's i18n does not translate a Dataframe's headers).

        Returns:
            Updates of (chat documents, chat languages, browse documents, corpus table
            ``{"headers", "data"}``, viewer document).
        """
        headers = doc_headers(ui_lang)
        try:
            store = self.res().store
        except StoreError:
            empty = gr.update(choices=[], value=[])
            table = {"headers": headers, "data": []}
            return empty, empty, empty, table, gr.update(choices=[], value=None)
        docs = render.doc_choices(store)
        known = {d for _, d in docs}
        langs = store.languages()
        return (
            gr.update(choices=docs, value=[d for d in f_docs or () if d in known]),
            gr.update(choices=langs, value=[x for x in f_langs or () if x in langs]),
            gr.update(choices=docs, value=[d for d in b_docs or () if d in known]),
            {"headers": headers, "data": render.documents_rows(store)},
            gr.update(choices=docs, value=pick if pick in known else None),
        )

    def welcome(self, ui_lang: str | None = None) -> tuple[Any, ...]:
        """The first screen in the UI language: what the corpus holds (documents, years,
        counts of each element kind) and example questions.

        Returns:
            (corpus summary Markdown, examples dataset update, empty sources panel).
        """
        lang = lang_of(ui_lang)
        samples = gr.update(samples=[[q] for q in LOCALISED_EXAMPLES[lang]])
        panel = render.sources_panel_html([], lang)
        try:
            store = self.res().store
        except StoreError:
            return NO_INDEX, samples, panel
        docs = store.documents()
        years = sorted({d.meta.year for d in docs if d.meta.year is not None})
        span = f"{years[0]}-{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "-")
        count = {k: len(store.elements(kind=k)) for k in ELEMENT_KINDS}
        summary = t(
            "corpus_summary",
            lang,
            docs=len(docs),
            years=span,
            km=count["key_message"],
            gq=count["guiding_question"],
            rec=count["recommendation"],
        )
        return summary, samples, panel

    def ingest(
        self,
        files: list[str] | None,
        token: str | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple:
        """Ingest uploaded files; returns (result rows, summary, cleared upload).

        Raises:
            gr.Error: the page did not send the write token, or the index is unusable.
        """
        if not self.authorised(token):
            raise gr.Error(WRITE_REFUSED, print_exception=False)
        if not files:
            gr.Warning("Choose one or more report files (PDF, TXT, MD) first.")
            return [], "", gr.skip()

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
            _log_user_error(exc)
            raise gr.Error(str(exc), print_exception=False) from None
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

    def remove(self, doc_id: str | None, token: str | None = None) -> tuple:
        """Remove a document (the button asks for confirmation in the browser, naming the
        document's title, year and counts).

        Raises:
            gr.Error: the page did not send the write token, or the document is unknown.
        """
        if not self.authorised(token):
            raise gr.Error(WRITE_REFUSED, print_exception=False)
        if not doc_id:
            gr.Warning("Choose the document to remove.")
            return gr.skip(), gr.skip()
        try:
            report = remove_document(doc_id, settings=self.settings)
        except GfmdError as exc:
            _log_user_error(exc)
            raise gr.Error(str(exc), print_exception=False) from None
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
        meeting: str | None = None,
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
                    "meeting": meeting,
                }
            )
            hits = search(req.question, k=req.k, filters=req.filters, res=self.res())
        except GfmdError as exc:
            _log_user_error(exc)
            raise gr.Error(str(exc), print_exception=False) from None
        return {"query": query, "hits": [h.to_json() for h in hits]}

    def api_ask(
        self,
        question: str,
        doc_ids: list[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        languages: list[str] | None = None,
        kinds: list[str] | None = None,
        meeting: str | None = None,
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
                    "meeting": meeting,
                }
            )
            answer = ask(req.question, filters=req.filters, res=self.res(), llm=self.llm)
        except GfmdError as exc:
            _log_user_error(exc)
            raise gr.Error(str(exc), print_exception=False) from None
        return answer.to_json()


WRITE_REFUSED = (
    "Adding or removing reports needs the address 'gfmd serve' printed (it ends with "
    "?token=…): open that address."
)


def _log_user_error(exc: GfmdError) -> None:
    """One line in the server log for a user's mistake (an empty query, an unknown
    document), not a traceback: the handlers then raise ``gr.Error(...,
    print_exception=False)``, whose traceback Gradio does not print."""
    print(f"gfmd: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


def _no_index(exc: BaseException) -> bool:
    return isinstance(exc, StoreError) and "no index" in str(exc)


def _initial(settings: Settings) -> tuple[list[tuple[str, str]], list[str]]:
    try:
        store = resources(settings).store
    except StoreError:
        return [], []
    return render.doc_choices(store), store.languages()


def build_app(
    settings: Settings | None = None,
    *,
    llm: ChatModel | None = None,
    write_token: str | None = None,
) -> gr.Blocks:
    """Build the Blocks app.

    Args:
        settings: defaults to :func:`gfmd.settings.get_settings`.
        llm: a chat model for generative answers; default: the one ``settings.llm``
            names (None for backend ``none``: extractive answers).
        write_token: the secret ingest/remove require; default ``settings.ui.write_token``,
            else a random one per process. Read it back as ``demo.write_token``
            (:func:`serve` prints the address carrying it).

    Returns:
        The app, not launched (see :func:`serve` and :func:`launch_kwargs`).

    Raises:
        ConfigError: the chat model named by the settings cannot be built.
    """
    settings = settings or get_settings()
    token = write_token or settings.ui.write_token or secrets.token_urlsafe(18)
    app = App(settings, llm=llm if llm is not None else _chat_model(settings), write_token=token)
    docs, langs = _initial(settings)
    kind_choices = [(render.KIND_LABELS[k], k) for k in ELEMENT_KINDS]
    i18n = I18N

    with gr.Blocks(title="GFMD assistant", analytics_enabled=False) as demo:
        turns = gr.State([])
        ui_lang = gr.Textbox(value="en", visible=False, elem_id="ui-lang")
        w_token = gr.Textbox(value="", visible=False, elem_id="w-token")
        gr.Markdown(i18n("title"))
        gr.Markdown(i18n("language_switch"), elem_id="lang-switch")
        corpus_md = gr.Markdown(elem_id="corpus-summary", elem_classes="corpus-summary")
        relocalise = gr.Button("relocalise", elem_id="relocalise", elem_classes="relocalise")
        with gr.Tabs() as tabs:
            with gr.Tab(i18n("tab_ask"), id="ask"), gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label=i18n("conversation"),
                        elem_id="chat",
                        height=520,
                        latex_delimiters=[],
                        feedback_options=None,
                        buttons=["copy"],
                        autoscroll=True,
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            label=i18n("question"),
                            placeholder=i18n("question_placeholder"),
                            scale=5,
                            elem_id="question",
                            max_lines=4,
                        )
                        send = gr.Button(i18n("ask"), variant="primary", scale=1, elem_id="ask-btn")
                    examples = gr.Dataset(
                        components=[question],
                        samples=[[q] for q in LOCALISED_EXAMPLES["en"]],
                        label=i18n("examples"),
                        elem_id="examples",
                    )
                    with gr.Row():
                        clear = gr.Button(i18n("new_conversation"), size="sm")
                        export_md = gr.Button(i18n("export_md"), size="sm", elem_id="export-md")
                        export_docx = gr.Button(
                            i18n("export_docx"), size="sm", elem_id="export-docx"
                        )
                    export_file = gr.File(
                        label=i18n("export"), interactive=False, elem_id="export", visible=False
                    )
                with gr.Column(scale=2):
                    with gr.Accordion(i18n("filters"), open=False, elem_id="filters"):
                        f_docs = gr.Dropdown(
                            choices=docs, multiselect=True, label=i18n("documents"), value=[]
                        )
                        with gr.Row():
                            f_ymin = gr.Textbox(
                                label=i18n("from_year"),
                                placeholder=i18n("year_placeholder"),
                                value="",
                                elem_id="f-ymin",
                            )
                            f_ymax = gr.Textbox(
                                label=i18n("to_year"),
                                placeholder=i18n("year_placeholder"),
                                value="",
                                elem_id="f-ymax",
                            )
                        f_langs = gr.CheckboxGroup(choices=langs, label=i18n("language"))
                        f_kinds = gr.CheckboxGroup(choices=kind_choices, label=i18n("kinds_only"))
                        f_meeting = gr.Textbox(
                            label=i18n("meeting"), placeholder=i18n("meeting_placeholder")
                        )
                    f_clear = gr.Button(
                        i18n("clear_filters"), size="sm", visible=False, elem_id="clear-filters"
                    )
                    sources = gr.HTML(
                        render.sources_panel_html([]),
                        elem_id="sources",
                        js_on_load=OPEN_CONTEXT_JS,
                    )
            with gr.Tab(i18n("tab_browse"), id="browse"):
                with gr.Row():
                    b_kinds = gr.CheckboxGroup(
                        choices=kind_choices, label=i18n("kind"), value=list(ELEMENT_KINDS)
                    )
                    b_docs = gr.Dropdown(choices=docs, multiselect=True, label=i18n("documents"))
                    b_text = gr.Textbox(label=i18n("text"), placeholder=i18n("text_placeholder"))
                b_html = gr.HTML(elem_id="browse", js_on_load=OPEN_CONTEXT_JS)
            with gr.Tab(i18n("tab_documents"), id="documents"):
                d_table = gr.Dataframe(
                    headers=DOC_COLUMNS,
                    interactive=False,
                    elem_id="doc-table",
                    wrap=True,
                    column_widths=["24%", "6%", "17%", "9%", "8%", "6%", "8%", "8%", "14%"],
                )
                with gr.Row():
                    d_pick = gr.Dropdown(
                        choices=docs,
                        value=None,
                        label=i18n("document"),
                        scale=4,
                        elem_id="doc-pick",
                    )
                    d_remove = gr.Button(
                        i18n("remove_document"), variant="stop", scale=1, elem_id="remove"
                    )
                d_status = gr.Markdown(elem_id="remove-status")
                d_view = gr.HTML(elem_id="doc-view", js_on_load=None)
                with gr.Accordion(i18n("add_reports"), open=True):
                    d_files = gr.File(
                        file_count="multiple",
                        file_types=list(ALLOWED_SUFFIXES),
                        label=f"PDF, TXT, MD — ≤ {settings.ui.max_upload_mb:g} MB each, "
                        f"≤ {settings.ui.max_upload_total_mb:g} MB together",
                        elem_id="upload",
                    )
                    d_ingest = gr.Button(i18n("add"), variant="primary", elem_id="ingest")
                    d_summary = gr.Markdown(elem_id="ingest-summary")
                    d_results = gr.Dataframe(
                        headers=RESULT_COLUMNS, interactive=False, elem_id="ingest-results"
                    )

        filter_inputs = [f_docs, f_ymin, f_ymax, f_langs, f_kinds, f_meeting]
        chat_io: dict[str, Any] = {
            "fn": app.respond,
            "inputs": [question, chatbot, turns, *filter_inputs, ui_lang],
            "outputs": [question, chatbot, turns, sources, f_clear],
            "js": LANG_JS,
            "concurrency_limit": CHAT_CONCURRENCY,
            "concurrency_id": "chat",
            "api_visibility": "private",
        }
        question.submit(**chat_io)
        send.click(**chat_io)
        examples.click(lambda row: row[0], examples, question, api_visibility="private")
        f_clear.click(
            app.clear_filters,
            None,
            [*filter_inputs, f_clear],
            api_visibility="private",
        )
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

        read: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": READ_CONCURRENCY}
        refresh_inputs = [f_docs, f_langs, b_docs, d_pick, ui_lang]
        refresh_outputs = [f_docs, f_langs, b_docs, d_table, d_pick]
        browse_inputs = [b_kinds, b_docs, b_text, ui_lang]
        for trigger in (b_kinds.change, b_docs.change, b_text.submit):
            trigger(app.browse, browse_inputs, b_html, js=LANG_JS, **read)
        for html in (sources, b_html):
            html.click(app.open_context, None, [tabs, d_pick, d_view], **read)
        d_pick.input(
            lambda d, lang: app.view_document(d, None, lang),
            [d_pick, ui_lang],
            d_view,
            js=LANG_JS,
            **read,
        )
        d_table.select(app.select_row, None, [d_pick, d_view], **read)
        # a new selection clears the previous file's result row (not the clearing after ingest)
        d_files.upload(lambda _: ([], ""), d_files, [d_results, d_summary], **read)
        write: dict[str, Any] = {
            "concurrency_limit": 1,
            "concurrency_id": WRITE_CONCURRENCY_ID,
            "api_visibility": "private",
        }
        d_ingest.click(
            app.ingest, [d_files, w_token], [d_results, d_summary, d_files], js=TOKEN_JS, **write
        ).then(app.refresh, refresh_inputs, refresh_outputs, js=LANG_JS, **read).then(
            app.browse, browse_inputs, b_html, js=LANG_JS, **read
        )
        d_remove.click(
            app.remove,
            [d_pick, w_token],
            [d_status, d_view],
            js=REMOVE_JS,
            **write,
        ).then(app.refresh, refresh_inputs, refresh_outputs, js=LANG_JS, **read).then(
            app.browse, browse_inputs, b_html, js=LANG_JS, **read
        )
        demo.load(
            None,
            None,
            ui_lang,
            js="() => document.documentElement.lang || navigator.language || 'en'",
        ).then(app.welcome, ui_lang, [corpus_md, examples, sources], **read).then(
            app.refresh, refresh_inputs, refresh_outputs, **read
        ).then(app.browse, browse_inputs, b_html, **read)
        relocalise.click(
            lambda lang: app.welcome(lang)[:2], ui_lang, [corpus_md, examples], js=LANG_JS, **read
        ).then(app.refresh, refresh_inputs, refresh_outputs, js=LANG_JS, **read).then(
            app.browse, browse_inputs, b_html, js=LANG_JS, **read
        )
        gr.api(app.api_search, api_name="search", concurrency_limit=READ_CONCURRENCY)
        gr.api(app.api_ask, api_name="ask", concurrency_limit=READ_CONCURRENCY)
    demo.write_token = token  # type: ignore[attr-defined]
    return demo


REMOVE_JS = """(d, token) => {
  token = new URLSearchParams(window.location.search).get('token') || '';
  const el = document.querySelector('#doc-view .doc-remove');
  if (!d || !el || el.dataset.doc !== d) {
    alert('Choose the document to remove: the viewer shows what will be removed.');
    return [null, token];
  }
  return confirm(el.dataset.confirm) ? [d, token] : [null, token];
}"""
"""The Remove button's confirmation: it names the document shown in the viewer (title,
year, passages, elements) and refuses when the viewer shows another document."""


def launch_kwargs(settings: Settings, *, share: bool = False) -> dict[str, Any]:
    """Keyword arguments of ``Blocks.launch``: the bind address, the upload size limit,
    no public link unless ``share``, no server-side rendering or analytics, the theme
    (:data:`THEME`), the UI translations and a footer with the API and the Settings panel (language switch)."""
    return {
        "server_name": settings.ui.host,
        "server_port": settings.ui.port,
        "share": share,
        "max_file_size": int(settings.ui.max_upload_mb * 1024 * 1024),
        "max_threads": MAX_THREADS,
        "ssr_mode": False,
        "css": CSS,
        "head": HEAD,
        "theme": THEME,
        "i18n": I18N,
        "footer_links": ["api", "settings"],
        "quiet": True,
    }


def serve(settings: Settings, *, share: bool = False) -> None:
    """Start the app and block until interrupted.

    Binds ``settings.ui.host:settings.ui.port`` (127.0.0.1:7860 by default) and prints the
    local URL with the write token (``?token=…``: the page sends it with ingest and
    remove). A public Gradio share link is created only when ``share`` is True or
    ``settings.ui.share`` is set.

    Raises:
        ConfigError: the chat model the settings name cannot be built.
    """
    demo = build_app(settings)
    try:
        res: Resources | None = resources(settings)
    except StoreError as exc:
        res = None
        print(f"gfmd: {exc}. {NO_INDEX}", file=sys.stderr)
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    _, local_url, share_url = demo.launch(
        prevent_thread_lock=True, **launch_kwargs(settings, share=share or settings.ui.share)
    )
    print(f"GFMD assistant running at {local_url}?token={demo.write_token}", flush=True)  # type: ignore[attr-defined]
    if share_url:
        print(f"Public share link: {share_url}?token={demo.write_token}", flush=True)  # type: ignore[attr-defined]
    if res is not None:
        # After launch: the page answers at once; requests that arrive meanwhile pay
        # what is not yet loaded themselves, as without it.
        with contextlib.suppress(GfmdError):
            warm_up(res)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
