"""Benchmark (not a test) of the embedded store at scale: one-document incremental ingest
into a synthetic store of N units, search latency there, and the recall@10 of the
approximate (HNSW) dense index against exact search.

The synthetic store is made of the bundled reports' paragraphs (cycled, each prefixed
with a serial number so that every passage is distinct), 25 passages per document,
with random unit vectors of the hashing embedder's dimension (embedding 10^5 texts,
even with the hashing embedder, would dominate the set-up; the store's costs do not
depend on the vectors' content, and random vectors are the hard case for HNSW recall). The measured step runs in a fresh process (cold: it loads the
FAISS cache and applies the delta) and ingests one bundled report with
``corpus.indexer.ingest_paths``; it prints wall seconds and the process's peak RSS.

Run: ``.venv/bin/python -m evals.bench_store [--units 100000] [--json]``;
``--default-embedder`` instead measures search and ask latency at that size with the
default embedder embedding the queries (:func:`measure_default_embedder`). Everything is
written to a temporary directory. Numbers under co-tenancy are not meaningful: re-measure
on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.embeddings import HashingEmbedder
from gfmd.settings import EmbeddingSettings, Settings, StoreSettings, get_settings
from ingest.models import Block, Document, DocumentMeta, IngestedDocument, Passage, content_id

PER_DOC = 25


def _paragraphs(corpus_dir: Path) -> list[str]:
    paras: list[str] = []
    for f in sorted(corpus_dir.glob("*")):
        if f.suffix in (".txt", ".md"):
            text = f.read_text(encoding="utf-8", errors="replace")
            paras += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80]
    return paras


def _synthetic_doc(i: int, paras: list[str]) -> IngestedDocument:
    doc_id = f"synthetic-{i:06d}"
    text, spans = "", []
    for j in range(PER_DOC):
        para = f"[{i}.{j}] " + paras[(i * PER_DOC + j) % len(paras)][:1000]
        start = len(text)
        text += para
        spans.append((start, len(text)))
        text += "\n\n"
    meta = DocumentMeta(doc_id, f"Synthetic report {i}", 2008 + i % 17, None, "report", "fr")
    doc = Document(
        meta,
        f"/synthetic/{doc_id}.txt",
        content_id(doc_id, len(text)),
        text,
        (),
        tuple(Block("paragraph", s, e, ("Section",)) for s, e in spans),
    )
    passages = tuple(
        Passage(content_id(doc_id, s, e, text[s:e]), doc_id, text[s:e], s, e, None, None,
                ("Section",), "fr", "body", f"{meta.title}, §{j}")
        for j, (s, e) in enumerate(spans)
    )  # fmt: skip
    return IngestedDocument(doc, passages, ())


def build(
    index_dir: Path,
    units: int,
    settings: Settings,
    *,
    embedding_model: str | None = None,
    dim: int | None = None,
) -> float:
    """Write the synthetic store: random unit vectors of ``dim`` dimensions recorded as
    made by ``embedding_model`` (default: the hashing embedder's name and dimension);
    returns the seconds it took."""
    from corpus.store import EmbeddedStore

    emb = HashingEmbedder()
    dim = dim or emb.dim
    rng = np.random.default_rng(0)

    def random_vectors(texts: Sequence[str]) -> np.ndarray:
        v = rng.standard_normal((len(texts), dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    paras = _paragraphs(settings.corpus_dir)
    store = EmbeddedStore.open(
        index_dir, settings, embedding_model=embedding_model or emb.name, create=True
    )
    t0 = time.perf_counter()
    n_docs = max(1, units // PER_DOC)
    step = 400
    for at in range(0, n_docs, step):
        docs = [_synthetic_doc(i, paras) for i in range(at, min(n_docs, at + step))]
        store.write(docs, vectors=random_vectors)
    store.close()
    return time.perf_counter() - t0


def measure_default_embedder(index_dir: Path, units: int, questions: int = 25) -> dict:
    """Search and ask latency at ``units`` with the default embedder embedding the queries.

    The store holds the synthetic passages with random unit vectors of the default
    embedder's dimension, recorded under its name (embedding 10^5 texts would take hours
    here); queries are embedded by the real model, so the numbers include query embedding
    and the lexical search at that size. 3 rounds of the first ``questions`` dev questions,
    after one warm-up round.

    Before the searches, one bundled report is ingested into that store with the default
    embedder (``one_doc_ingest_s``: wall seconds of ``ingest_paths``, the embedding of its
    passages, elements and sentences, and the write).

    Returns:
        units, one-report ingest seconds and units, search and ask p50/p95 (ms), the query
        embedding's p50 (ms), model name.
    """
    from assistant.answer import ask
    from assistant.retrieve import resources, search
    from corpus.embeddings import make_embedder
    from corpus.indexer import ingest_paths
    from evals.benchmark import DEFAULT_QUESTIONS, _dist
    from evals.run import load_questions

    settings = get_settings().model_copy(update={"index_dir": index_dir})
    emb = make_embedder(settings.embedding)
    dim = int(emb.embed(["probe"], query=True).shape[1])
    build(index_dir, units, settings, embedding_model=emb.name, dim=dim)
    report_file = sorted(settings.corpus_dir.glob("*.txt"))[0]
    t0 = time.perf_counter()
    report = ingest_paths([report_file], settings=settings, embedder=emb)
    ingest_s = time.perf_counter() - t0
    res = resources(settings)
    qs = [item["q"] for item in load_questions(DEFAULT_QUESTIONS)][:questions]
    for q in qs:
        ask(q, res=res)
    with res.store.reader() as r:
        out: dict = {
            "units": r.size,
            "model": emb.name,
            "one_doc_ingest_s": round(ingest_s, 2),
            "one_doc_ingest_file": report_file.name,
            "one_doc_units": report.files[0].passages + report.files[0].elements,
        }
    for name, call in (
        ("search", lambda q: search(q, res=res)),
        ("ask", lambda q: ask(q, res=res)),
    ):
        lat = []
        for _ in range(3):
            for q in qs:
                t = time.perf_counter()
                call(q)
                lat.append((time.perf_counter() - t) * 1000)
        d = _dist(lat)
        out[f"{name}_p50_ms"], out[f"{name}_p95_ms"] = d["p50_ms"], d["p95_ms"]
    emb_lat = []
    for q in qs:
        t = time.perf_counter()
        emb.embed([q], query=True)
        emb_lat.append((time.perf_counter() - t) * 1000)
    out["query_embedding_p50_ms"] = round(statistics.median(emb_lat), 1)
    return out


def measure(index_dir: Path, settings: Settings) -> dict:
    """In this (fresh) process: one-document ingest, then search latency and recall."""
    from assistant.retrieve import resources, search
    from corpus.indexer import ingest_paths
    from corpus.protocol import UnitFilter
    from corpus.store import EmbeddedStore

    emb = HashingEmbedder()
    paras = _paragraphs(settings.corpus_dir)
    one = _synthetic_doc(10**6, paras)
    t0 = time.perf_counter()
    writer = EmbeddedStore.open(index_dir, settings, embedding_model=emb.name, create=True)
    writer.write([one], vectors=emb.embed)
    writer.close()
    store_write_s = time.perf_counter() - t0
    report_file = sorted(settings.corpus_dir.glob("*.txt"))[0]
    t0 = time.perf_counter()
    report = ingest_paths([report_file], settings=settings)
    ingest_s = time.perf_counter() - t0
    rss_after_ingest = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = resources(settings)
    questions = ["transferts de fonds des migrants", "profils migratoires", "diaspora"]
    lat = []
    for _ in range(5):
        for q in questions:
            t = time.perf_counter()
            search(q, res=res)
            lat.append((time.perf_counter() - t) * 1000)
    store = res.store
    rng = np.random.default_rng(0)
    with store.reader() as r:
        approximate = bool(r.snapshot.shared.approximate)  # type: ignore[attr-defined]
        size = r.size
        rows = r.conn.execute("SELECT unit_id, vector FROM units").fetchall()  # type: ignore[attr-defined]
        ids = np.array([u for u, _ in rows], np.int64)
        matrix = np.frombuffer(b"".join(v for _, v in rows), np.float32).reshape(len(rows), -1)
        recalls = []
        for qi in rng.choice(len(rows), size=min(50, len(rows)), replace=False):
            q = matrix[qi] + rng.normal(0, 0.05, matrix.shape[1]).astype(np.float32)
            q /= np.linalg.norm(q)
            exact = set(ids[np.argsort(-(matrix @ q))[:10]].tolist())
            got = {u for u, _ in r.dense_search(q, 10)}
            recalls.append(len(exact & got) / 10)
        t = time.perf_counter()
        for q in questions:
            from corpus.analysis import analyze

            r.lexical_search(analyze(q, "fr"), "fr", 50, UnitFilter(year_min=2010))
        lexical_ms = (time.perf_counter() - t) * 1000 / len(questions)
    return {
        "units": size,
        "store_write_one_doc_s": round(store_write_s, 2),
        "store_write_one_doc_units": len(one.passages),
        "one_doc_ingest_s": round(ingest_s, 2),
        "one_doc_ingest_file": report_file.name,
        "one_doc_status": report.files[0].status if report.files else None,
        "peak_rss_mb_after_ingest": round(rss_after_ingest),
        "search_p50_ms": round(statistics.median(lat), 1),
        "search_max_ms": round(max(lat), 1),
        "lexical_filtered_ms": round(lexical_ms, 1),
        "dense_approximate": approximate,
        "dense_recall_at_10_vs_exact": round(float(np.mean(recalls)), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _settings(index_dir: Path, ann_min_units: int | None) -> Settings:
    base = get_settings()
    store = base.store if ann_min_units is None else StoreSettings(ann_min_units=ann_min_units)
    return base.model_copy(
        update={
            "index_dir": index_dir,
            "embedding": EmbeddingSettings(backend="hashing"),
            "store": store,
        }
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, default=100_000, help="synthetic store size (units)")
    ap.add_argument("--ann-min-units", type=int, default=None, help="override store.ann_min_units")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--default-embedder",
        action="store_true",
        help="instead: search and ask latency with the default embedder embedding the queries",
    )
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, _settings(args.measure, args.ann_min_units))))
        return 0
    if args.default_embedder:
        with tempfile.TemporaryDirectory(prefix="gfmd-bench-store-") as tmp:
            _print(measure_default_embedder(Path(tmp) / "index", args.units), args.json)
        return 0
    with tempfile.TemporaryDirectory(prefix="gfmd-bench-store-") as tmp:
        index_dir = Path(tmp) / "index"
        settings = _settings(index_dir, args.ann_min_units)
        build_s = build(index_dir, args.units, settings)
        cmd = [sys.executable, "-m", "evals.bench_store", "--measure", str(index_dir)]
        if args.ann_min_units is not None:
            cmd += ["--ann-min-units", str(args.ann_min_units)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600)
        result = {"build_s": round(build_s, 1), **json.loads(out.stdout.strip().splitlines()[-1])}
        result["vectors"] = "synthetic store: random unit vectors, dim 256; queries: hashing-256"
    _print(result, args.json)
    return 0


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")


if __name__ == "__main__":
    raise SystemExit(main())
