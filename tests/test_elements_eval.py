"""Scoring of extracted elements against a gold file (evals/elements.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.elements import (
    format_table,
    group_matches,
    load_original_files,
    normalize_for_match,
    score_elements,
)
from ingest.elements import extract_elements
from tests.test_elements_support import make_doc

FILES = {"doc-a": "000_abc.txt", "doc-b": "004_def.txt", "doc-c": "0001_zzz.txt"}


def _corpus():
    a = make_doc(
        [
            (
                "h",
                1,
                "Réunion thématique : Intégrer la migration\nChisinau, Moldavie, 12-13 octobre 2011",
            ),
            ("h", 2, "Messages essentiels de l’atelier de Chisinau au Débat final"),
            ("li", "i", "i) L’intégration de la migration au développement est un processus."),
            ("li", "ii", "ii) Les gouvernements se trouvent à différents stades."),
            ("li", "iii", "iii) Un message que la gold ne connaît pas."),
            ("h", 2, "Questions pour orienter la discussion du Débat final"),
            ("li", "1", "1. Comment les examens par des pairs peuvent-ils aider ?"),
            ("h", 1, "Réunion thématique : Évaluer\nMarseille, France, 14-15 juin 2011"),
            ("h", 2, "Messages essentiels de l’atelier de Marseille au Débat final"),
            ("li", "i", "i) Hors du périmètre de la gold."),
        ],
        doc_id="doc-a",
    )
    b = make_doc(
        [
            ("h", 2, "Table ronde 1.1 : Outils"),
            ("h", 3, "Questions directrices"),
            ("p", "Quels sont les intérêts des différents acteurs ?"),
            ("h", 2, "Table ronde 11.1 : Ne doit pas correspondre à 1.1"),
            ("h", 3, "Questions directrices"),
            ("p", "Quelles sont les autres questions ?"),
        ],
        doc_id="doc-b",
    )
    c = make_doc(
        [("h", 1, "Key messages of the Chisinau workshop"), ("li", "1", "1. Another file.")],
        doc_id="doc-c",
        language="en",
    )
    return [*extract_elements(a), *extract_elements(b), *extract_elements(c)]


GOLD = {
    "key_message": {
        "000 Chisinau": [
            "L'integration de la migration au developpement",  # accents/apostrophe differ
            "Les gouvernements se trouvent",
            "Un message absent de l'extraction",
        ]
    },
    "guiding_question": {
        "000 Chisinau": ["Comment les examens par des pairs"],
        "004 RT1.1": ["Quels sont les intérêts des différents acteurs"],
    },
}


def test_normalize_for_match():
    assert (
        normalize_for_match("L’intégration,  de la  migration…") == "l integration de la migration"
    )


def test_group_matches_numbers_and_words():
    assert group_matches("RT1.1", "Table ronde 1.1 : Outils", "Questions directrices")
    assert group_matches("1.1", "Roundtable 1.1: Tools", "Guiding questions")
    assert not group_matches("RT1.1", "Table ronde 11.1 : Autre", "Questions directrices")
    assert not group_matches("RT1.1", "Table ronde 1.12 : Autre", "Questions directrices")
    assert group_matches("Chisinau", None, "Messages essentiels de l'atelier de Chişinău")
    assert group_matches("Manila", "Réunions thématiques — Manille, Philippines", "Messages")
    assert group_matches("New York", "Réunion — New York, États-Unis", "Messages")
    assert not group_matches("Marseille", "Réunion thématique — Chisinau", "Messages essentiels")


def test_score_elements_counts_per_group_and_kind():
    scores = score_elements(_corpus(), GOLD, original_files=FILES)
    km = scores.for_kind("key_message")
    assert km is not None
    (group,) = km.groups
    assert group.doc_ids == ("doc-a",)  # "0001_…" does not have the prefix "000"
    assert (group.n_gold, group.n_gold_matched) == (3, 2)
    assert (group.n_extracted, group.n_extracted_matched) == (3, 2)
    assert group.missed == ("Un message absent de l'extraction",)
    assert group.unexpected == ("Un message que la gold ne connaît pas.",)
    assert km.precision == pytest.approx(2 / 3) and km.recall == pytest.approx(2 / 3)

    gq = scores.for_kind("guiding_question")
    assert gq is not None
    assert [(g.group, g.n_extracted, g.n_gold_matched) for g in gq.groups] == [
        ("000 Chisinau", 1, 1),
        ("004 RT1.1", 1, 1),
    ]
    assert gq.precision == 1.0 and gq.recall == 1.0
    assert scores.for_kind("recommendation") is None


def test_matching_is_one_to_one():
    els = _corpus()
    gold = {"key_message": {"000 Chisinau": ["Les gouvernements", "Les gouvernements"]}}
    (km,) = score_elements(els, gold, original_files=FILES).kinds
    assert km.n_gold_matched == 1 and km.groups[0].missed == ("Les gouvernements",)


def test_unknown_prefix_scores_zero():
    gold = {"key_message": {"999 Nowhere": ["Rien"]}}
    (km,) = score_elements(_corpus(), gold, original_files=FILES).kinds
    assert (km.n_extracted, km.recall, km.precision) == (0, 0.0, None)


def test_table_and_json():
    scores = score_elements(_corpus(), GOLD, original_files=FILES)
    table = format_table(scores, details=True)
    assert "key_message" in table and "000 Chisinau" in table and "0.667" in table
    assert "- missed: Un message absent" in table
    data = json.loads(json.dumps(scores.to_json()))
    assert data["kinds"][0]["kind"] == "key_message"
    assert data["kinds"][0]["groups"][0]["n_gold_matched"] == 2


def test_load_original_files(tmp_path: Path):
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[documents]]\nid = "a"\nfile = "a.txt"\ntitle = "A"\noriginal_file = "000_x.txt"\n'
        '[[documents]]\nid = "b"\nfile = "b.txt"\ntitle = "B"\n',
        encoding="utf-8",
    )
    assert load_original_files(manifest) == {"a": "000_x.txt"}
