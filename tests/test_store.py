"""The store: atomic versioned writes, settings checks, filters, dense and lexical search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from corpus.embeddings import HashingEmbedder
from corpus.store import Store, write_index
from gfmd.errors import StoreError
from gfmd.settings import ChunkingSettings, Settings
from tests.factories import make_doc

DOC_A = make_doc(
    "a",
    [
        "Les transferts de fonds des migrants réduisent la pauvreté.",
        "Les profils migratoires regroupent les données sur la migration.",
        "La diaspora contribue au développement local.",
    ],
    year=2011,
    elements=[("key_message", 2)],
)
DOC_B = make_doc(
    "b",
    [
        "Remittances reduce poverty in countries of origin.",
        "Circular migration helps skills transfer.",
    ],
    year=2017,
    language="en",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def test_write_then_load_roundtrip(settings: Settings) -> None:
    emb = HashingEmbedder()
    write_index(settings.index_dir, [DOC_A, DOC_B], emb, settings)
    store = Store.load(settings.index_dir, settings, embedding_model=emb.name)
    assert store.size == 3 + 2 + 1
    assert {d.meta.doc_id for d in store.documents()} == {"a", "b"}
    doc = store.document("a")
    assert doc.text == DOC_A.document.text
    for p in store.passages("a"):
        assert doc.text[p.start : p.end] == p.text
    [el] = store.elements()
    assert el.kind == "key_message" and el.text.startswith("La diaspora")
    assert store.element_passage(el.element_id).text == el.text


def test_index_records_what_built_it_and_refuses_other_settings(settings: Settings) -> None:
    emb = HashingEmbedder()
    write_index(settings.index_dir, [DOC_A], emb, settings)
    live = settings.index_dir / (settings.index_dir / "CURRENT").read_text()
    meta = json.loads((live / "meta.json").read_text())
    assert meta["embedding_model"] == emb.name and meta["chunk_max_chars"] == 1200
    with pytest.raises(StoreError, match="embedding model"):
        Store.load(settings.index_dir, settings, embedding_model="other-model")
    other = settings.model_copy(update={"chunking": ChunkingSettings(target_chars=500)})
    with pytest.raises(StoreError, match="chunking"):
        Store.load(settings.index_dir, other, embedding_model=emb.name)


def test_missing_index_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(StoreError, match="gfmd ingest"):
        Store.load(settings.index_dir, settings)


def test_failed_write_leaves_previous_index_live(settings: Settings) -> None:
    emb = HashingEmbedder()
    write_index(settings.index_dir, [DOC_A], emb, settings)

    class Broken(HashingEmbedder):
        def embed(self, texts, *, query=False):
            raise RuntimeError("model crashed")

    before = (settings.index_dir / "CURRENT").read_text()
    with pytest.raises(RuntimeError):
        write_index(
            settings.index_dir,
            [DOC_B],
            Broken(),
            settings,
            keep_from=Store.load(settings.index_dir, settings),
        )
    assert (settings.index_dir / "CURRENT").read_text() == before
    store = Store.load(settings.index_dir, settings, embedding_model=emb.name)
    assert store.doc_ids() == {"a"}
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_incremental_write_keeps_vectors_and_replaces_documents(settings: Settings) -> None:
    emb = HashingEmbedder()
    write_index(settings.index_dir, [DOC_A], emb, settings)
    first = Store.load(settings.index_dir, settings)
    vec_a = first.vectors()

    calls: list[int] = []

    class Counting(HashingEmbedder):
        def embed(self, texts, *, query=False):
            calls.append(len(texts))
            return super().embed(texts, query=query)

    write_index(settings.index_dir, [DOC_B], Counting(), settings, keep_from=first)
    second = Store.load(settings.index_dir, settings)
    assert second.doc_ids() == {"a", "b"}
    assert sum(calls) == 2  # only b's two passages were embedded
    assert np.allclose(second.ingested("a")[1], vec_a)
    write_index(settings.index_dir, [], emb, settings, keep_from=second, remove=["a"])
    third = Store.load(settings.index_dir, settings)
    assert third.doc_ids() == {"b"} and third.elements() == []


def test_filters_reach_both_retrievers(settings: Settings) -> None:
    emb = HashingEmbedder()
    write_index(settings.index_dir, [DOC_A, DOC_B], emb, settings)
    store = Store.load(settings.index_dir, settings)
    rows = store.allowed_rows(year_min=2017)
    q = emb.embed(["transferts de fonds remittances"], query=True)[0]
    dense = store.dense_search(q, 10, rows)
    assert dense and all(store.unit(r)[0].doc_id == "b" for r, _ in dense)
    assert store.lexical_search(["transfert"], "fr", 10, rows) == []
    assert store.lexical_search(["remitt"], "en", 10, rows)
    only_elements = store.allowed_rows(kinds=["key_message"])
    assert [store.unit(int(r))[1].kind for r in only_elements] == ["key_message"]
    assert store.dense_search(q, 5, np.array([], dtype=np.int64)) == []


def test_lexical_search_ranks_by_bm25_within_a_language(settings: Settings) -> None:
    write_index(settings.index_dir, [DOC_A, DOC_B], HashingEmbedder(), settings)
    store = Store.load(settings.index_dir, settings)
    from corpus.analysis import analyze

    hits = store.lexical_search(analyze("profils migratoires", "fr"), "fr", 5)
    assert "profils migratoires" in store.unit(hits[0][0])[0].text
    assert all(store.unit(r)[0].language == "fr" for r, _ in hits)
