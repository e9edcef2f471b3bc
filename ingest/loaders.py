"""Read report files into :class:`~ingest.models.RawDocument` values (no cleaning yet).

Supported formats:

- ``.pdf``: one :class:`~ingest.models.RawPage` per physical page (1-based), text from
  pypdf's text layer. Encrypted files are opened with the empty password (many
  "protected" reports only restrict printing); scanned files without a text layer are
  rejected, since OCR is out of scope.
- ``.txt`` / ``.md``: UTF-8 (a BOM is dropped), falling back to cp1252 then latin-1.
  Form feeds (``\\f``, what ``pdftotext`` writes between pages) split the text into pages
  numbered 1..n; without form feeds the file is ONE page with ``number=None``: page
  numbers are never invented.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Literal

from gfmd.errors import IngestError
from ingest.models import RawDocument, RawPage

SUPPORTED_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md")
"""File name endings :func:`load_file` accepts (compared case-insensitively)."""

_MIN_TEXT_CHARS = 1
"""A PDF whose text layer has fewer non-space characters than this per document is
treated as scanned (no text layer)."""

_TEXT_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1252", "latin-1")


def load_file(path: str | Path) -> RawDocument:
    """Read one report file.

    Args:
        path: a ``.pdf``, ``.txt`` or ``.md`` file.

    Returns:
        The file's pages (see the module docstring for how pages are numbered), its
        format and the sha256 of its bytes.

    Raises:
        IngestError: naming the file, with one of the reasons ``"unsupported file type
            '.docx' (expected .pdf, .txt or .md)"``, ``"file not found"``, ``"not a
            file"``, ``"unreadable file (...)"``, ``"empty file"``, ``"corrupt PDF
            (...)"``, ``"encrypted PDF (password required)"``, ``"no text layer (scanned
            PDF?); OCR it first"``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        raise IngestError(str(p), f"unsupported file type {shown!r} (expected .pdf, .txt or .md)")
    if not p.exists():
        raise IngestError(str(p), "file not found")
    if not p.is_file():
        raise IngestError(str(p), "not a file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise IngestError(str(p), f"unreadable file ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(str(p), "empty file")
    content_hash = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        pages = _pdf_pages(p, data)
        fmt: Literal["pdf", "txt", "md"] = "pdf"
    else:
        pages = _text_pages(p, data)
        fmt = "md" if suffix == ".md" else "txt"
    return RawDocument(path=str(p), pages=pages, fmt=fmt, content_hash=content_hash)


def decode_text(data: bytes) -> str:
    """Decode the bytes of a text file: UTF-8 (BOM dropped), else cp1252, else latin-1.

    cp1252 is tried before latin-1 because Windows-exported reports use its curly quotes
    and dashes (0x80-0x9F), which latin-1 would turn into control characters.
    """
    for encoding in _TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1", errors="replace")  # pragma: no cover - latin-1 never fails


def _text_pages(path: Path, data: bytes) -> tuple[RawPage, ...]:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError(str(path), "empty file")
    if "\f" not in text:
        return (RawPage(number=None, text=text),)
    parts = text.split("\f")
    # pdftotext ends every page with a form feed: a trailing empty part is not a page.
    while parts and not parts[-1].strip():
        parts.pop()
    return tuple(RawPage(number=i, text=part) for i, part in enumerate(parts, start=1))


def _pdf_pages(path: Path, data: bytes) -> tuple[RawPage, ...]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    # pypdf logs warnings for every damaged object; the IngestError says it all.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError, TypeError, KeyError, IndexError, AssertionError) as exc:
        raise IngestError(str(path), f"corrupt PDF ({_short(exc)})") from None
    except Exception as exc:  # pypdf raises assorted errors on garbage input
        raise IngestError(str(path), f"corrupt PDF ({_short(exc)})") from None
    if reader.is_encrypted:
        try:
            unlocked = bool(reader.decrypt(""))
        except Exception:  # wrong algorithm support, broken /Encrypt dictionary...
            unlocked = False
        if not unlocked:
            raise IngestError(str(path), "encrypted PDF (password required)")
    pages: list[RawPage] = []
    try:
        for number, page in enumerate(reader.pages, start=1):
            pages.append(RawPage(number=number, text=page.extract_text() or ""))
    except FileNotDecryptedError:
        raise IngestError(str(path), "encrypted PDF (password required)") from None
    except Exception as exc:
        raise IngestError(str(path), f"corrupt PDF ({_short(exc)})") from None
    if not pages:
        raise IngestError(str(path), "corrupt PDF (no pages)")
    if sum(len(pg.text.strip()) for pg in pages) < _MIN_TEXT_CHARS:
        raise IngestError(str(path), "no text layer (scanned PDF?); OCR it first")
    return tuple(pages)


def _short(exc: BaseException, limit: int = 120) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"
