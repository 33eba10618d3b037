"""Errors of the index: the store, the catalog and collections."""

from __future__ import annotations

from pathlib import Path


class RetrievalError(Exception):
    """Base class of every error this package raises on purpose."""


class StoreUnavailableError(RetrievalError, ConnectionError):
    """The vector store cannot be opened or reached."""


class StoreLockedError(StoreUnavailableError):
    """Another process holds the embedded store; Qdrant Edge allows one process per folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"another process holds the embedded store at {path} (Qdrant Edge allows one "
            "process per folder); stop it (e.g. the Streamlit app) or set CARDIORAG_DATA_DIR "
            "to another folder"
        )


class CollectionMismatchError(RetrievalError, ValueError):
    """A collection whose vectors do not fit the model that should fill or search it."""

    def __init__(self, collection: str, expected: int, found: int) -> None:
        self.collection = collection
        self.expected = expected
        self.found = found
        super().__init__(
            f"collection {collection!r} stores {found}-dim vectors, the model gives {expected}; "
            "ingest with --recreate, or pick the matching model"
        )


class CorpusConfigError(RetrievalError, ValueError):
    """A corpus asked to change settings that its stored chunks depend on."""
