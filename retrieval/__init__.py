"""The index and how it is searched: settings, the SQL catalog and the Qdrant store."""

from __future__ import annotations

from retrieval.catalog import Catalog
from retrieval.errors import (
    CollectionMismatchError,
    CorpusConfigError,
    RetrievalError,
    StoreLockedError,
    StoreUnavailableError,
)
from retrieval.hits import Hit
from retrieval.retriever import Retriever
from retrieval.settings import Settings
from retrieval.store import ScoredChunk, VectorStore, collection_name, open_store

__all__ = [
    "Catalog",
    "CollectionMismatchError",
    "CorpusConfigError",
    "Hit",
    "RetrievalError",
    "Retriever",
    "ScoredChunk",
    "Settings",
    "StoreLockedError",
    "StoreUnavailableError",
    "VectorStore",
    "collection_name",
    "open_store",
]
