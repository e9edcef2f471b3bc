"""The ingest pipeline end to end, file discovery, inferred metadata, and golden checks on
the cleaned text of the bundled reports."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from corpus.manifest import load_manifest
from gfmd.errors import IngestError
from gfmd.settings import Settings
from ingest.language import detect_language
from ingest.loaders import load_file
from ingest.models import Document, DocumentMeta
from ingest.pipeline import build_document, find_report_files, infer_meta, ingest_file, slugify


@pytest.fixture
def fake_elements(monkeypatch):
    """Replace the elements stage (tested on its own) by a recorder."""
    import ingest.elements

    seen: list[Document] = []

    def extract(doc: Document):
        seen.append(doc)
        return ()

    monkeypatch.setattr(ingest.elements, "extract_elements", extract)
    return seen


def test_ingest_pdf_end_to_end(data_dir: Path, fake_elements):
    result = ingest_file(data_dir / "two_pages.pdf", settings=Settings())
    doc = result.document
    assert fake_elements == [doc]
    assert doc.meta.doc_id == "two-pages"
    assert doc.meta.year == 2011 and doc.meta.language == "en"
    assert doc.meta.title == "GFMD Test Report 2011"  # the running header
    assert doc.page_count == 2
    assert doc.content_hash == load_file(data_dir / "two_pages.pdf").content_hash
    kinds = [b.kind for b in doc.blocks]
    assert kinds[-1] == "footnote" and kinds.count("footnote") == 1
    note = doc.blocks[-1]
    assert doc.text[note.start : note.end].startswith("1 The workshop was hosted")
    assert (note.page_start, note.label) == (1, "1")
    items = [b for b in doc.blocks if b.kind == "list_item"]
    assert [b.label for b in items] == ["•", "•", "•", "i", "ii"]
    assert items[-1].section == ("Key messages",) and items[-1].page_start == 2
    bodies = [p for p in result.passages if p.kind == "body"]
    assert bodies[0].page_start == 1 and bodies[-1].page_end == 2
    assert all(p.language == "en" for p in bodies)
    assert [p.kind for p in result.passages].count("footnote") == 1


def test_ingest_with_manifest_meta(data_dir: Path, fake_elements):
    meta = DocumentMeta("short", "Rapport court : essai", 2011, language="fr")
    result = ingest_file(data_dir / "report_short.txt", meta=meta, settings=Settings())
    assert result.document.meta is meta
    assert result.document.pages == ()
    assert all(p.page_start is None for p in result.passages)
    assert all(p.doc_id == "short" for p in result.passages)
    assert any(p.label.startswith("Rapport court (2011), ") for p in result.passages)


def test_ingest_bad_file_raises(data_dir: Path, fake_elements):
    with pytest.raises(IngestError, match="encrypted PDF"):
        ingest_file(data_dir / "encrypted.pdf", settings=Settings())
    assert fake_elements == []


def test_infer_meta_for_text(data_dir: Path):
    raw = load_file(data_dir / "report_short.txt")
    meta = infer_meta(data_dir / "report_short.txt", raw)
    assert meta.doc_id == "report_short".replace("_", "-")
    assert meta.title == "Rapport de l’atelier de test"
    assert meta.year == 2011
    assert meta.language == "fr"


def test_slugify():
    assert slugify("Rapport FMMD 2011 (fr)") == "rapport-fmmd-2011-fr"
    assert slugify("Été — Genève") == "ete-geneve"
    assert slugify("???") == "document"


def test_find_report_files(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "z.pdf").write_bytes(b"%PDF")
    (tmp_path / "a" / "b.txt").write_text("x")
    (tmp_path / "README.md").write_text("x")
    (tmp_path / "notes.docx").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.txt").write_text("x")
    (tmp_path / ".DS_Store").write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    single = tmp_path / "a" / "b.txt"
    files, errors = find_report_files([tmp_path, single, tmp_path / "nope.pdf", empty])
    assert files == [tmp_path / "README.md", tmp_path / "a" / "b.txt", tmp_path / "a" / "z.pdf"]
    reasons = {Path(e.path).name: e.reason for e in errors}
    assert reasons["notes.docx"].startswith("unsupported file type '.docx'")
    assert reasons["nope.pdf"] == "file not found"
    assert reasons["empty"] == "no reports (.pdf, .txt, .md) found"
    assert ".DS_Store" not in reasons and "c.txt" not in reasons


# ---------------------------------------------------------------------------------------
# Golden checks on the bundled reports
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(reports_dir: Path, manifest_path: Path) -> dict[str, Document]:
    return {
        meta.doc_id: build_document(load_file(reports_dir / name), meta)
        for name, meta in load_manifest(manifest_path).items()
    }


def _body(doc: Document) -> str:
    notes = [b.start for b in doc.blocks if b.kind == "footnote"]
    return doc.text[: min(notes)] if notes else doc.text


def test_cleaned_text_has_no_extraction_scars(reports):
    for doc in reports.values():
        text = doc.text
        assert not re.search(r"(?m)^\s*\d{1,3}\s*$", text), doc.doc_id  # lone numbers
        assert "  " not in text and "\f" not in text and "\u00a0" not in text
        assert not re.search("[\ue000-\uf8ff]", text)
        assert "**" not in text and not re.search(r"(?m)^#", text)
        assert "\n\n\n" not in text
        assert not re.search(r"[^\W\d_]- [a-zà-ÿ]", text), doc.doc_id  # "dévelop- pement"


def test_2011_header_and_title(reports):
    doc = reports["gfmd2011-module3"]
    body = _body(doc)
    # The first line "Rapport de synthèse du module III 2" is the report's title with the
    # mark of its footnote 2 ("La présente synthèse du module…"), not a running header:
    # it stays once, as the first heading, without the mark.
    assert body.count("Rapport de synthèse du module III") == 1
    first = doc.blocks[0]
    assert (
        first.kind == "heading"
        and doc.text[first.start : first.end] == "Rapport de synthèse du module III"
    )
    assert "module III 2" not in doc.text
    notes = {b.label: doc.text[b.start : b.end] for b in doc.blocks if b.kind == "footnote"}
    assert list(notes) == [str(i) for i in range(1, 16)]
    assert notes["6"].startswith("6 La réunion de New York s’est tenue")
    assert "co-présidée par les Gouvernements d’Argentine, du Ghana et de la Moldavie" in notes["6"]
    # footnote 15 continues on the next page of the PDF the text came from
    assert notes["15"].endswith(
        "ainsi que des organisations internationales, des représentants de la société civile et des participants locaux."
    )
    # the body sentence cut by footnote 15's continuation is whole again
    assert "jouent un rôle essentiel en créant des conditions propices" in body
    assert "leurs données respectives d’une manière transparente" in body
    assert "profils migratoires. Ces petites réunions" in body
    assert "20-21 octobre\n" in body and "octobre8" not in body


def test_2017_translation_headers_gone(reports):
    doc = reports["gfmd2017-concept"]
    assert "Traduction" not in doc.text
    assert (
        "servira de base au document de réflexion préparant le sommet qui se tiendra au Maroc en 2018."
        in doc.text
    )


def test_2008_header_and_page_number_gone(reports):
    doc = reports["gfmd2008-rt3.3"]
    assert "PHILIPPINE GFMD 2008 WORKING PAPER" not in doc.text
    assert "Une coopération UE-LAC renforcée en matière de migration a été proposée" in doc.text
    assert "la mobilité de la main-d’œuvre temporaire" in doc.text
    assert "FMMD 2007, où il a été reconnu" in doc.text  # "200711" = 2007 + note 11


def test_un_report_footnotes(reports):
    doc = reports["unsg2008-migration-development"]
    notes = [doc.text[b.start : b.end] for b in doc.blocks if b.kind == "footnote"]
    assert [n.split()[0] for n in notes] == ["1", "2", "3"]
    assert "__" not in doc.text
    assert "(voir la figure ci-après). La plupart" in doc.text


def test_paragraphs_start_like_paragraphs(reports):
    """A body block starting lower case is a sentence cut by a scar we did not mend."""
    for doc in reports.values():
        for b in doc.blocks:
            t = doc.text[b.start : b.end]
            if b.kind in ("paragraph", "list_item", "heading"):
                assert not t[0].islower() or re.match(r"^[a-z]{1,4}[.)] ", t), (doc.doc_id, t[:60])


def test_languages_and_speed(reports_dir: Path, manifest_path: Path, fake_elements):
    started = time.perf_counter()
    manifest = load_manifest(manifest_path)
    for name, meta in manifest.items():
        result = ingest_file(reports_dir / name, meta=meta, settings=Settings())
        assert detect_language(result.document.text[:3000]) == "fr"
        assert len(result.passages) > 10
    assert time.perf_counter() - started < 30
