"""Stress run (not a test): N concurrent ``/ask`` calls against a served app on
127.0.0.1, through gradio_client; prints the failures and the p50/p95 latency.

It either takes the URL of an app already running on this machine (``--url``), or starts
``gfmd serve`` on a free 127.0.0.1 port over an index: the live one of the settings
(default; real embedding model), another directory (``--index DIR``), or a fresh index
of the bundled corpus built with the hashing embedder in a temporary directory
(``--hashing``: no model, to check the serving path quickly). Uploads and Gradio's
temporary files of a started app go to a temporary directory.

All N questions (cycled from the dev question set) are submitted at once; a call's
latency runs from its submission to its result, so under load it includes the time the
call waited in Gradio's queue. A failure is any call that raised, or whose result is not
the ask JSON (``status`` answered/not_found).

Run: ``.venv/bin/python -m evals.stress [-n 200] [--url URL | --index DIR | --hashing]
[--timeout 900] [--json]``. Timings on a shared machine are not meaningful; run it on a
quiet one for numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from evals.ui_latency import DEFAULT_QUESTIONS, gfmd, running_app
from gfmd.settings import PROJECT_ROOT, get_settings

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The stress run only ever targets this machine."""


def load_questions(path: Path) -> list[str]:
    """The ``q`` field of each line of a JSONL question set."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["q"] for line in fh if line.strip()]


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def stress(url: str, questions: Sequence[str], n: int, *, timeout_s: float) -> dict[str, Any]:
    """Submit ``n`` ``/ask`` calls at once and wait for all of them.

    Args:
        url: the app (must be on this machine).
        questions: cycled to make the ``n`` calls.
        n: concurrent calls (count).
        timeout_s: how long to wait for the last result (seconds); calls still pending
            then count as failures.

    Returns:
        ``{"calls", "ok", "failures", "errors" (first 10 messages), "statuses",
        "latency_s": {"p50", "p95", "max"}, "wall_s"}``.

    Raises:
        ValueError: ``url`` is not on 127.0.0.1/localhost.
    """
    host = urlparse(url).hostname
    if host not in LOCAL_HOSTS:
        raise ValueError(f"refusing to stress {host!r}: only an app on 127.0.0.1 is allowed")
    from gradio_client import Client

    # httpx's default 5 s read timeout would fail every call that waits in the queue
    client = Client(
        url,
        verbose=False,
        max_workers=max(1, n),
        httpx_kwargs={"timeout": timeout_s},
        analytics_enabled=False,
        download_files=False,
    )
    lock = threading.Lock()
    done_at: dict[int, float] = {}
    submitted_at: dict[int, float] = {}
    jobs = []
    started = time.perf_counter()
    for i in range(n):
        submitted_at[i] = time.perf_counter()
        job = client.submit(questions[i % len(questions)], api_name="/ask")

        def record(_job: Any, i: int = i) -> None:
            with lock:
                done_at[i] = time.perf_counter()

        job.add_done_callback(record)
        jobs.append(job)
    errors: list[str] = []
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    deadline = started + timeout_s
    for i, job in enumerate(jobs):
        try:
            result = job.result(timeout=max(0.0, deadline - time.perf_counter()))
        except Exception as exc:  # a failed call is the measurement, not a crash
            errors.append(f"call {i}: {type(exc).__name__}: {exc}"[:300])
            continue
        status = result.get("status") if isinstance(result, dict) else None
        if status not in ("answered", "not_found"):
            errors.append(f"call {i}: unexpected result {str(result)[:200]}")
            continue
        statuses[status] = statuses.get(status, 0) + 1
        with lock:
            end = done_at.get(i, time.perf_counter())
        latencies.append(end - submitted_at[i])
    wall = time.perf_counter() - started
    with contextlib.suppress(Exception):
        client.close()
    return {
        "url": url,
        "calls": n,
        "ok": len(latencies),
        "failures": n - len(latencies),
        "errors": errors[:10],
        "statuses": statuses,
        "latency_s": {
            "p50": round(percentile(latencies, 50), 3),
            "p95": round(percentile(latencies, 95), 3),
            "max": round(max(latencies), 3) if latencies else math.nan,
            "mean": round(statistics.fmean(latencies), 3) if latencies else math.nan,
        },
        "wall_s": round(wall, 2),
    }


@contextlib.contextmanager
def served_app(index: Path | None, *, hashing: bool) -> Iterator[str]:
    """Start ``gfmd serve`` over ``index`` (or a fresh hashing index) on 127.0.0.1."""
    with tempfile.TemporaryDirectory(prefix="gfmd-stress-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        env.update(
            GFMD_UPLOAD_DIR=str(work / "uploads"),
            GRADIO_TEMP_DIR=str(work / "gradio"),
            GRADIO_ANALYTICS_ENABLED="False",
            HF_HUB_OFFLINE="1",
            GFMD_UI__HOST="127.0.0.1",
        )
        if hashing:
            env.update(GFMD_INDEX_DIR=str(work / "index"), GFMD_EMBEDDING__BACKEND="hashing")
            gfmd("ingest", "--quiet", str(PROJECT_ROOT / "corpus" / "reports"), env=env)
        else:
            env["GFMD_INDEX_DIR"] = str(index or get_settings().index_dir)
        with running_app(env, timeout_s=300) as url:
            yield url


def format_report(r: dict[str, Any]) -> str:
    lat = r["latency_s"]
    lines = [
        f"{r['calls']} concurrent /ask calls to {r['url']}: {r['ok']} ok, "
        f"{r['failures']} failed; statuses {r['statuses']}",
        f"latency p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s, max {lat['max']:.2f} s; "
        f"wall {r['wall_s']:.1f} s",
    ]
    lines += [f"  {e}" for e in r["errors"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="concurrent calls (default 200)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="an app already running on 127.0.0.1")
    where.add_argument("--index", type=Path, help="serve this index directory")
    where.add_argument(
        "--hashing", action="store_true", help="serve a fresh hashing index of the corpus"
    )
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="wait for the last call (seconds)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    questions = load_questions(args.questions)
    if args.url:
        report = stress(args.url, questions, args.n, timeout_s=args.timeout)
    else:
        with served_app(args.index, hashing=args.hashing) as url:
            report = stress(url, questions, args.n, timeout_s=args.timeout)
    print(json.dumps(report, ensure_ascii=False) if args.json else format_report(report))
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
