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
