"""Generative answers from a real model, end to end (marker ``llm``; CI runs it in its own
step of scripts/test.sh).

Fetches Qwen2.5-Coder-0.5B-Instruct (GGUF) with the model registry into
``settings.models_dir`` (outside the checkout; reused when already verified), starts
llama.cpp's OpenAI-compatible server (``python -m llama_cpp.server``) on 127.0.0.1 at a
free port, and runs ``gfmd ask --llm openai --base-url … --json`` on one French, one
English and one Spanish question over a small index (one bundled report, hashing
embedder). A small model's wording is not asserted, only the invariants the project
promises whatever the model writes:

- the answer is generative, or the extractive fallback with an explicit notice;
- every marker in the text points at a citation, and every citation is used;
- every quote is verbatim in its passage's text;
- no marker beyond the citations survives (invented ones are dropped and counted).

Skipped when llama-cpp-python is not installed, unless ``GFMD_REQUIRE_LLM=1`` (CI), which
turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gfmd import models
from gfmd.settings import Settings

pytestmark = pytest.mark.llm

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "corpus" / "reports" / "gfmd-2011-module-iii-synthesis-fr.txt"
QUESTIONS = [
    ("fr", "Pourquoi les gouvernements ont-ils besoin d'aide pour évaluer leurs politiques ?"),
    ("en", "What did the workshop say about migration profiles?"),
    ("es", "¿Qué dificultades tienen los gobiernos para evaluar sus políticas migratorias?"),
]
"""Questions that take the generative path (an element-listing question such as "Quels
sont les messages essentiels de Chisinau ?" is answered by the element list, without the
chat model)."""
SERVER_START_S = 180
ASK_TIMEOUT_S = 300


def _require_llama_cpp() -> None:
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        if os.environ.get("GFMD_REQUIRE_LLM") == "1":
            pytest.fail(f"llama-cpp-python[server] is required here ({exc})")
        pytest.skip(f"llama-cpp-python[server] not installed ({exc})")


def _env(index_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        GFMD_INDEX_DIR=str(index_dir),
        GFMD_EMBEDDING__BACKEND="hashing",
        GFMD_LLM__MAX_TOKENS="200",
        GFMD_LLM__TIMEOUT_S=str(ASK_TIMEOUT_S),
        HF_HUB_OFFLINE="1",
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def gguf() -> Path:
    _require_llama_cpp()
    status = models.fetch("qwen2.5-coder-0.5b", settings=Settings())
    assert status.present
    return status.path


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("llm") / "index"
    subprocess.run(
        [sys.executable, "-m", "gfmd.cli", "ingest", "--quiet", str(REPORT)],
        env=_env(index),
        check=True,
        timeout=600,
        capture_output=True,
    )
    return index


@pytest.fixture(scope="module")
def base_url(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "wb")  # noqa: SIM115
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
        "--n_threads", "1", "--n_threads_batch", "1",
    ]  # fmt: skip
    server = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {server.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not up after {SERVER_START_S} s; see {log.name}")
            time.sleep(1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        log.close()


@pytest.mark.parametrize(("language", "question"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_ask_over_llama_cpp_server_keeps_the_citation_invariants(
    base_url: str, index_dir: Path, language: str, question: str
) -> None:
    cmd = [
        sys.executable, "-m", "gfmd.cli", "ask", "--json", "--llm", "openai",
        "--base-url", base_url, "--model", "qwen2.5-coder-0.5b", question,
    ]  # fmt: skip
    done = subprocess.run(
        cmd,
        env=_env(index_dir),
        capture_output=True,
        text=True,
        timeout=ASK_TIMEOUT_S + 60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["mode"] == "generative" or (
        answer["notice"] and "language model" in answer["notice"]
    ), answer
    if answer["status"] == "not_found":
        return
    cited = [c["marker"] for c in answer["citations"]]
    assert cited == list(range(1, len(cited) + 1))
    used = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert used == set(cited), (used, cited)  # every marker resolves, no invented one left
    for c in answer["citations"]:
        assert c["quote"] and c["quote"] in c["text"], c
    for sentence in answer["unsupported"]:
        assert sentence in answer["answer"]
