"""Hand-built documents for the element tests (no ingest pipeline needed).

:func:`make_doc` turns a compact spec into a :class:`ingest.models.Document` whose blocks,
section paths, spans and pages are consistent, the way the structure stage produces them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from ingest.models import Block, Document, DocumentMeta, PageSpan

Spec = Sequence[tuple]
"""Entries, in text order:

- ``("h", level, text)``: a heading (its label is its leading section number, if any);
- ``("p", text)``: a paragraph;
- ``("li", label, text)``: a list item; ``text`` as printed, label included ("i) La…");
- ``("fn", number, text)``: a footnote left in the body;
- ``("page",)``: a page break between blocks.

A ``"\\f"`` inside a text is a page break inside that block (written as a newline).
"""


def make_doc(
    spec: Spec,
    *,
    doc_id: str = "doc-1",
    title: str = "Rapport de test",
    year: int | None = 2011,
    language: str | None = "fr",
    original_file: str | None = "000_test.txt",
    paged: bool = True,
) -> Document:
    """Build a structured document from a spec (see :data:`Spec`).

    Returns:
        A Document whose blocks' spans index its text; pages are numbered from 1 when
        ``paged`` (else the document has no pages and blocks have ``None`` pages).
    """
    parts: list[str] = []
    pos = 0
    page_breaks: list[int] = []
    raw_blocks: list[tuple[str, int, int, tuple[str, ...], int, str]] = []
    stack: list[tuple[int, str]] = []
    for entry in spec:
        tag = entry[0]
        if tag == "page":
            page_breaks.append(pos)
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        if tag == "h":
            level, text = entry[1], entry[2]
            m = re.match(r"\s*(\d+(?:\.\d+)*|[IVX]+)[.)]?\s", text)
            label = m.group(1) if m else ""
        elif tag == "li":
            label, text = entry[1], entry[2]
            level = 0
        elif tag == "fn":
            label, text = str(entry[1]), f"{entry[1]} {entry[2]}"
            level = 0
        else:
            label, text, level = "", entry[1], 0
        for k, ch in enumerate(text):
            if ch == "\f":
                page_breaks.append(pos + k)
        text = text.replace("\f", "\n")
        start, end = pos, pos + len(text)
        parts.append(text)
        pos = end
        if tag == "h":
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, " ".join(text.split())))
            section = tuple(t for _, t in stack)
            kind = "heading"
        else:
            section = tuple(t for _, t in stack)
            kind = {"li": "list_item", "fn": "footnote", "p": "paragraph"}[tag]
        raw_blocks.append((kind, start, end, section, level, label))
    text = "".join(parts)

    pages: list[PageSpan] = []
    if paged:
        bounds = [0, *sorted(set(page_breaks)), len(text)]
        for n, (a, b) in enumerate(itertools.pairwise(bounds), start=1):
            pages.append(PageSpan(number=n, start=a, end=b))

    def page_at(offset: int) -> int | None:
        for p in pages:
            if p.start <= offset < p.end or (offset == p.end == len(text)):
                return p.number
        return None

    blocks = tuple(
        Block(
            kind=kind,  # type: ignore[arg-type]
            start=s,
            end=e,
            section=sec,
            level=lvl,
            label=lab,
            page_start=page_at(s) if paged else None,
            page_end=page_at(max(s, e - 1)) if paged else None,
        )
        for kind, s, e, sec, lvl, lab in raw_blocks
    )
    meta = DocumentMeta(
        doc_id=doc_id,
        title=title,
        year=year,
        language=language,
        original_file=original_file,
    )
    return Document(
        meta=meta,
        source_path=f"/tmp/{doc_id}.txt",
        content_hash="0" * 64,
        text=text,
        pages=tuple(pages),
        blocks=blocks,
    )
