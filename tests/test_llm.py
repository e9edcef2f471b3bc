"""Chat-model backends: the protocol, the LangChain adapter, the factory, typed errors.

No model runs here: LangChain's fake chat models and the local OpenAI-compatible stub
server (tests/openai_stub.py) stand in for one.
"""

from __future__ import annotations

import socket
import sys

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)

from assistant.llm import (
    LLAMACPP_CMAKE_ARGS,
    PLACEHOLDER_API_KEY,
    ChatMessage,
    ChatModel,
    LangChainChatModel,
    complete,
    make_chat_model,
)
from gfmd.errors import ConfigError, GfmdError, LLMError
from gfmd.settings import LLMSettings
from tests.openai_stub import OpenAIStub, StubError

PROMPT = [ChatMessage("system", "Answer briefly."), ChatMessage("user", "Quels outils ?")]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_chat_message_rejects_unknown_role() -> None:
    with pytest.raises(ValueError, match="role"):
        ChatMessage("tool", "x")  # type: ignore[arg-type]


def test_langchain_adapter_streams_pieces_in_order_and_complete_joins_them() -> None:
    reply = "Les profils migratoires sont des outils [1]."
    model = LangChainChatModel(GenericFakeChatModel(messages=iter([reply, reply])))
    assert isinstance(model, ChatModel)
    pieces = list(model.stream(PROMPT))
    assert len(pieces) > 3
    assert "".join(pieces) == reply
    assert complete(model, PROMPT) == reply


def test_langchain_adapter_wraps_errors_as_llm_error() -> None:
    fake = FakeListChatModel(responses=["abcdef"], error_on_chunk_number=2)
    model = LangChainChatModel(fake, backend="fake")
    seen: list[str] = []
    with pytest.raises(LLMError) as info:
        for piece in model.stream(PROMPT):
            seen.append(piece)
    assert seen == ["a", "b"]  # pieces before the failure were delivered
    assert info.value.backend == "fake"
    assert isinstance(info.value, GfmdError)
    assert info.value.__cause__ is not None
    assert not info.value.unreachable


def test_backend_none_builds_no_model() -> None:
    assert make_chat_model(LLMSettings()) is None


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        (LLMSettings(backend="openai", model="x"), "base_url"),
        (LLMSettings(backend="openai", base_url="http://127.0.0.1:1/v1"), "llm.model"),
        (LLMSettings(backend="ollama"), "llm.model"),
        (LLMSettings(backend="llamacpp"), "GGUF"),
        (LLMSettings(backend="llamacpp", model="/nonexistent/model.gguf"), "no such GGUF file"),
    ],
)
def test_missing_settings_are_config_errors(settings: LLMSettings, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        make_chat_model(settings)


def test_llamacpp_without_the_extra_names_the_install_command(tmp_path, monkeypatch) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails even if installed
    with pytest.raises(ConfigError) as info:
        make_chat_model(LLMSettings(backend="llamacpp", model=str(gguf)))
    message = str(info.value)
    assert LLAMACPP_CMAKE_ARGS in message
    assert "-DGGML_AMX_TILE=OFF" in message and "[llamacpp]" in message


def test_ollama_model_is_built_without_contacting_the_server() -> None:
    model = make_chat_model(
        LLMSettings(backend="ollama", base_url=f"http://127.0.0.1:{closed_port()}", model="m")
    )
    assert isinstance(model, LangChainChatModel)
    assert model.backend == "ollama"
    assert model.model.model == "m"  # type: ignore[attr-defined]


def test_openai_backend_streams_from_the_stub_and_sends_the_prompt_unchanged(
    monkeypatch,
) -> None:
    monkeypatch.setenv("GFMD_TEST_KEY", "sk-test-123")
    pieces = ["Les ", "profils ", "migratoires ", "[1]."]
    with OpenAIStub([pieces, "non-streamed reply"]) as stub:
        settings = LLMSettings(
            backend="openai",
            base_url=stub.base_url,
            model="stub-model",
            api_key_env="GFMD_TEST_KEY",
            temperature=0.0,
        )
        model = make_chat_model(settings)
        assert model is not None
        assert list(model.stream(PROMPT)) == pieces
        assert complete(model, PROMPT) == "non-streamed reply"
    request = stub.requests[0]
    assert request["stream"] is True
    assert request["model"] == "stub-model"
    assert request["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Quels outils ?"},
    ]
    assert stub.headers[0]["authorization"] == "Bearer sk-test-123"


def test_openai_backend_sends_a_placeholder_key_when_the_variable_is_unset(monkeypatch) -> None:
    monkeypatch.delenv("GFMD_UNSET_KEY", raising=False)
    with OpenAIStub(["ok"]) as stub:
        model = make_chat_model(
            LLMSettings(
                backend="openai", base_url=stub.base_url, model="m", api_key_env="GFMD_UNSET_KEY"
            )
        )
        assert model is not None
        assert complete(model, PROMPT) == "ok"
    assert stub.headers[0]["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


def test_server_error_is_an_llm_error_not_unreachable() -> None:
    with OpenAIStub([StubError(503, "model overloaded")]) as stub:
        model = make_chat_model(LLMSettings(backend="openai", base_url=stub.base_url, model="m"))
        assert model is not None
        with pytest.raises(LLMError) as info:
            complete(model, PROMPT)
    assert "overloaded" in str(info.value)
    assert not info.value.unreachable
    assert len(stub.requests) == 1  # max_retries=0: one request, no retry


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_closed_port_is_an_unreachable_llm_error(backend: str) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}" + ("/v1" if backend == "openai" else "")
    model = make_chat_model(
        LLMSettings(backend=backend, base_url=url, model="m", timeout_s=5)  # type: ignore[arg-type]
    )
    assert model is not None
    with pytest.raises(LLMError) as info:
        complete(model, PROMPT)
    assert info.value.unreachable
    assert info.value.backend == backend
