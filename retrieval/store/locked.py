"""A vector store that one lock serialises, so concurrent searches and writes can share it.

The app and the HTTP API keep one store handle per process (the embedded store locks its
folder): the app's ingest jobs write from a worker thread while people search, and the API
answers requests from a thread pool. Qdrant Edge's shards are native
objects with no documented thread-safety, so every call takes the lock: a search waits at
most for one upsert window or one HNSW build, never for a whole ingest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from retrieval.store.interface import CollectionInfo, ScoredChunk, StoredPoint, VectorStore
from retrieval.store.query import StoreQuery


class LockedStore(VectorStore):
    """Delegates every call to `inner` with one re-entrant lock held."""

    def __init__(self, inner: VectorStore) -> None:
        self.inner = inner
        self.location = inner.location
        self._lock = threading.RLock()

    def collection_exists(self, name: str) -> bool:
        """Whether the collection exists."""
        with self._lock:
            return self.inner.collection_exists(name)

    def create_collection(self, name: str, dimension: int, quantization: str | None = None) -> None:
        """Create a collection."""
        with self._lock:
            self.inner.create_collection(name, dimension, quantization)

    def collection_info(self, name: str) -> CollectionInfo:
        """Dimension, point count and dense vector storage."""
        with self._lock:
            return self.inner.collection_info(name)

    def drop_collection(self, name: str) -> None:
        """Delete a collection."""
        with self._lock:
            self.inner.drop_collection(name)

    def upsert(self, name: str, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points."""
        with self._lock:
            self.inner.upsert(name, points)

    def delete_documents(self, name: str, doc_ids: Sequence[str]) -> None:
        """Delete the documents' points."""
        with self._lock:
            self.inner.delete_documents(name, doc_ids)

    def export_points(self, name: str) -> Iterator[StoredPoint]:
        """Every point; read whole under the lock, since a generator would hold it across yields."""
        with self._lock:
            points = list(self.inner.export_points(name))
        return iter(points)

    def free_disk_bytes(self) -> int | None:
        """Free bytes where points are written (no lock: it reads the file system only)."""
        return self.inner.free_disk_bytes()

    def point_ids(self, name: str) -> set[str]:
        """All point ids."""
        with self._lock:
            return self.inner.point_ids(name)

    def search(self, name: str, query: StoreQuery) -> list[ScoredChunk]:
        """Run one query."""
        with self._lock:
            return self.inner.search(name, query)

    def finish_writes(self, name: str) -> None:
        """Flush and build the index."""
        with self._lock:
            self.inner.finish_writes(name)

    def close(self) -> None:
        """Close the inner store."""
        with self._lock:
            self.inner.close()
