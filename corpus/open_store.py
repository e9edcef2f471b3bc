"""Pick the corpus store backend from the settings (see :mod:`corpus.protocol`)."""

from __future__ import annotations

from corpus.protocol import CorpusStore
from gfmd.settings import Settings


def is_postgres(settings: Settings) -> bool:
    """Whether ``settings.store.url`` names a PostgreSQL server."""
    url = settings.store.url or ""
    return url.startswith(("postgresql://", "postgres://"))


def open_store(
    settings: Settings,
    *,
    embedding_model: str | None = None,
    create: bool = False,
    rebuild: bool = False,
) -> CorpusStore:
    """Open the corpus store the settings name.

    Args:
        settings: ``store.url`` picks PostgreSQL (``postgresql://…``/``postgres://…``);
            otherwise the embedded store in ``settings.index_dir``.
        embedding_model: the embedder's name the caller will query with (checked
            against the store's meta); None skips that check (browsing, removing).
        create: the caller is about to write (ingest): a missing embedded store is
            created by its first write. PostgreSQL creates its schema on open anyway.
        rebuild: the caller will replace everything (``write(..., replace_all=True)``):
            the embedded store is not validated (it may be corrupt or built with other
            settings).

    Raises:
        StoreError: no store, a corrupt one, or one built with other settings.
    """
    if is_postgres(settings):
        from corpus.pgstore import PgStore  # type: ignore[import-not-found,unused-ignore]

        assert settings.store.url is not None
        return PgStore.open(
            settings.store.url, settings, embedding_model=embedding_model, rebuild=rebuild
        )
    from corpus.store import EmbeddedStore

    return EmbeddedStore.open(
        settings.index_dir,
        settings,
        embedding_model=embedding_model,
        create=create,
        rebuild=rebuild,
    )
