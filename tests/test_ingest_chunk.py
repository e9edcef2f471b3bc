"""Chunking: property tests on generated documents, and the bundled reports."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.manifest import load_manifest
from gfmd.settings import ChunkingSettings
from ingest.chunk import chunk_document, passage_label, sentence_spans
from ingest.loaders import load_file
from ingest.models import Block, Document, DocumentMeta, PageSpan, Passage, content_id
from ingest.pipeline import build_document

# ---------------------------------------------------------------------------------------
# Generated documents
# ---------------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "migration",
        "développement",
        "les",
        "gouvernements",
        "FMMD",
        "profils",
        "données",
        "politique",
        "cohérence",
        "partenariat",
        "the",
        "of",
        "and",
        "recommendations",
        "questions",
        "Chisinau",
        "2011",
        "régional",
        "national",
    ]
)


@st.composite
def _sentence(draw, max_words: int = 30) -> str:
    words = draw(st.lists(_WORDS, min_size=1, max_size=max_words))
    end = draw(st.sampled_from([".", "?", ".", ";"]))
    return " ".join(words).capitalize() + end


@st.composite
def _document(draw) -> tuple[Document, list[int | None]]:
    """A document of headings, paragraphs, list items and footnotes, with pages."""
    paged = draw(st.booleans())
    n = draw(st.integers(min_value=1, max_value=25))
    parts: list[tuple[str, str]] = []
    consecutive_headings = 0
    for _ in range(n):
        kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "list_item"]))
        if kind == "heading" and consecutive_headings >= 2:
            kind = "paragraph"
        if kind == "heading":
            text = " ".join(draw(st.lists(_WORDS, min_size=1, max_size=8))).capitalize()
            consecutive_headings += 1
        else:
            sentences = draw(
                st.lists(
                    _sentence(max_words=draw(st.sampled_from([12, 40, 120]))),
                    min_size=1,
                    max_size=12,
                )
            )
            text = " ".join(sentences)
            if kind == "list_item":
                text = "ii) " + text
            consecutive_headings = 0
        parts.append((kind, text))
    notes = draw(st.lists(_sentence(), min_size=0, max_size=4))
    parts += [("footnote", f"{i} {t}") for i, t in enumerate(notes, 1)]

    text, blocks, block_pages = "", [], []
    page, section = 1, ("Doc",)
    for kind, t in parts:
        if text:
            text += "\n\n"
        start = len(text)
        text += t
        if kind == "heading":
            section = (t,)
        if kind != "footnote" and draw(st.integers(0, 4)) == 0:
            page += 1
        p = page if paged else None
        blocks.append(
            Block(
                kind,
                start,
                len(text),
                section,
                1 if kind == "heading" else 0,
                "ii" if kind == "list_item" else "",
                p,
                p,
            )
        )
        block_pages.append(p)
    pages: list[PageSpan] = []
    if paged:
        body = [b for b in blocks if b.kind != "footnote"]
        for number in range(1, page + 1):
            mine = [b for b in body if b.page_start == number]
            if mine:
                pages.append(PageSpan(number, mine[0].start, mine[-1].end))
            else:
                at = pages[-1].end if pages else 0
                pages.append(PageSpan(number, at, at))
    meta = DocumentMeta("gen", "Rapport généré : test", 2011)
    return Document(meta, "gen.txt", "0" * 64, text, tuple(pages), tuple(blocks)), block_pages


_SIZES = st.sampled_from([(1000, 1200, 150), (300, 400, 60), (500, 500, 0), (200, 300, 100)])


def _check(doc: Document, passages: tuple[Passage, ...], cfg: ChunkingSettings) -> None:
    text = doc.text
    assert passages or not text.strip()
    assert len({p.passage_id for p in passages}) == len(passages)
    body_blocks = [b for b in doc.blocks if b.kind != "footnote"]
    note_blocks = [b for b in doc.blocks if b.kind == "footnote"]
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert p.passage_id == content_id(doc.doc_id, p.start, p.end, p.text)
        assert p.text == p.text.strip() and p.text
        longest_word = max(len(w) for w in p.text.split())
        assert len(p.text) <= cfg.max_chars or longest_word > cfg.max_chars // 4
        inside = [b for b in doc.blocks if b.start < p.end and p.start < b.end]
        if p.kind == "footnote":
            assert all(b.kind == "footnote" for b in inside)
        else:
            assert all(b.kind != "footnote" for b in inside)
        # never cut a block that fits: a passage ends inside a block only if it is long
        for b in inside:
            if b.start < p.end < b.end:
                assert b.end - b.start > cfg.max_chars // 2, (p, b)
        # a heading inside a passage (and followed by content in it) comes before half of
        # the target is reached
        for k, b in enumerate(inside):
            followed = any(x.kind != "heading" for x in inside[k + 1 :])
            if b.kind == "heading" and b.start > p.start and followed:
                assert b.start - p.start < cfg.target_chars / 2 + cfg.overlap_chars + 4
        # page range from the pages of the blocks the passage touches
        pages = [b.page_start for b in inside if b.page_start is not None]
        if doc.pages:
            assert (p.page_start, p.page_end) == (min(pages), max(pages))
        else:
            assert p.page_start is None and p.page_end is None
    # every non-space character of every block is covered by a passage
    covered = bytearray(len(text))
    for p in passages:
        covered[p.start : p.end] = b"\x01" * (p.end - p.start)
    for b in body_blocks + note_blocks:
        for i in range(b.start, b.end):
            assert covered[i] or text[i].isspace(), (b, text[i - 20 : i + 20])
    # sections come from the first non-heading block
    for p in passages:
        firsts = [
            b for b in doc.blocks if b.kind != "heading" and b.end > p.start and b.start < p.end
        ]
        if firsts and p.kind == "body":
            starts_in = [b for b in firsts if b.start >= p.start]
            assert p.section in {b.section for b in firsts}
            if starts_in and firsts[0].start < p.start:  # overlap from the previous block
                pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_document(), sizes=_SIZES)
def test_chunker_properties(data, sizes):
    doc, _ = data
    target, limit, overlap = sizes
    cfg = ChunkingSettings(target_chars=target, max_chars=limit, overlap_chars=overlap)
    _check(doc, chunk_document(doc, cfg), cfg)


def test_sentence_spans_skip_abbreviations():
    text = "M. Conejos a parlé. Les États Membres, etc. ont répondu. Fin ? Oui."
    spans = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
    assert spans == ["M. Conejos a parlé.", "Les États Membres, etc. ont répondu.", "Fin ?", "Oui."]


def test_labels():
    assert passage_label(
        "Rapport de synthèse du Module III : Outils", 2011, 4, 4, ("A", "Messages")
    ) == ("Rapport de synthèse du Module III (2011), p. 4, Messages")
    assert passage_label("T", None, 4, 5, ()) == "T, pp. 4-5"
    long = "x" * 100
    assert passage_label("T", 2008, None, None, (long,)) == "T (2008), " + "x" * 79 + "…"


def test_overlap_repeats_the_end_of_the_previous_passage():
    sentences = [
        f"Phrase numéro {i} sur la migration et le développement durable." for i in range(60)
    ]
    text = " ".join(sentences)
    doc = Document(
        DocumentMeta("d", "T", None),
        "d.txt",
        "0",
        text,
        (),
        (Block("paragraph", 0, len(text), ()),),
    )
    cfg = ChunkingSettings(target_chars=400, max_chars=500, overlap_chars=150)
    ps = chunk_document(doc, cfg)
    assert len(ps) > 3
    for a, b in itertools.pairwise(ps):
        assert b.start < a.end and a.end - b.start <= 150
        assert b.text[0].isupper()  # starts at a sentence


# ---------------------------------------------------------------------------------------
# The bundled reports
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_docs(reports_dir: Path, manifest_path: Path) -> list[Document]:
    return [
        build_document(load_file(reports_dir / name), meta)
        for name, meta in load_manifest(manifest_path).items()
    ]


def test_bundled_reports_chunk_within_bounds(report_docs):
    cfg = ChunkingSettings()
    for doc in report_docs:
        passages = chunk_document(doc, cfg)
        _check(doc, passages, cfg)
        body = [p for p in passages if p.kind == "body"]
        assert sum(len(p.text) for p in body) / len(body) > 0.5 * cfg.target_chars
        assert all(p.language == "fr" for p in body if len(p.text) > 200)
        assert all(p.label.startswith(doc.meta.title.split(" : ")[0][:40]) for p in passages)


def test_chisinau_key_message_passage_is_labelled_with_its_heading(report_docs):
    doc = next(d for d in report_docs if d.doc_id == "gfmd2011-module3")
    passages = chunk_document(doc, ChunkingSettings())
    p = next(p for p in passages if "Les gouvernements se trouvent à différents stades" in p.text)
    assert p.section[-1].startswith("Messages essentiels de l’atelier de Chisinau")
    assert p.label.startswith("Rapport de synthèse du Module III (2011), Messages essentiels")
    assert p.page_start is None
    notes = [p for p in passages if p.kind == "footnote"]
    assert any("co-présidée par les Gouvernements d’Argentine, du Ghana" in p.text for p in notes)
