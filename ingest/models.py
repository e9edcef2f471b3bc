"""Typed values the ingest stage hands to the store.

Every character span (``start``, ``end``) is a half-open offset into
:attr:`Document.text`, the cleaned text of the whole document; ``Document.text[start:end]``
is the exact stored text of a passage, block or element. Page numbers are 1-based
physical pages of the source file, or ``None`` when the file has no pages (a text
file without form feeds): they are never invented.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "footnote"]
ElementKind = Literal["key_message", "guiding_question", "recommendation"]
ELEMENT_KINDS: tuple[ElementKind, ...] = ("key_message", "guiding_question", "recommendation")


def content_id(*parts: object, length: int = 16) -> str:
    """Derive a stable id from content: sha256 of the parts joined by NUL, hex-truncated.

    Args:
        parts: values that identify the object (e.g. doc id, start, end, text).
        length: number of hex characters kept.

    Returns:
        A lowercase hex string of ``length`` characters.
    """
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:length]


@dataclass(frozen=True)
class RawPage:
    """The extracted text of one physical page (``number`` is 1-based), or of a whole
    page-less text file (``number`` is ``None``)."""

    number: int | None
    text: str


@dataclass(frozen=True)
class RawDocument:
    """What a loader read from a file, before cleaning.

    Attributes:
        path: the source file.
        pages: the file's pages in order; a single page with ``number=None`` for text
            files that have no form feeds.
        fmt: ``"pdf"``, ``"txt"`` or ``"md"``.
        content_hash: sha256 hex of the file's bytes.
    """

    path: str
    pages: tuple[RawPage, ...]
    fmt: Literal["pdf", "txt", "md"]
    content_hash: str


@dataclass(frozen=True)
class PageSpan:
    """Where one page's text lies in the cleaned document text."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """A structural unit of the cleaned text: a heading, a paragraph, a list item or a footnote.

    Attributes:
        kind: what the block is.
        start, end: span in the cleaned document text.
        section: the heading path the block sits under (outermost first); a heading's own
            path ends with itself.
        level: heading depth (1 = top); 0 for non-headings.
        label: the list label as printed ("iii", "b", "2", "•") for list items, the
            footnote number for footnotes, the section number ("2.1", "II", "A") for
            numbered headings; ``""`` otherwise.
        page_start, page_end: physical pages the block spans, or ``None``.
    """

    kind: BlockKind
    start: int
    end: int
    section: tuple[str, ...]
    level: int = 0
    label: str = ""
    page_start: int | None = None
    page_end: int | None = None


@dataclass(frozen=True)
class DocumentMeta:
    """Catalogue facts about a document (from the manifest, or inferred)."""

    doc_id: str
    title: str
    year: int | None = None
    meeting: str | None = None
    doc_type: str | None = None
    language: str | None = None
    original_file: str | None = None


@dataclass(frozen=True)
class Document:
    """A cleaned document with its structure.

    Attributes:
        meta: catalogue facts.
        source_path: the file it was read from.
        content_hash: sha256 hex of the source file's bytes (the incremental-ingest key).
        text: the cleaned text: body first, then the footnotes, each on its own paragraph.
        pages: page spans in ``text``; empty when the source has no pages.
        blocks: the structural units of ``text`` in order.
    """

    meta: DocumentMeta
    source_path: str
    content_hash: str
    text: str
    pages: tuple[PageSpan, ...]
    blocks: tuple[Block, ...]

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def page_count(self) -> int | None:
        return len(self.pages) or None


@dataclass(frozen=True)
class Passage:
    """A retrievable chunk of a document (body text or a footnote).

    ``text == document.text[start:end]``. ``passage_id`` is derived from doc id, span and
    text. ``label`` is a human-readable citation such as
    ``"GFMD 2011 … (2011), p. 4, Messages essentiels de l'atelier de Chisinau…"``.
    ``paragraph_start``/``paragraph_end``: the document's own paragraph numbers
    ("12. La première réunion…") the passage covers, or None when the source numbers
    none. ``sentences``: sentence spans (absolute offsets in the cleaned document text)
    inside the passage; the store keeps one embedding per sentence.
    """

    passage_id: str
    doc_id: str
    text: str
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    section: tuple[str, ...]
    language: str | None
    kind: Literal["body", "footnote"] = "body"
    label: str = ""
    paragraph_start: int | None = None
    paragraph_end: int | None = None
    sentences: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Element:
    """A key message, guiding question or recommendation: one item of such a list.

    Attributes:
        element_id: derived from doc id, kind and span.
        kind: ``key_message``, ``guiding_question`` or ``recommendation``.
        text: the item's full cleaned text, without its list label
            (``text == document.text[start:end]``).
        label: the original list label ("iii", "b", "2", or "" for bullets).
        ordinal: 1-based position in its list.
        heading: the list heading as printed ("Messages essentiels de l'atelier de Chisinau…").
        meeting: the workshop, thematic meeting or roundtable the list belongs to, or None.
        doc_id, title, year: the document.
        page_start, page_end: physical pages, or None.
        start, end: span in the cleaned document text.
        language: ISO 639-1 code, or None if undetected.
        section: the heading path of the item.
        paragraph_start, paragraph_end: the document's paragraph numbers, or None.
    """

    element_id: str
    kind: ElementKind
    text: str
    label: str
    ordinal: int
    heading: str
    meeting: str | None
    doc_id: str
    title: str
    year: int | None
    page_start: int | None
    page_end: int | None
    start: int
    end: int
    language: str | None
    section: tuple[str, ...] = field(default_factory=tuple)
    paragraph_start: int | None = None
    paragraph_end: int | None = None


@dataclass(frozen=True)
class IngestedDocument:
    """Everything ingest produces for one file."""

    document: Document
    passages: tuple[Passage, ...]
    elements: tuple[Element, ...]
