"""Benchmark (not a test): time from submitting a question in the browser to the rendered
answer, measured in headless Chromium against a running ``gfmd serve``.

It builds a fresh index of the given reports (default: the bundled corpus) in a temporary
directory with the default settings, starts the app on a free 127.0.0.1 port, asks each
question through the page (type, click "Ask") and stops the clock when the final answer
(cited, or "not found") is rendered in the chat. Prints per-question times and the p50.

Run: ``.venv/bin/python -m evals.ui_latency [-n 5] [--json]``. Needs Debian's chromium
(``apt-get install chromium``) and Playwright for Python (dev extra). The helpers here
(:func:`running_app`, :func:`launch_chromium`, :func:`ask_in_page`) are also used by
``tests/test_browser.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gfmd.settings import PROJECT_ROOT

CHROMIUM_PATH = Path("/usr/bin/chromium")
"""Debian's chromium; Playwright's own browser download does not work on these machines."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DEFAULT_QUESTIONS = PROJECT_ROOT / "evals" / "dev_questions.jsonl"

FINAL_ANSWERS_JS = "document.querySelectorAll('#chat .answer:not(.streaming)').length"
"""How many final answers (cited, not found or error) the chat shows."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(workdir: Path) -> dict[str, str]:
    """Environment for a ``gfmd`` subprocess whose index, uploads and Gradio temporary
    files live under ``workdir`` (the real index and uploads are not touched)."""
    env = dict(os.environ)
    env.update(
        GFMD_INDEX_DIR=str(workdir / "index"),
        GFMD_UPLOAD_DIR=str(workdir / "uploads"),
        GRADIO_TEMP_DIR=str(workdir / "gradio"),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
    )
    return env


def gfmd(*args: str, env: dict[str, str], timeout_s: float = 600) -> str:
    """Run the ``gfmd`` CLI in a subprocess; returns stdout.

    Raises:
        subprocess.CalledProcessError: non-zero exit.
    """
    done = subprocess.run(
        [sys.executable, "-m", "gfmd.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=True,
    )
    return done.stdout


@contextlib.contextmanager
def running_app(env: dict[str, str], *, timeout_s: float = 120) -> Iterator[str]:
    """Start ``gfmd serve`` on a free port and yield its URL once it answers HTTP.

    Raises:
        RuntimeError: the server exited or did not answer within ``timeout_s`` seconds
            (its output is in the message).
    """
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gfmd.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"gfmd serve exited ({proc.returncode}): {_read(log)}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gfmd serve did not start in {timeout_s} s: {_read(log)}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _read(log: Any) -> str:
    log.seek(0)
    return log.read()[-3000:]


def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's headless chromium through Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS)


def ask_in_page(page: Any, question: str, *, timeout_ms: float = 60_000) -> float:
    """Type a question into the chat, submit it, and wait for its final answer.

    Returns:
        Seconds from the click on "Ask" to the rendered final answer.
    """
    before = page.evaluate(FINAL_ANSWERS_JS)
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.click("#ask-btn")
    page.wait_for_function(f"{FINAL_ANSWERS_JS} > {before}", timeout=timeout_ms)
    return time.perf_counter() - started


def load_questions(path: Path, n: int) -> list[str]:
    """The first ``n`` questions of a JSONL file (``{"q": ...}`` per line)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line)["q"])
        if len(out) >= n:
            break
    return out


def run(questions: Sequence[str], reports: Sequence[Path]) -> dict[str, Any]:
    """Measure; see the module docstring. Times in seconds."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="gfmd-ui-bench-") as tmp:
        env = app_env(Path(tmp))
        t0 = time.perf_counter()
        gfmd("ingest", "--quiet", *map(str, reports), env=env)
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with running_app(env) as url, sync_playwright() as pw:
            start_s = time.perf_counter() - t0
            browser = launch_chromium(pw)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#question textarea")
            times = [ask_in_page(page, q) for q in questions]
            browser.close()
    return {
        "reports": len(reports),
        "ingest_s": round(ingest_s, 2),
        "server_start_s": round(start_s, 2),
        "questions": [{"q": q, "s": round(t, 3)} for q, t in zip(questions, times, strict=True)],
        "p50_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="questions asked (default 5)")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument(
        "--reports", type=Path, nargs="*", help="report files (default: the bundled corpus)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not CHROMIUM_PATH.exists():
        print(f"ui_latency: {CHROMIUM_PATH} missing (apt-get install chromium)", file=sys.stderr)
        return 2
    reports = args.reports or sorted((PROJECT_ROOT / "corpus" / "reports").iterdir())
    result = run(load_questions(args.questions, args.n), reports)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for item in result["questions"]:
            print(f"{item['s']:7.3f} s  {item['q']}")
        print(
            f"question -> rendered answer: p50 {result['p50_s']:.3f} s, max {result['max_s']:.3f} s "
            f"({len(result['questions'])} questions; index of {result['reports']} reports built in "
            f"{result['ingest_s']:.1f} s; server up in {result['server_start_s']:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
