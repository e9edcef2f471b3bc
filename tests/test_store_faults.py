"""The embedded store under faults: concurrent writer processes, readers racing writes,
a writer killed mid-transaction, damaged files seen from the CLI. Every test that
starts a process or a thread bounds it with a timeout (``communicate``/``join``)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.retrieve import resources, search
from corpus.embeddings import HashingEmbedder
from corpus.store import EmbeddedStore
from gfmd.cli import main
from gfmd.settings import EmbeddingSettings, Settings, get_settings
from tests.factories import make_doc, random_store_step

ROOT = Path(__file__).resolve().parent.parent
EMB = HashingEmbedder()

TOPICS = [
    "les transferts de fonds des migrants",
    "les profils migratoires nationaux",
    "la migration circulaire des travailleurs",
    "le rôle de la diaspora dans le développement",
    "la protection des travailleurs migrants",
    "la migration et le changement climatique",
]


def report_text(i: int) -> str:
    topic = TOPICS[i]
    paras = [
        f"Rapport numéro {i} sur {topic}",
        f"Introduction\nCe rapport {i} examine {topic} et leurs effets sur le développement "
        f"des pays d'origine. Les participants ont souligné l'importance des données.",
        f"Conclusions\nLes gouvernements du rapport {i} doivent coopérer sur {topic} afin "
        "de renforcer les capacités nationales et la cohérence des politiques.",
    ]
    return "\n\n".join(paras) + "\n"


def _env(index_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GFMD_INDEX_DIR=str(index_dir),
        GFMD_EMBEDDING__BACKEND="hashing",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_three_concurrent_ingest_processes_all_land(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    files = []
    for i in range(6):
        f = tmp_path / f"concurrent-report-{i}.txt"
        f.write_text(report_text(i), encoding="utf-8")
        files.append(f)
    cmd = [sys.executable, "-m", "gfmd.cli", "ingest", "--quiet", "--json"]
    procs = [
        subprocess.Popen(
            [*cmd, str(files[2 * n]), str(files[2 * n + 1])],
            env=_env(index_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    settings = Settings(index_dir=index_dir, embedding=EmbeddingSettings(backend="hashing"))
    store = EmbeddedStore.open(index_dir, settings, embedding_model=EMB.name)
    docs = store.documents()
    assert len(docs) == 6
    assert sorted(Path(d.source_path).name for d in docs) == sorted(f.name for f in files)
    store.close()


def test_readers_during_repeated_ingest_and_remove_see_consistent_citations(
    tmp_path: Path,
) -> None:
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    base = [
        make_doc(f"base{i}", [report_text(i).split("\n\n")[j] for j in (1, 2)]) for i in range(3)
    ]
    variants = [
        make_doc("x", [report_text(3).split("\n\n")[1], "Variante de la migration. " * (v + 1)],
                 content_hash=f"x{v}")
        for v in range(2)
    ]  # fmt: skip
    extra = make_doc("y", [report_text(4).split("\n\n")[2]])
    expected = {p.passage_id: p.text for d in [*base, *variants, extra] for p in d.passages}
    writer = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    writer.write([*base, variants[0]], vectors=EMB.embed)
    res = resources(settings)
    errors: list[BaseException] = []
    checked = [0]
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                for q in ("migration et développement", "diaspora", "variante de la migration"):
                    for hit in search(q, k=8, res=res):
                        assert expected[hit.passage.passage_id] == hit.passage.text
                        if hit.element is not None:  # pragma: no cover - no elements here
                            assert hit.element.doc_id == hit.passage.doc_id
                        checked[0] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for round_ in range(12):
            writer.write([variants[(round_ + 1) % 2]], vectors=EMB.embed)
            if round_ % 2:
                writer.write([], remove=["y"], vectors=EMB.embed)
            else:
                writer.write([extra], vectors=EMB.embed)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    assert checked[0] > 0
    assert writer.doc_ids() == {"base0", "base1", "base2", "x"}  # the last round removed y
    writer.close()


KILLED_WRITER = r"""
import sys, time
import corpus.store as cs
from corpus.embeddings import HashingEmbedder
from gfmd.settings import Settings, EmbeddingSettings
from tests.factories import make_doc

real = cs._insert_doc
def slow_insert(*args, **kwargs):
    real(*args, **kwargs)
    print("inside the transaction", flush=True)
    time.sleep(60)
cs._insert_doc = slow_insert
settings = Settings(index_dir=sys.argv[1], embedding=EmbeddingSettings(backend="hashing"))
emb = HashingEmbedder()
store = cs.EmbeddedStore.open(settings.index_dir, settings, embedding_model=emb.name)
store.write([make_doc("new1", ["Un premier nouveau."]), make_doc("new2", ["Un second."])],
            remove=["a"], vectors=emb.embed)
"""


def test_writer_killed_mid_write_leaves_previous_data(tmp_path: Path) -> None:
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    a, b = make_doc("a", ["Le document A."]), make_doc("b", ["Le document B."])
    store.write([a, b], vectors=EMB.embed)
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(settings.index_dir)],
        env=_env(settings.index_dir),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "inside the transaction"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    again = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name)
    assert again.doc_ids() == {"a", "b"}
    assert [p.text for p in again.passages("a")] == ["Le document A."]
    started = time.monotonic()
    again.write([make_doc("c", ["Le document C."])], vectors=EMB.embed)  # lock was freed
    assert time.monotonic() - started < 60
    assert again.doc_ids() == {"a", "b", "c"}
    again.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GFMD_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
    get_settings.cache_clear()
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    store = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    store.write([make_doc("a", ["Les transferts de fonds des migrants."])], vectors=EMB.embed)
    store.close()
    yield tmp_path / "index"
    get_settings.cache_clear()


def _corrupt(index: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{index / 'store.sqlite'}{suffix}").unlink(missing_ok=True)
    (index / "store.sqlite").write_bytes(b"garbage" * 1000)


def _missing(index: Path) -> None:
    for name in ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm"):
        (index / name).unlink(missing_ok=True)


def _bad_meta(index: Path) -> None:
    import sqlite3

    with sqlite3.connect(index / "store.sqlite") as conn:
        conn.execute("UPDATE meta SET dim = 'x'")


@pytest.mark.parametrize(
    "damage, message",
    [(_corrupt, "not a readable gfmd store"), (_missing, "no index in"), (_bad_meta, "dim is 'x'")],
)
def test_damaged_store_is_one_line_and_rc_2(
    cli_env: Path, capsys: pytest.CaptureFixture, damage, message
) -> None:
    damage(cli_env)
    for args in (["search", "transferts"], ["elements"], ["ask", "transferts ?"]):
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 2, (args, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, err)
        assert "Traceback" not in err


def test_resources_keep_one_store_object_that_sees_new_writes(tmp_path: Path) -> None:
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    writer = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    writer.write([make_doc("a", ["Les transferts de fonds des migrants."])], vectors=EMB.embed)
    res = resources(settings)
    store = res.store
    assert {h.passage.doc_id for h in search("diaspora villages", res=res)} == {"a"}
    writer.write([make_doc("b", ["La diaspora investit dans les villages."])], vectors=EMB.embed)
    assert resources(settings, reload=True).store is store  # never swapped under readers
    assert search("diaspora villages", res=res)[0].passage.doc_id == "b"
    writer.close()


def test_a_cached_dense_index_holding_removed_units_never_returns_them(tmp_path: Path) -> None:
    """The FAISS cache file holds every unit its shared index ever got, removed ones
    included. A process that loads it must count every id the file has and the store no
    longer holds as removed — also ids above the highest live one, which a later write
    brings back into the searched id range (found as a flaky "unknown unit 10" in
    the reader race above)."""
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    writer = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    a = make_doc("a", [report_text(0).split("\n\n")[1]])
    b = make_doc("b", [report_text(1).split("\n\n")[1], report_text(1).split("\n\n")[2]])
    c = make_doc("c", [report_text(2).split("\n\n")[1]])
    writer.write([a], vectors=EMB.embed)
    writer.write([b], vectors=EMB.embed)  # b's units have the highest ids
    writer.write([], remove=["b"], vectors=EMB.embed)  # cached index still holds them
    reader = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name)
    with reader.reader() as r:  # loads the cache file of this generation
        assert r.doc_ids() == {"a"}
    writer.write([c], vectors=EMB.embed)  # ids above b's: the live range now covers b's
    query = EMB.embed([b.passages[0].text])[0]
    with reader.reader() as r:
        hits = r.dense_search(query, 10)
        assert {r.unit(uid)[0].doc_id for uid, _ in hits} == {"a", "c"}
    fresh = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name)
    with fresh.reader() as r:
        assert {r.unit(uid)[0].doc_id for uid, _ in r.dense_search(query, 10)} == {"a", "c"}
    for store in (writer, reader, fresh):
        store.close()


@pytest.mark.parametrize("ann_min_units", [50_000, 4])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_writes_removes_and_reopens_never_return_a_dead_or_stale_unit(
    tmp_path: Path, seed: int, ann_min_units: int
) -> None:
    """A bounded, seeded sequence of the store's life: documents written (new content
    replacing old), removed, the whole store rebuilt, and reader processes (new store objects loading the FAISS
    cache) opened between writes. After every step, every dense and lexical hit of every
    open reader names a live unit whose text is the document's current text. With
    ``ann_min_units=4`` the approximate (HNSW) index, its compaction and the switch from
    exact search are exercised too."""
    rng = random.Random(seed)
    settings = Settings(
        index_dir=tmp_path / "index",
        embedding=EmbeddingSettings(backend="hashing"),
        store={"ann_min_units": ann_min_units},
    )
    pool = {
        f"d{i}": [
            make_doc(f"d{i}", [report_text(i).split("\n\n")[1], f"Variante {v} du rapport {i}."],
                     content_hash=f"d{i}v{v}")
            for v in range(2)
        ]
        for i in range(len(TOPICS))
    }  # fmt: skip
    queries = [EMB.embed([report_text(i)])[0] for i in range(len(TOPICS))]
    writer = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    live: dict[str, int] = {}
    readers: list[EmbeddedStore] = []

    def check() -> None:
        for store in [writer, *readers]:
            with store.reader() as r:
                assert r.doc_ids() == set(live)
                for q in queries:
                    ids = [u for u, _ in r.dense_search(q, 20)]
                    ids += [u for u, _ in r.lexical_search(["rapport"], "fr", 20)]
                    for uid in ids:
                        passage, _ = r.unit(uid)
                        current = pool[passage.doc_id][live[passage.doc_id]]
                        assert passage.text in {p.text for p in current.passages}

    for _ in range(60):
        step = random_store_step(rng, writer, pool, live, EMB.embed)
        if step is not None:
            live = step
        else:
            readers.append(
                EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name)
            )
            if len(readers) > 2:
                readers.pop(0).close()
        check()
    for store in [writer, *readers]:
        store.close()


def test_a_cache_file_holding_newer_units_than_its_generation_keeps_them_searchable(
    tmp_path: Path,
) -> None:
    """The cache file of a snapshot is its shared FAISS index, which newer snapshots of
    the same process may already have grown: the file named for generation 1 can hold
    units issued at generation 2. A process reading at generation 1 must not count those
    as removed, or they stay hidden once they are live (white-box: the older snapshot's
    cache is written after the newer write, as a concurrent writer thread can)."""
    settings = Settings(
        index_dir=tmp_path / "index", embedding=EmbeddingSettings(backend="hashing")
    )
    writer = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name, create=True)
    a = make_doc("a", [report_text(0).split("\n\n")[1]])
    b = make_doc("b", [report_text(1).split("\n\n")[1]])
    writer.write([a], vectors=EMB.embed)
    reader = EmbeddedStore.open(settings.index_dir, settings, embedding_model=EMB.name)
    conn = reader._conn()
    conn.execute("BEGIN")  # a read transaction pinned at generation 1
    sid, gen = conn.execute("SELECT store_id, generation FROM state").fetchone()
    writer.write([b], vectors=EMB.embed)  # generation 2; the writer's shared index grows
    writer._write_cache(writer._snaps[(sid, gen)])  # generation 1's file, b's units inside
    snap = reader._load_dense(conn, sid, gen, reader._read_meta(conn))
    conn.execute("ROLLBACK")
    reader._snaps[(sid, gen)] = snap
    query = EMB.embed([b.passages[0].text])[0]
    with reader.reader() as r:  # generation 2, brought forward from that snapshot
        assert r.generation == (sid, gen + 1)
        found = {r.unit(uid)[0].doc_id for uid, _ in r.dense_search(query, 10)}
    assert found == {"a", "b"}
    writer.close()
    reader.close()
