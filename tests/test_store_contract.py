"""The store contract (:mod:`corpus.protocol`), run once per backend: ``embedded``
(SQLite + FAISS in a temporary directory) and ``postgres`` (skipped unless the
``pg_url`` fixture of the PostgreSQL tests exists)."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
import pytest

from corpus.analysis import analyze
from corpus.embeddings import HashingEmbedder
from corpus.open_store import open_store
from corpus.protocol import CorpusStore, UnitFilter
from gfmd.errors import StoreError
from gfmd.settings import ChunkingSettings, EmbeddingSettings, Settings, StoreSettings
from ingest.models import IngestedDocument
from tests.factories import make_doc, random_store_step

EMB = HashingEmbedder()

DOC_A = make_doc(
    "a",
    [
        "Les transferts de fonds des migrants réduisent la pauvreté des ménages.",
        "Les profils migratoires regroupent les données sur la migration.",
        "La diaspora contribue au développement local. Elle investit dans les villages.",
    ],
    year=2011,
    elements=[("key_message", 2), ("recommendation", 1)],
)
DOC_B = make_doc(
    "b",
    [
        "Remittances reduce poverty in countries of origin.",
        "Circular migration helps skills transfer between countries.",
    ],
    year=2017,
    language="en",
    meeting=None,
)
DOC_C = make_doc(
    "c",
    ["Las remesas de los migrantes reducen la pobreza en los hogares."],
    year=2019,
    language="es",
    elements=[("guiding_question", 0)],
    meeting="Mesa redonda 2.1",
)


def with_sentences(doc: IngestedDocument) -> IngestedDocument:
    """The document with one sentence span per '. '-separated sentence of each passage."""
    import dataclasses

    passages = []
    for p in doc.passages:
        spans, at = [], p.start
        for part in p.text.split(". "):
            end = min(at + len(part) + 1, p.end)
            spans.append((at, end))
            at = end + 1
        passages.append(dataclasses.replace(p, sentences=tuple(spans)))
    return dataclasses.replace(doc, passages=tuple(passages))


@pytest.fixture(params=["embedded", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    base = Settings(index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing"))
    if request.param == "embedded":
        return base
    try:
        pg_url = request.getfixturevalue("pg_url")
    except pytest.FixtureLookupError:
        pytest.skip("no PostgreSQL server fixture (pg_url)")
    return base.model_copy(update={"store": StoreSettings(url=pg_url)})


def make_store(settings: Settings, docs: list[IngestedDocument]) -> CorpusStore:
    store = open_store(settings, embedding_model=EMB.name, create=True)
    store.write(docs, vectors=EMB.embed, replace_all=True)
    return store


@pytest.fixture
def store(settings: Settings):
    s = make_store(settings, [DOC_A, DOC_B, DOC_C])
    yield s
    s.close()


def live_texts(store: CorpusStore) -> dict[str, str]:
    return {p.passage_id: p.text for p in store.passages()}


def test_add_remove_replace(store: CorpusStore) -> None:
    assert store.doc_ids() == {"a", "b", "c"}
    assert store.size == 3 + 2 + 1 + 2 + 1
    doc = store.document("a")
    assert doc.text == DOC_A.document.text
    assert [p.text for p in store.passages("a")] == [p.text for p in DOC_A.passages]
    assert {e.kind for e in store.elements(doc_id="a")} == {"key_message", "recommendation"}
    store.write([], remove=["b"], vectors=EMB.embed)
    assert store.doc_ids() == {"a", "c"}
    assert store.passages("b") == []
    changed = make_doc("a", ["Un seul paragraphe remplace le document."], content_hash="new")
    store.write([changed], vectors=EMB.embed)
    assert [p.text for p in store.passages("a")] == ["Un seul paragraphe remplace le document."]
    assert store.elements(doc_id="a") == []
    assert store.size == 1 + 2
    with pytest.raises(StoreError, match="unknown document zz"):
        store.write([DOC_B], remove=["zz"], vectors=EMB.embed)
    assert store.doc_ids() == {"a", "c"}  # nothing changed


def test_same_content_twice_is_not_rewritten(store: CorpusStore) -> None:
    q = EMB.embed(["transferts de fonds"], query=True)[0]
    before = store.dense_search(q, 3)
    store.write([DOC_A], vectors=EMB.embed)
    assert store.dense_search(q, 3) == before  # same unit ids: nothing replaced


def test_filters_apply_inside_both_searches(store: CorpusStore) -> None:
    q = EMB.embed(["migration pauvreté remesas remittances"], query=True)[0]
    cases = [
        (UnitFilter(year_min=2017), lambda p, e: p.doc_id in {"b", "c"}),
        (UnitFilter(year_max=2011), lambda p, e: p.doc_id == "a"),
        (UnitFilter(doc_ids=("b",)), lambda p, e: p.doc_id == "b"),
        (UnitFilter(languages=("es",)), lambda p, e: (e or p).language == "es"),
        (
            UnitFilter(kinds=("key_message",)),
            lambda p, e: e is not None and e.kind == "key_message",
        ),
        (UnitFilter(unit_types=("element",)), lambda p, e: e is not None),
        (UnitFilter(unit_types=("passage",)), lambda p, e: e is None),
        (UnitFilter(meeting="MESA redonda"), lambda p, e: e is not None and e.doc_id == "c"),
    ]
    for where, ok in cases:
        hits = store.dense_search(q, 50, where)
        assert hits, where
        assert all(ok(*store.unit(uid)) for uid, _ in hits), where
        everything = store.dense_search(q, 50)
        assert len(hits) == sum(ok(*store.unit(uid)) for uid, _ in everything), where
    # k results, all passing, even when better-scored units fail the filter
    two = store.dense_search(q, 2, UnitFilter(year_min=2017))
    assert len(two) == 2 and all(store.unit(u)[0].doc_id in {"b", "c"} for u, _ in two)
    fr = analyze("migration pauvreté", "fr")
    assert store.lexical_search(fr, "fr", 10)
    assert store.lexical_search(fr, "fr", 10, UnitFilter(year_min=2017)) == []
    hits = store.lexical_search(fr, "fr", 10, UnitFilter(unit_types=("element",)))
    assert hits and all(store.unit(u)[1] is not None for u, _ in hits)
    one = store.lexical_search(fr, "fr", 1)
    assert len(one) == 1 and one[0] == store.lexical_search(fr, "fr", 10)[0]
    en = store.lexical_search(analyze("remittances poverty", "en"), "en", 10)
    assert en and all(store.unit(u)[0].language == "en" for u, _ in en)
    assert store.dense_search(q, 5, UnitFilter(doc_ids=("nope",))) == []


def test_unit_ids_are_stable_and_never_reused(store: CorpusStore) -> None:
    q = EMB.embed(["remittances reduce poverty"], query=True)[0]
    uid, _ = store.dense_search(q, 1, UnitFilter(doc_ids=("b",)))[0]
    text = store.unit(uid)[0].text
    store.write([], remove=["a"], vectors=EMB.embed)
    assert store.unit(uid)[0].text == text  # other documents' ids unchanged
    store.write([], remove=["b"], vectors=EMB.embed)
    with pytest.raises(StoreError):
        store.unit(uid)
    with pytest.raises(StoreError):
        store.vector(uid)
    store.write([DOC_B], vectors=EMB.embed)
    new_ids = {u for u, _ in store.dense_search(q, 10, UnitFilter(doc_ids=("b",)))}
    assert uid not in new_ids
    with pytest.raises(StoreError):
        store.unit(uid)


def test_pinned_reader_does_not_see_a_commit_made_during_it(store: CorpusStore) -> None:
    q = EMB.embed(["remittances reduce poverty"], query=True)[0]
    with store.reader() as r:
        before_ids = r.doc_ids()
        before_hits = r.dense_search(q, 20)
        done = threading.Event()

        def remove() -> None:
            store.write([], remove=["b"], vectors=EMB.embed)
            done.set()

        t = threading.Thread(target=remove)
        t.start()
        t.join(timeout=30)
        assert done.is_set()
        assert r.doc_ids() == before_ids
        assert r.dense_search(q, 20) == before_hits
        assert [r.unit(u)[0].doc_id for u, _ in before_hits].count("b") == 2
        assert r.lexical_search(analyze("remittances", "en"), "en", 5)
    assert store.doc_ids() == {"a", "c"}
    assert all(store.unit(u)[0].doc_id != "b" for u, _ in store.dense_search(q, 20))


def test_meta_mismatch_is_refused(settings: Settings) -> None:
    make_store(settings, [DOC_A]).close()
    with pytest.raises(StoreError, match="embedding model"):
        open_store(settings, embedding_model="other-model")
    other = settings.model_copy(update={"chunking": ChunkingSettings(target_chars=500)})
    with pytest.raises(StoreError, match="chunking"):
        open_store(other, embedding_model=EMB.name)
    # a rebuild with the other settings replaces it
    rebuilt = open_store(other, embedding_model=EMB.name, create=True, rebuild=True)
    rebuilt.write([DOC_B], vectors=EMB.embed, replace_all=True)
    rebuilt.close()
    assert open_store(other, embedding_model=EMB.name).doc_ids() == {"b"}


def test_sentence_vectors_round_trip(settings: Settings) -> None:
    doc = with_sentences(DOC_A)
    store = make_store(settings, [doc])
    p = doc.passages[2]
    got = store.sentence_vectors([p.passage_id, "missing"])
    assert set(got) == {p.passage_id}
    sv = got[p.passage_id]
    assert sv.spans == p.sentences and len(sv.spans) == 2
    texts = [doc.document.text[s:e] for s, e in p.sentences]
    assert np.allclose(sv.vectors, EMB.embed(texts))
    assert store.passage(p.passage_id).sentences == p.sentences
    store.close()


def test_iter_documents_round_trip(store: CorpusStore, settings: Settings, tmp_path: Path) -> None:
    got = {d.document.doc_id: (d, v, s) for d, v, s in store.iter_documents()}
    assert set(got) == {"a", "b", "c"}
    doc, vecs, _ = got["a"]
    assert doc == DOC_A
    texts = [p.text for p in DOC_A.passages]
    assert vecs.shape == (len(DOC_A.passages) + len(DOC_A.elements), EMB.dim)
    assert np.allclose(vecs[0], EMB.embed([f"Section\n{texts[0]}"])[0])
    copy_settings = Settings(index_dir=tmp_path / "copy")
    copy = open_store(copy_settings, embedding_model=EMB.name, create=True)
    items = list(store.iter_documents())
    copy.write(
        [d for d, _, _ in items],
        vectors=lambda texts: (_ for _ in ()).throw(AssertionError("re-embedded")),
        precomputed=[(v, s) for _, v, s in items],
    )
    assert {d.document.doc_id: d for d, _, _ in copy.iter_documents()}["a"] == DOC_A
    q = EMB.embed(["transferts de fonds"], query=True)[0]
    assert [copy.unit(u)[0].text for u, _ in copy.dense_search(q, 3)] == [
        store.unit(u)[0].text for u, _ in store.dense_search(q, 3)
    ]
    copy.close()


def test_languages_most_frequent_first(store: CorpusStore) -> None:
    assert store.languages() == ["fr", "en", "es"]
    store.write([], remove=["a"], vectors=EMB.embed)
    assert store.languages() == ["en", "es"]


@pytest.mark.parametrize("seed", [7, 8])
def test_random_writes_and_removes_leave_only_current_units_searchable(
    settings: Settings, seed: int
) -> None:
    """Both backends, a seeded sequence of 30 writes (new or replacing content, with
    elements), removals, rebuilds and store objects opened anew between them: after every step,
    each open store's dense and lexical hits are live units holding the current text of
    their document, and its documents are exactly those written and not removed."""
    rng = random.Random(seed)
    words = ["migration", "remittances", "diaspora", "profils", "remesas", "développement"]
    pool = {
        d: [
            make_doc(d, [f"{d} {words[i % 6]} variante {v}.", f"{words[(i + v) % 6]} {d} {v}."],
                     elements=[("key_message", v)], content_hash=f"{d}-{v}")
            for v in range(2)
        ]
        for i, d in enumerate(["p", "q", "r", "s"])
    }  # fmt: skip
    queries = [EMB.embed([w], query=True)[0] for w in words]
    writer = open_store(settings, embedding_model=EMB.name, create=True)
    live: dict[str, int] = {}
    stores = [writer]
    try:
        for _ in range(30):
            step = random_store_step(rng, writer, pool, live, EMB.embed)
            if step is not None:
                live = step
            else:
                stores.append(open_store(settings, embedding_model=EMB.name))
                if len(stores) > 3:
                    stores.pop(1).close()
            for store in stores:
                with store.reader() as r:
                    assert r.doc_ids() == set(live)
                    for q, w in zip(queries, words, strict=True):
                        ids = [u for u, _ in r.dense_search(q, 10)]
                        ids += [u for u, _ in r.lexical_search(analyze(w, "fr"), "fr", 10)]
                        for uid in ids:
                            passage, element = r.unit(uid)
                            current = pool[passage.doc_id][live[passage.doc_id]]
                            assert passage.text in {p.text for p in current.passages}
                            if element is not None:
                                assert element.text in {e.text for e in current.elements}
    finally:
        for store in stores:
            store.close()
