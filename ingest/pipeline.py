"""The ingest stage end to end: file -> RawDocument -> Document -> passages and elements.

``ingest_file`` is what the corpus builder and the upload handler call; the other
functions are its steps, usable on their own (tests, reports).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

from gfmd.errors import GfmdError, IngestError
from gfmd.settings import Settings, get_settings
from ingest.chunk import chunk_document
from ingest.clean import CleanText, clean_pages
from ingest.language import detect_language
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.models import Block, Document, DocumentMeta, IngestedDocument, RawDocument
from ingest.structure import classify_heading, parse_blocks

logger = logging.getLogger(__name__)

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


@lru_cache(maxsize=8)
def _structure(raw: RawDocument) -> tuple[CleanText, tuple[Block, ...]]:
    """Clean and parse once per raw document (infer_meta and build_document share it)."""
    clean = clean_pages(raw)
    return clean, parse_blocks(clean)


def build_document(raw: RawDocument, meta: DocumentMeta) -> Document:
    """Clean a loaded file and give it its structure.

    Args:
        raw: the file as loaded by :func:`ingest.loaders.load_file`.
        meta: its catalogue facts (from the manifest, or :func:`infer_meta`).

    Returns:
        The document: cleaned text (body, then footnotes), page spans, blocks.
    """
    clean, blocks = _structure(raw)
    return Document(
        meta=meta,
        source_path=raw.path,
        content_hash=raw.content_hash,
        text=clean.text,
        pages=clean.pages,
        blocks=blocks,
    )


def slugify(text: str) -> str:
    """Lower-case ASCII slug: accents dropped, other characters turned into dashes.

    Example: ``slugify("Rapport FMMD 2011 (fr)") == "rapport-fmmd-2011-fr"``.
    """
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    t = re.sub(r"[^a-z0-9.]+", "-", t).strip("-.")
    return re.sub(r"-{2,}", "-", t) or "document"


def infer_meta(path: str | Path, raw: RawDocument) -> DocumentMeta:
    """Catalogue facts for a file that is not in the manifest.

    Args:
        path: the file (its stem gives the id).
        raw: its loaded pages.

    Returns:
        ``doc_id`` = slug of the file stem; ``title`` = the first heading that is not a
        generic one ("Introduction", "Key messages"…), else the first running header
        (without its page number), else the first heading, else the first line of the
        text (at most 200 characters), else the file stem; ``year`` = the first year
        between 1950 and next year in the title, the running headers, then the first
        page (the first 3,000 characters of a text without pages); ``language`` = detected on the first 5,000
        characters of the cleaned text; other fields ``None``.
    """
    p = Path(path)
    clean, blocks = _structure(raw)
    headings = [
        " ".join(clean.text[b.start : b.end].split()) for b in blocks if b.kind == "heading"
    ]
    specific = [h for h in headings if not _generic_heading(h)]
    headers = [h for h in clean.running_headers if len(h) >= 8 and not _generic_heading(h)]
    title = ""
    if specific:
        title = specific[0]
    elif headers:
        # a header printed with the page number varies only by that number: drop it
        stem = re.sub(r"\s+\d{1,4}$", "", headers[0])
        varies = sum(re.sub(r"\s+\d{1,4}$", "", h) == stem for h in headers) > 1
        title = stem if varies else headers[0]
    elif headings:
        title = headings[0]
    elif clean.text.strip():
        title = clean.text.strip().split("\n", 1)[0][:200]
    title = title[:200]
    first_page = raw.pages[0].text if raw.pages else ""
    if raw.pages and raw.pages[0].number is None:
        first_page = first_page[:3000]
    year = None
    this_year = date.today().year
    for m in _YEAR.finditer(" ".join([title, *clean.running_headers, first_page])):
        y = int(m.group(1))
        if y <= this_year + 1:
            year = y
            break
    return DocumentMeta(
        doc_id=slugify(p.stem),
        title=title or p.stem,
        year=year,
        language=detect_language(clean.text[:5000]),
        original_file=p.name,
    )


def _generic_heading(text: str) -> bool:
    """A heading any report may have ("Introduction", "Key messages"): not a title."""
    bare = re.sub(r"^\s*(?:[IVXLC]{1,7}|[A-H]|\d{1,2}(?:\.\d{1,2}){0,3})[.)]?\s+", "", text)
    guess = classify_heading(bare)
    return guess is not None and guess.family in ("section", "listhead")


def ingest_file(
    path: str | Path,
    *,
    meta: DocumentMeta | None = None,
    settings: Settings | None = None,
) -> IngestedDocument:
    """Load, clean, structure, chunk a report and extract its elements.

    Args:
        path: a ``.pdf``, ``.txt`` or ``.md`` report.
        meta: its catalogue facts; inferred with :func:`infer_meta` when ``None``.
        settings: chunk sizes come from ``settings.chunking``; default
            :func:`gfmd.settings.get_settings`.

    Returns:
        The document, its passages (each with its detected language) and its elements
        (key messages, guiding questions, recommendations).

    Raises:
        IngestError: the file cannot be read (see :func:`ingest.loaders.load_file`), a
            cleaning step did not converge, or an unexpected error occurred while
            processing it (reason ``"could not be processed (<error type>: …); please
            report this file"``, the traceback logged): one bad file is rejected on its
            own, never stopping the other files of the same call.
    """
    settings = settings or get_settings()
    raw = load_file(path, settings=settings)
    try:
        meta = meta or infer_meta(path, raw)
        doc = build_document(raw, meta)
        passages = chunk_document(doc, settings.chunking)
        from ingest.elements import extract_elements  # owned by the elements stage

        elements = extract_elements(doc)
    except GfmdError:
        raise
    except Exception as exc:  # a bug on this file: reject it, keep the traceback
        logger.exception("ingest of %s failed", path)
        raise IngestError(
            str(path), f"{INTERNAL_ERROR} ({_describe(exc)}); please report this file"
        ) from exc
    return IngestedDocument(document=doc, passages=passages, elements=tuple(elements))


INTERNAL_ERROR = "could not be processed"
"""How the reason of an unexpected processing error starts (a bug, not a bad file)."""


def _describe(exc: BaseException, limit: int = 160) -> str:
    msg = f"{type(exc).__name__}: {exc}".strip()
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


def find_report_files(paths: Sequence[Path]) -> tuple[list[Path], list[IngestError]]:
    """Expand files and folders into the report files to ingest.

    Args:
        paths: files and/or folders. Folders are searched recursively, in sorted order;
            hidden files and folders (name starting with ".") are skipped.

    Returns:
        ``(files, errors)``: the ``.pdf``/``.txt``/``.md`` files in order, without
        duplicates, and one :class:`IngestError` per path that cannot be used: a file of
        another type ("unsupported file type …"), a missing path ("file not found"), a
        folder without reports ("no reports (.pdf, .txt, .md) found").
    """
    files: list[Path] = []
    errors: list[IngestError] = []
    seen: set[Path] = set()

    def keep(f: Path) -> None:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            files.append(f)

    for raw_path in paths:
        path = Path(raw_path)
        if path.is_dir():
            found = 0
            for f in sorted(path.rglob("*")):
                rel = f.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or not f.is_file():
                    continue
                if f.suffix.lower() in SUPPORTED_SUFFIXES:
                    keep(f)
                    found += 1
                else:
                    errors.append(IngestError(str(f), _unsupported(f)))
            if not found:
                errors.append(IngestError(str(path), "no reports (.pdf, .txt, .md) found"))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                keep(path)
            else:
                errors.append(IngestError(str(path), _unsupported(path)))
        else:
            errors.append(IngestError(str(path), "file not found"))
    return files, errors


def _unsupported(path: Path) -> str:
    shown = path.suffix.lower() or "(no extension)"
    return f"unsupported file type {shown!r} (expected .pdf, .txt or .md)"
