"""Hand-built documents for store and retrieval tests (independent of the ingest stage)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from corpus.protocol import CorpusStore
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


def random_store_step(
    rng: random.Random,
    writer: CorpusStore,
    pool: dict[str, list[IngestedDocument]],
    live: dict[str, int],
    embed: Callable[[Sequence[str]], np.ndarray],
) -> dict[str, int] | None:
    """One random step of a store's life, for the model-based store tests: write a
    document's variant (new or replacing content, half the time or when nothing is live),
    remove a live one (20 %), rebuild the store with a random subset (10 %), or nothing
    (20 %: the caller opens a store anew).

    Args:
        pool: doc id -> its content variants.
        live: doc id -> the variant index now stored (the model; not modified).
        embed: the vectors function passed to ``writer.write``.

    Returns:
        The new model, or None when the step wrote nothing.
    """
    op = rng.random()
    if op < 0.5 or not live:
        doc_id, variant = rng.choice(list(pool)), rng.randrange(2)
        writer.write([pool[doc_id][variant]], vectors=embed)
        return {**live, doc_id: variant}
    if op < 0.7:
        doc_id = rng.choice(sorted(live))
        writer.write([], remove=[doc_id], vectors=embed)
        return {d: v for d, v in live.items() if d != doc_id}
    if op < 0.8:
        keep = {d: rng.randrange(2) for d in pool if rng.random() < 0.6}
        writer.write([pool[d][v] for d, v in keep.items()], vectors=embed, replace_all=True)
        return keep
    return None
