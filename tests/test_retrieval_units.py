"""Reciprocal rank fusion, terminology expansion and lexical analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieve import reciprocal_rank_fusion
from assistant.terminology import Concept, Terminology, load_terminology, neutral_tokens
from corpus.analysis import analyze
from gfmd.errors import ConfigError
from gfmd.settings import PROJECT_ROOT


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([(1.0, [1, 2, 3]), (0.5, [3, 1])], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 0.5 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 0.5 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == 1


def test_rrf_ignores_zero_weight_rankings() -> None:
    assert reciprocal_rank_fusion([(0.0, [5]), (1.0, [7])]) == {7: pytest.approx(1 / 61)}


TERMS = Terminology(
    [
        Concept(
            "remittances",
            {
                "en": ("remittances",),
                "fr": ("transferts de fonds", "envois de fonds"),
                "es": ("remesas",),
            },
            "test",
        ),
        Concept(
            "guiding_questions",
            {
                "en": ("guiding questions",),
                "fr": ("questions directrices",),
                "es": ("preguntas orientadoras",),
            },
            "test",
        ),
        Concept(
            "questions", {"en": ("questions",), "fr": ("questions",), "es": ("preguntas",)}, "test"
        ),
        Concept(
            "roundtable",
            {"en": ("roundtable", "round table"), "fr": ("table ronde",), "es": ("mesa redonda",)},
            "test",
        ),
    ]
)


def test_expansion_translates_terms_and_keeps_neutral_tokens() -> None:
    out = TERMS.expand("What guiding questions were put to roundtable 2.2?", "en", "fr")
    assert "questions directrices" in out and "table ronde" in out and "2.2" in out
    # the longest variant wins: "guiding questions" is not also expanded as plain "questions"
    assert TERMS.matches("guiding questions")[0].concept == "guiding_questions"
    assert len(TERMS.matches("guiding questions")) == 1


def test_expansion_is_accent_and_case_insensitive() -> None:
    assert "transferts de fonds" in TERMS.expand("¿Qué sabemos de las REMESAS?", "es", "fr")


def test_expansion_without_terms_or_names_is_empty() -> None:
    assert TERMS.expand("what is this about?", "en", "fr") == ""


def test_neutral_tokens() -> None:
    assert neutral_tokens("What did the Chisinau workshop say about ECOWAS in 2011?") == [
        "Chisinau",
        "ECOWAS",
        "2011",
    ]
    assert "What" not in neutral_tokens("What is it?")


def test_bundled_terminology_loads_and_is_large() -> None:
    terms = load_terminology(PROJECT_ROOT / "corpus" / "terminology.tsv")
    assert len(terms) >= 300
    assert "profils migratoires" in terms.expand("What are migration profiles?", "en", "fr")
    assert "remesas" in terms.expand("transferts de fonds", "fr", "es")


def test_malformed_terminology_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.tsv"
    bad.write_text("concept\ten\tfr\tes\tsource\nx\tonly-english\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="row"):
        load_terminology(bad)


def test_analysis_folds_accents_splits_elisions_and_stems() -> None:
    assert analyze("l'intégration des Profils migratoires", "fr") == analyze(
        "integration profil migratoire", "fr"
    )
    assert analyze("The remittances", "en") == ["remitt"]
    assert analyze("las remesas", "es") == analyze("remesa", "es")
