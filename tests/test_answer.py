"""The extractive answerer: verbatim quotes, anchors that ground a question, not_found."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer import ask, sentences, verify_citation
from assistant.retrieve import resources
from corpus.embeddings import HashingEmbedder
from corpus.store import EmbeddedStore
from gfmd.settings import EmbeddingSettings, Settings
from tests.factories import make_doc


@pytest.fixture
def res(tmp_path: Path):
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    docs = [
        make_doc(
            "chisinau",
            [
                "L'atelier de Chisinau, tenu en 2011, a examiné l'intégration de la migration.\n"
                "Les participants ont souligné le rôle des profils migratoires.",
                "Les transferts de fonds des migrants réduisent la pauvreté des ménages.",
            ],
            year=2011,
        )
    ]
    emb = HashingEmbedder()
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=emb.name, create=True)
    store.write(docs, vectors=emb.embed)
    store.close()
    return resources(settings)


def test_answer_quotes_are_verbatim_sentences_of_cited_text(res) -> None:
    answer = ask("Qu'a examiné l'atelier de Chisinau ?", res=res)
    assert answer.status == "answered"
    for c in answer.citations:
        assert verify_citation(c.quote, c.hit)
        assert "\n" not in c.quote  # a line is never glued to the next one
        assert f"« {c.quote} » [{c.marker}]" in answer.text


def test_year_no_document_mentions_is_not_found(res) -> None:
    answer = ask("Qu'a examiné l'atelier de Chisinau en 2019 ?", res=res)
    assert answer.status == "not_found" and answer.citations == ()
    assert answer.closest


def test_place_no_document_mentions_is_not_found(res) -> None:
    answer = ask("Qu'a examiné l'atelier de Tegucigalpa ?", res=res)
    assert answer.status == "not_found"


def test_place_named_in_another_language_is_found_through_terminology(res) -> None:
    # "Chisináu" (es) is a variant of the concept whose French form the document uses.
    answer = ask("¿Qué examinó el taller de Chisináu?", res=res)
    assert answer.status == "answered"


def test_sentences_split_on_sentence_ends_and_lines() -> None:
    text = "Titre du rapport\nPremière phrase. Deuxième phrase ? Troisième."
    assert sentences(text) == [
        "Titre du rapport",
        "Première phrase.",
        "Deuxième phrase ?",
        "Troisième.",
    ]


def test_verify_citation_rejects_text_not_in_the_passage(res) -> None:
    answer = ask("Qu'a examiné l'atelier de Chisinau ?", res=res)
    hit = answer.citations[0].hit
    assert not verify_citation("Une phrase inventée.", hit)
    assert not verify_citation("   ", hit)


def test_warm_up_compiles_every_pattern_once_and_loads_both_detectors(res, monkeypatch) -> None:
    """``warm_up`` (what ``gfmd serve`` runs after launch) leaves nothing to compile or
    load for the first request; threads asking for one pattern at once compile it once."""
    import re
    import threading

    import assistant.terminology as terminology
    from assistant.retrieve import warm_up
    from ingest.language import DEFAULT_LANGUAGES, _detector

    compiled: list[str] = []
    real = re.compile
    monkeypatch.setattr(terminology.re, "compile", lambda p, *a: compiled.append(p) or real(p, *a))
    terms = terminology.Terminology(res.terminology.concepts)
    start = threading.Barrier(8)

    def first_use() -> None:
        start.wait(timeout=10)
        terms.match_spans("les transferts de fonds", exclude_language="en")

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(compiled) == 2  # (exclude en) x (words, acronyms), once each

    _detector.cache_clear()
    warm_up(res)
    patterns = res.terminology._patterns
    assert set(patterns) == {(x, a) for x in (None, "en", "fr", "es") for a in (False, True)}
    codes = tuple(sorted(DEFAULT_LANGUAGES))
    assert _detector.cache_info().currsize == 2
    _detector(codes, True), _detector(codes)  # both built by warm_up: cache hits
    assert _detector.cache_info().misses == 2


def test_search_embeds_the_query_beside_the_lexical_search(res) -> None:
    """``search`` without a vector embeds the query in a worker thread while it runs the
    lexical searches: same hits as with the vector given, embedder errors still raised,
    and concurrent searches from many threads give the sequential results."""
    import dataclasses
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from assistant.retrieve import search

    questions = ["Qu'a examiné l'atelier de Chisinau ?", "transferts de fonds", "pauvreté"]
    threads: set[str] = set()
    real = res.embedder.embed

    class Recording:
        name = res.embedder.name
        min_support_score = res.embedder.min_support_score

        def embed(self, texts, *, query=False):
            threads.add(threading.current_thread().name)
            return real(texts, query=query)

    recorded = dataclasses.replace(res, embedder=Recording())
    expected = {}
    for q in questions:
        vec = real([q], query=True)[0]
        expected[q] = [h.passage.passage_id for h in search(q, res=res, query_vector=vec)]
        assert [h.passage.passage_id for h in search(q, res=recorded)] == expected[q]
    assert threads and all(t.startswith("gfmd-query-embed") for t in threads)

    with ThreadPoolExecutor(12) as pool:
        got = list(pool.map(lambda q: (q, search(q, res=res)), questions * 8, timeout=60))
    assert all([h.passage.passage_id for h in hits] == expected[q] for q, hits in got)

    class Broken(Recording):
        def embed(self, texts, *, query=False):
            raise RuntimeError("engine failed")

    with pytest.raises(RuntimeError, match="engine failed"):
        search(questions[0], res=dataclasses.replace(res, embedder=Broken()))
