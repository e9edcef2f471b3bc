"""Hand-built documents for store and retrieval tests (independent of the ingest stage)."""

from __future__ import annotations

from ingest.models import (
    Block,
    Document,
    DocumentMeta,
    Element,
    IngestedDocument,
    Passage,
    content_id,
)


def make_doc(
    doc_id: str,
    paragraphs: list[str],
    *,
    year: int | None = 2011,
    language: str = "fr",
    title: str | None = None,
    elements: list[tuple[str, int]] = (),
    heading: str = "Section",
    meeting: str | None = "Réunion thématique — Chisinau",
    content_hash: str | None = None,
) -> IngestedDocument:
    """One passage per paragraph; ``elements`` are (kind, paragraph index) pairs."""
    text, spans = "", []
    for para in paragraphs:
        start = len(text)
        text += para
        spans.append((start, len(text)))
        text += "\n\n"
    meta = DocumentMeta(doc_id, title or f"Report {doc_id}", year, None, "report", language, None)
    blocks = tuple(Block("paragraph", s, e, (heading,)) for s, e in spans)
    doc = Document(
        meta, f"/tmp/{doc_id}.txt", content_hash or content_id(doc_id, text), text, (), blocks
    )
    passages = tuple(
        Passage(
            content_id(doc_id, s, e),
            doc_id,
            text[s:e],
            s,
            e,
            None,
            None,
            (heading,),
            language,
            "body",
            f"{meta.title}, {heading}",
        )
        for s, e in spans
    )
    els = tuple(
        Element(
            content_id(doc_id, kind, *spans[i]),
            kind,
            text[slice(*spans[i])],
            str(n),
            n,
            f"Heading of {kind}",
            meeting,
            doc_id,
            meta.title,
            year,
            None,
            None,
            *spans[i],
            language,
            (heading,),
        )
        for n, (kind, i) in enumerate(elements, start=1)
    )
    return IngestedDocument(doc, passages, els)
