"""Typed errors shared by every stage.

Each stage raises a subclass of :class:`GfmdError`; only the edges (CLI, UI) turn
them into messages. Every error names what it is about (a file, a filter, a setting)
and the reason.
"""

from __future__ import annotations


class GfmdError(Exception):
    """Base class of every error this project raises on purpose."""


class IngestError(GfmdError):
    """A file could not be turned into a document.

    Attributes:
        path: the file concerned.
        reason: why, in a few words a user can act on.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(GfmdError):
    """The on-disk index is missing, corrupt or was built with other settings."""


class QueryError(GfmdError):
    """A query or its filters are malformed (empty query, unknown document, bad year...)."""


class ConfigError(GfmdError):
    """A setting names something that cannot be used (unknown backend, missing model)."""


class LLMError(GfmdError):
    """The chat model could not produce an answer: the server is unreachable, timed out,
    or returned an error.

    Attributes:
        backend: the chat-model backend (``openai``, ``ollama``, ``llamacpp``, or the
            wrapped model's type name).
        reason: what went wrong, in a few words.
        unreachable: True when no connection could be made or it timed out (as opposed
            to the server answering with an error).
    """

    def __init__(self, backend: str, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(f"{backend}: {reason}")
        self.backend = backend
        self.reason = reason
        self.unreachable = unreachable


class ModelError(GfmdError):
    """A model could not be fetched or failed verification (a download failed, or a chunk
    or the assembled file does not match the SHA-256 committed in the registry).

    Attributes:
        model: the registry name (or package) concerned.
        reason: what went wrong.
    """

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"model {model}: {reason}")
        self.model = model
        self.reason = reason
