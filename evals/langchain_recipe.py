"""The stock LangChain retrieval recipe, built in-process as a baseline for ``gfmd eval``.

What a newcomer would write from the LangChain tutorials: split each cleaned report with
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` (sizes in
characters, the tutorials' defaults), embed the chunks, put them in a flat FAISS index
and return the nearest chunks to the embedded question. No lexical ranking, no query
expansion, no reranking, no not-found rule. It uses the project's own embedder
(:func:`corpus.embeddings.make_embedder`), so the comparison isolates everything else
(chunking, fusion, expansion). Nothing is downloaded: the splitter is a pure-Python
package and the embedder loads local weights.

Plain ``faiss`` is used instead of ``langchain_community.vectorstores.FAISS``: that
wrapper ranks by L2 distance over the same vectors, which for the unit-length vectors
the embedder returns orders chunks exactly like the inner product used here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import faiss
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from corpus.embeddings import Embedder

CHUNK_SIZE = 1000
"""Characters per chunk (the LangChain tutorials' value)."""
CHUNK_OVERLAP = 200
"""Characters shared by consecutive chunks (the LangChain tutorials' value)."""


@dataclass(frozen=True)
class RecipeChunk:
    """One chunk of the recipe's index.

    Attributes:
        doc_id: the report it was cut from.
        text: the chunk, a verbatim slice of the cleaned report text.
    """

    doc_id: str
    text: str


class LangChainRecipe:
    """RecursiveCharacterTextSplitter(1000, 200) + flat FAISS + the given embedder."""

    def __init__(
        self,
        texts: Mapping[str, str],
        embedder: Embedder,
        *,
        chunk_size: int = CHUNK_SIZE,
        chunk_overlap: int = CHUNK_OVERLAP,
    ) -> None:
        """Split and embed the reports (one embedding pass over every chunk).

        Args:
            texts: doc id -> cleaned report text.
            embedder: embeds chunks (``query=False``) and questions (``query=True``);
                rows of shape (n, dim), unit length.
            chunk_size, chunk_overlap: splitter sizes in characters.
        """
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size, chunk_overlap=chunk_overlap
        )
        self.chunks: tuple[RecipeChunk, ...] = tuple(
            RecipeChunk(doc_id, chunk)
            for doc_id, text in texts.items()
            for chunk in splitter.split_text(text)
        )
        self._embedder = embedder
        vectors = np.asarray(embedder.embed([c.text for c in self.chunks]), dtype=np.float32)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)

    def search(self, question: str, k: int) -> list[RecipeChunk]:
        """The ``k`` chunks nearest to the question, best first (fewer if the index is small)."""
        query = np.asarray(self._embedder.embed([question], query=True), dtype=np.float32)
        _, ids = self._index.search(query, min(k, len(self.chunks)))
        return [self.chunks[i] for i in ids[0] if i >= 0]


def recipe_texts(doc_ids: Iterable[str], document_text: Callable[[str], str]) -> dict[str, str]:
    """Doc id -> cleaned text, in doc-id order.

    Args:
        doc_ids: the documents to index.
        document_text: ``(doc_id) -> cleaned text``, e.g. a store's ``document_text``.
    """
    return {doc_id: document_text(doc_id) for doc_id in sorted(doc_ids)}
