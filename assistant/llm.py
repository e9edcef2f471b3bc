"""Chat models behind one one-method protocol, and the factory that builds one from settings.

The rest of the assistant only sees :class:`ChatModel`: ``stream(messages)`` yields the
reply's text pieces in order. Backends:

- ``openai``: any OpenAI-compatible chat-completions server (a hosted API, vLLM,
  llama.cpp's ``llama-server``, LM Studio) through ``langchain_openai.ChatOpenAI``;
- ``ollama``: an Ollama server through ``langchain_ollama.ChatOllama``;
- ``llamacpp``: a local GGUF file through ``llama-cpp-python`` (optional extra
  ``[llamacpp]``, imported only when this backend is chosen);
- any other LangChain chat model (tests use ``langchain_core``'s fake chat models)
  wrapped in :class:`LangChainChatModel`.

Every failure of a backend (connection refused, timeout, HTTP error, malformed reply) is
raised as :class:`gfmd.errors.LLMError`, so callers can fall back on one exception type.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from gfmd.errors import ConfigError, GfmdError, LLMError
from gfmd.settings import LLMSettings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

Role = Literal["system", "user", "assistant"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")

PLACEHOLDER_API_KEY = "not-needed"
"""API key sent when ``api_key_env`` is unset: local OpenAI-compatible servers ignore it,
but the OpenAI client refuses to start without one."""

LLAMACPP_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
)
"""Build flags for llama-cpp-python: the default native build crashes in the AMX code path
on the project's Xeon machines (issue 6), so AMX is switched off and AVX2/FMA/F16C on."""

LLAMACPP_INSTALL = f"CMAKE_ARGS=\"{LLAMACPP_CMAKE_ARGS}\" pip install 'gfmd-assistant[llamacpp]'"


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat prompt.

    Attributes:
        role: ``system`` (instructions), ``user`` or ``assistant``.
        content: the message text.
    """

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"chat message role must be one of {ROLES}, not {self.role!r}")


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: the one method the assistant needs."""

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Generate a reply.

        Args:
            messages: the prompt, system message first.

        Yields:
            The reply's text pieces (tokens or larger chunks), in order; joined they are
            the whole reply.

        Raises:
            LLMError: the model is unreachable or failed (possibly after some pieces).
        """
        ...


@runtime_checkable
class GrammarChatModel(ChatModel, Protocol):
    """A chat model that can constrain its reply with a GBNF grammar (llama.cpp's)."""

    def stream_with_grammar(self, messages: Sequence[ChatMessage], grammar: str) -> Iterator[str]:
        """Like :meth:`ChatModel.stream`, with every reply a sentence of ``grammar``.

        Args:
            messages: the prompt, system message first.
            grammar: a GBNF grammar (llama.cpp's format) whose ``root`` rule the whole
                reply must match.

        Raises:
            LLMError: as :meth:`ChatModel.stream`, or the grammar does not parse.
        """
        ...


def complete(model: ChatModel, messages: Sequence[ChatMessage]) -> str:
    """Return the model's whole reply to ``messages`` (its streamed pieces joined).

    Raises:
        LLMError: as :meth:`ChatModel.stream`.
    """
    return "".join(model.stream(messages))


def _is_connection_failure(exc: BaseException) -> bool:
    """True when ``exc`` or one of its causes means no reply could be had at all
    (refused or dropped connection, DNS failure, timeout)."""
    import httpx
    import openai

    kinds: tuple[type[BaseException], ...] = (
        openai.APIConnectionError,  # includes APITimeoutError
        httpx.TransportError,  # ConnectError, ReadTimeout...
        ConnectionError,
        TimeoutError,
    )
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _wrap_error(backend: str, exc: Exception) -> LLMError:
    reason = str(exc).strip() or type(exc).__name__
    return LLMError(backend, reason, unreachable=_is_connection_failure(exc))


def _chunk_text(content: Any) -> str:
    """Text of a LangChain message chunk's ``content`` (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def to_langchain_messages(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
    """Convert chat messages to LangChain's message classes (system/human/AI)."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


class LangChainChatModel:
    """Adapts any ``langchain_core`` chat model to :class:`ChatModel` (uses its ``.stream``).

    Args:
        model: the LangChain chat model (``ChatOpenAI``, ``ChatOllama``, a fake...).
        backend: name used in error messages; defaults to the model's class name.
    """

    def __init__(self, model: BaseChatModel, *, backend: str | None = None) -> None:
        self.model = model
        self.backend = backend or type(model).__name__

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Stream the reply; see :meth:`ChatModel.stream`.

        Raises:
            LLMError: wraps whatever the LangChain model raised (the original exception
                is the ``__cause__``).
        """
        lc_messages = to_langchain_messages(messages)
        try:
            for chunk in self.model.stream(lc_messages):
                text = _chunk_text(chunk.content)
                if text:
                    yield text
        except GfmdError:
            raise
        except Exception as exc:  # any client failure becomes one typed error
            raise _wrap_error(self.backend, exc) from exc


class LlamaCppChatModel:
    """A local GGUF model through ``llama-cpp-python`` (optional extra ``[llamacpp]``).

    Args:
        model_path: the ``.gguf`` file.
        context_tokens: context window to load the model with (tokens).
        temperature: sampling temperature.
        max_tokens: upper bound of a reply (tokens).
        threads: CPU threads for prompt processing and generation (count).

    Raises:
        ConfigError: ``llama_cpp`` is not installed (the message gives the install
            command with the build flags these machines need) or the file is missing.
    """

    backend = "llamacpp"

    def __init__(
        self,
        model_path: str,
        *,
        context_tokens: int,
        temperature: float,
        max_tokens: int,
        threads: int = 1,
    ) -> None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ConfigError(f"llamacpp model {model_path!r}: no such GGUF file")
        try:
            import llama_cpp
        except ImportError:
            raise ConfigError(
                "the llamacpp backend needs llama-cpp-python, an optional extra; install it "
                f"with: {LLAMACPP_INSTALL}"
            ) from None
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=context_tokens,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp reports a bad file as ValueError/RuntimeError
            raise ConfigError(f"llamacpp model {model_path!r}: cannot be loaded ({exc})") from exc
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._grammars: dict[str, Any] = {}

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        """Stream the reply; see :meth:`ChatModel.stream`."""
        return self._stream(messages, None)

    def stream_with_grammar(self, messages: Sequence[ChatMessage], grammar: str) -> Iterator[str]:
        """Stream a reply constrained by a GBNF grammar; see :class:`GrammarChatModel`."""
        return self._stream(messages, grammar)

    def _grammar(self, text: str) -> Any:
        if text not in self._grammars:
            import llama_cpp

            try:
                self._grammars[text] = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
            except Exception as exc:  # llama.cpp reports a bad grammar as ValueError
                raise LLMError(self.backend, f"invalid grammar ({exc})") from exc
        return self._grammars[text]

    def _stream(self, messages: Sequence[ChatMessage], grammar: str | None) -> Iterator[str]:
        payload: Any = [{"role": m.role, "content": m.content} for m in messages]
        extra: dict[str, Any] = {}
        if grammar is not None:
            extra["grammar"] = self._grammar(grammar)
        try:
            chunks: Any = self._llm.create_chat_completion(
                messages=payload,
                stream=True,
                temperature=self._temperature,
                max_tokens=self._max_tokens,
                **extra,
            )
            for chunk in chunks:
                text = chunk["choices"][0].get("delta", {}).get("content")
                if isinstance(text, str) and text:
                    yield text
        except Exception as exc:
            raise _wrap_error(self.backend, exc) from exc


def make_chat_model(settings: LLMSettings) -> ChatModel | None:
    """Build the chat model the settings name.

    Args:
        settings: the ``llm`` section. ``openai`` needs ``base_url`` and ``model`` (the
            API key is read from the environment variable ``api_key_env``; when unset a
            placeholder is sent, which local servers accept); ``ollama`` needs ``model``
            (``base_url`` defaults to Ollama's ``http://localhost:11434``); ``llamacpp``
            needs ``model``, the path of a GGUF file (a registry name is resolved to its
            fetched file by :func:`gfmd.models.resolve`), and runs on ``threads`` threads.

    Returns:
        The chat model, or None for backend ``none`` (the extractive answerer is used).
        Constructing the openai and ollama models does not contact the server.

    Raises:
        ConfigError: a required setting is missing, the backend is unknown, or the
            llamacpp extra is not installed.
    """
    backend = settings.backend
    if backend == "none":
        return None
    if not settings.model:
        hint = "a GGUF file path" if backend == "llamacpp" else "a model name"
        raise ConfigError(f"llm backend {backend!r} needs llm.model ({hint}; GFMD_LLM__MODEL)")
    if backend == "openai":
        if not settings.base_url:
            raise ConfigError(
                "llm backend 'openai' needs llm.base_url, e.g. https://api.openai.com/v1 or "
                "http://127.0.0.1:8080/v1 (GFMD_LLM__BASE_URL)"
            )
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        api_key = SecretStr(os.environ.get(settings.api_key_env) or PLACEHOLDER_API_KEY)
        model = ChatOpenAI(
            base_url=settings.base_url,
            model=settings.model,
            api_key=api_key,
            timeout=settings.timeout_s,
            temperature=settings.temperature,
            max_completion_tokens=settings.max_tokens,
            max_retries=0,
            # OpenAI-compatible servers speak chat completions, not the Responses API.
            use_responses_api=False,
        )
        return LangChainChatModel(model, backend="openai")
    if backend == "ollama":
        from langchain_ollama import ChatOllama

        model_kwargs: dict[str, Any] = {}
        if settings.base_url:
            model_kwargs["base_url"] = settings.base_url
        ollama = ChatOllama(
            model=settings.model,
            temperature=settings.temperature,
            num_predict=settings.max_tokens,
            client_kwargs={"timeout": settings.timeout_s},
            **model_kwargs,
        )
        return LangChainChatModel(ollama, backend="ollama")
    if backend == "llamacpp":
        from gfmd.models import resolve

        return LlamaCppChatModel(
            resolve(settings.model, kind="llm"),
            context_tokens=settings.context_tokens,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            threads=settings.threads,
        )
    raise ConfigError(f"unknown llm backend {backend!r} (none, openai, ollama, llamacpp)")
