"""What is specific to the PostgreSQL store (corpus/pgstore.py), against a real server
(tests/pg_server.py): migrations, recorded settings, the HNSW and GIN indexes, French
stemming and accent folding in PostgreSQL, stable identity ids, pinned readers, and
writers in other processes (concurrent, killed, timing out). The behaviour both
backends share lives in tests/test_store_contract.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest

from corpus.analysis import analyze
from corpus.embeddings import HashingEmbedder
from corpus.pgstore import DENSE_SQL, SCHEMA_VERSION, PgStore, migrations
from corpus.protocol import SentenceVectors, UnitFilter
from gfmd.errors import StoreError
from gfmd.settings import Settings
from ingest.models import IngestedDocument, Passage
from tests.factories import make_doc

ROOT = Path(__file__).resolve().parent.parent
EMB = HashingEmbedder(64)
SUBPROCESS_TIMEOUT_S = 120


def _vectors(texts):
    return EMB.embed(list(texts))


def _open(url: str, settings: Settings | None = None, model: str | None = EMB.name) -> PgStore:
    return PgStore.open(url, settings or Settings(), embedding_model=model)


def _with_sentences(doc: IngestedDocument) -> IngestedDocument:
    """The same document with one sentence span per passage (the whole passage)."""
    passages = tuple(
        Passage(**{**p.__dict__, "sentences": ((p.start, p.end),)}) for p in doc.passages
    )
    return IngestedDocument(doc.document, passages, doc.elements)


FR = make_doc(
    "fr-2011",
    [
        "Le développement des compétences des travailleurs migrants.",
        "Les envois de fonds réduisent la pauvreté des familles.",
        "L'intégration des diasporas dans les politiques publiques.",
    ],
    elements=[("key_message", 0), ("recommendation", 2)],
)
EN = make_doc(
    "en-2012",
    ["Remittances reduce poverty.", "Labour migration and skills development."],
    language="en",
    year=2012,
    elements=[("guiding_question", 1)],
    meeting="Roundtable 1.2",
)


def test_migrations_are_applied_once_and_recorded(pg_url):
    _open(pg_url).close()
    _open(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        ).fetchall()
    assert rows == [(v, n) for v, n, _ in migrations()]
    assert rows[-1][0] == SCHEMA_VERSION


def test_a_migration_from_a_newer_program_is_refused(pg_url):
    _open(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')")
    with pytest.raises(StoreError, match="999"):
        _open(pg_url)


def test_other_embedding_model_or_chunking_is_refused(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    store.close()
    with pytest.raises(StoreError, match="embedding model"):
        _open(pg_url, model="another-model")
    with pytest.raises(StoreError, match="chunking"):
        _open(pg_url, Settings(chunking={"target_chars": 500}))
    assert _open(pg_url, model=None).size == 5  # browsing skips the model check


def test_meta_records_what_built_the_store(pg_url):
    store = _open(pg_url)
    store.write([FR, EN], vectors=_vectors)
    meta = store.meta
    assert (meta.embedding_model, meta.dim, meta.units) == (EMB.name, 64, 8)
    assert meta.schema_version == SCHEMA_VERSION
    assert meta.chunk_target_chars == Settings().chunking.target_chars


def test_dense_search_can_use_the_hnsw_index_and_filters_inside_it(pg_url):
    store = _open(pg_url)
    docs = [
        make_doc(f"d{i}", [f"paragraph {i} {j} migration" for j in range(20)]) for i in range(10)
    ]
    store.write(docs, vectors=_vectors)
    q = EMB.embed(["paragraph 3 7 migration"], query=True)[0]
    with psycopg.connect(pg_url) as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        conn.execute("SET enable_seqscan = off")
        plans = []
        for cond, args in [("TRUE", (q, q, 5)), ("u.year >= %s", (q, 2000, q, 5))]:
            explain = "EXPLAIN " + DENSE_SQL.format(cond=cond)
            plans.append("\n".join(r[0] for r in conn.execute(explain, args)))  # type: ignore[call-overload]
        indexes = {r[0]: r[1] for r in conn.execute("SELECT indexname, indexdef FROM pg_indexes")}
    assert all("units_embedding_hnsw" in plan for plan in plans), plans
    assert "hnsw (embedding vector_cosine_ops)" in indexes["units_embedding_hnsw"]
    assert "gin (tsv)" in indexes["units_tsv"]
    with store.reader() as r:
        r._conn.execute("SET LOCAL enable_seqscan = off")  # force the index path
        hits = r.dense_search(q, 7, UnitFilter(doc_ids=("d3",)))
        unfiltered = r.dense_search(q, 3)
    assert len(hits) == 7  # iterative scan: k hits pass a filter that rejects 90 %
    assert {store.unit(i)[0].doc_id for i, _ in hits} == {"d3"}
    assert store.unit(unfiltered[0][0])[0].text == "paragraph 3 7 migration"
    best, cosine = unfiltered[0]
    assert cosine == pytest.approx(float(q @ store.vector(best)), abs=1e-5)  # not a distance


def test_generated_tsvector_uses_the_language_config_and_unaccent(pg_url):
    store = _open(pg_url)
    store.write([FR, EN], vectors=_vectors)
    with psycopg.connect(pg_url) as conn:
        configs = dict(
            conn.execute("SELECT DISTINCT language, ts_config::text FROM units").fetchall()
        )
        lexemes = conn.execute(
            "SELECT tsv::text FROM units u JOIN passages p USING (unit_id)"
            " WHERE p.text LIKE 'Le développement%%'"
        ).fetchone()[0]
    assert configs == {"fr": "french", "en": "english"}
    assert "'developp'" in lexemes  # French Snowball stem of the unaccented word
    # Query tokens analyzed in Python (fold + PyStemmer) meet PostgreSQL's lexemes.
    hits = store.lexical_search(analyze("DÉVELOPPEMENTS", "fr"), "fr", 5)
    assert store.unit(hits[0][0])[0].text.startswith("Le développement")
    hits = store.lexical_search(analyze("intégration", "fr"), "fr", 5)
    assert store.unit(hits[0][0])[0].text.startswith("L'intégration")
    # the language argument restricts the ranking to that language's units
    en = store.lexical_search(analyze("development", "en"), "en", 5)
    assert en and all(store.unit(i)[0].language == "en" for i, _ in en)
    assert store.lexical_search(analyze("development", "en"), "fr", 5) == []


def test_lexical_search_filters_and_limits_in_sql(pg_url):
    store = _open(pg_url)
    store.write([FR, EN], vectors=_vectors)
    tokens = analyze("développement compétences pauvreté intégration", "fr")
    assert len(store.lexical_search(tokens, "fr", 2)) == 2
    only = store.lexical_search(tokens, None, 10, UnitFilter(kinds=("recommendation",)))
    assert [store.unit(i)[1].kind for i, _ in only] == ["recommendation"]
    assert store.lexical_search(tokens, None, 10, UnitFilter(year_min=2012)) == []
    scores = [s for _, s in store.lexical_search(tokens, "fr", 10)]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_unit_ids_come_from_a_sequence_and_are_never_reused(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    old = {i for i, _ in store.dense_search(EMB.embed(["x"], query=True)[0], 10)}
    changed = make_doc("fr-2011", ["Un autre texte."], content_hash="other")
    store.write([changed], vectors=_vectors)
    store.write([], remove=["fr-2011"], vectors=_vectors)
    store.write([FR], vectors=_vectors)
    new = {i for i, _ in store.dense_search(EMB.embed(["x"], query=True)[0], 10)}
    assert min(new) > max(old) + 1 and not old & new
    with pytest.raises(StoreError, match="no unit"):
        store.unit(min(old))


def test_reader_is_pinned_to_one_snapshot(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    with store.reader() as r:
        before = r.size
        store.write([EN], vectors=_vectors)  # commits while the reader is open
        assert r.size == before and r.doc_ids() == {"fr-2011"}
        assert r.lexical_search(analyze("remittances", "en"), "en", 5) == []
    with store.reader() as r:
        assert r.doc_ids() == {"fr-2011", "en-2012"}


def test_bad_writes_change_nothing(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    before = (store.size, store.doc_ids())
    with pytest.raises(StoreError, match="unknown"):
        store.write([EN], remove=["nope"], vectors=_vectors)
    with pytest.raises(StoreError, match="shape"):
        store.write([EN], vectors=lambda t: np.zeros((1, 64), np.float32))
    with pytest.raises(StoreError, match="dim"):
        store.write([EN], vectors=lambda t: np.zeros((len(t), 32), np.float32))
    assert (store.size, store.doc_ids()) == before


def test_sentence_vectors_and_precomputed_round_trip(pg_url, pg_server):
    src = _open(pg_url)
    src.write([_with_sentences(FR), EN], vectors=_vectors)
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE gfmd_copy_target")
    try:
        dst = _open(pg_server.url("gfmd_copy_target"))
        dst.write_precomputed(list(src.iter_documents()))
        assert dst.documents() == src.documents()
        assert dst.passages() == src.passages() and dst.elements() == src.elements()
        for (d1, v1, s1), (d2, v2, s2) in zip(
            src.iter_documents(), dst.iter_documents(), strict=True
        ):
            assert d1 == d2
            np.testing.assert_array_equal(v1, v2)
            assert s1.keys() == s2.keys()
            for pid in s1:
                assert s1[pid].spans == s2[pid].spans
                np.testing.assert_array_equal(s1[pid].vectors, s2[pid].vectors)
        sv = dst.sentence_vectors([FR.passages[0].passage_id, "missing"])
        assert list(sv) == [FR.passages[0].passage_id]
        assert isinstance(sv[FR.passages[0].passage_id], SentenceVectors)
        assert sv[FR.passages[0].passage_id].vectors.shape == (1, 64)
        dst.close()
    finally:
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute("DROP DATABASE gfmd_copy_target WITH (FORCE)")


# ------------------------------------------------------- writers in other processes
_WRITER = textwrap.dedent(
    """
    import sys
    from corpus.embeddings import HashingEmbedder
    from corpus.pgstore import PgStore
    from gfmd.settings import Settings
    from tests.factories import make_doc

    url, doc_id, pause, timeout = sys.argv[1], sys.argv[2], sys.argv[3] == "pause", float(sys.argv[4])
    emb = HashingEmbedder(64)
    store = PgStore.open(url, Settings(store={"lock_timeout_s": timeout}), embedding_model=emb.name)
    if pause:
        def hold():
            print("in-transaction", flush=True)
            sys.stdin.readline()
        store._before_commit = hold
    doc = make_doc(doc_id, [f"text of {doc_id}", "second paragraph"], language="en")
    try:
        store.write([doc], vectors=lambda t: emb.embed(list(t)))
    except Exception as exc:
        print(f"error: {type(exc).__name__}: {exc}", flush=True)
        sys.exit(3)
    print("committed", flush=True)
    """
)


def _writer(url: str, doc_id: str, *, pause: bool, timeout: float = 60.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, doc_id, "pause" if pause else "go", str(timeout)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_for_line(proc: subprocess.Popen, expected: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # blocks; the test's timeout is the process's
    assert line == expected, (line, proc.stderr.read() if proc.poll() is not None else "")


def _waiting_on_advisory_lock(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()[0]
        )


def _poll(predicate, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_two_writers_in_two_processes_both_land(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    first = _writer(pg_url, "first", pause=True)
    second = None
    try:
        _wait_for_line(first, "in-transaction")
        second = _writer(pg_url, "second", pause=False)
        assert _poll(lambda: _waiting_on_advisory_lock(pg_url) == 1)  # second queues
        assert store.doc_ids() == {"fr-2011"}  # nothing of the first is visible yet
        first.communicate("\n", timeout=SUBPROCESS_TIMEOUT_S)
        _, err = second.communicate(timeout=SUBPROCESS_TIMEOUT_S)
        assert first.returncode == 0 and second.returncode == 0, err
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert store.doc_ids() == {"fr-2011", "first", "second"}
    assert store.meta.units == store.size == 5 + 2 + 2


def test_a_killed_writer_leaves_the_store_as_it_was(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    before = (store.size, store.doc_ids(), store.passages())
    proc = _writer(pg_url, "fr-2011", pause=True)  # would replace fr-2011
    try:
        _wait_for_line(proc, "in-transaction")
        assert (store.size, store.doc_ids(), store.passages()) == before  # readers unaffected
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=SUBPROCESS_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (store.size, store.doc_ids(), store.passages()) == before
    store.write([EN], vectors=_vectors)  # the lock went with the killed session
    assert store.doc_ids() == {"fr-2011", "en-2012"}


def test_a_writer_gives_up_after_the_lock_timeout(pg_url):
    store = _open(pg_url)
    holder = _writer(pg_url, "holder", pause=True)
    try:
        _wait_for_line(holder, "in-transaction")
        waiter = _writer(pg_url, "waiter", pause=False, timeout=0.5)
        out, _ = waiter.communicate(timeout=SUBPROCESS_TIMEOUT_S)
        assert waiter.returncode == 3 and "StoreError" in out and "0.5 s" in out
        holder.communicate("\n", timeout=SUBPROCESS_TIMEOUT_S)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert store.doc_ids() == {"holder"}


def test_store_copy_round_trips_between_backends_without_embedding(pg_url, tmp_path, capsys):
    open_store = pytest.importorskip("corpus.open_store").open_store
    from gfmd.cli import main

    settings = Settings(index_dir=tmp_path / "src")
    src = open_store(settings, embedding_model=EMB.name, create=True)
    src.write([_with_sentences(FR), EN], vectors=_vectors, replace_all=True)
    src.close()
    assert main(["store", "copy", "--from", str(tmp_path / "src"), "--to", pg_url, "--json"]) == 0
    assert '"documents": 2' in capsys.readouterr().out
    back = tmp_path / "back"
    assert main(["store", "copy", "--from", pg_url, "--to", str(back), "--json"]) == 0
    capsys.readouterr()
    # a second copy into a non-empty target is refused unless --replace
    assert main(["store", "copy", "--from", str(back), "--to", pg_url]) == 2
    assert "--replace" in capsys.readouterr().err
    a = open_store(settings, embedding_model=EMB.name)
    b = open_store(Settings(index_dir=back), embedding_model=EMB.name)
    pg = _open(pg_url)
    try:
        for other in (pg, b):
            assert other.documents() == a.documents()
            assert other.passages() == a.passages() and other.elements() == a.elements()
            mine = {d.document.doc_id: (d, v, s) for d, v, s in other.iter_documents()}
            for d1, v1, s1 in a.iter_documents():
                d2, v2, s2 = mine.pop(d1.document.doc_id)
                assert d1 == d2
                np.testing.assert_array_equal(v1, v2)  # the same vectors, not re-embedded
                assert {k: v.spans for k, v in s1.items()} == {k: v.spans for k, v in s2.items()}
        q = EMB.embed(["envois de fonds"], query=True)[0]
        texts = [[s.unit(i)[0].text for i, _ in s.dense_search(q, 3)] for s in (a, pg, b)]
        assert texts[0] == texts[1] == texts[2]
    finally:
        for s in (a, b, pg):
            s.close()


def test_store_reads_inside_a_reader_share_its_snapshot(pg_url):
    store = _open(pg_url)
    store.write([FR], vectors=_vectors)
    with store.reader() as r:
        store.write([EN], vectors=_vectors)
        assert store.doc_ids() == {"fr-2011"}  # same thread: read through the open reader
        with store.reader() as inner:
            assert inner is r
    assert store.doc_ids() == {"fr-2011", "en-2012"}


def test_lexical_ranking_weighs_rare_terms_higher(pg_url, monkeypatch):
    store = _open(pg_url)
    doc = make_doc(
        "idf",
        [
            "Remittances, remittances and remittances again: remittances everywhere.",
            "Remittances and the diaspora.",
            *[f"Remittances paragraph {i}." for i in range(8)],
        ],
        language="en",
        heading="",
    )
    store.write([doc], vectors=_vectors)
    tokens = analyze("remittances diaspora", "en")
    best = store.lexical_search(tokens, "en", 3)[0][0]
    assert store.unit(best)[0].text == "Remittances and the diaspora."  # IDF (BM25 re-score)
    import corpus.pgstore as pgstore

    monkeypatch.setattr(pgstore, "LEXICAL_RERANK_POOL", 0)  # ts_rank_cd alone has no IDF
    best = store.lexical_search(tokens, "en", 3)[0][0]
    assert store.unit(best)[0].text.startswith("Remittances, remittances")
