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
