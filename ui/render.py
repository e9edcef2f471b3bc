"""HTML views of answers, sources, elements and documents (pure functions, no Gradio).

Everything taken from a document or a user (titles, passages, quotes, questions) goes
through :func:`esc` before it reaches HTML: the app renders the strings it gets from here
without further sanitising (``gr.HTML``), and the chat panel's Markdown renderer would
otherwise interpret ``*``, ``$`` or tags that a PDF happens to contain.

Ids in the produced HTML: a source card of answer ``t`` (0-based turn) and marker ``n``
is ``src-t-n`` and a closest-material card is ``near-t-n``; the answer's ``[n]`` markers
are links ``<a class="cite" href="#src-t-n">`` that the page script (see ``ui.app.HEAD``)
turns into "open and scroll to the card".
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from assistant.models import KIND_NAME, Answer, Hit, json_locator, locator_label, titled
from corpus.protocol import StoreReader as Store
from gfmd.errors import StoreError
from ingest.models import Document, DocumentMeta, Element
from ui.strings import LANGUAGES, t

SECTION_CHARS = 90
"""Characters of a section heading shown on a card (the full path is in its tooltip)."""

CONTEXT_CHARS = 240
"""Characters of document text shown before and after a cited passage (about two lines)."""

QUOTE_PREVIEW_CHARS = 220
"""Characters of a quote shown in a citation marker's hover/focus preview."""

MAX_BROWSE_ELEMENTS = 400
"""Elements rendered at once in the Browse tab; beyond that the user narrows the filters
(a page of several hundred items is already more than a reader scans)."""

KIND_LABELS = KIND_NAME["en"]
"""Element kind -> its English name (the Browse tab's kind boxes, plain-text citations)."""

_MARKER = re.compile(r"\[(\d{1,3})\]")


def esc(text: object) -> str:
    """HTML-escape a value for element content and attribute values.

    Besides ``& < > " '``, ``$``, braces and backticks are written as character
    references so that no template syntax (Gradio's HTML templates, KaTeX) is ever
    triggered by document text.
    """
    out = html.escape("" if text is None else str(text), quote=True)
    return (
        out.replace("$", "&#36;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
        .replace("`", "&#96;")
    )


def pages_label(page_start: int | None, page_end: int | None) -> str:
    """``"p. 4"``, ``"pp. 4-5"`` or ``""`` when the source has no pages."""
    if page_start is None:
        return ""
    if page_end is not None and page_end != page_start:
        return f"pp. {page_start}-{page_end}"
    return f"p. {page_start}"


# ------------------------------------------------------------------ caches
class _DocCache:
    """Per index version: document metadata and texts (a few recent ones)."""

    def __init__(self, size: int = 16) -> None:
        self._live: str | None = None
        self._meta: dict[str, DocumentMeta] = {}
        self._docs: OrderedDict[str, Document] = OrderedDict()
        self._size = size

    def _check(self, store: Store) -> None:
        docs = store.documents()  # cached per store version
        live = repr(sorted((d.meta.doc_id, d.content_hash) for d in docs))
        if live != self._live:
            self._live = live
            self._meta = {d.meta.doc_id: d.meta for d in store.documents()}
            self._docs.clear()

    def meta(self, store: Store, doc_id: str) -> DocumentMeta | None:
        self._check(store)
        return self._meta.get(doc_id)

    def document(self, store: Store, doc_id: str) -> Document:
        self._check(store)
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = store.document(doc_id)
            self._docs[doc_id] = doc
            while len(self._docs) > self._size:
                self._docs.popitem(last=False)
        self._docs.move_to_end(doc_id)
        return doc


_CACHE = _DocCache()


# ------------------------------------------------------------ excerpts
def _snap_left(text: str, start: int, limit: int) -> int:
    """Move ``start`` left by up to ``limit`` characters, to a word boundary."""
    s = max(0, start - limit)
    if s > 0:
        space = text.find(" ", s, start)
        if space != -1:
            s = space + 1
    return s


def _snap_right(text: str, end: int, limit: int) -> int:
    e = min(len(text), end + limit)
    if e < len(text):
        space = text.rfind(" ", end, e)
        if space != -1:
            e = space
    return e


def excerpt_html(
    doc_text: str,
    unit: tuple[int, int],
    mark: tuple[int, int] | None,
    *,
    context_chars: int = CONTEXT_CHARS,
) -> str:
    """A passage of a document with the quoted span highlighted and context around it.

    Args:
        doc_text: the document's cleaned text.
        unit: ``(start, end)`` of the cited passage in ``doc_text``.
        mark: ``(start, end)`` of the quoted span in ``doc_text`` (inside ``unit``), or
            None to highlight nothing.
        context_chars: characters of text shown before and after the passage, cut at
            word boundaries.

    Returns:
        HTML: ``<div class="excerpt">`` with ``<span class="ctx">`` context before and
        after, the passage in ``<span class="unit">`` and the quote in ``<mark>``.
    """
    start, end = unit
    if mark is not None:
        start, end = min(start, mark[0]), max(end, mark[1])
    before_at = _snap_left(doc_text, start, context_chars)
    after_at = _snap_right(doc_text, end, context_chars)
    if mark is None or not (start <= mark[0] < mark[1] <= end):
        body = esc(doc_text[start:end])
    else:
        body = (
            esc(doc_text[start : mark[0]])
            + "<mark>"
            + esc(doc_text[mark[0] : mark[1]])
            + "</mark>"
            + esc(doc_text[mark[1] : end])
        )
    lead = "…" if before_at > 0 else ""
    tail = "…" if after_at < len(doc_text) else ""
    return (
        '<div class="excerpt">'
        f'<span class="ctx">{lead}{esc(doc_text[before_at:start])}</span>'
        f'<span class="unit">{body}</span>'
        f'<span class="ctx">{esc(doc_text[end:after_at])}{tail}</span>'
        "</div>"
    )


def hit_spans(hit: Hit, quote: str | None) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """Where a hit and its quote lie in the document text.

    Returns:
        ``(unit, mark)``: the span of the passage holding the hit (for an element: its
        passage, widened to cover the element), and the span of the quote, or None when
        there is no quote or it is not found verbatim in the hit's text.
    """
    p = hit.passage
    unit = (p.start, p.end)
    if hit.element is not None:
        el = hit.element
        unit = (min(p.start, el.start), max(p.end, el.end))
        if not quote:
            return unit, None
        at = el.text.find(quote)
        return unit, (el.start + at, el.start + at + len(quote)) if at >= 0 else None
    if not quote:
        return unit, None
    at = p.text.find(quote)
    return unit, (p.start + at, p.start + at + len(quote)) if at >= 0 else None


# ---------------------------------------------------------------- answers
def answer_html(
    answer: Answer | None, turn: int, *, partial_text: str = "", notice: str | None = None
) -> str:
    """The assistant's chat message for one answer.

    Args:
        answer: the final answer, or None while it is streaming.
        turn: 0-based index of the answer in the conversation (card ids).
        partial_text: the text streamed so far (used when ``answer`` is None).
        notice: a remark shown under the text (defaults to ``answer.notice``).

    Returns:
        One HTML block (no blank lines, so the chat's Markdown renderer passes it through):
        the escaped answer text with its ``[n]`` markers linked to the source cards, or a
        "not found" banner pointing at the closest material.
    """
    if answer is None:
        body = esc(partial_text).replace("\n", "<br>")
        return f'<div class="answer streaming">{body}<span class="cursor">▍</span></div>'
    lang = answer.question_language if answer.question_language in LANGUAGES else "en"
    notice = notice if notice is not None else answer.notice
    if answer.status == "not_found":
        parts = [
            '<div class="answer not-found">',
            f'<div class="nf-banner"><strong>{esc(t("not_found", lang))}</strong>',
            f" — {esc(notice)}" if notice else "",
            "</div>",
        ]
        if answer.closest:
            parts.append(f'<div class="nf-closest">{esc(t("closest_beside", lang))}</div>')
        parts.append("</div>")
        return "".join(parts)
    quotes = {c.marker: c.quote for c in answer.citations}  # the chat keeps class/href/title

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in quotes:
            return m.group(0)
        preview = quotes[n]
        if len(preview) > QUOTE_PREVIEW_CHARS:
            preview = preview[: QUOTE_PREVIEW_CHARS - 1].rstrip() + "…"
        return (
            f'<a class="cite" href="#src-{turn}-{n}" data-card="src-{turn}-{n}" '
            f'title="{esc(preview)}">[{n}]</a>'
        )

    body = _MARKER.sub(link, esc(answer.text)).replace("\n", "<br>")
    extra = f'<div class="notice">{esc(notice)}</div>' if notice else ""
    mode = "" if answer.mode == "extractive" else ' <span class="mode">(generated)</span>'
    return f'<div class="answer">{body}{mode}{extra}</div>'


@dataclass(frozen=True)
class Card:
    """What a source card shows.

    Attributes:
        card_id: the HTML id (``src-t-n`` or ``near-t-n``).
        number: the citation marker (or closest-material rank).
        hit: the cited or retrieved unit.
        quote: the verbatim quote to highlight, or None (closest material).
    """

    card_id: str
    number: int
    hit: Hit
    quote: str | None


def cards_for(answer: Answer, turn: int) -> list[Card]:
    """The cards of an answer: one per citation, or the closest material when not found."""
    if answer.status == "not_found":
        return [Card(f"near-{turn}-{h.rank}", h.rank, h, None) for h in answer.closest]
    return [Card(f"src-{turn}-{c.marker}", c.marker, c.hit, c.quote) for c in answer.citations]


def citation_fields(hit: Hit, meta: DocumentMeta | None, lang: str = "en") -> list[tuple[str, str]]:
    """The citation of a hit as (field, value) pairs: title, year, meeting, locator (pages
    and/or paragraph numbers, or "no page numbers in this source"), section, element kind,
    language of the passage, document id; empty values are left out."""
    j = hit.to_json()
    meeting = j["meeting"] or (meta.meeting if meta else None)
    locator = locator_label(
        j["page_start"], j["page_end"], j["paragraph_start"], j["paragraph_end"]
    )
    kind = j["element_kind"] or ""
    fields = [
        ("title", j["title"]),
        ("year", "" if j["year"] is None else str(j["year"])),
        ("meeting", meeting or ""),
        ("locator", locator or t("no_locator", lang)),
        ("section", j["section"]),
        ("kind", t(f"kind_{kind}", lang) if kind in KIND_LABELS else ""),
        ("language", j["language"] or ""),
        ("doc", j["doc_id"]),
    ]
    return [(k, v) for k, v in fields if v]


def section_html(path: str) -> str:
    """A section path (``"A > B > C"``) shown by its innermost heading, cut to
    :data:`SECTION_CHARS`, with the whole path as a tooltip."""
    last = path.rsplit(" > ", 1)[-1]
    if len(last) > SECTION_CHARS:
        last = last[: SECTION_CHARS - 1].rstrip() + "…"
    return f'<span class="f-section" title="{esc(path)}">§ {esc(last)}</span>'


def card_header(
    card: Card,
    store: Store,
    lang: str = "en",
    *,
    with_locator: bool = True,
    locator: str | None = None,
) -> str:
    """The compact header of a card: short title (year) · short meeting · kind · locator
    (``locator`` overrides the unit's own); the full title and meeting are tooltips."""
    meta = _CACHE.meta(store, card.hit.passage.doc_id)
    fields = dict(citation_fields(card.hit, meta, lang))
    if locator is not None:
        fields["locator"] = locator
    title = titled(fields.get("title", ""), fields.get("year"))
    short = titled(short_title(fields.get("title", "")), fields.get("year"))
    shown = {**fields, "meeting": short_meeting(fields.get("meeting", ""))}
    keys = ("meeting", "kind", "locator") if with_locator else ("meeting", "kind")
    rest = "".join(
        f'<span class="f-{k}" title="{esc(fields[k])}">{esc(shown[k])}</span>'
        for k in keys
        if k in fields
    )
    return (
        f'<span class="f-title" title="{esc(title)}">{esc(short)}</span>'
        f'<span class="card-meta">{rest}</span>'
    )


SHORT_TITLE_CHARS = 48
"""Characters of a title shown in a card header: with the year, meeting and locator in a
smaller font it fits two lines of the ~430 px sources panel (the full title is the
tooltip and the document viewer's heading)."""

SHORT_MEETING_CHARS = 40
"""Characters of a meeting shown in a card header (the full name is the tooltip and is in
the card's expanded part)."""


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, "…" marking a cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:–-") + "…"


def short_title(title: str) -> str:
    """A title's short form for card headers: the part before a subtitle (" : "), cut at
    a word to :data:`SHORT_TITLE_CHARS` ("Rapport de synthèse du Module III : Outils
    pour …" -> "Rapport de synthèse du Module III"); a final parenthesis (a document
    symbol such as "(OIM SCPF/13)") is kept."""
    main = re.split(r"\s+:\s+", title.strip(), maxsplit=1)[0]
    symbol = re.search(r"\s*(\([^()]*\))$", main)  # a document symbol "(OIM SCPF/13)" stays
    if symbol is None or len(main) <= SHORT_TITLE_CHARS:
        return _cut(main, SHORT_TITLE_CHARS)
    head = _cut(main[: symbol.start()], SHORT_TITLE_CHARS - len(symbol.group(1)) - 1)
    return f"{head} {symbol.group(1)}"


def short_meeting(meeting: str) -> str:
    """A meeting's short form for card headers: its first clause without a parenthesis,
    cut at a word to :data:`SHORT_MEETING_CHARS` ("FMMD 2011 (présidence suisse)" ->
    "FMMD 2011"; "OIM, Comité permanent …" -> "OIM")."""
    main = re.sub(r"\s*\([^)]*\)", "", meeting.split(", ", 1)[0]).strip()
    return _cut(main or meeting, SHORT_MEETING_CHARS)


def group_key(card: Card, store: Store, lang: str = "en") -> tuple[str, str]:
    """What identical card headers share (document, meeting, kind, section): consecutive
    cards with one key get one group header."""
    header = card_header(card, store, lang, with_locator=False)
    return header, card.hit.to_json()["section"]


SNIPPET_CHARS = 70
"""Characters of a unit's text heading a card inside a group (the group names the source)."""


def _quote_paragraphs(card: Card, store: Store) -> tuple[int | None, int | None] | None:
    """The paragraph numbers of a card's quote (None: no quote, no numbering, or the
    document is gone)."""
    if not card.quote or card.hit.passage.paragraph_start is None:
        return None
    from ingest.structure import paragraph_fields

    unit, mark = hit_spans(card.hit, card.quote)
    if mark is None:
        return None
    try:
        doc = _CACHE.document(store, card.hit.passage.doc_id)
    except StoreError:
        return None
    if doc.text[unit[0] : unit[1]] != card.hit.text:
        return None
    found = paragraph_fields(doc, *mark)
    if found["paragraph_start"] is None:
        return None
    return found["paragraph_start"], found["paragraph_end"]


def card_html(
    card: Card, store: Store, *, open_: bool = False, lang: str = "en", grouped: bool = False
) -> str:
    """One source card: a one-line header (title, year, meeting, locator), then a
    ``<details>`` holding the section path, the passage with the quote highlighted and
    the surrounding document text.

    Args:
        card: what to show.
        store: the live store (document texts for the context).
        open_: render the details expanded.
        lang: UI language of the fixed strings.
        grouped: the card sits under a group header that already names the document:
            its own header shows only the locator.
    """
    hit = card.hit
    meta = _CACHE.meta(store, hit.passage.doc_id)
    fields = dict(citation_fields(hit, meta, lang))
    quote_at = _quote_paragraphs(card, store)
    if quote_at is not None:  # the quote's own paragraph: "para. 12", not the passage's 12-13
        j = hit.to_json()
        fields["locator"] = locator_label(j["page_start"], j["page_end"], *quote_at)
    if grouped:
        snippet = (
            hit.text if len(hit.text) <= SNIPPET_CHARS else hit.text[: SNIPPET_CHARS - 1] + "…"
        )
        locator = "" if fields["locator"] == t("no_locator", lang) else fields["locator"]
        head_line = f'<span class="f-snippet">{esc(snippet)}</span>' + (
            f'<span class="card-meta"><span class="f-locator">{esc(locator)}</span></span>'
            if locator
            else ""
        )
    else:
        head_line = card_header(card, store, lang, locator=fields["locator"])
    section = section_html(fields["section"]) if "section" in fields else ""
    unit, mark = hit_spans(hit, card.quote)
    try:
        doc_text = _CACHE.document(store, hit.passage.doc_id).text
    except StoreError:  # the document was removed since: show the stored unit alone
        doc_text = ""
    if doc_text[unit[0] : unit[1]] != hit.passage.text and hit.element is None:
        doc_text, unit = hit.passage.text, (0, len(hit.passage.text))
        at = hit.passage.text.find(card.quote) if card.quote else -1
        mark = (at, at + len(card.quote or "")) if at >= 0 else None
    body = excerpt_html(doc_text, unit, mark) if doc_text else f"<p>{esc(hit.text)}</p>"
    quote = (
        f'<blockquote class="quote">{esc(card.quote)}</blockquote>'
        if card.quote and mark is None
        else ""
    )
    link = (
        f'<a class="open-ctx" href="#" data-doc="{esc(hit.passage.doc_id)}" '
        f'data-start="{(mark or unit)[0]}" data-end="{(mark or unit)[1]}">'
        f"{esc(t('open_in_document', lang))}</a>"
    )
    facts = " · ".join(esc(fields[k]) for k in ("meeting", "language", "doc") if k in fields)
    return (
        f'<div class="card" id="{esc(card.card_id)}">'
        f'<div class="card-head"><span class="num">[{card.number}]</span> {head_line}</div>'
        f"<details{' open' if open_ else ''}><summary>{esc(t('passage', lang))}</summary>"
        f'<div class="card-section">{section} <span class="f-facts">{facts}</span></div>'
        f"{quote}{body}"
        f'<div class="card-links">{link}</div></details>'
        "</div>"
    )


def turn_sources_html(
    turn: int,
    question: str,
    answer: Answer | None,
    hits: Sequence[Hit],
    store: Store,
    *,
    lang: str = "en",
    filtered: bool = False,
) -> str:
    """The sources of one answer: its citation cards, or its closest material, or (while
    streaming, ``answer`` None) the retrieved passages. Consecutive cards with the same
    header (one list of key messages: same document, meeting, kind and section) get one
    group header and show only their locator.

    Args:
        turn, question: the answer's 0-based index and question (ids, heading).
        answer: the final answer, or None while streaming.
        hits: the retrieved hits (closest material of a not-found answer that has none).
        store: the live store.
        lang: UI language of the fixed strings.
        filtered: filters were set (an empty panel then says the filters left nothing).
    """
    if answer is None:
        cards = [Card(f"hit-{turn}-{h.rank}", h.rank, h, None) for h in hits]
        title = t("retrieved", lang)
    elif answer.status == "not_found":
        cards = cards_for(answer, turn) or [
            Card(f"near-{turn}-{h.rank}", h.rank, h, None) for h in hits
        ]
        title = t("closest", lang)
    else:
        cards = cards_for(answer, turn)
        title = t("sources", lang)
    parts: list[str] = []
    for key, group in groupby(cards, key=lambda c: group_key(c, store, lang)):
        members = list(group)
        if len(members) == 1:
            parts.append(card_html(members[0], store, lang=lang))
            continue
        no_pages = all(not json_locator(c.hit.to_json()) for c in members)
        no_locator = esc(t("no_locator", lang))
        note = (
            f' <span class="f-locator" title="{no_locator}">· {no_locator}</span>'
            if no_pages
            else ""
        )
        parts.append(
            f'<div class="card-group"><div class="group-head">{key[0]} '
            f'<span class="f-count">{esc(t("items", lang, n=len(members)))}</span>{note}</div>'
            + "".join(card_html(c, store, lang=lang, grouped=True) for c in members)
            + "</div>"
        )
    empty = t("no_passages_filters" if filtered else "no_passages", lang)
    inner = "".join(parts) or f'<p class="empty">{esc(empty)}</p>'
    return (
        f'<div class="turn-sources" data-turn="{turn}">'
        f'<div class="ts-title">{esc(title)} <span class="ts-q">— {esc(question)}</span></div>'
        f"{inner}</div>"
    )


def sources_panel_html(turn_html: Sequence[str], lang: str = "en") -> str:
    """The panel beside the chat: the latest answer's sources, then earlier answers'
    sources collapsed (newest first)."""
    if not turn_html:
        return (
            f'<div class="sources-panel"><p class="empty">{esc(t("sources_empty", lang))}</p></div>'
        )
    latest = turn_html[-1]
    older = "".join(
        f"<details class='older'><summary>{esc(t('older_sources', lang, n=i + 1))}</summary>{h}</details>"
        for i, h in reversed(list(enumerate(turn_html[:-1])))
    )
    return f'<div class="sources-panel">{latest}{older}</div>'


# --------------------------------------------------------------- browsing
def element_matches(element: Element, needle: str) -> bool:
    """Case- and accent-insensitive substring match on an element's text, heading and meeting."""
    from corpus.analysis import fold

    hay = fold(f"{element.text} {element.heading} {element.meeting or ''}")
    return fold(needle) in hay


def elements_html(elements: Sequence[Element], store: Store) -> str:
    """Elements grouped by document, then meeting, then list heading; each with its
    citation, a link into the document viewer and its context in ``<details>``.

    Args:
        elements: the elements to show, in document order.
        store: the live store (document texts for the context).
    """
    if not elements:
        return '<p class="empty">No elements match.</p>'
    shown = list(elements[:MAX_BROWSE_ELEMENTS])
    out = ['<div class="browse">']
    if len(elements) > len(shown):
        out.append(
            f'<p class="note">Showing {len(shown)} of {len(elements)} elements: '
            "narrow the filters.</p>"
        )
    for doc_id, doc_group in groupby(shown, key=lambda e: e.doc_id):
        doc_els = list(doc_group)
        first = doc_els[0]
        meta = _CACHE.meta(store, doc_id)
        doc_text = _CACHE.document(store, doc_id).text
        facts = " · ".join(x for x in (meta.meeting if meta else None, doc_id) if x)
        out.append(
            f'<section class="el-doc"><h3>{esc(titled(first.title, first.year))}</h3>'
            f'<div class="doc-meta">{esc(facts)}</div>'
        )
        for meeting, meeting_group in groupby(doc_els, key=lambda e: e.meeting):
            out.append(f'<div class="el-meeting"><h4>{esc(meeting or "—")}</h4>')
            for (heading, kind), items in groupby(meeting_group, key=lambda e: (e.heading, e.kind)):
                out.append(
                    f'<div class="el-heading">{esc(heading)} '
                    f'<span class="kind">[{esc(KIND_LABELS.get(kind, kind))}]</span></div>'
                    '<ul class="el-list">'
                )
                out.extend(_element_item(el, doc_text) for el in items)
                out.append("</ul>")
            out.append("</div>")
        out.append("</section>")
    out.append("</div>")
    return "".join(out)


def _element_item(el: Element, doc_text: str) -> str:
    pages = locator_label(el.page_start, el.page_end, el.paragraph_start, el.paragraph_end)
    label = el.label if el.label and el.label != "•" else str(el.ordinal)
    year = f" ({el.year})" if el.year else ""
    section = section_html(" > ".join(el.section)) if el.section else ""
    return (
        f'<li class="element" data-id="{esc(el.element_id)}">'
        f'<span class="label">{esc(label)})</span> <span class="el-text">{esc(el.text)}</span>'
        f'<div class="el-cite">{esc(el.doc_id)}{esc(year)}{", " + esc(pages) if pages else ""}'
        f" {section}</div><details><summary>context</summary>"
        f"{excerpt_html(doc_text, (el.start, el.end), (el.start, el.end))}"
        f'<a class="open-ctx" href="#" data-doc="{esc(el.doc_id)}" data-start="{el.start}" '
        f'data-end="{el.end}">open in document</a></details></li>'
    )


def document_html(doc: Document, *, highlight: tuple[int, int] | None = None) -> str:
    """The cleaned text of a document by section: headings, paragraphs, list items and
    footnotes in order, with a page marker where a new page starts.

    Args:
        doc: the stored document.
        highlight: ``(start, end)`` in ``doc.text`` to mark; the first block it touches
            gets ``id="doc-target"`` (the page script scrolls to it).
    """
    m = doc.meta
    facts = " · ".join(
        esc(x)
        for x in (
            m.year,
            m.meeting,
            m.doc_type,
            m.language,
            f"{doc.page_count} pages" if doc.page_count else None,
            m.doc_id,
        )
        if x
    )
    out = [f'<div class="doc-view"><h2>{esc(m.title)}</h2><div class="doc-meta">{facts}</div>']
    page = None
    targeted = False
    blocks = doc.blocks or ()
    if not blocks:
        out.append(f'<p class="para">{esc(doc.text)}</p>')
    for b in blocks:
        if b.page_start is not None and b.page_start != page:
            page = b.page_start
            out.append(f'<div class="page-mark">p. {page}</div>')
        text = doc.text[b.start : b.end]
        hit = highlight is not None and b.start < highlight[1] and highlight[0] < b.end
        if hit:
            assert highlight is not None
            s, e = max(b.start, highlight[0]), min(b.end, highlight[1])
            body = (
                esc(doc.text[b.start : s])
                + "<mark>"
                + esc(doc.text[s:e])
                + "</mark>"
                + esc(doc.text[e : b.end])
            )
        else:
            body = esc(text)
        ident = ""
        if hit and not targeted:
            ident, targeted = ' id="doc-target"', True
        if b.kind == "heading":
            level = min(6, 2 + max(1, b.level))
            out.append(f"<h{level}{ident}>{body}</h{level}>")
        elif b.kind == "list_item":
            label = "" if _starts_with_label(text, b.label) else _label_html(b.label)
            out.append(f'<p class="li"{ident}>{label}{body}</p>')
        elif b.kind == "footnote":
            label = "" if _starts_with_label(text, b.label) else f"<sup>{esc(b.label)}</sup> "
            out.append(f'<p class="fn"{ident}>{label}{body}</p>')
        else:
            out.append(f'<p class="para"{ident}>{body}</p>')
    out.append("</div>")
    return "".join(out)


def _starts_with_label(text: str, label: str) -> bool:
    """Whether a block's own text already begins with its printed label ("1.", "iii)")."""
    return bool(label) and text.lstrip().startswith(label)


def _label_html(label: str) -> str:
    return f'<span class="label">{esc(label)})</span> ' if label else "• "


def documents_rows(store: Store) -> list[list[object]]:
    """The corpus table: one row per document (title, year, meeting, type, language,
    pages, passages, elements, id)."""
    return [
        [
            d.meta.title,
            d.meta.year,
            d.meta.meeting or "",
            d.meta.doc_type or "",
            d.meta.language or "",
            d.pages,
            d.passages,
            d.elements,
            d.meta.doc_id,
        ]
        for d in store.documents()
    ]


def doc_choices(store: Store) -> list[tuple[str, str]]:
    """(label, doc id) pairs for document pickers, labels ``"Title (year)"``."""
    out = []
    for d in store.documents():
        title = d.meta.title if len(d.meta.title) <= 80 else d.meta.title[:77] + "…"
        out.append((titled(title, d.meta.year), d.meta.doc_id))
    return out


def years_of(store: Store) -> list[int]:
    """The distinct document years, ascending."""
    return sorted({d.meta.year for d in store.documents() if d.meta.year is not None})


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order, without repeats."""
    return list(OrderedDict.fromkeys(values))
