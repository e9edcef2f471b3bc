"""Loading files: formats, pages, encodings and every way a file can be unusable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gfmd.errors import IngestError
from ingest.loaders import load_file


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "empty file"),
        ("blank.md", "empty file"),
        ("corrupt.pdf", "corrupt PDF"),
        ("encrypted.pdf", "encrypted PDF (password required)"),
        ("scanned.pdf", "no text layer (scanned PDF?); OCR it first"),
        ("unsupported.docx", "unsupported file type '.docx'"),
        ("missing.pdf", "file not found"),
    ],
)
def test_bad_inputs_raise_ingest_error_naming_file_and_reason(data_dir: Path, name, reason):
    path = data_dir / name
    with pytest.raises(IngestError) as info:
        load_file(path)
    assert info.value.path == str(path)
    assert info.value.reason.startswith(reason)
    assert name in str(info.value)


def test_directory_is_not_a_file(tmp_path: Path):
    folder = tmp_path / "reports.txt"
    folder.mkdir()
    with pytest.raises(IngestError, match="not a file"):
        load_file(folder)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path):
    path = tmp_path / "locked.txt"
    path.write_text("some text", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(IngestError, match="unreadable file"):
        load_file(path)


def test_pdf_has_one_page_per_physical_page(data_dir: Path):
    raw = load_file(data_dir / "two_pages.pdf")
    assert raw.fmt == "pdf"
    assert [p.number for p in raw.pages] == [1, 2]
    assert "Policy makers" in raw.pages[0].text
    assert "Key messages" in raw.pages[1].text
    assert len(raw.content_hash) == 64


def test_pdf_encrypted_with_empty_password_opens(data_dir: Path):
    raw = load_file(data_dir / "open_encrypted.pdf")
    assert [p.number for p in raw.pages] == [1, 2]
    assert "Policy makers" in raw.pages[0].text


def test_text_without_form_feeds_is_one_page_without_number(data_dir: Path):
    raw = load_file(data_dir / "report_short.txt")
    assert raw.fmt == "txt"
    assert len(raw.pages) == 1
    assert raw.pages[0].number is None


def test_form_feeds_split_pages_numbered_from_one(data_dir: Path):
    raw = load_file(data_dir / "form_feeds.txt")
    assert [p.number for p in raw.pages] == [1, 2, 3]
    assert "Page two" in raw.pages[1].text


def test_markdown_format(data_dir: Path):
    assert load_file(data_dir / "report_short.md").fmt == "md"


def test_cp1252_fallback_keeps_curly_apostrophe(data_dir: Path):
    raw = load_file(data_dir / "cp1252.txt")
    assert raw.pages[0].text.startswith("L’intégration de la migration")


def test_utf8_bom_is_dropped(tmp_path: Path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffRapport".encode())
    assert load_file(path).pages[0].text == "Rapport"
