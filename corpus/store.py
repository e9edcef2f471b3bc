"""The embedded corpus store: one SQLite database in WAL mode (documents, passages,
elements, units with their float32 embeddings, sentence embeddings, an FTS5 lexical
index) and an in-memory FAISS index keyed by unit id. Implements
:class:`corpus.protocol.CorpusStore`.

Layout of ``index_dir``::

    store.sqlite                    # the store (and its -wal / -shm files)
    write.lock                      # cross-process writer lock (filelock)
    dense-<store id>-<gen>.faiss    # cache of the FAISS index at generation <gen>

Versions. Every committed write bumps ``state.generation``. A reader
(:meth:`EmbeddedStore.reader`) is one SQLite read transaction (WAL gives it a stable
snapshot) plus the FAISS snapshot of that generation. The FAISS index only grows
between compactions: a snapshot is ``(index, max unit id, dead unit ids)`` and its
searches exclude, through an id selector, both ids added after it and ids removed at or
before it, so a reader of an older generation keeps searching its own version while a
newer one is applied. Removed ids go to ``removed_units``; unit ids come from
``AUTOINCREMENT`` and are never reused, so a hit id can never resolve to other text.

Writes. :meth:`EmbeddedStore.write` embeds first, then takes the writer lock and
``BEGIN IMMEDIATE``; it re-reads what is live under the lock (a document with the same
doc id and content hash is left as is), deletes replaced documents, inserts, bumps the
generation and commits: a killed writer leaves the previous state (SQLite rolls the
transaction back). Cost is proportional to the documents written, not to the store.

The FAISS file is only a cache for a fast cold start: a process loading it adds the
units it lacks from their stored vectors and ignores ids no longer live; a missing,
unreadable or inconsistent cache is rebuilt from the vectors in SQLite. Nothing is
unpickled.

Dense search is exact (``IndexFlatIP``) below ``store.ann_min_units`` live units and
approximate above (``IndexHNSWFlat``, M=32, efConstruction 80, efSearch max(128, 4k); a filtered search allowing
at most 20,000 units is then computed exactly from the stored vectors).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout

from corpus.analysis import analyze, fold
from corpus.protocol import (
    DocumentInfo,
    IndexMeta,
    SentenceVectors,
    UnitFilter,
    embed_documents,
    embedding_text,
)
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

__all__ = [
    "SCHEMA_VERSION",
    "DocumentInfo",
    "EmbeddedStore",
    "IndexMeta",
    "embedding_text",
    "expected_meta",
    "meta_mismatch",
]

SCHEMA_VERSION = 2
"""Bumped whenever the tables or the meaning of a stored field change (2: one WAL
database with stable unit ids, stored vectors and sentence vectors)."""

DB_NAME = "store.sqlite"
EXACT_FILTERED_MAX = 20_000
"""A filtered search over an approximate index that allows at most this many units is
computed exactly from the stored vectors (HNSW recall collapses under tight filters)."""

_SCHEMA = """
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1), schema_version INTEGER NOT NULL,
    embedding_model TEXT NOT NULL, dim INTEGER NOT NULL, chunk_target_chars INTEGER NOT NULL,
    chunk_max_chars INTEGER NOT NULL, chunk_overlap_chars INTEGER NOT NULL,
    created_at REAL NOT NULL, units INTEGER NOT NULL
);
CREATE TABLE state (
    id INTEGER PRIMARY KEY CHECK (id = 1), store_id TEXT NOT NULL, generation INTEGER NOT NULL
);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, year INTEGER, meeting TEXT, doc_type TEXT,
    language TEXT, original_file TEXT, source_path TEXT NOT NULL, content_hash TEXT NOT NULL,
    text TEXT NOT NULL, pages_json TEXT NOT NULL, blocks_json TEXT NOT NULL, added_at REAL,
    generation INTEGER NOT NULL
);
CREATE TABLE passages (
    passage_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page_start INTEGER, page_end INTEGER, section_json TEXT NOT NULL, language TEXT,
    kind TEXT NOT NULL, label TEXT NOT NULL, paragraph_start INTEGER, paragraph_end INTEGER,
    sentences_json TEXT NOT NULL
);
CREATE TABLE elements (
    element_id TEXT PRIMARY KEY, kind TEXT NOT NULL, text TEXT NOT NULL, label TEXT NOT NULL,
    ordinal INTEGER NOT NULL, heading TEXT NOT NULL, meeting TEXT, doc_id TEXT NOT NULL,
    title TEXT NOT NULL, year INTEGER, page_start INTEGER, page_end INTEGER,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, language TEXT, section_json TEXT NOT NULL,
    paragraph_start INTEGER, paragraph_end INTEGER, seq INTEGER NOT NULL, passage_id TEXT
);
CREATE TABLE units (
    unit_id INTEGER PRIMARY KEY AUTOINCREMENT, unit_type TEXT NOT NULL, ref_id TEXT NOT NULL,
    doc_id TEXT NOT NULL, language TEXT, year INTEGER, kind TEXT, meeting_folded TEXT,
    generation INTEGER NOT NULL, vector BLOB NOT NULL
);
CREATE TABLE sentences (
    passage_id TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (passage_id, seq)
);
CREATE TABLE removed_units (unit_id INTEGER PRIMARY KEY, generation INTEGER NOT NULL);
CREATE VIRTUAL TABLE lexical USING fts5(tokens);
CREATE INDEX passages_doc ON passages(doc_id, seq);
CREATE INDEX elements_doc ON elements(doc_id, seq);
CREATE INDEX units_doc ON units(doc_id);
CREATE INDEX units_language ON units(language);
CREATE INDEX units_generation ON units(generation);
CREATE INDEX units_ref ON units(ref_id);
CREATE INDEX removed_generation ON removed_units(generation);
"""

_META_FIELDS = [f.name for f in dataclasses.fields(IndexMeta)]
_META_TYPES: dict[str, tuple[type, ...]] = {
    "schema_version": (int,),
    "embedding_model": (str,),
    "dim": (int,),
    "chunk_target_chars": (int,),
    "chunk_max_chars": (int,),
    "chunk_overlap_chars": (int,),
    "created_at": (int, float),
    "units": (int,),
}


def expected_meta(settings: Settings, embedding_model: str, dim: int, units: int) -> IndexMeta:
    """The :class:`IndexMeta` a store built now with ``settings`` records."""
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


def meta_mismatch(
    meta: IndexMeta, settings: Settings, embedding_model: str | None, schema_version: int
) -> str | None:
    """Describe how ``meta`` differs from what ``settings`` would build, or None."""
    c = settings.chunking
    diffs = []
    if meta.schema_version != schema_version:
        diffs.append(f"schema version {meta.schema_version} (this program: {schema_version})")
    if embedding_model is not None and meta.embedding_model != embedding_model:
        diffs.append(f"embedding model {meta.embedding_model!r} (settings: {embedding_model!r})")
    ours = (c.target_chars, c.max_chars, c.overlap_chars)
    theirs = (meta.chunk_target_chars, meta.chunk_max_chars, meta.chunk_overlap_chars)
    if ours != theirs:
        diffs.append(f"chunking target/max/overlap {theirs} (settings: {ours})")
    return "; ".join(diffs) or None


# ------------------------------------------------------------------ FAISS snapshots
class _SharedIndex:
    """A FAISS index shared by snapshots: searched concurrently, appended exclusively."""

    def __init__(self, index: faiss.Index, approximate: bool, max_added: int) -> None:
        self.index = index
        self.approximate = approximate
        self.max_added = max_added
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[faiss.Index]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield self.index
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[faiss.Index]:
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield self.index
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass(frozen=True)
class _Snapshot:
    """The dense index as of one generation (immutable; swapped by reference).

    Attributes:
        store_id, generation: which database version it belongs to.
        meta: the meta row at that generation.
        shared: the (append-only) FAISS index.
        max_id: largest unit id live at this generation (later ids are excluded).
        dead: unit ids in ``shared`` that are no longer live at this generation.
        count: live units.
    """

    store_id: str
    generation: int
    meta: IndexMeta
    shared: _SharedIndex
    max_id: int
    dead: frozenset[int]
    count: int

    def selector(self) -> tuple[faiss.IDSelector | None, list[object]]:
        """Excludes ids of later generations and dead ids; None when nothing is. The
        list holds the selector's parts, to be kept alive while it is used."""
        if not self.dead and self.max_id >= self.shared.max_added:
            return None, []
        in_range = faiss.IDSelectorRange(0, self.max_id + 1)
        if not self.dead:
            return in_range, [in_range]
        batch = faiss.IDSelectorBatch(np.fromiter(self.dead, np.int64, len(self.dead)))
        not_dead = faiss.IDSelectorNot(batch)
        both = faiss.IDSelectorAnd(in_range, not_dead)
        return both, [in_range, batch, not_dead, both]


def _new_index(dim: int, approximate: bool) -> faiss.Index:
    inner: faiss.Index
    if approximate:
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        inner = hnsw
    else:
        inner = faiss.IndexFlatIP(dim)
    return faiss.IndexIDMap2(inner)


def _vecs(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim)


# ------------------------------------------------------------------ the store
class EmbeddedStore:
    """The embedded :class:`corpus.protocol.CorpusStore` in one index directory.

    Thread-safe: each thread reads through its own SQLite connection; the store object
    lives for the process (no swapping after an ingest: every :meth:`reader` sees the
    latest committed version).
    """

    def __init__(
        self,
        index_dir: Path,
        settings: Settings,
        *,
        embedding_model: str | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.path = self.index_dir / DB_NAME
        self.settings = settings
        self.embedding_model = embedding_model
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._snap_lock = threading.Lock()
        self._snaps: OrderedDict[tuple[str, int], _Snapshot] = OrderedDict()
        self._languages: dict[tuple[str, int], list[str]] = {}
        self._docinfo: dict[tuple[str, int], dict[str, DocumentInfo]] = {}
        self._doc_freq: dict[tuple[str, int], dict[str, int]] = {}
        self._texts: OrderedDict[tuple[str, str, bool], str] = OrderedDict()

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        index_dir: Path,
        settings: Settings,
        *,
        embedding_model: str | None = None,
        create: bool = False,
        rebuild: bool = False,
    ) -> EmbeddedStore:
        """Open the store in ``index_dir`` and validate it.

        Args:
            index_dir: the index directory.
            settings: the settings the store must have been built with (chunking).
            embedding_model: the embedder's name the caller will query with; None skips
                that check (browsing, removing).
            create: a missing store is not an error (the first :meth:`write` creates it;
                reads see an empty store until then); an existing one is validated.
            rebuild: nothing is validated (``--rebuild`` replaces whatever is there).

        Raises:
            StoreError: no store (``create`` False), an old-layout index directory, an
                unreadable / corrupt database, inconsistent meta, or one built with
                other settings.
        """
        store = cls(index_dir, settings, embedding_model=embedding_model)
        if not rebuild and (store.path.exists() or not create or store.old_layout()):
            store.validate()
        return store

    def old_layout(self) -> bool:
        """Whether ``index_dir`` holds an index of gfmd before schema 2 (CURRENT + v-*)."""
        return not self.path.exists() and (
            (self.index_dir / "CURRENT").exists() or any(self.index_dir.glob("v-*"))
        )

    def validate(self) -> IndexMeta:
        """Check the database file: present, a database, meta typed and matching.

        Raises:
            StoreError: naming the file and the reason.
        """
        if not self.path.exists():
            if self.old_layout():
                raise StoreError(
                    f"index in {self.index_dir} was built by an older version of gfmd; "
                    "run 'gfmd ingest --rebuild'"
                )
            raise StoreError(f"no index in {self.index_dir}: run 'gfmd ingest' first")
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: unreadable store ({exc})") from None
        try:
            meta = self._read_meta(conn)
            units = conn.execute("SELECT count(*) FROM units").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self.path}: not a readable gfmd store ({exc}); run 'gfmd ingest --rebuild'"
            ) from None
        finally:
            conn.close()
        if units != meta.units:
            raise StoreError(
                f"{self.path}: meta says {meta.units} units but the units table has {units}; "
                "run 'gfmd ingest --rebuild'"
            )
        self._check_meta(meta)
        return meta

    def _read_meta(self, conn: sqlite3.Connection) -> IndexMeta:
        row = conn.execute(f"SELECT {', '.join(_META_FIELDS)} FROM meta").fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no meta row; run 'gfmd ingest --rebuild'")
        for name, value in zip(_META_FIELDS, row, strict=True):
            if not isinstance(value, _META_TYPES[name]) or isinstance(value, bool):
                raise StoreError(
                    f"{self.path}: meta field {name} is {value!r} "
                    f"(expected {_META_TYPES[name][0].__name__}); run 'gfmd ingest --rebuild'"
                )
        meta = IndexMeta(*row)
        if meta.dim <= 0:
            raise StoreError(f"{self.path}: meta dim {meta.dim} is not positive")
        return meta

    def _check_meta(self, meta: IndexMeta) -> None:
        diff = meta_mismatch(meta, self.settings, self.embedding_model, SCHEMA_VERSION)
        if diff:
            raise StoreError(
                f"index {self.path} was built with other settings: {diff}. "
                "Rebuild it with 'gfmd ingest --rebuild' or change the settings back."
            )

    # ----------------------------------------------------------------- readers
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (reopened when the database file was replaced)."""
        try:
            ino = os.stat(self.path).st_ino
        except OSError:
            raise StoreError(f"no index in {self.index_dir}: run 'gfmd ingest' first") from None
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.ino == ino:
            return conn
        if conn is not None:
            conn.close()
        try:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=rw",
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                timeout=30,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: unreadable store ({exc})") from None
        self._local.conn, self._local.ino = conn, ino
        with self._conns_lock:
            self._conns.append(conn)
        return conn

    @contextmanager
    def reader(self) -> Iterator[EmbeddedReader]:
        """A view pinned to the latest committed version (one read transaction and the
        FAISS snapshot of its generation). Nested calls on one thread share the view.

        Raises:
            StoreError: no store, a corrupt one, or one rebuilt with other settings.
        """
        active = getattr(self._local, "active", None)
        if active is not None:
            yield active
            return
        if not self.path.exists():
            yield _EMPTY_READER_FACTORY(self)
            return
        conn = self._conn()
        try:
            for _ in range(100):
                conn.execute("BEGIN")
                try:
                    sid, gen = conn.execute("SELECT store_id, generation FROM state").fetchone()
                    snap = self._snapshot(conn, sid, gen)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                if snap is not None:
                    break
                conn.execute("ROLLBACK")
            else:  # pragma: no cover - would need 100 writes during one open
                raise StoreError(f"{self.path}: could not pin a version (too many writes)")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: not a readable gfmd store ({exc})") from None
        view = EmbeddedReader(self, conn, snap)
        self._local.active = view
        try:
            yield view
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: read failed ({exc}); run 'gfmd ingest --rebuild'"
            ) from None
        finally:
            self._local.active = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _snapshot(self, conn: sqlite3.Connection, sid: str, gen: int) -> _Snapshot | None:
        """The FAISS snapshot of (sid, gen), read within ``conn``'s transaction; None
        when only a newer one can be built (the caller starts a new transaction)."""
        key = (sid, gen)
        with self._snap_lock:
            snap = self._snaps.get(key)
            if snap is not None:
                return snap
            latest = next(reversed(self._snaps.values()), None) if self._snaps else None
            meta = self._read_meta(conn)
            self._check_meta(meta)
            if latest is not None and latest.store_id == sid and latest.generation > gen:
                return None
            if latest is not None and latest.store_id == sid and latest.meta.dim == meta.dim:
                snap = self._apply_delta(conn, latest, gen, meta)
            else:
                snap = self._load_dense(conn, sid, gen, meta)
            self._snaps[key] = snap
            while len(self._snaps) > 8:
                self._snaps.popitem(last=False)
            return snap

    def _max_id(self, conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT coalesce(max(unit_id), 0) FROM units").fetchone()[0])

    def _apply_delta(
        self, conn: sqlite3.Connection, old: _Snapshot, gen: int, meta: IndexMeta
    ) -> _Snapshot:
        shared = old.shared
        removed = {
            int(r[0])
            for r in conn.execute(
                "SELECT unit_id FROM removed_units WHERE generation > ?", (old.generation,)
            )
        }
        dead = old.dead | removed
        approximate = meta.units >= self.settings.store.ann_min_units
        if len(dead) > max(1000, meta.units // 4) or (approximate and not shared.approximate):
            return self._build_from_blobs(conn, old.store_id, gen, meta)
        rows = conn.execute(
            "SELECT unit_id, vector FROM units WHERE unit_id > ? ORDER BY unit_id",
            (shared.max_added,),
        ).fetchall()
        if rows:
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            vecs = _vecs([r[1] for r in rows], meta.dim)
            with shared.writing() as index:
                index.add_with_ids(np.ascontiguousarray(vecs), ids)
                shared.max_added = int(ids[-1])
        return _Snapshot(
            old.store_id, gen, meta, shared, self._max_id(conn), frozenset(dead), meta.units
        )

    def _build_from_blobs(
        self, conn: sqlite3.Connection, sid: str, gen: int, meta: IndexMeta
    ) -> _Snapshot:
        approximate = meta.units >= self.settings.store.ann_min_units
        index = _new_index(meta.dim, approximate)
        max_added = 0
        cur = conn.execute("SELECT unit_id, vector FROM units ORDER BY unit_id")
        while rows := cur.fetchmany(8192):
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            index.add_with_ids(np.ascontiguousarray(_vecs([r[1] for r in rows], meta.dim)), ids)
            max_added = int(ids[-1])
        shared = _SharedIndex(index, approximate, max_added)
        return _Snapshot(sid, gen, meta, shared, max_added, frozenset(), meta.units)

    def _cache_files(self, sid: str) -> list[tuple[int, Path]]:
        out = []
        for f in self.index_dir.glob(f"dense-{sid}-*.faiss"):
            m = re.fullmatch(rf"dense-{re.escape(sid)}-(\d+)\.faiss", f.name)
            if m:
                out.append((int(m.group(1)), f))
        return sorted(out)

    def _load_dense(
        self, conn: sqlite3.Connection, sid: str, gen: int, meta: IndexMeta
    ) -> _Snapshot:
        """Load the newest usable cache file and bring it to ``gen`` from the stored
        vectors; rebuild from the vectors when there is none or it does not fit."""
        candidates = [f for g, f in self._cache_files(sid) if g <= gen]
        if not candidates:
            return self._build_from_blobs(conn, sid, gen, meta)
        try:
            index = faiss.read_index(str(candidates[-1]))
            file_ids = faiss.vector_to_array(index.id_map).astype(np.int64)  # type: ignore[attr-defined]
            if index.d != meta.dim or len(np.unique(file_ids)) != len(file_ids):
                raise ValueError("dimension or ids do not fit")
        except (RuntimeError, ValueError, AttributeError):
            return self._build_from_blobs(conn, sid, gen, meta)
        inner = faiss.downcast_index(index.index)  # type: ignore[attr-defined]
        approximate = isinstance(inner, faiss.IndexHNSWFlat)
        live = np.array([r[0] for r in conn.execute("SELECT unit_id FROM units")], np.int64)
        max_id = int(live.max()) if len(live) else 0
        # The file's ids that are issued by this generation and not live were removed (ids
        # are never reused), also those above ``max_id``: a later write raises ``max_id``
        # past them, and only ``dead`` keeps them out then. Ids issued after this
        # generation (the file is written from an index shared with newer snapshots) are
        # not dead: the range keeps them out until they are live.
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'units'").fetchone()
        issued = file_ids[file_ids <= (int(seq[0]) if seq else 0)]
        dead = frozenset(np.setdiff1d(issued, live, assume_unique=True).tolist())
        missing = np.setdiff1d(live, file_ids, assume_unique=True)
        if approximate != (meta.units >= self.settings.store.ann_min_units) or len(dead) > max(
            1000, meta.units // 4
        ):
            return self._build_from_blobs(conn, sid, gen, meta)
        max_added = int(file_ids.max()) if len(file_ids) else 0
        if len(missing) and int(missing.min()) <= max_added:
            return self._build_from_blobs(conn, sid, gen, meta)  # out of step
        if len(missing):
            rows = conn.execute(
                "SELECT unit_id, vector FROM units WHERE unit_id > ? ORDER BY unit_id",
                (max_added,),
            ).fetchall()
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            index.add_with_ids(np.ascontiguousarray(_vecs([r[1] for r in rows], meta.dim)), ids)
            max_added = int(ids[-1])
        shared = _SharedIndex(index, approximate, max_added)
        return _Snapshot(sid, gen, meta, shared, max_id, dead, meta.units)

    def _write_cache(self, snap: _Snapshot) -> None:
        """Persist a snapshot's FAISS index atomically (tmp + fsync + replace + fsync
        dir) and drop older cache files (only files this store names ``dense-*``)."""
        target = self.index_dir / f"dense-{snap.store_id}-{snap.generation}.faiss"
        tmp = self.index_dir / f".dense-{uuid.uuid4().hex[:8]}.tmp"
        try:
            with snap.shared.reading() as index:
                faiss.write_index(index, str(tmp))
            _fsync(tmp)
            os.replace(tmp, target)
            _fsync_dir(self.index_dir)
        except (OSError, RuntimeError):
            tmp.unlink(missing_ok=True)
            return
        for f in self.index_dir.glob("dense-*.faiss"):
            if f != target:
                f.unlink(missing_ok=True)
        for f in self.index_dir.glob(".dense-*.tmp"):
            if time.time() - f.stat().st_mtime > 3600:
                f.unlink(missing_ok=True)

    # ------------------------------------------------------ short-reader reads
    @property
    def meta(self) -> IndexMeta:
        with self.reader() as r:
            return r.meta

    @property
    def size(self) -> int:
        with self.reader() as r:
            return r.size

    def documents(self) -> list[DocumentInfo]:
        with self.reader() as r:
            return r.documents()

    def doc_ids(self) -> set[str]:
        with self.reader() as r:
            return r.doc_ids()

    def document(self, doc_id: str) -> Document:
        with self.reader() as r:
            return r.document(doc_id)

    def document_meta(self, doc_id: str) -> DocumentMeta:
        with self.reader() as r:
            return r.document_meta(doc_id)

    def document_text(self, doc_id: str, *, folded: bool = False) -> str:
        with self.reader() as r:
            return r.document_text(doc_id, folded=folded)

    def passages(self, doc_id: str | None = None) -> list[Passage]:
        with self.reader() as r:
            return r.passages(doc_id)

    def passage(self, passage_id: str) -> Passage:
        with self.reader() as r:
            return r.passage(passage_id)

    def elements(
        self,
        *,
        kind: str | None = None,
        doc_id: str | None = None,
        year: int | None = None,
        meeting: str | None = None,
    ) -> list[Element]:
        with self.reader() as r:
            return r.elements(kind=kind, doc_id=doc_id, year=year, meeting=meeting)

    def element_passage(self, element_id: str) -> Passage:
        with self.reader() as r:
            return r.element_passage(element_id)

    def languages(self) -> list[str]:
        with self.reader() as r:
            return r.languages()

    def unit(self, unit_id: int) -> tuple[Passage, Element | None]:
        with self.reader() as r:
            return r.unit(unit_id)

    def vector(self, unit_id: int) -> np.ndarray:
        with self.reader() as r:
            return r.vector(unit_id)

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        with self.reader() as r:
            return r.sentence_vectors(passage_ids)

    def dense_search(
        self, query_vec: np.ndarray, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        with self.reader() as r:
            return r.dense_search(query_vec, k, where)

    def lexical_search(
        self, tokens: Sequence[str], language: str | None, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        with self.reader() as r:
            return r.lexical_search(tokens, language, k, where)

    def iter_documents(
        self,
    ) -> Iterator[tuple[IngestedDocument, np.ndarray, dict[str, SentenceVectors]]]:
        with self.reader() as r:
            for info in r.documents():
                doc_id = info.meta.doc_id
                ingested = IngestedDocument(
                    r.document(doc_id), tuple(r.passages(doc_id)), tuple(r.elements(doc_id=doc_id))
                )
                blobs = [
                    b[0]
                    for b in r.conn.execute(
                        "SELECT vector FROM units WHERE doc_id = ? ORDER BY unit_id", (doc_id,)
                    )
                ]
                sentences = r.sentence_vectors([p.passage_id for p in ingested.passages])
                yield ingested, _vecs(blobs, r.meta.dim).copy(), sentences

    # ------------------------------------------------------------------ writes
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
        """Add documents (replacing any with the same doc id and other content) and
        remove doc ids, in one transaction under the cross-process writer lock.

        Args:
            add: documents to add or replace.
            remove: doc ids to drop (unknown ids raise StoreError, nothing changes).
            vectors: embeds unit and sentence texts (document side) -> (n, dim) float32.
            progress: ``progress(done, total)`` while embedding (units + sentences).
            replace_all: drop every document not in ``add`` (``--rebuild``); also
                replaces a store that is corrupt or built with other settings (its
                files are renamed ``store.sqlite.old-<stamp>``, never deleted).
            precomputed: per document of ``add``, its unit vectors (passages then
                elements) and sentence vectors (``gfmd store copy``); ``vectors`` is
                then not called.

        Raises:
            StoreError: lock timeout, wrong embedding shape, unknown doc id to remove;
                the store is unchanged.
        """
        if precomputed is not None and len(precomputed) != len(add):
            raise StoreError(f"{len(precomputed)} precomputed vector sets for {len(add)} documents")
        embedded = precomputed or embed_documents(
            add, vectors, self.settings.embedding.batch_size, progress
        )
        dims = {v.shape[1] for v, _ in embedded if v.size} | {
            s.vectors.shape[1] for _, sv in embedded for s in sv.values() if s.vectors.size
        }
        if len(dims) > 1:
            raise StoreError(f"embedding dimensions differ within one write: {sorted(dims)}")
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.index_dir / "write.lock"))
        try:
            lock.acquire(timeout=self.settings.store.lock_timeout_s)
        except Timeout:
            raise StoreError(
                f"{self.index_dir}: another process has been writing for more than "
                f"{self.settings.store.lock_timeout_s:g} s (store.lock_timeout_s); try again"
            ) from None
        try:
            dim = dims.pop() if dims else None
            if dim is None and (replace_all or not self.path.exists()):
                dim = _probe_dim(vectors)
            self._prepare_db(dim, replace_all)
            snap_key = self._write_locked(add, embedded, remove, dim, replace_all)
            if snap_key is not None:
                self._refresh_cache()
        finally:
            lock.release()

    def _prepare_db(self, dim: int | None, replace_all: bool) -> None:
        """Under the lock: create the database when missing (or replace a broken one
        when ``replace_all``)."""
        if self.path.exists():
            if not replace_all:
                self.validate()
                return
            try:
                conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=30)
                try:
                    meta = self._read_meta(conn)
                finally:
                    conn.close()
                if meta.schema_version == SCHEMA_VERSION:
                    return  # rebuilt in place by _write_locked
            except (sqlite3.Error, StoreError):
                pass
            stamp = time.strftime("%Y%m%d-%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                old = Path(str(self.path) + suffix)
                if old.exists():
                    os.replace(old, Path(f"{self.path}.old-{stamp}{suffix}"))
        if dim is None:
            raise StoreError(f"{self.index_dir}: no embedding dimension to create a store with")
        tmp = self.index_dir / f".store-new-{uuid.uuid4().hex[:8]}.sqlite"
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.executescript(_SCHEMA)
            meta = expected_meta(self.settings, self.embedding_model or "unknown", dim, 0)
            conn.execute(
                f"INSERT INTO meta (id, {', '.join(_META_FIELDS)}) VALUES (1, ?,?,?,?,?,?,?,?)",
                tuple(asdict(meta).values()),
            )
            conn.execute("INSERT INTO state VALUES (1, ?, 0)", (uuid.uuid4().hex[:8],))
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        _fsync(tmp)
        os.replace(tmp, self.path)
        _fsync_dir(self.index_dir)

    def _write_locked(
        self,
        add: Sequence[IngestedDocument],
        embedded: Sequence[tuple[np.ndarray, dict[str, SentenceVectors]]],
        remove: Sequence[str],
        dim: int | None,
        replace_all: bool,
    ) -> tuple[str, int] | None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                meta = self._read_meta(conn)
                if replace_all:
                    meta = expected_meta(
                        self.settings,
                        self.embedding_model or meta.embedding_model,
                        dim or meta.dim,
                        meta.units,
                    )
                    conn.execute(
                        f"UPDATE meta SET {', '.join(f'{f} = ?' for f in _META_FIELDS)}",
                        tuple(asdict(meta).values()),
                    )
                if dim is not None and dim != meta.dim:
                    raise StoreError(
                        f"{self.path}: embeddings of dim {dim} do not fit the store's dim "
                        f"{meta.dim}; run 'gfmd ingest --rebuild'"
                    )
                sid, gen = conn.execute("SELECT store_id, generation FROM state").fetchone()
                gen += 1
                live = dict(conn.execute("SELECT doc_id, content_hash FROM documents"))
                unknown = sorted(set(remove) - set(live))
                if unknown:
                    raise StoreError(f"unknown document {', '.join(unknown)}: nothing removed")
                adding = {d.document.doc_id for d in add}
                drop = set(remove)
                if replace_all:
                    drop |= set(live) - adding
                todo = []
                for doc, emb in zip(add, embedded, strict=True):
                    if live.get(doc.document.doc_id) == doc.document.content_hash and not (
                        replace_all
                    ):
                        continue  # another writer already stored this content
                    if doc.document.doc_id in live:
                        drop.add(doc.document.doc_id)
                    todo.append((doc, emb))
                if not drop and not todo and not replace_all:
                    conn.execute("ROLLBACK")
                    return None
                for doc_id in sorted(drop):
                    _delete_doc(conn, doc_id, gen)
                for doc, (vecs, sents) in todo:
                    _insert_doc(conn, doc, vecs, sents, gen)
                units = conn.execute("SELECT count(*) FROM units").fetchone()[0]
                conn.execute("UPDATE meta SET units = ?", (units,))
                conn.execute("UPDATE state SET generation = ?", (gen,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: write failed ({exc}); nothing changed") from None
        finally:
            conn.close()
        return sid, gen

    def _refresh_cache(self) -> None:
        """After a commit: bring this process's snapshot to the new version and persist
        it as the cold-start cache."""
        try:
            with self.reader() as r:
                snap = r.snapshot
        except StoreError:
            return
        self._write_cache(snap)

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._conns.clear()
        self._local = threading.local()


def _probe_dim(vectors: Callable[[Sequence[str]], np.ndarray]) -> int:
    """The embedder's dimension, for a store created without any text to embed."""
    try:
        return int(np.asarray(vectors(["probe"])).shape[1])
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot create a store: the embedder gave no dimension ({exc})") from None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------ a reader
class EmbeddedReader:
    """One pinned version of an :class:`EmbeddedStore` (see :meth:`EmbeddedStore.reader`).
    Used only by the thread that opened it, inside its ``with`` block."""

    def __init__(self, store: EmbeddedStore, conn: sqlite3.Connection, snap: _Snapshot) -> None:
        self.store = store
        self.conn = conn
        self.snapshot = snap

    @property
    def meta(self) -> IndexMeta:
        return self.snapshot.meta

    @property
    def size(self) -> int:
        return self.snapshot.count

    @property
    def generation(self) -> tuple[str, int]:
        """(store id, generation) of this version; changes with every committed write."""
        return self.snapshot.store_id, self.snapshot.generation

    # ---------------------------------------------------------------- catalogue
    def _infos(self) -> dict[str, DocumentInfo]:
        key = self.generation
        cached = self.store._docinfo.get(key)
        if cached is None:
            rows = self.conn.execute(
                "SELECT d.doc_id, title, year, meeting, doc_type, d.language, original_file,"
                " source_path, content_hash, pages_json,"
                " (SELECT count(*) FROM passages p WHERE p.doc_id = d.doc_id),"
                " (SELECT count(*) FROM elements e WHERE e.doc_id = d.doc_id)"
                " FROM documents d ORDER BY year, d.doc_id"
            ).fetchall()
            cached = {
                r[0]: DocumentInfo(
                    DocumentMeta(*r[:7]), r[7], r[8], len(json.loads(r[9])) or None, r[10], r[11]
                )
                for r in rows
            }
            self.store._docinfo = {key: cached}
        return cached

    def documents(self) -> list[DocumentInfo]:
        """All documents, ordered by year then doc id."""
        return list(self._infos().values())

    def doc_ids(self) -> set[str]:
        return set(self._infos())

    def document_meta(self, doc_id: str) -> DocumentMeta:
        """Catalogue facts of one document. Raises StoreError when unknown."""
        info = self._infos().get(doc_id)
        if info is None:
            raise StoreError(f"unknown document {doc_id!r}")
        return info.meta

    def document(self, doc_id: str) -> Document:
        """The cleaned document with pages and blocks. Raises StoreError when unknown."""
        r = self.conn.execute(
            "SELECT doc_id, title, year, meeting, doc_type, language, original_file, source_path,"
            " content_hash, text, pages_json, blocks_json FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if r is None:
            raise StoreError(f"unknown document {doc_id!r}")
        pages = tuple(PageSpan(**p) for p in json.loads(r[10]))
        blocks = tuple(Block(**{**b, "section": tuple(b["section"])}) for b in json.loads(r[11]))
        return Document(DocumentMeta(*r[:7]), r[7], r[8], r[9], pages, blocks)

    def document_text(self, doc_id: str, *, folded: bool = False) -> str:
        """Cleaned text (or its accent/case fold, same length; cached per content).

        Raises:
            StoreError: unknown document.
        """
        info = self._infos().get(doc_id)
        if info is None:
            raise StoreError(f"unknown document {doc_id!r}")
        key = (doc_id, info.content_hash, folded)
        cache = self.store._texts
        text = cache.get(key)
        if text is None:
            row = self.conn.execute(
                "SELECT text FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            text = fold(row[0]) if folded else row[0]
            cache[key] = text
            while len(cache) > 32:
                cache.popitem(last=False)
        return text

    def passages(self, doc_id: str | None = None) -> list[Passage]:
        """Passages in document order (all documents, or one)."""
        sql = f"SELECT {_PASSAGE_COLS} FROM passages"
        args: tuple = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        return [_passage(r) for r in self.conn.execute(sql + " ORDER BY doc_id, seq", args)]

    def passage(self, passage_id: str) -> Passage:
        """One passage. Raises StoreError when unknown."""
        r = self.conn.execute(
            f"SELECT {_PASSAGE_COLS} FROM passages WHERE passage_id = ?", (passage_id,)
        ).fetchone()
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
        """Elements in (year, doc id, document order), optionally filtered (``meeting``:
        folded substring of the element's meeting or heading)."""
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
        found = [_element(r) for r in self.conn.execute(sql + " ORDER BY year, doc_id, seq", args)]
        if meeting:
            needle = fold(meeting)
            found = [e for e in found if needle in fold(f"{e.meeting or ''} {e.heading}")]
        return found

    def element_passage(self, element_id: str) -> Passage:
        """The passage holding an element. Raises StoreError when unknown."""
        r = self.conn.execute(
            "SELECT passage_id FROM elements WHERE element_id = ?", (element_id,)
        ).fetchone()
        if r is None or r[0] is None:
            raise StoreError(f"unknown element {element_id!r}")
        return self.passage(r[0])

    def languages(self) -> list[str]:
        """Languages of the live units, most frequent first (cached per version)."""
        key = self.generation
        langs = self.store._languages.get(key)
        if langs is None:
            rows = self.conn.execute(
                "SELECT language, count(*) c FROM units WHERE language IS NOT NULL"
                " GROUP BY language ORDER BY c DESC, language"
            )
            langs = [r[0] for r in rows]
            self.store._languages = {key: langs}
        return list(langs)

    # ---------------------------------------------------------------- retrieval
    def unit(self, unit_id: int) -> tuple[Passage, Element | None]:
        """The passage (and element, for element units) a unit id names.

        Raises:
            StoreError: no live unit has this id.
        """
        r = self.conn.execute(
            "SELECT unit_type, ref_id FROM units WHERE unit_id = ?", (int(unit_id),)
        ).fetchone()
        if r is None:
            raise StoreError(f"unknown unit {unit_id} (removed or never stored)")
        if r[0] == "element":
            e = self.conn.execute(
                f"SELECT {_ELEMENT_COLS}, passage_id FROM elements WHERE element_id = ?", (r[1],)
            ).fetchone()
            return self.passage(e[-1]), _element(e[:-1])
        return self.passage(r[1]), None

    def vector(self, unit_id: int) -> np.ndarray:
        """The stored embedding of a unit, (dim,) float32. Raises StoreError."""
        r = self.conn.execute(
            "SELECT vector FROM units WHERE unit_id = ?", (int(unit_id),)
        ).fetchone()
        if r is None:
            raise StoreError(f"unknown unit {unit_id} (removed or never stored)")
        return np.frombuffer(r[0], dtype=np.float32)

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """Stored sentence spans and embeddings of these passages (missing ids absent)."""
        ids = list(dict.fromkeys(passage_ids))
        grouped: dict[str, tuple[list[tuple[int, int]], list[bytes]]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.conn.execute(
                'SELECT passage_id, start, "end", vector FROM sentences WHERE passage_id IN'
                f" ({','.join('?' * len(chunk))}) ORDER BY passage_id, seq",
                chunk,
            )
            for pid, s, e, blob in rows:
                spans, blobs = grouped.setdefault(pid, ([], []))
                spans.append((s, e))
                blobs.append(blob)
        dim = self.meta.dim
        return {
            pid: SentenceVectors(tuple(spans), _vecs(blobs, dim))
            for pid, (spans, blobs) in grouped.items()
        }

    def allowed_ids(self, where: UnitFilter | None) -> np.ndarray | None:
        """Unit ids passing ``where`` (int64, ascending), or None when it is empty."""
        if where is None or where.empty:
            return None
        sql, args = _where_sql(where)
        rows = self.conn.execute(f"SELECT unit_id FROM units u WHERE {sql}", args)
        return np.array([r[0] for r in rows], dtype=np.int64)

    def dense_search(
        self, query_vec: np.ndarray, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        """Cosine search: ``query_vec`` (dim,) float32 L2-normalised -> up to ``k``
        (unit id, cosine) pairs passing ``where``, best first. Exact below
        ``store.ann_min_units`` live units, HNSW above (see the module docstring)."""
        snap = self.snapshot
        if k <= 0 or snap.count == 0:
            return []
        q = np.ascontiguousarray(np.asarray(query_vec, np.float32).reshape(1, -1))
        allowed = self.allowed_ids(where)
        if allowed is not None and len(allowed) == 0:
            return []
        if allowed is not None and snap.shared.approximate and len(allowed) <= EXACT_FILTERED_MAX:
            return self._exact(q[0], k, where)
        sel: faiss.IDSelector | None
        if allowed is not None:
            sel = faiss.IDSelectorBatch(allowed)
            keep: list[object] = [sel, allowed]
            limit = len(allowed)
        else:
            sel, keep = snap.selector()
            limit = snap.count
        if snap.shared.approximate:
            params: faiss.SearchParameters = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = max(128, 4 * k)  # type: ignore[attr-defined]
        else:
            params = faiss.SearchParameters()
        if sel is not None:
            params.sel = sel
        with snap.shared.reading() as index:
            scores, ids = index.search(q, min(k, limit), params=params)
        del keep
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _exact(self, q: np.ndarray, k: int, where: UnitFilter | None) -> list[tuple[int, float]]:
        sql, args = _where_sql(where) if where is not None else ("1", [])
        rows = self.conn.execute(
            f"SELECT unit_id, vector FROM units u WHERE {sql}", args
        ).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        scores = _vecs([r[1] for r in rows], self.meta.dim) @ q
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def lexical_search(
        self, tokens: Sequence[str], language: str | None, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        """BM25 (SQLite FTS5, k1=1.2, b=0.75) of units in ``language`` (None = all)
        matching any of ``tokens`` -> up to ``k`` (unit id, score) pairs passing ``where``,
        best first, higher is better.

        FTS5 ranks inside its own module (``ORDER BY rank LIMIT``: about half the time
        of sorting ``bm25()`` rows joined to ``units`` at 10^5 units, measured
        2026-12-03). With a language or ``where`` condition, the condition is applied to
        FTS5's best ``8 * k`` matches; when fewer than ``k`` of those pass (a language
        or filter that holds for few units), the filtered matches are ranked by a join,
        so the result is always that of filtering first.

        A term found in half of the units or more is left out of the query (see
        :meth:`_scoring_terms`): FTS5 gives it an idf of 1e-6, so it changes no score by
        more than 2.2e-6, but matching it made FTS5 score every unit that holds it.
        Units that match nothing but such terms are therefore not returned.
        """
        terms = self._scoring_terms(sorted({t for t in tokens if t}))
        if not terms or k <= 0:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        conditions: list[str] = []
        args: list[object] = []
        if language is not None:
            conditions.append("u.language = ?")
            args.append(language)
        if where is not None and not where.empty:
            clause, more = _where_sql(where)
            conditions.append(clause)
            args += more
        if not conditions:
            sql = "SELECT rowid, rank FROM lexical WHERE lexical MATCH ? ORDER BY rank LIMIT ?"
            return [(int(r), -float(s)) for r, s in self.conn.execute(sql, (match, int(k)))]
        condition = " AND ".join(conditions)
        limit = 8 * int(k)
        best = (
            "SELECT l.rowid, l.rank, l.n FROM (SELECT rowid, rank, count(*) OVER () AS n"
            " FROM (SELECT rowid, rank FROM lexical WHERE lexical MATCH ? ORDER BY rank"
            f" LIMIT ?)) l JOIN units u ON u.unit_id = l.rowid WHERE {condition}"
            " ORDER BY l.rank LIMIT ?"
        )
        rows = self.conn.execute(best, [match, limit, *args, int(k)]).fetchall()
        if len(rows) >= k or (rows and rows[0][2] < limit):
            return [(int(r), -float(s)) for r, s, _ in rows]
        joined = (
            "SELECT lexical.rowid, bm25(lexical) AS s FROM lexical"
            f" JOIN units u ON u.unit_id = lexical.rowid WHERE lexical MATCH ? AND {condition}"
            " ORDER BY s LIMIT ?"
        )
        return [(int(r), -float(s)) for r, s in self.conn.execute(joined, [match, *args, int(k)])]

    def _scoring_terms(self, terms: list[str]) -> list[str]:
        """``terms`` without those FTS5 scores as zero, or all of them when every term
        is such a term (the query would otherwise match nothing).

        FTS5's bm25 (ext/fts5/fts5_aux.c) uses ``idf = log((N - n + 0.5) / (n + 0.5))``
        for a phrase found in ``n`` of ``N`` rows and replaces an idf <= 0, that is
        ``2n >= N``, by 1e-6; the term then adds at most 1e-6 * (k1 + 1) = 2.2e-6 to any
        row's score. ``n`` comes from an fts5vocab view of the lexical table, cached per
        store version; a token FTS5 splits into several (a phrase) is never found
        there and is kept.
        """
        key = self.generation
        freq = self.store._doc_freq.get(key)
        if freq is None:
            freq = {}
            self.store._doc_freq = {key: freq}
        missing = [t for t in terms if t not in freq]
        if missing:
            self.conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexical_vocab"
                " USING fts5vocab(main, lexical, 'row')"
            )
            found = dict.fromkeys(missing, 0)
            marks = ",".join("?" * len(missing))
            sql = f"SELECT term, doc FROM temp.lexical_vocab WHERE term IN ({marks})"
            found.update(self.conn.execute(sql, missing).fetchall())
            freq.update(found)
        rows = self.size
        kept = [t for t in terms if 2 * freq[t] < rows]
        return kept or terms


class _EmptyReader(EmbeddedReader):
    """The view of a store not created yet (``create=True`` before the first write)."""

    def __init__(self, store: EmbeddedStore) -> None:
        meta = expected_meta(store.settings, store.embedding_model or "unknown", 1, 0)
        shared = _SharedIndex(_new_index(1, False), False, 0)
        self.store = store
        self.conn = sqlite3.connect(":memory:")
        self.conn.executescript(_SCHEMA)
        self.snapshot = _Snapshot("none", 0, meta, shared, 0, frozenset(), 0)


_EMPTY_READER_FACTORY = _EmptyReader


def _where_sql(where: UnitFilter) -> tuple[str, list[object]]:
    """SQL condition on ``units u`` for a filter, and its arguments."""
    parts: list[str] = []
    args: list[object] = []

    def within(column: str, values: Sequence[object]) -> None:
        parts.append(f"{column} IN ({','.join('?' * len(values))})")
        args.extend(values)

    if where.doc_ids:
        within("u.doc_id", where.doc_ids)
    if where.year_min is not None:
        parts.append("u.year >= ?")
        args.append(where.year_min)
    if where.year_max is not None:
        parts.append("u.year <= ?")
        args.append(where.year_max)
    if where.languages:
        within("u.language", where.languages)
    if where.kinds:
        within("u.kind", where.kinds)
    if where.meeting:
        parts.append("instr(u.meeting_folded, ?) > 0")
        args.append(fold(where.meeting))
    if where.unit_types:
        within("u.unit_type", where.unit_types)
    return " AND ".join(parts) or "1", args


# ------------------------------------------------------------------ rows
_PASSAGE_COLS = (
    'passage_id, doc_id, text, start, "end", page_start, page_end, section_json, language,'
    " kind, label, paragraph_start, paragraph_end, sentences_json"
)
_ELEMENT_COLS = (
    "element_id, kind, text, label, ordinal, heading, meeting, doc_id, title, year, page_start,"
    ' page_end, start, "end", language, section_json, paragraph_start, paragraph_end'
)


def _passage(r: tuple) -> Passage:
    return Passage(
        passage_id=r[0],
        doc_id=r[1],
        text=r[2],
        start=r[3],
        end=r[4],
        page_start=r[5],
        page_end=r[6],
        section=tuple(json.loads(r[7])),
        language=r[8],
        kind=r[9],
        label=r[10],
        paragraph_start=r[11],
        paragraph_end=r[12],
        sentences=tuple((int(a), int(b)) for a, b in json.loads(r[13])),
    )


_ELEMENT_FIELDS = [f.name for f in dataclasses.fields(Element)]


def _element(r: tuple) -> Element:
    values = dict(zip(_ELEMENT_FIELDS, r[:18], strict=True))
    values["section"] = tuple(json.loads(r[15]))
    return Element(**values)


def _containing_passage(element: Element, passages: Sequence[Passage]) -> str | None:
    best, best_overlap = None, 0
    for p in passages:
        overlap = min(p.end, element.end) - max(p.start, element.start)
        if overlap > best_overlap:
            best, best_overlap = p.passage_id, overlap
    return best


def _delete_doc(conn: sqlite3.Connection, doc_id: str, gen: int) -> None:
    conn.execute(
        "INSERT INTO removed_units (unit_id, generation)"
        " SELECT unit_id, ? FROM units WHERE doc_id = ?",
        (gen, doc_id),
    )
    conn.execute(
        "DELETE FROM lexical WHERE rowid IN (SELECT unit_id FROM units WHERE doc_id = ?)",
        (doc_id,),
    )
    conn.execute("DELETE FROM units WHERE doc_id = ?", (doc_id,))
    conn.execute(
        "DELETE FROM sentences WHERE passage_id IN"
        " (SELECT passage_id FROM passages WHERE doc_id = ?)",
        (doc_id,),
    )
    conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM elements WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))


def _insert_doc(
    conn: sqlite3.Connection,
    ingested: IngestedDocument,
    vecs: np.ndarray,
    sentences: dict[str, SentenceVectors],
    gen: int,
) -> None:
    doc = ingested.document
    m = doc.meta
    n_units = len(ingested.passages) + len(ingested.elements)
    if vecs.shape[0] != n_units:
        raise StoreError(
            f"{m.doc_id}: {vecs.shape[0]} unit vectors for {n_units} passages and elements"
        )
    conn.execute(
        "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
            gen,
        ),
    )
    vec_rows = iter(np.ascontiguousarray(vecs, dtype=np.float32))
    for seq, p in enumerate(ingested.passages):
        conn.execute(
            f"INSERT INTO passages (seq, {_PASSAGE_COLS}) VALUES ({','.join('?' * 15)})",
            (
                seq,
                p.passage_id,
                p.doc_id,
                p.text,
                p.start,
                p.end,
                p.page_start,
                p.page_end,
                json.dumps(list(p.section), ensure_ascii=False),
                p.language,
                p.kind,
                p.label,
                p.paragraph_start,
                p.paragraph_end,
                json.dumps([list(s) for s in p.sentences]),
            ),
        )
        _insert_unit(
            conn, "passage", p.passage_id, m, p.language, None, None, gen,
            next(vec_rows), embedding_text(passage=p),
        )  # fmt: skip
        sv = sentences.get(p.passage_id)
        if sv is not None:
            for i, ((s0, s1), v) in enumerate(zip(sv.spans, sv.vectors, strict=True)):
                conn.execute(
                    "INSERT INTO sentences VALUES (?,?,?,?,?)",
                    (p.passage_id, i, s0, s1, np.asarray(v, np.float32).tobytes()),
                )
    for seq, e in enumerate(ingested.elements):
        conn.execute(
            f"INSERT INTO elements ({_ELEMENT_COLS}, seq, passage_id)"
            f" VALUES ({','.join('?' * 20)})",
            (
                e.element_id,
                e.kind,
                e.text,
                e.label,
                e.ordinal,
                e.heading,
                e.meeting,
                e.doc_id,
                e.title,
                e.year,
                e.page_start,
                e.page_end,
                e.start,
                e.end,
                e.language,
                json.dumps(list(e.section), ensure_ascii=False),
                e.paragraph_start,
                e.paragraph_end,
                seq,
                _containing_passage(e, ingested.passages),
            ),
        )
        _insert_unit(
            conn, "element", e.element_id, m, e.language, e.kind,
            fold(f"{e.meeting or ''} {e.heading}"), gen, next(vec_rows),
            embedding_text(element=e),
        )  # fmt: skip


def _insert_unit(
    conn: sqlite3.Connection,
    unit_type: str,
    ref_id: str,
    meta: DocumentMeta,
    language: str | None,
    kind: str | None,
    meeting_folded: str | None,
    gen: int,
    vector: np.ndarray,
    text: str,
) -> None:
    cur = conn.execute(
        "INSERT INTO units (unit_type, ref_id, doc_id, language, year, kind, meeting_folded,"
        " generation, vector) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            unit_type,
            ref_id,
            meta.doc_id,
            language,
            meta.year,
            kind,
            meeting_folded,
            gen,
            np.asarray(vector, np.float32).tobytes(),
        ),
    )
    conn.execute(
        "INSERT INTO lexical (rowid, tokens) VALUES (?, ?)",
        (cur.lastrowid, " ".join(analyze(text, language))),
    )
