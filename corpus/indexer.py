"""Incremental ingestion into the index: which files are new, changed or unchanged,
ingesting the new and changed ones, and removing documents.

Files are matched to the index by content hash (sha256 of the bytes): unchanged content
is a no-op, even under another file name; a file whose document id is already indexed
with other content replaces that document. Every run is one atomic write of the store
(see :mod:`corpus.protocol`): embedding happens first, then the changes commit in one
transaction under the cross-process writer lock, so a failed or killed run leaves the
previous state live, and concurrent runs both land.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from corpus.embeddings import Embedder, make_embedder
from corpus.manifest import load_manifest
from corpus.open_store import open_store
from corpus.protocol import CorpusStore
from gfmd.errors import GfmdError, IngestError, StoreError
from gfmd.settings import Settings
from ingest.models import IngestedDocument

FileStatus = Literal["added", "replaced", "skipped", "rejected", "removed"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: added, replaced (changed content), skipped (same content
    already indexed, ``reason`` names the document), rejected (``reason`` says why), or
    removed (by :func:`remove_documents`; ``path`` is then the doc id)."""

    path: str
    status: FileStatus
    doc_id: str | None = None
    reason: str = ""
    pages: int | None = None
    passages: int = 0
    elements: int = 0


@dataclass
class IngestReport:
    """Summary of an ingest run (counts; seconds of wall time)."""

    files: list[FileResult] = field(default_factory=list)
    documents: int = 0
    pages: int = 0
    passages: int = 0
    elements: int = 0
    seconds: float = 0.0
    index_dir: str = ""

    def to_json(self) -> dict:
        return {
            "files": [f.__dict__ for f in self.files],
            "documents": self.documents,
            "pages": self.pages,
            "passages": self.passages,
            "elements": self.elements,
            "seconds": round(self.seconds, 2),
            "index_dir": self.index_dir,
        }


def file_hash(path: Path) -> str:
    """sha256 hex of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _open_for_write(settings: Settings, embedder: Embedder, rebuild: bool) -> CorpusStore:
    return open_store(settings, embedding_model=embedder.name, create=True, rebuild=rebuild)


def ingest_paths(
    paths: Sequence[Path],
    *,
    settings: Settings,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    on_file: Callable[[int, int, Path], None] | None = None,
    on_embed: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest report files (and folders of them) into the index.

    Args:
        paths: files or folders; folders are searched recursively for .pdf/.txt/.md.
        settings: index directory, manifest, chunking, embedding.
        rebuild: start from an empty index instead of the live one.
        embedder: defaults to the one the settings name.
        on_file: progress callback ``(i, n, path)`` before each file is parsed.
        on_embed: progress callback ``(done, total)`` while embedding.

    Returns:
        The report: one :class:`FileResult` per file, totals of the live index.

    Raises:
        StoreError: the live index was built with other settings (use ``rebuild``).
        IngestError: no report files at all (e.g. an empty folder); per-file problems
            are reported as ``rejected`` results instead and the other files go on.
    """

    started = time.perf_counter()
    embedder = embedder or make_embedder(settings.embedding)
    store = _open_for_write(settings, embedder, rebuild)
    try:
        report = _ingest_into(store, paths, settings, rebuild, embedder, on_file, on_embed)
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _ingest_into(
    store: CorpusStore,
    paths: Sequence[Path],
    settings: Settings,
    rebuild: bool,
    embedder: Embedder,
    on_file: Callable[[int, int, Path], None] | None,
    on_embed: Callable[[int, int], None] | None,
) -> IngestReport:
    from ingest.pipeline import find_report_files, ingest_file

    files, errors = find_report_files(list(paths))
    report = IngestReport(index_dir=str(settings.index_dir))
    report.files.extend(FileResult(e.path, "rejected", reason=e.reason) for e in errors)
    if not files and errors and all("no reports" in e.reason for e in errors):
        raise errors[0]
    manifest = load_manifest(settings.manifest)
    live = [] if rebuild else store.documents()
    known = {d.content_hash: d.meta.doc_id for d in live}
    known_ids = {d.meta.doc_id for d in live}
    new_docs: list[IngestedDocument] = []
    for i, path in enumerate(files):
        if on_file:
            on_file(i, len(files), path)
        digest = file_hash(path)
        if digest in known:
            report.files.append(
                FileResult(str(path), "skipped", known[digest], f"same content as {known[digest]}")
            )
            continue
        try:
            ingested = ingest_file(path, meta=manifest.get(path.name), settings=settings)
        except IngestError as exc:
            report.files.append(FileResult(str(path), "rejected", reason=exc.reason))
            continue
        except GfmdError as exc:
            report.files.append(FileResult(str(path), "rejected", reason=str(exc)))
            continue
        doc_id = ingested.document.doc_id
        if any(d.document.doc_id == doc_id for d in new_docs):
            # Two different files map to one id (report.txt and report.pdf): the second
            # gets the id made unique with its content hash.
            doc_id = f"{doc_id}-{digest[:6]}"
            meta = dataclasses.replace(ingested.document.meta, doc_id=doc_id)
            ingested = ingest_file(path, meta=meta, settings=settings)
        known[digest] = doc_id
        new_docs.append(ingested)
        status: FileStatus = "replaced" if doc_id in known_ids else "added"
        report.files.append(
            FileResult(
                str(path),
                status,
                doc_id,
                "",
                ingested.document.page_count,
                len(ingested.passages),
                len(ingested.elements),
            )
        )
    if new_docs or rebuild:
        store.write(
            new_docs,
            vectors=lambda texts: embedder.embed(texts),
            progress=on_embed,
            replace_all=rebuild,
        )
    _fill_totals(report, store)
    return report


def remove_documents(doc_ids: Sequence[str], *, settings: Settings) -> IngestReport:
    """Remove documents (their passages and elements) from the index.

    Raises:
        StoreError: no index, or an id that is not indexed (nothing is changed then).
    """
    started = time.perf_counter()
    store = open_store(settings)
    try:
        store.write([], remove=list(doc_ids), vectors=_no_vectors)
        report = IngestReport(index_dir=str(settings.index_dir))
        report.files = [FileResult(d, "removed", d) for d in doc_ids]
        _fill_totals(report, store)
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _no_vectors(texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - never called
    raise StoreError("removing documents embeds nothing")


def _fill_totals(report: IngestReport, store: CorpusStore) -> None:
    docs = store.documents()
    report.documents = len(docs)
    report.pages = sum(d.pages or 0 for d in docs)
    report.passages = sum(d.passages for d in docs)
    report.elements = sum(d.elements for d in docs)
