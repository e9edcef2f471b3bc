"""The corpus store protocol: what ``assistant/``, ``ui/``, ``evals/`` and the CLI may ask
of a store, whichever backend holds it.

Two backends implement it: the embedded store (:mod:`corpus.store`: SQLite in WAL mode
+ FTS5 + FAISS, one directory, the default) and the PostgreSQL store
(:mod:`corpus.pgstore`: pgvector HNSW + PostgreSQL full-text search), picked by
:func:`corpus.open_store.open_store` from ``settings.store.url``. Nothing outside
``corpus/`` knows which one it talks to.

Rules every backend keeps (the contract tests in ``tests/test_store_contract.py`` run
once per backend):

- **Unit ids** are integers that name one passage or element forever: a removed unit's
  id is never reused, so a hit's id can never resolve to other text than the text that
  was ranked. :meth:`StoreReader.unit` raises :class:`gfmd.errors.StoreError` for an id
  that no longer exists (the caller skips it).
- **Filters are applied inside both searches** (SQL ``WHERE`` / FAISS id selector),
  never after: ``k`` results that pass the filter, when that many exist.
- **Readers pin one version**: :meth:`CorpusStore.reader` returns a view of one
  committed state; a write that commits meanwhile is invisible to it until the next
  ``reader()``. Readers never see half a document.
- **Writes are atomic and serialised across processes**: :meth:`CorpusStore.write`
  adds and removes documents in one transaction under a cross-process writer lock; a
  failed or killed write leaves the previous state intact and readable; two concurrent
  writers both land (the second waits, then applies its change on top of the first).
- **What built the index is recorded** (:class:`IndexMeta`): opening a store built with
  another embedding model, dimension, chunking or schema version raises ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from corpus.embeddings import length_sorted_batches
from gfmd.errors import StoreError
from ingest.models import Document, DocumentMeta, Element, IngestedDocument, Passage

UnitType = Literal["passage", "element"]


@dataclass(frozen=True)
class UnitFilter:
    """Which units a search may return; empty/None fields do not constrain.

    Attributes:
        doc_ids: only these documents.
        year_min, year_max: inclusive bounds on the document's year; a unit whose
            document has no year fails any bound.
        languages: ISO 639-1 codes of the unit's detected language.
        kinds: element kinds (``key_message``, ``guiding_question``, ``recommendation``);
            when set, only elements of these kinds pass.
        meeting: case- and accent-insensitive substring of the element's meeting or
            list heading (:func:`corpus.analysis.fold` on both sides).
        unit_types: ``("passage",)`` or ``("element",)``; empty = both.
    """

    doc_ids: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    meeting: str | None = None
    unit_types: tuple[UnitType, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing is constrained."""
        return not (
            self.doc_ids
            or self.year_min is not None
            or self.year_max is not None
            or self.languages
            or self.kinds
            or self.meeting
            or self.unit_types
        )


@dataclass(frozen=True)
class IndexMeta:
    """What built a store; opening it with other settings is refused.

    Attributes:
        schema_version: the backend's schema version (bumped when tables or the meaning
            of a stored field change).
        embedding_model: the embedder's ``name``.
        dim: embedding dimension.
        chunk_target_chars, chunk_max_chars, chunk_overlap_chars: chunking settings.
        created_at: UNIX time the store was created (seconds).
        units: number of live units when last written (count).
    """

    schema_version: int
    embedding_model: str
    dim: int
    chunk_target_chars: int
    chunk_max_chars: int
    chunk_overlap_chars: int
    created_at: float
    units: int


@dataclass(frozen=True)
class DocumentInfo:
    """A catalogue row: a document's metadata and counts."""

    meta: DocumentMeta
    source_path: str
    content_hash: str
    pages: int | None
    passages: int
    elements: int


@dataclass(frozen=True)
class SentenceVectors:
    """The stored sentences of one passage.

    Attributes:
        spans: (start, end) per sentence, absolute offsets in the document's cleaned text.
        vectors: (len(spans), dim) float32, L2-normalised document-side embeddings.
    """

    spans: tuple[tuple[int, int], ...]
    vectors: np.ndarray


class StoreReader(Protocol):
    """A read-only view of one committed version of the store (see module docstring)."""

    @property
    def meta(self) -> IndexMeta: ...

    @property
    def size(self) -> int:
        """Number of live units (passages + elements)."""
        ...

    # --- catalogue
    def documents(self) -> list[DocumentInfo]:
        """All documents, ordered by year then doc id."""
        ...

    def doc_ids(self) -> set[str]: ...

    def document(self, doc_id: str) -> Document:
        """The cleaned document with pages and blocks. Raises StoreError when unknown."""
        ...

    def document_meta(self, doc_id: str) -> DocumentMeta:
        """Catalogue facts of one document. Raises StoreError when unknown."""
        ...

    def document_text(self, doc_id: str, *, folded: bool = False) -> str:
        """Cleaned text (or its accent/case fold, same length). Raises StoreError."""
        ...

    def passages(self, doc_id: str | None = None) -> list[Passage]:
        """Passages in document order (all documents, or one)."""
        ...

    def passage(self, passage_id: str) -> Passage:
        """One passage. Raises StoreError when unknown."""
        ...

    def elements(
        self,
        *,
        kind: str | None = None,
        doc_id: str | None = None,
        year: int | None = None,
        meeting: str | None = None,
    ) -> list[Element]:
        """Elements in (year, doc id, document order), optionally filtered (``meeting``:
        folded substring of the element's meeting or heading)."""
        ...

    def element_passage(self, element_id: str) -> Passage:
        """The passage holding an element. Raises StoreError when unknown."""
        ...

    def languages(self) -> list[str]:
        """Languages of the live units, most frequent first (cached per version)."""
        ...

    # --- retrieval
    def unit(self, unit_id: int) -> tuple[Passage, Element | None]:
        """The passage (and element, for element units) a unit id names.

        Raises:
            StoreError: no live unit has this id.
        """
        ...

    def vector(self, unit_id: int) -> np.ndarray:
        """The stored embedding of a unit, (dim,) float32. Raises StoreError."""
        ...

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """Stored sentence spans and embeddings of these passages (missing ids absent)."""
        ...

    def dense_search(
        self, query_vec: np.ndarray, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        """Cosine search: ``query_vec`` (dim,) float32 L2-normalised -> up to ``k``
        (unit id, cosine) pairs passing ``where``, best first. Approximate (HNSW/IVF)
        above a backend-specific size; exact below."""
        ...

    def lexical_search(
        self, tokens: Sequence[str], language: str | None, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        """Full-text ranking (BM25 / ts_rank_cd) of units in ``language`` (None = all)
        matching any of ``tokens`` (analyzed by :func:`corpus.analysis.analyze` for that
        language) -> up to ``k`` (unit id, score) pairs passing ``where``, best first,
        higher is better. The limit is applied inside the query."""
        ...


class CorpusStore(StoreReader, Protocol):
    """A store: reads (on the latest committed version), pinned readers and writes."""

    def reader(self) -> AbstractContextManager[StoreReader]:
        """A view pinned to the latest committed version for the duration of a request.

        Use one per request (``with store.reader() as r:``) from the thread that opened
        it; do not keep it across a generator's ``yield`` (a streaming handler may resume
        on another thread). While a reader is open on a thread, the store's own read
        methods called on that thread read through it (same pinned version)."""
        ...

    def write(
        self,
        add: Sequence[IngestedDocument],
        *,
        remove: Sequence[str] = (),
        vectors: Callable[[Sequence[str]], np.ndarray],
        progress: Callable[[int, int], None] | None = None,
        replace_all: bool = False,
        precomputed: Sequence[tuple[np.ndarray, dict[str, SentenceVectors]]] | None = None,
    ) -> None:
        """Add documents (replacing any with the same doc id) and remove doc ids, in one
        atomic transaction under the cross-process writer lock.

        Final signature (both backends)::

            write(add, *, remove=(), vectors, progress=None, replace_all=False,
                  precomputed=None) -> None

        Embedding happens before the lock is taken. Under the lock the writer re-reads
        what is live: a document whose doc id is live with the same ``content_hash`` is
        left as it is (a concurrent writer stored it already); one with another hash is
        replaced (its unit ids are retired, never reused).

        Args:
            add: documents to add or replace.
            remove: doc ids to drop (unknown ids raise StoreError, nothing changes).
            vectors: embeds unit and sentence texts (document side) -> (n, dim) float32.
                Unit texts are :func:`embedding_text` of each passage then
                each element; sentence texts are ``document.text[s:e]`` for every span
                in ``Passage.sentences``. Called with ``["probe"]`` to learn the
                dimension when a store is created without any text.
            progress: ``progress(done, total)`` while embedding, in distinct texts (units
                and sentences; a text that occurs twice is embedded once).
            replace_all: ``--rebuild``: every document not in ``add`` is dropped and the
                meta is rewritten for the current settings; a store built with other
                settings (or, embedded, a corrupt one) is replaced instead of refused.
            precomputed: per document of ``add``, (unit vectors (passages then
                elements, (n, dim) float32), sentence vectors by passage id), as
                :meth:`iter_documents` yields them; ``vectors`` is then not called
                (``gfmd store copy``).

        Raises:
            StoreError: lock timeout, wrong embedding shape, unknown doc id to remove;
                the store is unchanged.
        """
        ...

    def iter_documents(
        self,
    ) -> Iterator[tuple[IngestedDocument, np.ndarray, dict[str, SentenceVectors]]]:
        """Every stored document with its unit vectors (passages then elements, in
        document order) and sentence vectors: what ``gfmd store copy`` moves between
        backends without re-embedding."""
        ...

    def close(self) -> None: ...


def embedding_text(passage: Passage | None = None, element: Element | None = None) -> str:
    """The text embedded (and lexically indexed) for a unit: its nearest heading, then its
    text, so that a question naming the section ("guiding questions of roundtable 1.2")
    finds the passages under it. The stored and cited text stays the unit's own text."""
    if element is not None:
        context = " — ".join(x for x in (element.meeting, element.heading) if x)
        return f"{context}\n{element.text}"
    assert passage is not None
    heading = passage.section[-1] if passage.section else ""
    return f"{heading}\n{passage.text}" if heading else passage.text


def unit_texts(doc: IngestedDocument) -> list[str]:
    """:func:`embedding_text` of every unit of a document: its passages, then its elements
    (the order of the unit vectors :meth:`CorpusStore.write` stores)."""
    return [embedding_text(passage=p) for p in doc.passages] + [
        embedding_text(element=e) for e in doc.elements
    ]


def embed_documents(
    docs: Sequence[IngestedDocument],
    vectors: Callable[[Sequence[str]], np.ndarray],
    batch: int,
    progress: Callable[[int, int], None] | None,
) -> list[tuple[np.ndarray, dict[str, SentenceVectors]]]:
    """Embed every unit (passages then elements) and sentence of each document: what
    :meth:`CorpusStore.write` stores, the same for every backend.

    A text that occurs more than once (a sentence in the overlap of two passages, an
    element that is one sentence; 69 of the bundled corpus' 1,536 texts) is embedded once.

    Args:
        docs: the documents of one write.
        vectors: texts -> (n, dim) float32, called with at most ``max(batch, 64)`` texts
            of similar length (shortest first).
        batch: texts per call (count); progress is reported after each call.
        progress: ``progress(done, total)`` in distinct texts.

    Returns:
        Per document: (unit vectors, passages then elements, (n, dim) float32; sentence
        vectors by passage id).

    Raises:
        StoreError: the embedder returned a wrong shape or mixed dimensions.
    """
    texts: list[str] = []
    for d in docs:
        texts += unit_texts(d)
        texts += [d.document.text[s:e] for p in d.passages for s, e in p.sentences]
    row_of: dict[str, int] = {}
    rows = np.fromiter((row_of.setdefault(t, len(row_of)) for t in texts), np.int64, len(texts))
    # Embedded shortest first (length_sorted_batches), so that each call holds texts of
    # similar length (less padding in a batched forward pass), rows back in first-seen order.
    unique = list(row_of)
    dims: set[int] = set()
    done = 0

    def checked(chunk: list[str]) -> np.ndarray:
        nonlocal done
        vecs = np.asarray(vectors(chunk), dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(chunk) or vecs.shape[1] == 0:
            raise StoreError(f"embedder returned shape {vecs.shape} for {len(chunk)} texts")
        dims.add(vecs.shape[1])
        if len(dims) > 1:
            raise StoreError("embedder returned vectors of different dimensions")
        done += len(chunk)
        if progress:
            progress(done, len(unique))
        return vecs

    if unique:
        matrix = length_sorted_batches(unique, max(batch, 64), checked)[rows]
    else:
        matrix = np.zeros((0, 1), np.float32)
    out = []
    at = 0
    for d in docs:
        n = len(d.passages) + len(d.elements)
        unit_vecs = matrix[at : at + n]
        at += n
        sents: dict[str, SentenceVectors] = {}
        for p in d.passages:
            if p.sentences:
                m = len(p.sentences)
                sents[p.passage_id] = SentenceVectors(p.sentences, matrix[at : at + m])
                at += m
        out.append((unit_vecs, sents))
    return out
