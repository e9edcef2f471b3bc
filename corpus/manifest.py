"""The manifest of bundled reports (``corpus/manifest.toml``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from gfmd.errors import ConfigError
from ingest.models import DocumentMeta

_REQUIRED = ("id", "file", "title")


def load_manifest(path: Path) -> dict[str, DocumentMeta]:
    """Read the manifest.

    Args:
        path: a TOML file with ``[[documents]]`` tables (id, file, title, year, meeting,
            doc_type, language, original_file). A missing file means an empty manifest.

    Returns:
        Metadata keyed by file name (the ``file`` field, a name under the reports folder).

    Raises:
        ConfigError: the file is not valid TOML, or an entry lacks id/file/title, or two
            entries share an id.
    """
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML manifest ({exc})") from None
    out: dict[str, DocumentMeta] = {}
    seen: set[str] = set()
    for i, entry in enumerate(data.get("documents", []), start=1):
        missing = [k for k in _REQUIRED if not entry.get(k)]
        if missing:
            raise ConfigError(f"{path}: document #{i} lacks {', '.join(missing)}")
        if entry["id"] in seen:
            raise ConfigError(f"{path}: duplicate document id {entry['id']!r}")
        seen.add(entry["id"])
        out[entry["file"]] = DocumentMeta(
            doc_id=entry["id"],
            title=entry["title"],
            year=entry.get("year"),
            meeting=entry.get("meeting"),
            doc_type=entry.get("doc_type"),
            language=entry.get("language"),
            original_file=entry.get("original_file"),
        )
    return out
