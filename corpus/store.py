"""The on-disk store: documents, passages and elements in SQLite, a FAISS index of their
embeddings and an SQLite FTS5 (BM25) lexical index, in one versioned index directory.

Layout of ``index_dir``::

    CURRENT                 # name of the live version directory (replaced atomically)
    v-<stamp>/meta.json     # schema version, embedding model, dim, chunking parameters
    v-<stamp>/store.sqlite  # documents, passages, elements, units, FTS5 lexical index
    v-<stamp>/dense.faiss   # IndexFlatIP over the units' L2-normalised embeddings

A write builds a complete new version directory next to the live one and then points
``CURRENT`` at it with :func:`os.replace` (atomic on POSIX): readers see either the old
or the new index, never a mix, and a failed ingest leaves the old one intact. Nothing is
unpickled: SQLite, JSON and FAISS's own format only.

Units are what retrieval ranks: every passage and every element is one unit; a unit's
row number is its FAISS id.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from corpus.analysis import analyze, fold
from corpus.embeddings import Embedder
from gfmd.errors import StoreError
from gfmd.settings import Settings
from ingest.models import (
    Block,
    Document,
    DocumentMeta,
    Element,
    IngestedDocument,
    PageSpan,
    Passage,
)

SCHEMA_VERSION = 1
"""Bumped whenever the tables or the meaning of a stored field change."""

_SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, year INTEGER, meeting TEXT, doc_type TEXT,
    language TEXT, original_file TEXT, source_path TEXT NOT NULL, content_hash TEXT NOT NULL,
    text TEXT NOT NULL, pages_json TEXT NOT NULL, blocks_json TEXT NOT NULL, added_at REAL
);
CREATE TABLE passages (
    passage_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER,
    "end" INTEGER, page_start INTEGER, page_end INTEGER, section_json TEXT, language TEXT,
    kind TEXT, label TEXT, text TEXT NOT NULL, paragraph_start INTEGER, paragraph_end INTEGER
);
CREATE TABLE elements (
    element_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT,
    label TEXT, ordinal INTEGER, heading TEXT, meeting TEXT, title TEXT, year INTEGER,
    page_start INTEGER, page_end INTEGER, start INTEGER, "end" INTEGER, language TEXT,
    section_json TEXT, text TEXT NOT NULL, passage_id TEXT, paragraph_start INTEGER,
    paragraph_end INTEGER
);
CREATE TABLE units (
    row INTEGER PRIMARY KEY, unit_id TEXT NOT NULL, unit_type TEXT NOT NULL,
    doc_id TEXT NOT NULL, language TEXT, year INTEGER, kind TEXT, meeting_folded TEXT
);
CREATE VIRTUAL TABLE lexical USING fts5(row UNINDEXED, language UNINDEXED, tokens);
CREATE INDEX passages_doc ON passages(doc_id, seq);
CREATE INDEX elements_doc ON elements(doc_id, seq);
"""


@dataclass(frozen=True)
class IndexMeta:
    """What built an index; loading with other settings is refused."""

    schema_version: int
    embedding_model: str
    dim: int
    chunk_target_chars: int
    chunk_max_chars: int
    chunk_overlap_chars: int
    created_at: float
    units: int

    @staticmethod
    def expected(settings: Settings, embedding_model: str, dim: int, units: int) -> IndexMeta:
        c = settings.chunking
        return IndexMeta(
            SCHEMA_VERSION,
            embedding_model,
            dim,
            c.target_chars,
            c.max_chars,
            c.overlap_chars,
            time.time(),
            units,
        )

    def mismatch(self, settings: Settings, embedding_model: str | None) -> str | None:
        """Describe how this index differs from what ``settings`` would build, or None."""
        c = settings.chunking
        diffs = []
        if self.schema_version != SCHEMA_VERSION:
            diffs.append(f"schema version {self.schema_version} (this program: {SCHEMA_VERSION})")
        if embedding_model is not None and self.embedding_model != embedding_model:
            diffs.append(
                f"embedding model {self.embedding_model!r} (settings: {embedding_model!r})"
            )
        ours = (c.target_chars, c.max_chars, c.overlap_chars)
        theirs = (self.chunk_target_chars, self.chunk_max_chars, self.chunk_overlap_chars)
        if ours != theirs:
            diffs.append(f"chunking target/max/overlap {theirs} (settings: {ours})")
        return "; ".join(diffs) or None


@dataclass(frozen=True)
class DocumentInfo:
    """A catalogue row: a document's metadata and counts."""

    meta: DocumentMeta
    source_path: str
    content_hash: str
    pages: int | None
    passages: int
    elements: int


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


def _live_dir(index_dir: Path) -> Path:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        raise StoreError(f"no index in {index_dir}: run 'gfmd ingest' first")
    live = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not live.is_dir():
        raise StoreError(
            f"{index_dir}: CURRENT points at missing {live.name}; rebuild with 'gfmd ingest --rebuild'"
        )
    return live


def _read_meta(live: Path) -> IndexMeta:
    try:
        raw = json.loads((live / "meta.json").read_text(encoding="utf-8"))
        return IndexMeta(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise StoreError(
            f"{live}: unreadable meta.json ({exc}); rebuild with 'gfmd ingest --rebuild'"
        ) from None


class Store:
    """A loaded, read-only index version. Thread-safe for reads (one SQLite connection
    per thread is opened lazily)."""

    def __init__(self, live_dir: Path, meta: IndexMeta, index: faiss.Index) -> None:
        self.live_dir = live_dir
        self.meta = meta
        self._index = index
        self._db_path = live_dir / "store.sqlite"
        self._conns: dict[int, sqlite3.Connection] = {}
        self._meta_cache: dict[str, DocumentMeta] = {}
        self._text_cache: dict[tuple[str, bool], str] = {}
        rows = (
            self._db()
            .execute(
                "SELECT row, unit_type, doc_id, language, year, kind, meeting_folded FROM units ORDER BY row"
            )
            .fetchall()
        )
        self._unit_type = np.array([r[1] for r in rows], dtype=object)
        self._unit_doc = np.array([r[2] for r in rows], dtype=object)
        self._unit_lang = np.array([r[3] or "" for r in rows], dtype=object)
        self._unit_year = np.array([r[4] if r[4] is not None else -1 for r in rows], dtype=np.int64)
        self._unit_kind = np.array([r[5] or "" for r in rows], dtype=object)
        self._unit_meeting = np.array([r[6] or "" for r in rows], dtype=object)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(
        cls, index_dir: Path, settings: Settings, *, embedding_model: str | None = None
    ) -> Store:
        """Open the live index version in ``index_dir``.

        Args:
            index_dir: the index directory.
            settings: the settings the index must have been built with (chunking).
            embedding_model: the embedder's name the caller will query with; None skips
                that check (browsing only).

        Raises:
            StoreError: no index, an unreadable one, or one built with other settings.
        """
        live = _live_dir(index_dir)
        meta = _read_meta(live)
        diff = meta.mismatch(settings, embedding_model)
        if diff:
            raise StoreError(
                f"index {live} was built with other settings: {diff}. "
                "Rebuild it with 'gfmd ingest --rebuild' or change the settings back."
            )
        try:
            index = faiss.read_index(str(live / "dense.faiss"))
        except RuntimeError as exc:
            raise StoreError(f"{live}/dense.faiss: unreadable FAISS index ({exc})") from None
        return cls(live, meta, index)

    def _db(self) -> sqlite3.Connection:
        import threading

        key = threading.get_ident()
        conn = self._conns.get(key)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self._db_path}?mode=ro", uri=True, check_same_thread=False
            )
            self._conns[key] = conn
        return conn

    @property
    def size(self) -> int:
        """Number of units (passages + elements)."""
        return int(self._index.ntotal)

    # --------------------------------------------------------------- browsing
    def documents(self) -> list[DocumentInfo]:
        """All documents, ordered by year then id."""
        rows = (
            self._db()
            .execute(
                "SELECT d.doc_id, title, year, meeting, doc_type, d.language, original_file, source_path,"
                " content_hash, pages_json,"
                " (SELECT count(*) FROM passages p WHERE p.doc_id = d.doc_id),"
                " (SELECT count(*) FROM elements e WHERE e.doc_id = d.doc_id)"
                " FROM documents d ORDER BY year, d.doc_id"
            )
            .fetchall()
        )
        return [
            DocumentInfo(
                DocumentMeta(*r[:7]), r[7], r[8], len(json.loads(r[9])) or None, r[10], r[11]
            )
            for r in rows
        ]

    def document_meta(self, doc_id: str) -> DocumentMeta:
        """A document's catalogue facts (cached). Raises StoreError when unknown."""
        if not self._meta_cache:
            self._meta_cache.update({d.meta.doc_id: d.meta for d in self.documents()})
        try:
            return self._meta_cache[doc_id]
        except KeyError:
            raise StoreError(f"unknown document {doc_id!r}") from None

    def document_text(self, doc_id: str, *, folded: bool = False) -> str:
        """A document's cleaned text, or its :func:`corpus.analysis.fold` (both cached).

        Raises:
            StoreError: unknown document.
        """
        key = (doc_id, folded)
        if key not in self._text_cache:
            text = self.document(doc_id).text
            self._text_cache[key] = fold(text) if folded else text
        return self._text_cache[key]

    def vector(self, row: int) -> np.ndarray:
        """The stored embedding of a unit row, (dim,) float32."""
        return np.asarray(self._index.reconstruct(int(row)), dtype=np.float32)

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self._db().execute("SELECT doc_id FROM documents")}

    def document(self, doc_id: str) -> Document:
        """The cleaned document with its pages and blocks.

        Raises:
            StoreError: unknown doc id.
        """
        r = (
            self._db()
            .execute(
                "SELECT doc_id, title, year, meeting, doc_type, language, original_file, source_path,"
                " content_hash, text, pages_json, blocks_json FROM documents WHERE doc_id = ?",
                (doc_id,),
            )
            .fetchone()
        )
        if r is None:
            raise StoreError(f"unknown document {doc_id!r}")
        pages = tuple(PageSpan(**p) for p in json.loads(r[10]))
        blocks = tuple(Block(**{**b, "section": tuple(b["section"])}) for b in json.loads(r[11]))
        return Document(DocumentMeta(*r[:7]), r[7], r[8], r[9], pages, blocks)

    def passages(self, doc_id: str | None = None) -> list[Passage]:
        """Passages in document order (all documents, or one)."""
        sql = f"SELECT {_PASSAGE_COLS} FROM passages"
        args: tuple = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        return [_passage(r) for r in self._db().execute(sql + " ORDER BY doc_id, seq", args)]

    def passage(self, passage_id: str) -> Passage:
        """One passage by id. Raises StoreError when unknown."""
        r = (
            self._db()
            .execute(f"SELECT {_PASSAGE_COLS} FROM passages WHERE passage_id = ?", (passage_id,))
            .fetchone()
        )
        if r is None:
            raise StoreError(f"unknown passage {passage_id!r}")
        return _passage(r)

    def elements(
        self,
        *,
        kind: str | None = None,
        doc_id: str | None = None,
        year: int | None = None,
        meeting: str | None = None,
    ) -> list[Element]:
        """Elements in document order, optionally filtered.

        Args:
            kind: ``key_message``, ``guiding_question`` or ``recommendation``.
            doc_id: one document.
            year: the document's year.
            meeting: case- and accent-insensitive substring of the element's meeting or heading.
        """
        where: list[str] = []
        args: list[object] = []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if doc_id:
            where.append("doc_id = ?")
            args.append(doc_id)
        if year is not None:
            where.append("year = ?")
            args.append(year)
        sql = f"SELECT {_ELEMENT_COLS} FROM elements"
        if where:
            sql += " WHERE " + " AND ".join(where)
        found = [_element(r) for r in self._db().execute(sql + " ORDER BY year, doc_id, seq", args)]
        if meeting:
            needle = fold(meeting)
            found = [e for e in found if needle in fold(f"{e.meeting or ''} {e.heading}")]
        return found

    def element_passage(self, element_id: str) -> Passage:
        """The passage that holds an element (its context)."""
        r = (
            self._db()
            .execute("SELECT passage_id FROM elements WHERE element_id = ?", (element_id,))
            .fetchone()
        )
        if r is None or r[0] is None:
            raise StoreError(f"unknown element {element_id!r}")
        return self.passage(r[0])

    def languages(self) -> list[str]:
        """Languages of the stored units, most frequent first."""
        rows = self._db().execute(
            "SELECT language, count(*) c FROM units WHERE language IS NOT NULL GROUP BY language ORDER BY c DESC"
        )
        return [r[0] for r in rows]

    def unit(self, row: int) -> tuple[Passage, Element | None]:
        """The passage (and element, for element units) stored at a unit row."""
        unit_id, unit_type = (
            self._db()
            .execute("SELECT unit_id, unit_type FROM units WHERE row = ?", (row,))
            .fetchone()
        )
        if unit_type == "element":
            r = (
                self._db()
                .execute(
                    f"SELECT {_ELEMENT_COLS}, passage_id FROM elements WHERE element_id = ?",
                    (unit_id,),
                )
                .fetchone()
            )
            return self.passage(r[-1]), _element(r[:-1])
        return self.passage(unit_id), None

    # -------------------------------------------------------------- retrieval
    def allowed_rows(
        self,
        *,
        doc_ids: Sequence[str] = (),
        year_min: int | None = None,
        year_max: int | None = None,
        languages: Sequence[str] = (),
        kinds: Sequence[str] = (),
        meeting: str | None = None,
        unit_types: Sequence[str] = (),
    ) -> np.ndarray | None:
        """Unit rows passing the filters (int64 array), or None when nothing is filtered."""
        mask = np.ones(self.size, dtype=bool)
        filtered = False
        if doc_ids:
            mask &= np.isin(self._unit_doc, list(doc_ids))
            filtered = True
        if year_min is not None:
            mask &= self._unit_year >= year_min
            filtered = True
        if year_max is not None:
            mask &= (self._unit_year <= year_max) & (self._unit_year >= 0)
            filtered = True
        if languages:
            mask &= np.isin(self._unit_lang, list(languages))
            filtered = True
        if kinds:
            mask &= np.isin(self._unit_kind, list(kinds))
            filtered = True
        if meeting:
            needle = fold(meeting)
            mask &= np.array([needle in m for m in self._unit_meeting], dtype=bool)
            filtered = True
        if unit_types:
            mask &= np.isin(self._unit_type, list(unit_types))
            filtered = True
        return np.flatnonzero(mask).astype(np.int64) if filtered else None

    def dense_search(
        self, query_vec: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Inner-product (cosine) search.

        Args:
            query_vec: (dim,) float32, L2-normalised.
            k: hits wanted.
            rows: restrict to these unit rows (from :meth:`allowed_rows`); None = all.

        Returns:
            (row, cosine) pairs, best first.
        """
        if self.size == 0 or (rows is not None and len(rows) == 0):
            return []
        params = None
        limit = self.size
        if rows is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))  # type: ignore[call-arg]
            limit = len(rows)
        q = np.ascontiguousarray(query_vec.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(k, limit), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def lexical_search(
        self, tokens: Sequence[str], language: str | None, k: int, rows: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """BM25 (SQLite FTS5, k1=1.2, b=0.75) over the units of one language.

        Args:
            tokens: analyzed query tokens (see :func:`corpus.analysis.analyze`), analyzed
                for ``language``.
            language: only units in this language are ranked (their tokens were analyzed
                in it); None ranks every unit.
            k: hits wanted.
            rows: restrict to these unit rows; None = all.

        Returns:
            (row, bm25 score) pairs, best first (score higher is better).
        """
        terms = sorted({t for t in tokens if t})
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        sql = "SELECT row, -bm25(lexical) AS s FROM lexical WHERE lexical MATCH ?"
        args: list = [match]
        if language is not None:
            sql += " AND language = ?"
            args.append(language)
        sql += " ORDER BY s DESC"
        allowed = set(rows.tolist()) if rows is not None else None
        out: list[tuple[int, float]] = []
        for row, score in self._db().execute(sql, args):
            if allowed is None or row in allowed:
                out.append((int(row), float(score)))
                if len(out) >= k:
                    break
        return out

    def vectors(self) -> np.ndarray:
        """All unit embeddings, (size, dim) float32 (for incremental rebuilds)."""
        if self.size == 0:
            return np.zeros((0, self.meta.dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, self.size), dtype=np.float32)

    def ingested(self, doc_id: str) -> tuple[IngestedDocument, np.ndarray]:
        """A stored document with its passages, elements and their unit vectors."""
        doc = self.document(doc_id)
        passages = tuple(self.passages(doc_id))
        elements = tuple(self.elements(doc_id=doc_id))
        rows = [
            r[0]
            for r in self._db().execute(
                "SELECT row FROM units WHERE doc_id = ? ORDER BY row", (doc_id,)
            )
        ]
        vecs = (
            np.stack([self._index.reconstruct(int(r)) for r in rows])
            if rows
            else np.zeros((0, self.meta.dim), np.float32)
        )
        return IngestedDocument(doc, passages, elements), vecs

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


_PASSAGE_COLS = (
    'passage_id, doc_id, text, start, "end", page_start, page_end, section_json, language, kind,'
    " label, paragraph_start, paragraph_end"
)
_ELEMENT_COLS = (
    "element_id, kind, text, label, ordinal, heading, meeting, doc_id, title, year, page_start,"
    ' page_end, start, "end", language, section_json, paragraph_start, paragraph_end'
)


def _passage(r: tuple) -> Passage:
    return Passage(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        tuple(json.loads(r[7])),
        r[8],
        r[9],
        r[10],
        paragraph_start=r[11],
        paragraph_end=r[12],
    )


_ELEMENT_FIELDS = [
    f.name
    for f in dataclasses.fields(Element)
    if f.name not in ("section", "paragraph_start", "paragraph_end")
]


def _element(r: tuple) -> Element:
    return Element(
        **dict(zip(_ELEMENT_FIELDS, r[:15], strict=True)),
        section=tuple(json.loads(r[15])),
        paragraph_start=r[16],
        paragraph_end=r[17],
    )


def _containing_passage(element: Element, passages: Sequence[Passage]) -> str | None:
    best, best_overlap = None, 0
    for p in passages:
        overlap = min(p.end, element.end) - max(p.start, element.start)
        if overlap > best_overlap:
            best, best_overlap = p.passage_id, overlap
    return best


def write_index(
    index_dir: Path,
    new_docs: Sequence[IngestedDocument],
    embedder: Embedder,
    settings: Settings,
    *,
    keep_from: Store | None = None,
    remove: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a new index version and make it live atomically.

    Args:
        index_dir: the index directory (created if missing).
        new_docs: documents to add; one with the doc id of a kept document replaces it.
        embedder: embeds the new documents' units (kept documents reuse their vectors).
        settings: recorded in meta.json (chunking).
        keep_from: the current live store, whose documents are carried over (minus
            ``remove`` and replaced ones); None starts empty.
        remove: doc ids to drop.
        progress: called as ``progress(done_units, total_units)`` while embedding.

    Returns:
        The new live version directory.

    Raises:
        StoreError: the embedder's output has the wrong shape; nothing live changes.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    replaced = {d.document.doc_id for d in new_docs} | set(remove)
    kept: list[tuple[IngestedDocument, np.ndarray]] = []
    if keep_from is not None:
        for info in keep_from.documents():
            if info.meta.doc_id not in replaced:
                kept.append(keep_from.ingested(info.meta.doc_id))

    texts = [embedding_text(passage=p) for d in new_docs for p in d.passages]
    texts += [embedding_text(element=e) for d in new_docs for e in d.elements]
    new_vecs = _embed_all(embedder, texts, settings.embedding.batch_size, progress)
    dim = (
        new_vecs.shape[1] if len(texts) else (kept[0][1].shape[1] if kept else _probe_dim(embedder))
    )

    version = index_dir / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{version.name}"
    tmp.mkdir()
    try:
        conn = sqlite3.connect(tmp / "store.sqlite")
        conn.executescript(_SCHEMA)
        all_vecs: list[np.ndarray] = []
        row = 0
        offset = 0
        n_pass = sum(len(d.passages) for d in new_docs)
        for doc in new_docs:
            p_vecs = new_vecs[offset : offset + len(doc.passages)]
            offset += len(doc.passages)
            all_vecs.append(p_vecs)
            row = _insert_doc(conn, doc, row, passages_only=True)
        e_offset = n_pass
        for doc in new_docs:
            all_vecs.append(new_vecs[e_offset : e_offset + len(doc.elements)])
            e_offset += len(doc.elements)
            row = _insert_doc(conn, doc, row, elements_only=True)
        for doc, vecs in kept:
            all_vecs.append(vecs)
            row = _insert_doc(conn, doc, row)
        conn.commit()
        conn.close()
        matrix = np.concatenate(all_vecs, axis=0) if all_vecs else np.zeros((0, dim), np.float32)
        if matrix.shape != (row, dim):
            raise StoreError(
                f"embedding shape {matrix.shape} does not match {row} units of dim {dim}"
            )
        index = faiss.IndexFlatIP(dim)
        if row:
            index.add(np.ascontiguousarray(matrix, dtype=np.float32))
        faiss.write_index(index, str(tmp / "dense.faiss"))
        meta = IndexMeta.expected(settings, embedder.name, dim, row)
        (tmp / "meta.json").write_text(json.dumps(asdict(meta), indent=2), encoding="utf-8")
        tmp.rename(version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer_tmp = index_dir / f".CURRENT-{uuid.uuid4().hex[:6]}"
    pointer_tmp.write_text(version.name, encoding="utf-8")
    os.replace(pointer_tmp, index_dir / "CURRENT")
    _prune_versions(index_dir, keep={version.name, keep_from.live_dir.name if keep_from else ""})
    return version


def _probe_dim(embedder: Embedder) -> int:
    return int(embedder.embed(["probe"]).shape[1])


def _embed_all(
    embedder: Embedder, texts: list[str], batch: int, progress: Callable[[int, int], None] | None
) -> np.ndarray:
    parts = []
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        vecs = np.asarray(embedder.embed(chunk), dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] != len(chunk):
            raise StoreError(
                f"embedder {embedder.name} returned shape {vecs.shape} for {len(chunk)} texts"
            )
        parts.append(vecs)
        if progress:
            progress(min(i + batch, len(texts)), len(texts))
    return np.concatenate(parts, axis=0) if parts else np.zeros((0, 0), np.float32)


def _insert_doc(
    conn: sqlite3.Connection,
    ingested: IngestedDocument,
    row: int,
    *,
    passages_only: bool = False,
    elements_only: bool = False,
) -> int:
    doc = ingested.document
    m = doc.meta
    if not elements_only:
        conn.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                m.doc_id,
                m.title,
                m.year,
                m.meeting,
                m.doc_type,
                m.language,
                m.original_file,
                doc.source_path,
                doc.content_hash,
                doc.text,
                json.dumps([asdict(p) for p in doc.pages]),
                json.dumps([asdict(b) for b in doc.blocks], ensure_ascii=False),
                time.time(),
            ),
        )
        for seq, p in enumerate(ingested.passages):
            conn.execute(
                "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    p.passage_id,
                    p.doc_id,
                    seq,
                    p.start,
                    p.end,
                    p.page_start,
                    p.page_end,
                    json.dumps(list(p.section), ensure_ascii=False),
                    p.language,
                    p.kind,
                    p.label,
                    p.text,
                    p.paragraph_start,
                    p.paragraph_end,
                ),
            )
            _insert_unit(
                conn,
                row,
                p.passage_id,
                "passage",
                m,
                p.language,
                None,
                None,
                embedding_text(passage=p),
            )
            row += 1
    if not passages_only:
        for seq, e in enumerate(ingested.elements):
            conn.execute(
                "INSERT INTO elements VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    e.element_id,
                    e.doc_id,
                    seq,
                    e.kind,
                    e.label,
                    e.ordinal,
                    e.heading,
                    e.meeting,
                    e.title,
                    e.year,
                    e.page_start,
                    e.page_end,
                    e.start,
                    e.end,
                    e.language,
                    json.dumps(list(e.section), ensure_ascii=False),
                    e.text,
                    _containing_passage(e, ingested.passages),
                    e.paragraph_start,
                    e.paragraph_end,
                ),
            )
            _insert_unit(
                conn,
                row,
                e.element_id,
                "element",
                m,
                e.language,
                e.kind,
                fold(f"{e.meeting or ''} {e.heading}"),
                embedding_text(element=e),
            )
            row += 1
    return row


def _insert_unit(
    conn: sqlite3.Connection,
    row: int,
    unit_id: str,
    unit_type: str,
    meta: DocumentMeta,
    language: str | None,
    kind: str | None,
    meeting_folded: str | None,
    text: str,
) -> None:
    conn.execute(
        "INSERT INTO units VALUES (?,?,?,?,?,?,?,?)",
        (row, unit_id, unit_type, meta.doc_id, language, meta.year, kind, meeting_folded),
    )
    conn.execute(
        "INSERT INTO lexical (row, language, tokens) VALUES (?,?,?)",
        (row, language, " ".join(analyze(text, language))),
    )


def _prune_versions(index_dir: Path, keep: set[str]) -> None:
    """Remove version directories other than ``keep`` (the new and the previous live one,
    which a running reader may still have open)."""
    for child in index_dir.iterdir():
        if (child.is_dir() and child.name.startswith("v-") and child.name not in keep) or (
            child.name.startswith(".tmp-") and child.is_dir()
        ):
            shutil.rmtree(child, ignore_errors=True)
