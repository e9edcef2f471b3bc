"""Structure: headings, list items, footnotes and section paths, on fixtures and the
five bundled reports."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from corpus.manifest import load_manifest
from ingest.loaders import load_file
from ingest.models import Block, Document
from ingest.pipeline import build_document
from ingest.structure import classify_heading, label_end, list_label


@pytest.fixture(scope="module")
def reports(reports_dir: Path, manifest_path: Path) -> dict[str, Document]:
    manifest = load_manifest(manifest_path)
    return {
        meta.doc_id: build_document(load_file(reports_dir / name), meta)
        for name, meta in manifest.items()
    }


def _text(doc: Document, b: Block) -> str:
    return doc.text[b.start : b.end]


def _block_containing(doc: Document, snippet: str) -> Block:
    for b in doc.blocks:
        if snippet in _text(doc, b):
            return b
    raise AssertionError(f"no block contains {snippet!r}")


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("II. Le Dialogue de haut niveau", "roman"),
        ("A. Le Forum mondial sur la migration", "LETTER"),
        ("C. Programmes et fonds des Nations Unies", "LETTER"),
        ("2.1 Processus régionaux de consultation (PCR) sur la migration", "arabic2"),
        ("4.1.2 Mise en œuvre effective des résultats", "arabic3"),
        ("1. INTRODUCTION ET CADRE CONCEPTUEL", "arabic1"),
        ("Table ronde 1.1 : Outils et garanties de la cohérence", "meeting"),
        ("Roundtable 2.2: Supporting returning migrants", "meeting"),
        ("Mesa redonda 1.1: Herramientas de coherencia", "meeting"),
        ("Réunion thématique : Intégrer la migration", "meeting"),
        ("Thematic meeting: Migration profiles, Batumi, Georgia", "meeting"),
        ("Sous-thème 1 : Intégrer la migration", "subtheme"),
        ("Messages essentiels de l’atelier de Chisinau au Débat final du FMMD 2011", "listhead"),
        ("Questions pour orienter la discussion du Débat final", "listhead"),
        ("Questions directrices", "listhead"),
        ("Guiding questions", "listhead"),
        ("Key messages", "listhead"),
        ("Possible ways forward", "listhead"),
        ("Expected outcomes", "listhead"),
        ("Mensajes clave", "listhead"),
        ("Preguntas orientadoras", "listhead"),
        ("Resultados esperados", "listhead"),
        ("Recomendaciones", "listhead"),
        ("Résultats attendus", "listhead"),
        ("Marches à suivre possibles", "listhead"),
        ("Annexe", "annex"),
        ("Anexo", "annex"),
        ("Résumé", "section"),
        ("Introduction", "section"),
        ("Dialogue d'Abou Dhabi", "plain"),
    ],
)
def test_heading_families(text, family):
    guess = classify_heading(text)
    assert guess is not None and guess.family == family


@pytest.mark.parametrize(
    "text",
    [
        "1. Comment les examens par des pairs peuvent-ils contribuer ?",
        "i) La migration ne figure généralement pas parmi les priorités.",
        "a) Profils migratoires",
        "Les problèmes spécifiques évoqués ont été les suivants :",
        "Figure 2",
        "la question connexe de l’intégration",
        "Elle a rassemblé 80 participants.",
        "2011 was the year of the Swiss chair",
    ],
)
def test_not_headings(text):
    assert classify_heading(text) is None


def test_list_labels_and_where_items_begin():
    assert (list_label("iii) L’intégration").label, label_end("iii) L’intégration")) == ("iii", 5)
    assert list_label("(b) de renforcer").label == "b"
    assert list_label("12. Les États Membres").label == "12"
    assert list_label("• Quels sont").label == "•"
    assert list_label("2.1 Processus") is None
    assert label_end("Quels sont les intérêts ?") == 0


def test_fixture_sections_and_footnote_blocks(data_dir: Path):
    from ingest.models import DocumentMeta

    raw = load_file(data_dir / "report_short.txt")
    doc = build_document(raw, DocumentMeta("short", "Rapport court", 2011))
    kinds = [b.kind for b in doc.blocks]
    assert kinds.count("footnote") == 3
    assert all(k == "footnote" for k in kinds[kinds.index("footnote") :])  # after the body
    item = _block_containing(doc, "iii) Les Profils migratoires")
    assert item.kind == "list_item" and item.label == "iii"
    assert item.section[-1] == "Introduction"
    assert item.section[0].startswith("Réunion thématique : Profils migratoires")
    questions = [b for b in doc.blocks if b.section[-1:] == ("Questions directrices",)]
    assert [b.kind for b in questions] == ["heading", "list_item", "list_item"]
    annex = _block_containing(doc, "Liste des participants")
    assert annex.section == ("Annexe",)
    note2 = next(b for b in doc.blocks if b.kind == "footnote" and b.label == "2")
    assert note2.section[0].startswith("Réunion thématique")


def test_chisinau_key_messages_sit_under_their_heading(reports):
    doc = reports["gfmd2011-module3"]
    block = _block_containing(doc, "Les gouvernements se trouvent à différents stades")
    assert block.kind == "list_item" and block.label == "ii"
    assert block.section[-1].startswith("Messages essentiels de l’atelier de Chisinau")
    assert block.section[-2].startswith("Réunion thématique : Intégrer la migration")
    assert block.section[-2].endswith("Chisinau, Moldavie, 12-13 octobre 2011")
    assert block.section[0].startswith("Sous-thème 1 :")
    first = _block_containing(doc, "Pour soutenir une approche de la migration")
    assert first.kind == "list_item" and first.label == "i"
    assert "la question connexe" in _text(doc, first)  # joined over the blank line


def test_thematic_meetings_sharing_one_write_up(reports):
    doc = reports["gfmd2011-module3"]
    msg = _block_containing(doc, "Les PM, notamment les PM élargis")
    meeting = msg.section[-2]
    assert "New York" in meeting and "Batumi" in meeting and "Manille" in meeting
    assert msg.section[-1].startswith("Messages essentiels sur les Profils migratoires")


def test_every_workshop_of_2011_has_its_lists(reports):
    doc = reports["gfmd2011-module3"]
    heads = [_text(doc, b) for b in doc.blocks if b.kind == "heading"]
    assert sum(h.startswith("Messages essentiels") for h in heads) == 4
    assert sum(h.startswith("Questions pour orienter") for h in heads) == 4
    assert sum(h == "Introduction" for h in heads) == 4


def test_2008_chapter_four(reports):
    doc = reports["gfmd2008-rt3.3"]
    item = _block_containing(doc, "Les gouvernements intéressés pourraient faire des efforts")
    assert item.label == "b"
    assert item.section == (
        "4. QUESTIONS POUR ORIENTER LA DISCUSSION – MARCHES A SUIVRE POSSIBLES",
        "4.2 Marches à suivre possibles",
        "4.2.1 Assurer la cohérence",
    )
    header = [b for b in doc.blocks if "PHILIPPINE GFMD" in _text(doc, b)]
    assert header == []


def test_2017_roundtables_and_lost_bullets(reports):
    doc = reports["gfmd2017-concept"]
    q = _block_containing(doc, "Quels sont les intérêts des différents acteurs")
    assert q.kind == "list_item" and q.label == "•"
    assert q.section[-1] == "Questions directrices"
    assert q.section[-2].startswith("Table ronde 1.1 : Outils et garanties")
    assert q.section[-3].startswith("1. Migration et développement à travers les stratégies")
    assert q.section[0].startswith("II. Dixième Forum mondial")
    rt22 = _block_containing(doc, "L’objectif de cette table ronde est de donner une idée")
    assert rt22.section[-2].startswith("Table ronde 2.2")
    assert rt22.section[-3].startswith("2. Migration et développement à travers des partenariats")
    # the overview list of roundtables in chapter II is not a set of sections
    overview = _block_containing(doc, "Pendant la réunion du Forum, un espace commun")
    assert overview.section == (
        "II. Dixième Forum mondial sur la migration et le développement – Allemagne 2017",
    )


def test_un_report_chapters_and_numbered_paragraphs(reports):
    doc = reports["unsg2008-migration-development"]
    para = _block_containing(doc, "La Commission économique pour l’Afrique (CEA)")
    assert para.kind == "list_item" and para.label == "29"
    assert para.section == (
        "IV. Comment la question des migrations internationales et du développement est "
        "traitée dans le cadre du système des Nations Unies et d’autres organisations "
        "internationales concernées",
        "B. Commissions régionales",
    )
    c = _block_containing(doc, "C. Programmes et fonds des Nations Unies")
    assert c.kind == "heading" and c.level == 2
    cut = _block_containing(doc, "Ce travail est soutenu financièrement par le Fonds des")
    assert "Fonds des Nations Unies pour l’enfance (UNICEF)" in _text(doc, cut)  # across a footnote


def test_iom_markdown_structure(reports):
    doc = reports["iom-scpf13-2008"]
    obj = _block_containing(doc, "assurer le suivi des recommandations")
    assert obj.kind == "list_item" and obj.label == "1"
    assert obj.section[0] == "Annexe" and obj.section[-1] == "1. Objectifs"
    assert "**" not in doc.text and "##" not in doc.text


def test_blocks_are_ordered_disjoint_and_exact(reports):
    for doc in reports.values():
        body = [b for b in doc.blocks if b.kind != "footnote"]
        notes = [b for b in doc.blocks if b.kind == "footnote"]
        spans = [(b.start, b.end) for b in doc.blocks]
        assert spans == sorted(spans)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
        assert all(doc.text[s:e] == doc.text[s:e].strip() and e > s for s, e in spans)
        if notes:
            assert max(b.end for b in body) < min(b.start for b in notes)
        for b in doc.blocks:
            if b.kind == "heading":
                assert b.level == len(b.section) and b.level >= 1
            else:
                assert b.level == 0
