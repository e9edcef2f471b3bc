"""Benchmark (not a test): prints cold ingest time of the bundled corpus, units embedded
per second, index size on disk, peak RSS, and p50/p95 latency of ``search`` and ``ask``
over a question set in one warm process.

Run: ``.venv/bin/python -m evals.benchmark [--questions FILE] [--json]``. It builds a
fresh index in a temporary directory; the live index is not touched.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from corpus.embeddings import make_embedder
from corpus.indexer import ingest_paths
from evals.run import load_questions
from gfmd.settings import get_settings


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


def run(questions: Path) -> dict:
    """Measure; see the module docstring. Times are seconds, latencies milliseconds."""
    from assistant.answer import ask
    from assistant.retrieve import resources, search

    base = get_settings()
    with tempfile.TemporaryDirectory(prefix="gfmd-bench-") as tmp:
        settings = base.model_copy(update={"index_dir": Path(tmp) / "index"})
        t0 = time.perf_counter()
        embedder = make_embedder(settings.embedding)
        load_s = time.perf_counter() - t0
        embed_times: list[float] = []
        marks: dict[str, float] = {}

        def on_embed(done: int, total: int) -> None:
            marks.setdefault("start", time.perf_counter())
            marks["end"] = time.perf_counter()
            marks["units"] = total

        t0 = time.perf_counter()
        report = ingest_paths(
            [settings.corpus_dir],
            settings=settings,
            rebuild=True,
            embedder=embedder,
            on_embed=on_embed,
        )
        ingest_s = time.perf_counter() - t0
        units = report.passages + report.elements
        # Embedding throughput measured separately on the stored texts (clean number).
        res = resources(settings)
        texts = [p.text for p in res.store.passages()]
        t0 = time.perf_counter()
        embedder.embed(texts)
        embed_times.append(time.perf_counter() - t0)
        size = _dir_size(settings.index_dir)
        qs = [q["q"] for q in load_questions(questions)]
        search(qs[0], res=res)  # warm-up
        s_lat, a_lat = [], []
        for q in qs:
            t0 = time.perf_counter()
            search(q, res=res)
            s_lat.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            ask(q, res=res)
            a_lat.append((time.perf_counter() - t0) * 1000)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "embedding_model": embedder.name,
            "model_load_s": round(load_s, 2),
            "cold_ingest_s": round(ingest_s, 2),
            "documents": report.documents,
            "passages": report.passages,
            "elements": report.elements,
            "units_embedded_per_s": round(len(texts) / embed_times[0], 1) if texts else None,
            "index_size_mb": round(size / 1e6, 2),
            "peak_rss_mb": round(rss_mb, 1),
            "questions": len(qs),
            "search_p50_ms": round(statistics.median(s_lat), 1),
            "search_p95_ms": round(_percentile(s_lat, 0.95), 1),
            "ask_p50_ms": round(statistics.median(a_lat), 1),
            "ask_p95_ms": round(_percentile(a_lat, 0.95), 1),
            "units_indexed": units,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(Path(__file__).parent / "dev_questions.jsonl"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(Path(args.questions))
    if args.json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
