"""Uploads: check what the browser sent, store it under the upload directory with a
sanitised name, ingest it incrementally, and remove documents.

Safety rules (issue 5): only ``.pdf``, ``.txt`` and ``.md``; at most
``ui.max_upload_mb``; the only paths read are files inside Gradio's own upload folder
(where Gradio writes what the browser sent), never a path a client names; stored names
keep ASCII letters, digits, ``.``, ``-`` and ``_`` only. A rejected file leaves nothing
behind: its stored copy is deleted (or the previous file of that name restored) and the
index is not touched.

Index writes (ingest, remove) are serialised by one process-wide lock; queries keep
running meanwhile because every write builds a new index version and switches to it
atomically (see :mod:`corpus.store`).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.indexer import FileResult, IngestReport, file_hash, ingest_paths, remove_documents
from corpus.open_store import open_store
from gfmd.settings import Settings

ALLOWED_SUFFIXES = (".pdf", ".txt", ".md")
"""Report formats the loaders read (issue 5: PDF, TXT, MD)."""

MAX_NAME_CHARS = 120
"""Longest stored file name (characters, extension included); well under the 255 bytes
of common file systems."""

WRITE_LOCK = threading.Lock()
"""Held while an ingest or a removal writes the index (one writer at a time)."""


@dataclass(frozen=True)
class Staged:
    """An upload copied into the upload directory, awaiting ingestion.

    Attributes:
        name: the name the user gave the file (for messages).
        path: where it is stored now.
        backup: the previous file of the same name, moved aside, restored if the new
            one is rejected; None when the name was free or held the same content.
        reused: the upload directory already held this very file (same name and
            content); it is left in place whatever happens.
    """

    name: str
    path: Path
    backup: Path | None
    reused: bool = False


def sanitise_filename(name: str) -> str:
    """A safe file name for an upload.

    Accents are folded to ASCII, every run of other characters becomes ``-``, path
    components are dropped, leading dots removed, the extension lower-cased and the
    stem cut so that the name has at most :data:`MAX_NAME_CHARS` characters.

    Args:
        name: the client's file name (may contain directories, spaces, anything).

    Returns:
        e.g. ``"Rapport_FMMD-2019-été.PDF"`` -> ``"Rapport_FMMD-2019-ete.pdf"``; a name with
        nothing usable becomes ``"upload"`` plus its extension.
    """
    base = re.split(r"[\\/]", name)[-1]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = folded.rpartition(".")
    if not dot:
        stem, ext = folded, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-._") or "upload"
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())
    suffix = f".{ext}" if ext else ""
    return stem[: MAX_NAME_CHARS - len(suffix)].rstrip("-._") + suffix


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def check_upload(path: Path, *, upload_root: Path, max_mb: float) -> str | None:
    """Why an uploaded file cannot be accepted, or None when it can.

    Args:
        path: the temporary file Gradio wrote.
        upload_root: Gradio's upload folder; anything elsewhere is refused unread.
        max_mb: size limit (MB, 1 MB = 1024 * 1024 bytes).
    """
    if not _inside(path, upload_root) or path.is_symlink():
        return "not an uploaded file"
    if path.suffix.lower() not in ALLOWED_SUFFIXES:
        return f"file type {path.suffix or '(none)'} not accepted (only PDF, TXT, MD)"
    if not path.is_file():
        return "upload missing"
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        return f"too large: {size / 1024 / 1024:.1f} MB (limit {max_mb:g} MB)"
    if size == 0:
        return "empty file"
    return None


def over_total_quota(
    files: Sequence[str | Path], *, upload_root: Path, max_mb: float
) -> str | None:
    """Why one upload request is refused as a whole: its files (those inside Gradio's
    upload folder) total more than ``max_mb`` (MB of 2^20 bytes; ``ui.max_upload_total_mb``),
    or None. Three 49 MB files in one request are refused, though each passes the
    per-file limit."""
    total = 0
    for raw in files:
        path = Path(raw)
        if _inside(path, upload_root) and path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    if total > max_mb * 1024 * 1024:
        return (
            f"upload too large in total: {total / 1024 / 1024:.1f} MB in {len(files)} files "
            f"(limit {max_mb:g} MB per upload)"
        )
    return None


def stage(path: Path, settings: Settings) -> Staged:
    """Copy an accepted upload into ``settings.upload_dir`` under its sanitised name.

    A file of the same name and same content is reused; one with other content is moved
    aside (restored by :func:`unstage` if the new file is rejected).
    """
    upload_dir = settings.upload_dir
    upload_dir.mkdir(parents=True, exist_ok=True)
    target = upload_dir / sanitise_filename(path.name)
    backup = None
    if target.exists():
        if file_hash(target) == file_hash(path):
            return Staged(path.name, target, None, reused=True)
        backup = upload_dir / f".{target.name}.{uuid.uuid4().hex[:8]}.bak"
        os.replace(target, backup)
    tmp = upload_dir / f".{target.name}.{uuid.uuid4().hex[:8]}.part"
    shutil.copyfile(path, tmp)
    os.replace(tmp, target)
    return Staged(path.name, target, backup)


def unstage(staged: Staged, *, keep: bool) -> None:
    """Finish a staged upload: keep it (drop the backup) or undo it (restore the backup,
    or delete the copy)."""
    if staged.reused:
        return
    if keep:
        if staged.backup is not None:
            staged.backup.unlink(missing_ok=True)
        return
    if staged.backup is not None:
        os.replace(staged.backup, staged.path)
    else:
        staged.path.unlink(missing_ok=True)


def ingest_uploads(
    files: Sequence[str | Path],
    *,
    settings: Settings,
    upload_root: Path,
    embedder: object | None = None,
    on_file: Callable[[int, int, Path], None] | None = None,
    on_embed: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Check, store and ingest uploaded files.

    Args:
        files: paths of Gradio's temporary uploads.
        settings: upload directory, size limit, index and ingest settings.
        upload_root: Gradio's upload folder (see :func:`check_upload`).
        embedder: the loaded embedder to reuse (default: the indexer loads one).
        on_file, on_embed: progress callbacks of :func:`corpus.indexer.ingest_paths`.

    Returns:
        The ingest report; files refused before ingestion are ``rejected`` with their
        reason. Every result's ``path`` is the user's file name, never a server path.

    Raises:
        StoreError: the live index was built with other settings (nothing is changed).
    """
    results: list[FileResult] = []
    staged: list[Staged] = []
    order: list[str] = []
    over = over_total_quota(files, upload_root=upload_root, max_mb=settings.ui.max_upload_total_mb)
    for raw in files:
        path = Path(raw)
        order.append(path.name)
        why = over or check_upload(path, upload_root=upload_root, max_mb=settings.ui.max_upload_mb)
        if why is not None:
            results.append(FileResult(path.name, "rejected", reason=why))
            continue
        staged.append(stage(path, settings))
    report = IngestReport(index_dir=str(settings.index_dir))
    if staged:
        with WRITE_LOCK:
            try:
                report = ingest_paths(
                    [s.path for s in staged],
                    settings=settings,
                    embedder=embedder,  # type: ignore[arg-type]
                    on_file=on_file,
                    on_embed=on_embed,
                )
            except BaseException:
                for s in staged:
                    unstage(s, keep=False)
                raise
        by_path = {Path(f.path).resolve(): f for f in report.files}
        for s in staged:
            res = by_path.get(s.path.resolve())
            if res is None:
                res = FileResult(str(s.path), "rejected", reason="not read")
            unstage(s, keep=res.status in ("added", "replaced"))
            results.append(_renamed(res, s.name))
    rank = {name: i for i, name in enumerate(order)}
    report.files = sorted(results, key=lambda f: rank.get(f.path, len(rank)))
    return report


def _renamed(result: FileResult, name: str) -> FileResult:
    return FileResult(
        name,
        result.status,
        result.doc_id,
        result.reason,
        result.pages,
        result.passages,
        result.elements,
    )


def remove_document(doc_id: str, *, settings: Settings) -> IngestReport:
    """Remove a document from the index, and its file when it was uploaded through the
    app (a file under ``settings.upload_dir``; bundled reports are never deleted).

    Raises:
        StoreError: no index or unknown document (nothing is changed).
    """
    with WRITE_LOCK:
        store = open_store(settings)
        try:
            source = {d.meta.doc_id: d.source_path for d in store.documents()}.get(doc_id)
        finally:
            store.close()
        report = remove_documents([doc_id], settings=settings)
    if source and _inside(Path(source), settings.upload_dir):
        Path(source).unlink(missing_ok=True)
    return report
