"""Read report files into :class:`~ingest.models.RawDocument` values (no cleaning yet).

Every file is first checked against ``settings.ingest.max_file_mb`` (from its size on
disk, before a byte is read). Supported formats:

- ``.pdf``: one :class:`~ingest.models.RawPage` per physical page (1-based), text from
  pypdf's text layer. Encrypted files are opened with the empty password (many
  "protected" reports only restrict printing); scanned files without a text layer are
  rejected, since OCR is out of scope.
- ``.txt`` / ``.md``: decoded by :func:`decode_text` (a UTF-8/16/32 byte-order mark
  decides; else strict UTF-8; else the legacy encoding charset-normalizer finds, e.g.
  cp1252), then checked to be text (:func:`check_text`: no NUL characters, at least
  95 % printable characters, some letters). Form feeds (``\\f``, what ``pdftotext`` writes between pages) split the text into pages
  numbered 1..n; without form feeds the file is ONE page with ``number=None``: page
  numbers are never invented.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import unicodedata
from pathlib import Path
from typing import Literal

from gfmd.errors import IngestError
from gfmd.settings import Settings, get_settings
from ingest.models import RawDocument, RawPage

SUPPORTED_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md")
"""File name endings :func:`load_file` accepts (compared case-insensitively)."""

_MIN_TEXT_CHARS = 1
"""A PDF whose text layer has fewer non-space characters than this per document is
treated as scanned (no text layer)."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
"""Byte-order marks, longest first where one is a prefix of another."""

MIN_PRINTABLE_SHARE = 0.95
"""Share of a text file's characters that must be printable (letters, digits,
punctuation, symbols, spaces, line and page breaks). Real reports, even badly converted
ones, are above 0.99; binary data decoded as a legacy 8-bit encoding is around 0.85
(the 32 C0 control codes and unassigned positions of 256), so 0.95 separates the two."""

_PREFERRED_LEGACY = "cp1252"
"""The legacy encoding that wins a tie (Windows Western European)."""

_CHAOS_TIE = 0.01
"""charset-normalizer chaos scores (0 = clean text, 1 = noise) this close count as a tie."""

_MB = 1_000_000
"""``ingest.max_file_mb`` counts MB of 10^6 bytes (as its description says)."""


def load_file(path: str | Path, *, settings: Settings | None = None) -> RawDocument:
    """Read one report file.

    Args:
        path: a ``.pdf``, ``.txt`` or ``.md`` file.
        settings: ``settings.ingest.max_file_mb`` bounds the file size; default
            :func:`gfmd.settings.get_settings`.

    Returns:
        The file's pages (see the module docstring for how pages are numbered), its
        format and the sha256 of its bytes.

    Raises:
        IngestError: naming the file, with one of the reasons ``"unsupported file type
            '.docx' (expected .pdf, .txt or .md)"``, ``"file not found"``, ``"not a
            file"``, ``"file too large (… MB; at most … MB)"``, ``"unreadable file
            (...)"``, ``"empty file"``, ``"corrupt PDF (...)"``, ``"encrypted PDF
            (password required)"``, ``"no text layer (scanned PDF?); OCR it first"``,
            and for text files the reasons of :func:`decode_text` and
            :func:`check_text` (``"not text (…)"``).
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
    limit_mb = (settings or get_settings()).ingest.max_file_mb
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise IngestError(str(p), f"unreadable file ({exc.strerror or exc})") from None
    if size > limit_mb * _MB:
        raise IngestError(str(p), f"file too large ({size / _MB:.1f} MB; at most {limit_mb:g} MB)")
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
    """Decode the bytes of a text file.

    In order: a byte-order mark names the encoding (UTF-32 LE/BE, UTF-8, UTF-16 LE/BE;
    the mark is dropped); else strict UTF-8; else the encoding charset-normalizer finds
    least chaotic (legacy 8-bit encodings such as cp1252, whose curly quotes and dashes
    at 0x80-0x9F latin-1 would turn into control characters; UTF-16 without a mark),
    cp1252 winning a tie.

    Args:
        data: the file's bytes.

    Returns:
        The text.

    Raises:
        ValueError: ``"not text (invalid <encoding> after its byte-order mark)"`` or
            ``"not text (no character encoding fits; binary data?)"``.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(
                    f"not text (invalid {encoding.upper()} after its byte-order mark)"
                ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise ValueError("not text (no character encoding fits; binary data?)")
    # On short texts several 8-bit code pages tie; the reports are in Western European
    # languages, so cp1252 wins a tie ("réuni à" is "réuni ŕ" in cp1250).
    for m in matches:
        if m.chaos <= best.chaos + _CHAOS_TIE and _PREFERRED_LEGACY in m.could_be_from_charset:
            return data.decode(_PREFERRED_LEGACY)
    return str(best)


def check_text(text: str) -> str | None:
    """Why a decoded text file is not a report's text, or None when it is.

    Returns:
        ``"not text (NUL characters; binary data?)"``, ``"not text (only 83 % printable
        characters; binary data?)"`` (below :data:`MIN_PRINTABLE_SHARE`), ``"not text
        (no letters)"``, or None.
    """
    if "\x00" in text:
        return "not text (NUL characters; binary data?)"
    if not text:
        return None
    printable = sum(1 for ch in text if ch in "\n\r\t\f" or _printable(ch))
    share = printable / len(text)
    if share < MIN_PRINTABLE_SHARE:
        return f"not text (only {share:.0%} printable characters; binary data?)"
    if not any(ch.isalpha() for ch in text):
        return "not text (no letters)"
    return None


def _printable(ch: str) -> bool:
    """Letters, marks, digits, punctuation, symbols, spaces and format characters; not
    control characters, unassigned code points, surrogates or U+FFFD (private-use
    glyphs count: PDF-to-text tools write Symbol-font bullets as such)."""
    return ch != "\ufffd" and unicodedata.category(ch) not in ("Cc", "Cn", "Cs")


def _text_pages(path: Path, data: bytes) -> tuple[RawPage, ...]:
    try:
        decoded = decode_text(data)
    except ValueError as exc:
        raise IngestError(str(path), str(exc)) from None
    if not decoded.strip():
        raise IngestError(str(path), "empty file")
    why = check_text(decoded)
    if why:
        raise IngestError(str(path), why)
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
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
