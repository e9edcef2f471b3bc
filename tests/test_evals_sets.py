"""The tune/test question sets keep their rules (evals/check_questions.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from corpus.manifest import load_manifest
from evals.check_questions import (
    SPLITS,
    gold_problems,
    read_set,
    structural_problems,
    wording_problems,
)
from gfmd.settings import get_settings
from ingest.pipeline import ingest_file


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict[str, Any]]]:
    return {name: read_set(path) for name, path in SPLITS.items()}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest(get_settings().manifest)


def _doc_ids(manifest: dict) -> list[str]:
    return [m.doc_id for m in manifest.values()]


def test_bundled_sets_are_structurally_sound(splits, manifest) -> None:
    assert structural_problems(splits, _doc_ids(manifest)) == []


def test_bundled_questions_paraphrase_the_reports(splits, manifest) -> None:
    corpus_dir = get_settings().corpus_dir
    texts = [(corpus_dir / f).read_text(encoding="utf-8") for f in manifest]
    questions = [q for rows in splits.values() for q in rows]
    assert wording_problems(questions, texts) == []


def test_every_gold_quote_is_in_a_passage_of_the_ingested_reports(splits, manifest) -> None:
    """Same cleaning and chunking as the index, without embedding anything."""
    corpus_dir = get_settings().corpus_dir
    passages = [
        (p.passage_id, p.text)
        for f, meta in manifest.items()
        for p in ingest_file(corpus_dir / f, meta=meta).passages
    ]
    questions = [q for rows in splits.values() for q in rows]
    assert gold_problems(questions, passages) == []


def _tiny_sets() -> dict[str, list[dict[str, Any]]]:
    gold = ["un deux trois quatre cinq six sept huit"]

    def fact(name: str, kind: str = "fact", doc: str | None = "d1") -> list[dict[str, Any]]:
        g = [] if kind == "out_of_corpus" else gold
        return [
            {"id": f"{name}-{lang}", "fact": name, "lang": lang, "kind": kind,
             "q": f"question {lang}?", "gold": g, "doc_id": None if not g else doc}
            for lang in ("en", "fr", "es")
        ]  # fmt: skip

    return {
        "tune": fact("a") + fact("o1", "out_of_corpus"),
        "test": fact("b") + fact("o2", "out_of_corpus"),
    }


def test_a_fact_in_both_splits_is_reported() -> None:
    sets = _tiny_sets()
    sets["test"].append({**sets["tune"][0], "id": "a-en-bis"})
    problems = structural_problems(sets, ["d1"])
    assert any("'a' is in both splits" in p for p in problems)


def test_small_sets_and_missing_language_and_short_gold_are_reported() -> None:
    sets = copy.deepcopy(_tiny_sets())
    sets["tune"] = [q for q in sets["tune"] if q["id"] != "a-es"]
    sets["test"][0]["gold"] = ["trop court"]
    problems = structural_problems(sets, ["d1", "d2"])
    text = "\n".join(problems)
    assert "fewer than 240" in text
    assert "fact 'a': languages" in text
    assert "gold quote of 2 words" in text
    assert "no question for reports ['d2']" in text


def test_too_few_out_of_corpus_questions_are_reported() -> None:
    sets = _tiny_sets()
    sets["test"] = [q for q in sets["test"] if q["kind"] != "out_of_corpus"]
    problems = structural_problems(sets, ["d1"])
    assert any(p.startswith("test: 0/3 out-of-corpus") for p in problems)


def test_a_question_copying_six_report_words_is_reported() -> None:
    q = {"id": "x-en", "q": "Why does la migration ne figure généralement pas parmi matter?",
         "gold": []}  # fmt: skip
    report = "La migration ne figure généralement pas parmi les priorités des DSRP."
    assert wording_problems([q], [report]) == [
        "x-en: shares the report's words 'la migration ne figure généralement pas'"
    ]
    assert wording_problems([{**q, "q": "Is migration a PRSP priority?"}], [report]) == []


def test_gold_missing_from_passages_and_single_passage_multi_are_reported() -> None:
    passages = [("p1", "Alpha beta gamma delta. Epsilon zeta eta theta."), ("p2", "Iota kappa.")]
    missing = {"fact": "f1", "kind": "fact", "gold": ["omega psi"]}
    one_place = {"fact": "f2", "kind": "multi_passage", "gold": ["alpha beta", "zeta eta"]}
    two_places = {"fact": "f3", "kind": "multi_passage", "gold": ["alpha beta", "iota kappa"]}
    problems = gold_problems([missing, one_place, two_places], passages)
    assert problems == [
        "fact 'f1': gold not in any stored passage: 'omega psi'",
        "fact 'f2': multi_passage quotes all sit in one passage",
    ]
