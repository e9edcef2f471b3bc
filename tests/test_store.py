"""The embedded store (SQLite + FAISS): validation on open, the old layout, the FAISS
cold-start cache, incremental writes, the approximate index and SQL-side lexical limits.
Backend-independent behaviour is in ``tests/test_store_contract.py``."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from corpus.analysis import analyze
from corpus.embeddings import HashingEmbedder
from corpus.protocol import UnitFilter
from corpus.store import EmbeddedStore, _where_sql
from gfmd.errors import StoreError
from gfmd.settings import Settings, StoreSettings
from tests.factories import make_doc

EMB = HashingEmbedder()
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
    ["Remittances reduce poverty in countries of origin.", "Circular migration helps."],
    year=2017,
    language="en",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def build(settings: Settings, docs=(DOC_A, DOC_B)) -> EmbeddedStore:
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    store.write(list(docs), vectors=EMB.embed)
    return store


def test_one_database_and_a_cache_file(settings: Settings) -> None:
    build(settings).close()
    names = {p.name for p in settings.index_dir.iterdir()}
    assert "store.sqlite" in names and "CURRENT" not in names
    assert len([n for n in names if n.startswith("dense-") and n.endswith(".faiss")]) == 1
    with sqlite3.connect(settings.index_dir / "store.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM units").fetchone()[0] == 6


def test_missing_store_and_old_layout(settings: Settings) -> None:
    with pytest.raises(StoreError, match="no index in"):
        EmbeddedStore.open(settings.index_dir, settings)
    old = settings.index_dir / "v-20261202-064424-184961"
    old.mkdir(parents=True)
    (old / "store.sqlite").write_bytes(b"old")
    (settings.index_dir / "CURRENT").write_text(old.name)
    with pytest.raises(StoreError, match="older version of gfmd; run 'gfmd ingest --rebuild'"):
        EmbeddedStore.open(settings.index_dir, settings)
    with pytest.raises(StoreError, match="older version"):
        EmbeddedStore.open(settings.index_dir, settings, create=True)  # incremental ingest
    store = EmbeddedStore.open(settings.index_dir, settings, create=True, rebuild=True)
    store.write([DOC_A], vectors=EMB.embed, replace_all=True)
    assert store.doc_ids() == {"a"}
    assert (old / "store.sqlite").read_bytes() == b"old"  # never deleted
    assert (settings.index_dir / "CURRENT").exists()


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p.write_bytes(b"this is not a database at all" * 100), "not a readable"),
        (lambda p: p.write_bytes(p.read_bytes()[:2048]), "not a readable|meta says"),
        (
            lambda p: _sql(p, "UPDATE meta SET dim = 'x'"),
            "meta field dim is 'x'",
        ),
        (lambda p: _sql(p, "UPDATE meta SET units = 99"), "meta says 99 units"),
        (lambda p: _sql(p, "DELETE FROM meta"), "no meta row"),
        (lambda p: _sql(p, "UPDATE meta SET schema_version = 1"), "schema version 1"),
    ],
)
def test_damaged_store_is_a_store_error_naming_the_file(settings: Settings, damage, reason) -> None:
    build(settings).close()
    path = settings.index_dir / "store.sqlite"
    _checkpoint(path)
    damage(path)
    with pytest.raises(StoreError, match=reason) as info:
        EmbeddedStore.open(settings.index_dir, settings)
    assert str(path) in str(info.value)
    # --rebuild replaces it; the damaged file is kept aside, not deleted
    store = EmbeddedStore.open(settings.index_dir, settings, create=True, rebuild=True)
    store.write([DOC_B], vectors=EMB.embed, replace_all=True)
    assert EmbeddedStore.open(settings.index_dir, settings).doc_ids() == {"b"}


def _sql(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement)
    _checkpoint(path)


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


@pytest.mark.parametrize("cache", ["missing", "corrupt", "stale"])
def test_faiss_cache_is_only_a_cache(settings: Settings, cache: str) -> None:
    build(settings).close()
    [faiss_file] = settings.index_dir.glob("dense-*.faiss")
    if cache == "missing":
        faiss_file.unlink()
    elif cache == "corrupt":
        faiss_file.write_bytes(b"\0garbage")
    else:  # a cache one write behind: another writer's changes are applied from SQLite
        stale = faiss_file.read_bytes()
        store = EmbeddedStore.open(settings.index_dir, settings)
        store.write([], remove=["b"], vectors=EMB.embed)
        store.write([make_doc("c", ["Nouveau document sur la migration."])], vectors=EMB.embed)
        store.close()
        for f in settings.index_dir.glob("dense-*.faiss"):
            f.unlink()
        faiss_file.write_bytes(stale)
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name)
    q = EMB.embed(["migration"], query=True)[0]
    hits = store.dense_search(q, 50)
    with store.reader() as r:
        assert len(hits) == r.size
        ids = {u for u, _ in hits}
        live = {row[0] for row in r.conn.execute("SELECT unit_id FROM units")}
    assert ids == live  # exactly the live units, no dead or duplicate ids
    for uid, score in hits:
        assert score == pytest.approx(float(store.vector(uid) @ q), abs=1e-5)


def test_incremental_write_keeps_other_rows_and_vectors(settings: Settings) -> None:
    store = build(settings)
    before = {u: store.vector(u).copy() for u, _ in store.dense_search(EMB.embed(["x"])[0], 50)}

    calls: list[int] = []

    def counting(texts):
        calls.append(len(texts))
        return EMB.embed(texts)

    store.write([make_doc("c", ["Un troisième rapport."])], vectors=counting)
    assert sum(calls) == 1  # only the new document is embedded
    for uid, vec in before.items():
        assert np.array_equal(store.vector(uid), vec)


def test_lexical_search_limits_inside_sql(settings: Settings) -> None:
    docs = [
        make_doc(f"d{i}", [f"La migration numéro {i} et la migration encore."]) for i in range(30)
    ]
    store = build(settings, docs)
    statements: list[str] = []
    with store.reader() as r:
        r.conn.set_trace_callback(statements.append)
        hits = r.lexical_search(analyze("migration", "fr"), "fr", 5, UnitFilter(year_min=2000))
        r.conn.set_trace_callback(None)
    assert len(hits) == 5
    assert any("LIMIT" in s and "u.year >= " in s for s in statements)


@pytest.mark.parametrize(
    "language, where",
    [
        ("fr", None),  # most units: FTS5's best 8k hold k French ones
        ("en", None),  # few units: the join fallback
        (None, UnitFilter(year_min=2015)),  # few units pass the filter
        ("fr", UnitFilter(year_max=2012)),
        (None, None),
    ],
)
def test_lexical_search_equals_filtering_first(settings: Settings, language, where) -> None:
    fr = [
        make_doc(
            f"f{i:02d}", [f"La migration {'et la migration ' * (i % 4)}numéro {i}."], year=2010
        )
        for i in range(60)
    ]
    en = [make_doc(f"e{i}", [f"Migration number {i}."], year=2016, language="en") for i in range(3)]
    store = build(settings, fr + en)
    tokens = analyze("migration", "fr") + analyze("migration", "en")
    with store.reader() as r:
        got = r.lexical_search(tokens, language, 5, where)
        clause, args = _where_sql(where) if where is not None else ("1", [])
        if language is not None:
            clause, args = f"{clause} AND u.language = ?", [*args, language]
        match = " OR ".join(f'"{t}"' for t in sorted(set(tokens)))
        expected = r.conn.execute(
            "SELECT lexical.rowid, bm25(lexical) FROM lexical JOIN units u ON u.unit_id ="
            f" lexical.rowid WHERE lexical MATCH ? AND {clause} ORDER BY 2, 1",
            [match, *args],
        ).fetchall()
    assert 0 < len(got) <= 5
    assert [s for _, s in got] == pytest.approx([-s for _, s in expected[: len(got)]])
    assert len(got) == min(5, len(expected))
    best = {uid for uid, s in expected if -s >= got[-1][1] - 1e-9}
    assert {uid for uid, _ in got} <= best


def test_lexical_search_leaves_out_terms_fts5_scores_as_zero(settings: Settings) -> None:
    common = [make_doc(f"c{i}", [f"La migration numéro {i}."]) for i in range(8)]
    rare = [
        make_doc(f"r{i}", [f"La migration et la diaspora {'diaspora ' * i}."]) for i in range(3)
    ]
    store = build(settings, common + rare)
    tokens = analyze("migration diaspora", "fr")
    statements: list[str] = []
    with store.reader() as r:
        r.conn.set_trace_callback(statements.append)
        got = r.lexical_search(tokens, "fr", 20)
        r.conn.set_trace_callback(None)
        match = " OR ".join(f'"{t}"' for t in sorted(set(tokens)))
        full = r.conn.execute(
            "SELECT rowid, bm25(lexical) FROM lexical WHERE lexical MATCH ? ORDER BY 2, 1",
            (match,),
        ).fetchall()
        alone = r.lexical_search(analyze("migration", "fr"), "fr", 20)
    # only the three units holding the rare term come back, in FTS5's own order and with
    # its scores (the common term's idf is 1e-6: at most 2.2e-6 per unit)
    rare_ids = {uid for uid, _ in full[:3]}
    assert {uid for uid, _ in got} == rare_ids and len(got) == 3
    assert [s for _, s in got] == pytest.approx([-s for _, s in full[:3]], abs=2.2e-6)
    [query] = [s for s in statements if "ORDER BY rank" in s]
    [common_term, rare_term] = tokens
    assert f'"{common_term}"' not in query and f'"{rare_term}"' in query
    assert len(alone) == 11  # a query of common terms only is kept whole

    # the document frequencies belong to a version: once the term is rare it is scored
    others = [make_doc(f"o{i:02d}", [f"Les transferts de fonds {i}."]) for i in range(20)]
    store.write(others, vectors=EMB.embed)
    with store.reader() as r:
        assert len(r.lexical_search(tokens, "fr", 20)) == 11


def test_approximate_index_above_the_threshold(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "i", store=StoreSettings(ann_min_units=20))
    rng = np.random.default_rng(0)
    docs = [make_doc(f"d{i:03d}", [f"Paragraphe {i} {j}." for j in range(3)]) for i in range(40)]
    vectors = rng.standard_normal((120, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    it = iter(vectors)

    def embed(texts):
        return np.stack([next(it) for _ in texts])

    store = EmbeddedStore.open(settings.index_dir, settings, create=True)
    store.write(docs, vectors=embed)
    with store.reader() as r:
        assert r.snapshot.shared.approximate
    q = vectors[7]
    hits = store.dense_search(q, 10)
    exact = np.argsort(-(vectors @ q))[:10] + 1  # unit ids are 1-based, in write order
    recall = len({u for u, _ in hits} & set(exact.tolist())) / 10
    assert recall >= 0.9
    assert hits[0][0] == 8
    filtered = store.dense_search(q, 5, UnitFilter(doc_ids=("d010", "d011")))
    assert len(filtered) == 5 and all(
        store.unit(u)[0].doc_id in {"d010", "d011"} for u, _ in filtered
    )
    store.write([], remove=["d002"], vectors=embed)  # unit id 8 belongs to d002
    assert all(u != 8 for u, _ in store.dense_search(q, 10))


def test_a_text_that_occurs_twice_is_embedded_once() -> None:
    from corpus.protocol import embed_documents, embedding_text

    twice = "Les transferts de fonds réduisent la pauvreté."
    doc = make_doc("dup", [twice, "Une autre phrase.", twice], elements=[("key_message", 1)])
    seen: list[str] = []

    def counting(texts):
        seen.extend(texts)
        return EMB.embed(texts)

    progress: list[tuple[int, int]] = []
    [(units, _)] = embed_documents([doc], counting, 2, lambda d, t: progress.append((d, t)))
    expected = [embedding_text(passage=p) for p in doc.passages] + [
        embedding_text(element=e) for e in doc.elements
    ]
    assert len(seen) == len(set(seen)) == len(set(expected)) < len(expected)
    assert units.shape == (len(expected), EMB.embed(["x"]).shape[1])
    np.testing.assert_allclose(units, EMB.embed(expected), rtol=1e-6)
    assert progress[-1] == (len(set(expected)), len(set(expected)))


def test_texts_are_embedded_shortest_first_and_each_vector_returns_to_its_unit() -> None:
    from corpus.protocol import embed_documents, unit_texts

    texts = [f"Passage {i}: " + "migration et développement " * (7 * i % 11) for i in range(150)]
    doc = make_doc("sorted", texts)
    doc = dataclasses.replace(  # two sentences per passage: "Passage i:" and the rest
        doc,
        passages=tuple(
            dataclasses.replace(p, sentences=((p.start, p.text.index(":") + p.start + 1),
                                              (p.text.index(":") + p.start + 2, p.end)))
            for p in doc.passages
        ),
    )  # fmt: skip
    calls: list[list[str]] = []

    def recording(batch):
        calls.append(list(batch))
        return EMB.embed(batch)

    [(units, sentences)] = embed_documents([doc], recording, 8, None)
    lengths = [len(t) for call in calls for t in call]
    assert lengths == sorted(lengths) and len(calls) > 1
    np.testing.assert_allclose(units, EMB.embed(unit_texts(doc)), rtol=1e-6)
    assert len(sentences) == len(doc.passages)
    for p in doc.passages:
        said = [doc.document.text[s:e] for s, e in p.sentences]
        np.testing.assert_allclose(sentences[p.passage_id].vectors, EMB.embed(said), rtol=1e-6)
