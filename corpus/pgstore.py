"""The PostgreSQL corpus store: the same protocol as the embedded store
(:mod:`corpus.protocol`), on one PostgreSQL server with pgvector, for a secretariat that
serves the whole library to several app processes on several machines.

What lives where (schema: ``corpus/migrations/pg/*.sql``, applied in order and recorded
in ``schema_migrations``):

- ``documents``, ``pages``, ``blocks``, ``passages``, ``elements``: typed columns (the
  section path is a ``text[]``; no JSON for citation fields).
- ``units``: one row per passage and element, ``unit_id`` from a ``bigint`` identity
  sequence (never reused), the filter columns, the embedding (``vector(dim)``, HNSW
  ``vector_cosine_ops``) and a generated ``tsvector`` built with the unit's language
  configuration (``french`` / ``english`` / ``spanish``, ``simple`` otherwise) over
  ``gfmd_unaccent(text)`` (GIN index); ``ts_rank_cd`` picks the candidates, BM25
  re-scores them (see :meth:`PgReader.lexical_search`).
- ``sentences``: one embedding per sentence of a passage.
- ``index_meta``: what built the store (:class:`corpus.protocol.IndexMeta`).

Consistency:

- A write is one transaction holding ``pg_advisory_xact_lock`` (writers queue across
  processes and machines; ``lock_timeout`` = ``settings.store.lock_timeout_s``); a
  failed or killed writer's transaction is rolled back by the server.
- :meth:`PgStore.reader` is a ``REPEATABLE READ READ ONLY`` transaction: one snapshot
  for the whole request. The store's own read methods each run in a short reader.

Lexical queries: the protocol hands over tokens already analyzed by
:func:`corpus.analysis.analyze` (accent-folded, Snowball-stemmed — the same Snowball
stemmers PostgreSQL's ``french``/``english``/``spanish`` configurations use), so they
are OR-ed into a ``simple`` tsquery that matches the stored lexemes as they are.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from corpus.analysis import fold
from corpus.protocol import (
    DocumentInfo,
    IndexMeta,
    SentenceVectors,
    UnitFilter,
    embed_documents,
    unit_texts,
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

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations" / "pg"
"""Plain SQL migrations ``NNN_name.sql``, applied in numeric order."""

WRITER_LOCK_KEY = 0x6766_6D64_0001
"""``pg_advisory_xact_lock`` key that serialises writers ("gfmd" + 1)."""

MIGRATION_LOCK_KEY = 0x6766_6D64_0002
"""Advisory lock key held while migrations are applied."""

TS_CONFIGS = {"fr": "french", "en": "english", "es": "spanish"}
"""Language code -> PostgreSQL text-search configuration; other languages: ``simple``."""

HNSW_EF_SEARCH_MIN = 100
"""``hnsw.ef_search`` floor (pgvector default 40); raised to 2k for larger k, at most
1000 (pgvector's maximum)."""


DENSE_SQL = (
    "SELECT u.unit_id, 1 - (u.embedding <=> %s) FROM units u WHERE {cond}"
    " ORDER BY u.embedding <=> %s LIMIT %s"
)
"""The dense query: ``ORDER BY`` the distance alone, so the HNSW index can serve it (a
tie-breaking second key would force a sort of every row)."""


TS_RANK_NORMALIZATION = 1
"""``ts_rank_cd`` normalisation flags: 1 divides the rank by 1 + log(unit length)
(PostgreSQL manual, "Ranking Search Results")."""

LEXICAL_RERANK_POOL = 200
"""Lexical candidates (best by ``ts_rank_cd``) re-scored with BM25 per query (count);
0 turns the re-scoring off."""

TEXT_CACHE_DOCS = 64
"""Document texts (or folds) kept per process for span lookups (count; a report is
~50–500 kB of text)."""


def migrations() -> list[tuple[int, str, str]]:
    """The migration files as (version, name, SQL), in order.

    Raises:
        StoreError: a file name does not start with a number, or two share one.
    """
    found: dict[int, tuple[int, str, str]] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = re.match(r"(\d+)_", path.name)
        if not m:
            raise StoreError(f"{path}: migration file names start with a number (001_init.sql)")
        version = int(m.group(1))
        if version in found:
            raise StoreError(f"{path}: migration version {version} appears twice")
        found[version] = (version, path.name, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


SCHEMA_VERSION = migrations()[-1][0]
"""The schema version this program builds: the newest migration's number."""


def apply_migrations(conn: psycopg.Connection) -> list[str]:
    """Apply the pending migrations, each in its own transaction, in order.

    Args:
        conn: an autocommit connection.

    Returns:
        Names of the migrations applied now (empty when up to date).

    Raises:
        StoreError: the database has a migration this program does not know (a newer
            program built it).
    """
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        known = {v for v, _, _ in migrations()}
        if done - known:
            raise StoreError(
                f"the database has schema migrations {sorted(done - known)} this program does "
                f"not know (it knows up to {SCHEMA_VERSION}): upgrade gfmd"
            )
        for version, name, text in migrations():
            if version in done:
                continue
            conn.execute(text.encode("utf-8"))  # type: ignore[call-overload]
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
            )
            applied_now.append(name)
    return applied_now


def _ts_config(language: str | None) -> str:
    return TS_CONFIGS.get(language or "", "simple")


def _tsquery(tokens: Sequence[str]) -> str | None:
    terms = sorted({t for t in tokens if t})
    if not terms:
        return None
    return " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)


def _filter_sql(where: UnitFilter | None) -> tuple[sql.Composable, list[Any]]:
    """SQL conditions on ``units u`` for a filter (``TRUE`` when empty) and their args."""
    if where is None or where.empty:
        return sql.SQL("TRUE"), []
    conds: list[sql.Composable] = []
    args: list[Any] = []
    if where.doc_ids:
        conds.append(sql.SQL("u.doc_id = ANY(%s)"))
        args.append(list(where.doc_ids))
    if where.year_min is not None:
        conds.append(sql.SQL("u.year >= %s"))
        args.append(where.year_min)
    if where.year_max is not None:
        conds.append(sql.SQL("u.year <= %s"))
        args.append(where.year_max)
    if where.languages:
        conds.append(sql.SQL("u.language = ANY(%s)"))
        args.append(list(where.languages))
    if where.kinds:
        conds.append(sql.SQL("u.unit_type = 'element' AND u.kind = ANY(%s)"))
        args.append(list(where.kinds))
    if where.meeting:
        conds.append(sql.SQL("strpos(u.meeting_folded, %s) > 0"))
        args.append(fold(where.meeting))
    if where.unit_types:
        conds.append(sql.SQL("u.unit_type = ANY(%s)"))
        args.append(list(where.unit_types))
    return sql.SQL(" AND ").join(conds), args


_PASSAGE_COLS = (
    'p.passage_id, p.doc_id, p.text, p.start, p."end", p.page_start, p.page_end, p.section,'
    " p.language, p.kind, p.label, p.paragraph_start, p.paragraph_end, p.sentence_starts,"
    " p.sentence_ends"
)
_ELEMENT_COLS = (
    "e.element_id, e.kind, e.text, e.label, e.ordinal, e.heading, e.meeting, e.doc_id, e.title,"
    ' e.year, e.page_start, e.page_end, e.start, e."end", e.language, e.section,'
    " e.paragraph_start, e.paragraph_end"
)
_DOC_META_COLS = "d.doc_id, d.title, d.year, d.meeting, d.doc_type, d.language, d.original_file"


def _passage(r: Sequence[Any]) -> Passage:
    return Passage(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        tuple(r[7]),
        r[8],
        r[9],
        r[10],
        r[11],
        r[12],
        tuple(zip(r[13], r[14], strict=True)),
    )


_ELEMENT_FIELDS = [f.name for f in dataclasses.fields(Element)]
"""Element's fields in declaration order: the order of ``_ELEMENT_COLS``."""


def _element(r: Sequence[Any]) -> Element:
    values = dict(zip(_ELEMENT_FIELDS, r, strict=True))
    values["section"] = tuple(values["section"])
    return Element(**values)


def _meta_row(r: Sequence[Any] | None, embedding_model: str | None) -> IndexMeta:
    if r is None:  # nothing written yet: an empty store of no dimension
        return IndexMeta(SCHEMA_VERSION, embedding_model or "", 0, 0, 0, 0, 0.0, 0)
    return IndexMeta(SCHEMA_VERSION, *r)


_META_COLS = (
    "embedding_model, dim, chunk_target_chars, chunk_max_chars, chunk_overlap_chars,"
    " created_at, units"
)
_META_SQL = f"SELECT {_META_COLS} FROM index_meta"


class PgReader:
    """A read-only view pinned to one snapshot (a ``REPEATABLE READ`` transaction held
    open on ``conn`` by :meth:`PgStore.reader`). Not thread-safe: one per request."""

    def __init__(self, conn: psycopg.Connection, store: PgStore) -> None:
        self._conn = conn
        self._store = store
        row = conn.execute(f"SELECT {_META_COLS}, generation FROM index_meta").fetchone()
        self._meta = _meta_row(row[:-1] if row else None, store.embedding_model)
        self._generation = int(row[-1]) if row else -1

    def _q(self, query: str | sql.Composable, args: Sequence[Any] = ()) -> list[tuple]:
        return self._conn.execute(query, args).fetchall()  # type: ignore[arg-type]

    @property
    def meta(self) -> IndexMeta:
        return self._meta

    @property
    def size(self) -> int:
        return int(self._q("SELECT count(*) FROM units")[0][0])

    # ------------------------------------------------------------ catalogue
    def documents(self) -> list[DocumentInfo]:
        rows = self._q(
            f"SELECT {_DOC_META_COLS}, d.source_path, d.content_hash,"
            " (SELECT count(*) FROM pages g WHERE g.doc_id = d.doc_id),"
            " (SELECT count(*) FROM passages p WHERE p.doc_id = d.doc_id),"
            " (SELECT count(*) FROM elements e WHERE e.doc_id = d.doc_id)"
            " FROM documents d ORDER BY d.year NULLS LAST, d.doc_id"
        )
        return [
            DocumentInfo(DocumentMeta(*r[:7]), r[7], r[8], r[9] or None, r[10], r[11]) for r in rows
        ]

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self._q("SELECT doc_id FROM documents")}

    def document(self, doc_id: str) -> Document:
        rows = self._q(
            f"SELECT {_DOC_META_COLS}, d.source_path, d.content_hash, d.text"
            " FROM documents d WHERE d.doc_id = %s",
            (doc_id,),
        )
        if not rows:
            raise StoreError(f"unknown document {doc_id!r}")
        r = rows[0]
        pages = tuple(
            PageSpan(*p)
            for p in self._q(
                'SELECT number, start, "end" FROM pages WHERE doc_id = %s ORDER BY number',
                (doc_id,),
            )
        )
        blocks = tuple(
            Block(b[0], b[1], b[2], tuple(b[3]), b[4], b[5], b[6], b[7])
            for b in self._q(
                'SELECT kind, start, "end", section, level, label, page_start, page_end'
                " FROM blocks WHERE doc_id = %s ORDER BY seq",
                (doc_id,),
            )
        )
        return Document(DocumentMeta(*r[:7]), r[7], r[8], r[9], pages, blocks)

    def document_meta(self, doc_id: str) -> DocumentMeta:
        cache = self._store._cache(self._generation, "meta")
        if not cache:
            cache.update({d.meta.doc_id: d.meta for d in self.documents()})
        try:
            return cache[doc_id]
        except KeyError:
            raise StoreError(f"unknown document {doc_id!r}") from None

    def document_text(self, doc_id: str, *, folded: bool = False) -> str:
        cache = self._store._cache(self._generation, "text")
        key = (doc_id, folded)
        if key not in cache:
            if len(cache) >= TEXT_CACHE_DOCS:
                cache.clear()
            rows = self._q("SELECT text FROM documents WHERE doc_id = %s", (doc_id,))
            if not rows:
                raise StoreError(f"unknown document {doc_id!r}")
            cache[key] = fold(rows[0][0]) if folded else rows[0][0]
        return cache[key]

    def passages(self, doc_id: str | None = None) -> list[Passage]:
        query = f"SELECT {_PASSAGE_COLS} FROM passages p"
        args: tuple = ()
        if doc_id is not None:
            query += " WHERE p.doc_id = %s"
            args = (doc_id,)
        return [_passage(r) for r in self._q(query + " ORDER BY p.doc_id, p.seq", args)]

    def passage(self, passage_id: str) -> Passage:
        rows = self._q(
            f"SELECT {_PASSAGE_COLS} FROM passages p WHERE p.passage_id = %s", (passage_id,)
        )
        if not rows:
            raise StoreError(f"unknown passage {passage_id!r}")
        return _passage(rows[0])

    def elements(
        self,
        *,
        kind: str | None = None,
        doc_id: str | None = None,
        year: int | None = None,
        meeting: str | None = None,
    ) -> list[Element]:
        conds = ["TRUE"]
        args: list[Any] = []
        if kind:
            conds.append("e.kind = %s")
            args.append(kind)
        if doc_id:
            conds.append("e.doc_id = %s")
            args.append(doc_id)
        if year is not None:
            conds.append("e.year = %s")
            args.append(year)
        if meeting:
            conds.append("strpos(u.meeting_folded, %s) > 0")
            args.append(fold(meeting))
        rows = self._q(
            f"SELECT {_ELEMENT_COLS} FROM elements e JOIN units u USING (unit_id)"
            f" WHERE {' AND '.join(conds)} ORDER BY e.year NULLS LAST, e.doc_id, e.seq",
            args,
        )
        return [_element(r) for r in rows]

    def element_passage(self, element_id: str) -> Passage:
        rows = self._q("SELECT passage_id FROM elements WHERE element_id = %s", (element_id,))
        if not rows or rows[0][0] is None:
            raise StoreError(f"unknown element {element_id!r}")
        return self.passage(rows[0][0])

    def languages(self) -> list[str]:
        cache = self._store._cache(self._generation, "languages")
        if "all" not in cache:
            cache["all"] = [
                r[0]
                for r in self._q(
                    "SELECT language FROM units WHERE language IS NOT NULL"
                    " GROUP BY language ORDER BY count(*) DESC, language"
                )
            ]
        return list(cache["all"])

    # ------------------------------------------------------------ retrieval
    def unit(self, unit_id: int) -> tuple[Passage, Element | None]:
        rows = self._q(
            f"SELECT {_PASSAGE_COLS} FROM passages p WHERE p.unit_id = %s", (int(unit_id),)
        )
        if rows:
            return _passage(rows[0]), None
        rows = self._q(
            f"SELECT {_ELEMENT_COLS}, e.passage_id FROM elements e WHERE e.unit_id = %s",
            (int(unit_id),),
        )
        if not rows:
            raise StoreError(f"no unit {unit_id} in the store (removed or never written)")
        return self.passage(rows[0][-1]), _element(rows[0][:-1])

    def vector(self, unit_id: int) -> np.ndarray:
        rows = self._q("SELECT embedding FROM units WHERE unit_id = %s", (int(unit_id),))
        if not rows:
            raise StoreError(f"no unit {unit_id} in the store (removed or never written)")
        return _np(rows[0][0])

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """Stored sentences of these passages; passages without sentences (or unknown
        ids) are absent, as in the embedded store."""
        if not passage_ids:
            return {}
        rows = self._q(
            'SELECT p.passage_id, s.start, s."end", s.embedding FROM passages p'
            " JOIN sentences s USING (unit_id) WHERE p.passage_id = ANY(%s)"
            " ORDER BY p.passage_id, s.seq",
            (list(passage_ids),),
        )
        grouped: dict[str, list[tuple]] = {}
        for r in rows:
            grouped.setdefault(r[0], []).append(r)
        return {
            pid: SentenceVectors(
                tuple((g[1], g[2]) for g in got), np.stack([_np(g[3]) for g in got])
            )
            for pid, got in grouped.items()
        }

    def dense_search(
        self, query_vec: np.ndarray, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        """Cosine search through the HNSW index (pgvector; iterative scan in strict
        order, so a filter still yields ``k`` hits when that many pass it); the planner
        scans exactly instead when a filter or the table is small."""
        if k <= 0:
            return []
        q = np.ascontiguousarray(query_vec, dtype=np.float32).reshape(-1)
        if self._meta.dim and q.shape[0] != self._meta.dim:
            raise StoreError(f"query vector has dim {q.shape[0]}, the store {self._meta.dim}")
        cond, args = _filter_sql(where)
        ef = min(1000, max(HNSW_EF_SEARCH_MIN, 2 * k))
        self._conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef),))
        self._conn.execute("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)")
        rows = self._q(sql.SQL(DENSE_SQL).format(cond=cond), [q, *args, q, k])
        hits = [(int(r[0]), float(r[1])) for r in rows]
        return sorted(hits, key=lambda h: (-h[1], h[0]))  # ties by id, as the embedded store

    def lexical_search(
        self, tokens: Sequence[str], language: str | None, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        """Units in ``language`` (None: all) matching any token, best first.

        The GIN index finds the matches and ``ts_rank_cd`` (normalisation
        :data:`TS_RANK_NORMALIZATION`) keeps the best ``max(k, LEXICAL_RERANK_POOL)``
        inside the query; those are re-scored with BM25 (k1=1.2, b=0.75, the embedded
        store's FTS5 defaults) from their lexeme counts and the tokens' document
        frequencies in that language, since ``ts_rank_cd`` has no IDF term. With
        ``LEXICAL_RERANK_POOL = 0`` the ``ts_rank_cd`` order is returned as it is.
        """
        terms = sorted({t for t in tokens if t})
        tsq = _tsquery(terms)
        if tsq is None or k <= 0:
            return []
        cond, args = _filter_sql(where)
        lang_cond = sql.SQL("TRUE") if language is None else sql.SQL("u.language = %s")
        lang_args = [] if language is None else [language]
        norm = sql.Literal(TS_RANK_NORMALIZATION)
        if LEXICAL_RERANK_POOL <= 0:
            query = sql.SQL(
                "SELECT u.unit_id, ts_rank_cd(u.tsv, q, {norm}) AS s"
                " FROM units u, to_tsquery('simple', %s) q"
                " WHERE u.tsv @@ q AND {lang} AND {cond} ORDER BY s DESC, u.unit_id LIMIT %s"
            ).format(lang=lang_cond, cond=cond, norm=norm)
            rows = self._q(query, [tsq, *lang_args, *args, k])
            return [(int(r[0]), float(r[1])) for r in rows]
        query = sql.SQL(
            "WITH c AS (SELECT u.unit_id, u.tsv, ts_rank_cd(u.tsv, q, {norm}) AS s"
            " FROM units u, to_tsquery('simple', %s) q"
            " WHERE u.tsv @@ q AND {lang} AND {cond} ORDER BY s DESC, u.unit_id LIMIT %s)"
            " SELECT c.unit_id, c.s, length(c.tsv), t.lexeme,"
            " coalesce(array_length(t.positions, 1), 1)"
            " FROM c LEFT JOIN LATERAL unnest(c.tsv) t ON t.lexeme = ANY(%s)"
        ).format(lang=lang_cond, cond=cond, norm=norm)
        rows = self._q(query, [tsq, *lang_args, *args, max(k, LEXICAL_RERANK_POOL), terms])
        n_units, avg_len, df = self._lexical_stats(language, terms)
        k1, b = 1.2, 0.75
        scores: dict[int, float] = {}
        first: dict[int, float] = {}
        for unit_id, rank_cd, length, lexeme, tf in rows:
            first.setdefault(unit_id, rank_cd)
            score = scores.setdefault(unit_id, 0.0)
            if lexeme is None:
                continue
            n = df.get(lexeme, 0)
            idf = np.log(1 + (n_units - n + 0.5) / (n + 0.5))
            norm_tf = tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / max(avg_len, 1e-9)))
            scores[unit_id] = score + float(idf * norm_tf)
        ranked = sorted(scores, key=lambda u: (-scores[u], -first[u], u))
        return [(u, scores[u]) for u in ranked[:k]]

    def _lexical_stats(
        self, language: str | None, terms: Sequence[str]
    ) -> tuple[int, float, dict[str, int]]:
        """(units, mean distinct lexemes per unit, document frequency of each term) in
        ``language`` (None: all), cached per store version."""
        cache = self._store._cache(self._generation, "lexical_stats")
        lang_cond = "TRUE" if language is None else "language = %s"
        lang_args: list[Any] = [] if language is None else [language]
        if ("size", language) not in cache:
            row = self._q(
                f"SELECT count(*), coalesce(avg(length(tsv)), 0) FROM units WHERE {lang_cond}",
                lang_args,
            )[0]
            cache[("size", language)] = (int(row[0]), float(row[1]))
        missing = [t for t in terms if ("df", language, t) not in cache]
        for t in missing:
            n = self._q(
                f"SELECT count(*) FROM units WHERE tsv @@ to_tsquery('simple', %s) AND {lang_cond}",
                [_tsquery([t]), *lang_args],
            )[0][0]
            cache[("df", language, t)] = int(n)
        n_units, avg_len = cache[("size", language)]
        return n_units, avg_len, {t: cache[("df", language, t)] for t in terms}

    # ----------------------------------------------------------------- copy
    def iter_documents(
        self,
    ) -> Iterator[tuple[IngestedDocument, np.ndarray, dict[str, SentenceVectors]]]:
        for info in self.documents():  # (year, doc id), as documents()
            doc_id = info.meta.doc_id
            doc = self.document(doc_id)
            passages = tuple(self.passages(doc_id))
            elements = tuple(self.elements(doc_id=doc_id))
            vecs = [
                _np(r[0])
                for r in self._q(
                    "SELECT embedding FROM units WHERE doc_id = %s ORDER BY seq", (doc_id,)
                )
            ]
            matrix = np.stack(vecs) if vecs else np.zeros((0, self._meta.dim), np.float32)
            sents = self.sentence_vectors([p.passage_id for p in passages])
            yield IngestedDocument(doc, passages, elements), matrix, sents


def _containing_passage(element: Element, passages: Sequence[Passage]) -> str | None:
    """The passage overlapping an element most (same rule as the embedded store)."""
    best, best_overlap = None, 0
    for p in passages:
        overlap = min(p.end, element.end) - max(p.start, element.start)
        if overlap > best_overlap:
            best, best_overlap = p.passage_id, overlap
    return best


class PgStore:
    """The corpus store on a PostgreSQL server (see module docstring).

    Thread-safe: reads borrow a connection from a small pool, one per request.
    """

    def __init__(self, url: str, settings: Settings, embedding_model: str | None) -> None:
        self.url = url
        self.settings = settings
        self.embedding_model = embedding_model
        self._pool: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._caches: dict[str, tuple[int, dict]] = {}
        self._local = threading.local()  # .reader: the reader open on this thread
        self._before_commit: Callable[[], None] | None = None  # tests: pause a writer

    # -------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        url: str,
        settings: Settings,
        *,
        embedding_model: str | None,
        rebuild: bool = False,
    ) -> PgStore:
        """Connect, apply pending migrations and check what built the store.

        Args:
            url: ``postgresql://user@host:port/db`` (libpq URL; password from
                ``~/.pgpass`` or ``PGPASSWORD``, never in settings files).
            settings: chunking the store must have been built with; writer lock timeout.
            embedding_model: the embedder's name the caller queries or writes with; None
                skips that check (browsing only; such a store cannot write).
            rebuild: the caller will ``write(..., replace_all=True)``: a store built
                with other settings is not refused (it will be replaced).

        Raises:
            StoreError: server unreachable, extension missing, or a store built with
                another embedding model, chunking or newer schema.
        """
        store = cls(url, settings, embedding_model)
        with store._connect(autocommit=True) as conn:
            apply_migrations(conn)
            row = conn.execute(_META_SQL).fetchone()
        if row is not None and not rebuild:
            diff = store._mismatch(_meta_row(row, embedding_model))
            if diff:
                raise StoreError(
                    f"the PostgreSQL store at {_safe_url(url)} was built with other settings:"
                    f" {diff}. Rebuild it ('gfmd ingest --rebuild') or change the settings back."
                )
        return store

    def _mismatch(self, meta: IndexMeta) -> str | None:
        c = self.settings.chunking
        diffs = []
        if self.embedding_model is not None and meta.embedding_model != self.embedding_model:
            diffs.append(
                f"embedding model {meta.embedding_model!r} (settings: {self.embedding_model!r})"
            )
        ours = (c.target_chars, c.max_chars, c.overlap_chars)
        theirs = (meta.chunk_target_chars, meta.chunk_max_chars, meta.chunk_overlap_chars)
        if ours != theirs:
            diffs.append(f"chunking target/max/overlap {theirs} (settings: {ours})")
        return "; ".join(diffs) or None

    def _connect(self, *, autocommit: bool = False) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.url, autocommit=autocommit)
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL at {_safe_url(self.url)}: {exc}".strip()
            ) from None
        return conn  # register_vector() once the extension exists (first migration)

    def _borrow(self) -> psycopg.Connection:
        with self._lock:
            while self._pool:
                conn = self._pool.pop()
                if not conn.closed:
                    return conn
        conn = self._connect()
        register_vector(conn)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        return conn

    def _give_back(self, conn: psycopg.Connection) -> None:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        with self._lock:
            self._pool.append(conn)

    def _cache(self, generation: int, name: str) -> dict:
        with self._lock:
            got = self._caches.get(name)
            if got is None or got[0] != generation:
                got = (generation, {})
                self._caches[name] = got
            return got[1]

    # -------------------------------------------------------------- reading
    @contextmanager
    def reader(self) -> Iterator[PgReader]:
        """A view pinned to one snapshot (``REPEATABLE READ READ ONLY``). Nested on one
        thread (a reader already open there), it is that same reader: the store's own
        read methods called inside a request read the request's version."""
        current = getattr(self._local, "reader", None)
        if current is not None:
            yield current
            return
        conn = self._borrow()
        try:
            self._local.reader = PgReader(conn, self)
            yield self._local.reader
        except psycopg.Error as exc:
            conn.rollback()
            raise StoreError(f"PostgreSQL store: {exc}".strip()) from None
        finally:
            self._local.reader = None
            if (
                not conn.closed
                and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
            ):
                try:
                    conn.rollback()
                except psycopg.Error:
                    conn.close()
            self._give_back(conn)

    def _read(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self.reader() as r:
            return getattr(r, method)(*args, **kwargs)

    @property
    def meta(self) -> IndexMeta:
        with self.reader() as r:
            return r.meta

    @property
    def size(self) -> int:
        with self.reader() as r:
            return r.size

    def documents(self) -> list[DocumentInfo]:
        return self._read("documents")  # type: ignore[no-any-return]

    def doc_ids(self) -> set[str]:
        return self._read("doc_ids")  # type: ignore[no-any-return]

    def document(self, doc_id: str) -> Document:
        return self._read("document", doc_id)  # type: ignore[no-any-return]

    def document_meta(self, doc_id: str) -> DocumentMeta:
        return self._read("document_meta", doc_id)  # type: ignore[no-any-return]

    def document_text(self, doc_id: str, *, folded: bool = False) -> str:
        return self._read("document_text", doc_id, folded=folded)  # type: ignore[no-any-return]

    def passages(self, doc_id: str | None = None) -> list[Passage]:
        return self._read("passages", doc_id)  # type: ignore[no-any-return]

    def passage(self, passage_id: str) -> Passage:
        return self._read("passage", passage_id)  # type: ignore[no-any-return]

    def elements(
        self,
        *,
        kind: str | None = None,
        doc_id: str | None = None,
        year: int | None = None,
        meeting: str | None = None,
    ) -> list[Element]:
        return self._read(  # type: ignore[no-any-return]
            "elements", kind=kind, doc_id=doc_id, year=year, meeting=meeting
        )

    def element_passage(self, element_id: str) -> Passage:
        return self._read("element_passage", element_id)  # type: ignore[no-any-return]

    def languages(self) -> list[str]:
        return self._read("languages")  # type: ignore[no-any-return]

    def unit(self, unit_id: int) -> tuple[Passage, Element | None]:
        return self._read("unit", unit_id)  # type: ignore[no-any-return]

    def vector(self, unit_id: int) -> np.ndarray:
        return self._read("vector", unit_id)  # type: ignore[no-any-return]

    def sentence_vectors(self, passage_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        return self._read("sentence_vectors", passage_ids)  # type: ignore[no-any-return]

    def dense_search(
        self, query_vec: np.ndarray, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        return self._read("dense_search", query_vec, k, where)  # type: ignore[no-any-return]

    def lexical_search(
        self, tokens: Sequence[str], language: str | None, k: int, where: UnitFilter | None = None
    ) -> list[tuple[int, float]]:
        return self._read("lexical_search", tokens, language, k, where)  # type: ignore[no-any-return]

    def iter_documents(
        self,
    ) -> Iterator[tuple[IngestedDocument, np.ndarray, dict[str, SentenceVectors]]]:
        """Every document with its vectors, all from one snapshot."""
        with self.reader() as r:
            yield from r.iter_documents()

    # -------------------------------------------------------------- writing
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
        """Embed, then add/replace/remove documents in one transaction (see
        :meth:`corpus.protocol.CorpusStore.write`). Embedding happens before the
        writer lock is taken, so a slow embedder does not hold other writers back.

        Raises:
            StoreError: lock timeout, wrong embedding shape, unknown doc id to remove,
                a store built with other settings (unless ``replace_all``) or a server
                error; the store is unchanged.
        """
        if self.embedding_model is None:
            raise StoreError("open the PostgreSQL store with an embedding model to write to it")
        embedded = (
            list(precomputed)
            if precomputed is not None
            else embed_documents(add, vectors, self.settings.embedding.batch_size, progress)
        )
        if len(embedded) != len(add):
            raise StoreError(f"{len(embedded)} precomputed vectors for {len(add)} documents")
        dims: set[int] = set()
        for d, (vecs, sents) in zip(add, embedded, strict=True):
            n = len(d.passages) + len(d.elements)
            if vecs.shape[0] != n or (n and vecs.ndim != 2):
                raise StoreError(f"{d.document.doc_id}: embedding shape {vecs.shape} for {n} units")
            dims |= {vecs.shape[1]} if n else set()
            dims |= {s.vectors.shape[1] for s in sents.values() if s.vectors.size}
        if len(dims) > 1:
            raise StoreError(f"embedding dimensions differ within one write: {sorted(dims)}")
        dim = dims.pop() if dims else None
        if dim is None and (replace_all or self._stored_dim() is None):
            probe = np.asarray(vectors(["probe"]), dtype=np.float32)
            dim = int(probe.shape[1]) if probe.ndim == 2 else None
        try:
            with self._connect() as conn:
                register_vector(conn)
                with conn.transaction():
                    self._write_tx(conn, add, embedded, remove, dim, replace_all)
                    if self._before_commit is not None:
                        self._before_commit()
        except psycopg.errors.LockNotAvailable:
            raise StoreError(
                f"another process has been writing to the store for more than "
                f"{self.settings.store.lock_timeout_s:g} s (store.lock_timeout_s); try again"
            ) from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL store write failed, nothing changed: {exc}") from None

    def write_precomputed(
        self,
        add: Sequence[tuple[IngestedDocument, np.ndarray, dict[str, SentenceVectors]]],
        *,
        remove: Sequence[str] = (),
        replace_all: bool = False,
    ) -> None:
        """:meth:`write` of what another store's :meth:`iter_documents` yields
        (``gfmd store copy``): no embedding."""

        def no_embedder(texts: Sequence[str]) -> np.ndarray:
            raise StoreError("write_precomputed needs vectors for every document")

        self.write(
            [d for d, _, _ in add],
            remove=remove,
            vectors=no_embedder,
            replace_all=replace_all,
            precomputed=[(v, s) for _, v, s in add],
        )

    def _stored_dim(self) -> int | None:
        with self._connect() as conn:
            row = conn.execute("SELECT dim FROM index_meta").fetchone()
        return int(row[0]) if row else None

    def _write_tx(
        self,
        conn: psycopg.Connection,
        add: Sequence[IngestedDocument],
        embedded: Sequence[tuple[np.ndarray, dict[str, SentenceVectors]]],
        remove: Sequence[str],
        dim: int | None,
        replace_all: bool,
    ) -> None:
        timeout_ms = max(1, int(self.settings.store.lock_timeout_s * 1000))
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{timeout_ms}ms",))
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))
        conn.execute("SELECT set_config('lock_timeout', '0', true)")
        live: dict[str, str] = dict(
            conn.execute("SELECT doc_id, content_hash FROM documents").fetchall()
        )
        unknown = sorted(set(remove) - set(live))
        if unknown:
            raise StoreError(f"unknown document {', '.join(unknown)}: nothing removed")
        row = conn.execute(_META_SQL).fetchone()
        meta = _meta_row(row, self.embedding_model) if row else None
        if meta is not None and not replace_all:
            diff = self._mismatch(meta)  # another process may have rebuilt it meanwhile
            if diff:
                raise StoreError(f"the store was built with other settings: {diff}")
        drop = set(remove)
        if replace_all:
            drop |= set(live)
        todo = []
        for doc, emb in zip(add, embedded, strict=True):
            doc_id = doc.document.doc_id
            if not replace_all and live.get(doc_id) == doc.document.content_hash:
                continue  # another writer already stored this content
            if doc_id in live:
                drop.add(doc_id)
            todo.append((doc, emb))
        if not drop and not todo and meta is not None and not replace_all:
            return
        if drop:
            conn.execute("DELETE FROM documents WHERE doc_id = ANY(%s)", (sorted(drop),))
        if meta is None or replace_all:
            new_dim = dim or (meta.dim if meta else None)
            if new_dim is None:
                raise StoreError("no embedding dimension to create the store with")
            c = self.settings.chunking
            conn.execute("DELETE FROM index_meta")
            conn.execute(
                "INSERT INTO index_meta (embedding_model, dim, chunk_target_chars,"
                " chunk_max_chars, chunk_overlap_chars, created_at, generation)"
                " VALUES (%s,%s,%s,%s,%s,%s, %s)",
                (
                    self.embedding_model,
                    new_dim,
                    c.target_chars,
                    c.max_chars,
                    c.overlap_chars,
                    time.time(),
                    0 if meta is None else 1 + _generation(conn),
                ),
            )
            if meta is None or meta.dim != new_dim:
                _ensure_dim(conn, new_dim)
        elif dim is not None and dim != meta.dim:
            raise StoreError(
                f"embeddings of dim {dim} do not fit the store's dim {meta.dim};"
                " run 'gfmd ingest --rebuild'"
            )
        for doc, (vecs, sents) in todo:
            _insert_document(conn, doc, vecs, sents)
        conn.execute(
            "UPDATE index_meta SET units = (SELECT count(*) FROM units),"
            " generation = generation + 1"
        )

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()


def _generation(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT generation FROM index_meta").fetchone()
    return int(row[0]) if row else 0


def _ensure_dim(conn: psycopg.Connection, dim: int) -> None:
    """Fix the embedding column's dimension and build the HNSW index (first write, or
    a rebuild with an embedder of another dimension: the tables are empty by then)."""
    conn.execute("DROP INDEX IF EXISTS units_embedding_hnsw")
    conn.execute(sql.SQL("ALTER TABLE units ALTER COLUMN embedding TYPE vector({})").format(dim))
    conn.execute(
        "CREATE INDEX IF NOT EXISTS units_embedding_hnsw ON units"
        " USING hnsw (embedding vector_cosine_ops)"
    )


def _insert_document(
    conn: psycopg.Connection,
    ingested: IngestedDocument,
    vecs: np.ndarray,
    sents: dict[str, SentenceVectors],
) -> None:
    doc = ingested.document
    m = doc.meta
    conn.execute(
        "INSERT INTO documents (doc_id, title, year, meeting, doc_type, language, original_file,"
        " source_path, content_hash, text, added_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
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
            time.time(),
        ),
    )
    with conn.cursor() as cur:
        with cur.copy('COPY pages (doc_id, number, start, "end") FROM STDIN') as cp:
            for page in doc.pages:
                cp.write_row((m.doc_id, page.number, page.start, page.end))
        with cur.copy(
            'COPY blocks (doc_id, seq, kind, start, "end", section, level, label, page_start,'
            " page_end) FROM STDIN"
        ) as cp:
            for i, block in enumerate(doc.blocks):
                cp.write_row(
                    (
                        m.doc_id,
                        i,
                        block.kind,
                        block.start,
                        block.end,
                        list(block.section),
                        block.level,
                        block.label,
                        block.page_start,
                        block.page_end,
                    )
                )
    n = len(ingested.passages) + len(ingested.elements)
    if n == 0:
        return
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('units', 'unit_id'))"
            " FROM generate_series(1, %s)",
            (n,),
        )
    ]
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    with conn.cursor() as cur:
        with cur.copy(
            "COPY units (unit_id, unit_type, doc_id, seq, language, year, kind, meeting_folded,"
            " lex_text, ts_config, embedding) FROM STDIN"
        ) as cp:
            texts = unit_texts(ingested)
            for i, p in enumerate(ingested.passages):
                cp.write_row(
                    (
                        ids[i],
                        "passage",
                        m.doc_id,
                        i,
                        p.language,
                        m.year,
                        None,
                        None,
                        texts[i],
                        _ts_config(p.language),
                        _vec_text(vecs[i]),
                    )
                )
            base = len(ingested.passages)
            for j, e in enumerate(ingested.elements):
                i = base + j
                cp.write_row(
                    (
                        ids[i],
                        "element",
                        m.doc_id,
                        i,
                        e.language,
                        m.year,
                        e.kind,
                        fold(f"{e.meeting or ''} {e.heading}"),
                        texts[i],
                        _ts_config(e.language),
                        _vec_text(vecs[i]),
                    )
                )
        with cur.copy(
            'COPY passages (unit_id, passage_id, doc_id, seq, text, start, "end", page_start,'
            " page_end, section, language, kind, label, paragraph_start, paragraph_end,"
            " sentence_starts, sentence_ends) FROM STDIN"
        ) as cp:
            for i, p in enumerate(ingested.passages):
                sv = sents.get(p.passage_id)
                spans = sv.spans if sv is not None else ()
                cp.write_row(
                    (
                        ids[i],
                        p.passage_id,
                        p.doc_id,
                        i,
                        p.text,
                        p.start,
                        p.end,
                        p.page_start,
                        p.page_end,
                        list(p.section),
                        p.language,
                        p.kind,
                        p.label,
                        p.paragraph_start,
                        p.paragraph_end,
                        [a for a, _ in spans],
                        [b for _, b in spans],
                    )
                )
        with cur.copy(
            "COPY elements (unit_id, element_id, doc_id, seq, kind, text, label, ordinal, heading,"
            ' meeting, title, year, page_start, page_end, start, "end", language, section,'
            " paragraph_start, paragraph_end, passage_id) FROM STDIN"
        ) as cp:
            for j, e in enumerate(ingested.elements):
                cp.write_row(
                    (
                        ids[base + j],
                        e.element_id,
                        e.doc_id,
                        j,
                        e.kind,
                        e.text,
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
                        list(e.section),
                        e.paragraph_start,
                        e.paragraph_end,
                        _containing_passage(e, ingested.passages),
                    )
                )
        with cur.copy('COPY sentences (unit_id, seq, start, "end", embedding) FROM STDIN') as cp:
            for i, p in enumerate(ingested.passages):
                sv = sents.get(p.passage_id)
                if sv is None:
                    continue
                for k, (start, end) in enumerate(sv.spans):
                    cp.write_row((ids[i], k, start, end, _vec_text(sv.vectors[k])))


def _np(v: Any) -> np.ndarray:
    """A pgvector ``Vector`` (or sequence) as (dim,) float32."""
    return np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v, dtype=np.float32)


def _vec_text(v: np.ndarray) -> str:
    """pgvector's text form ``[x,y,...]`` (COPY text format)."""
    return "[" + ",".join(map(repr, v.astype(np.float32).tolist())) + "]"


def _safe_url(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
