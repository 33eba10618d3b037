"""The vector store interface, its layout constants, and the points it stores and returns.

Layout (compatible with langchain-qdrant's `QdrantVectorStore`, which can open a server
collection with `vector_name=DENSE_VECTOR`, `sparse_vector_name=SPARSE_VECTOR`):
- one collection per (corpus, model), cosine distance, point id = chunk id (a UUID);
- named vectors: `dense` (the model's embedding) and `bm25` (sparse, IDF modifier);
- payload: `page_content` (chunk text) and `metadata` (doc_id, source, title, section,
  page_start, page_end, char_start, char_end, chunk_index, doc_type, part, ocr, and the
  document's own fields); payload indexes on `metadata.doc_id`, `metadata.doc_type`,
  `metadata.source`, `metadata.part`. Chunks stored before `part` existed have none: they are
  body text.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval.errors import CollectionMismatchError, QuantizationMismatchError
from retrieval.store.query import StoreQuery
from retrieval.store.sparse import SparseVector

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"
CONTENT_KEY = "page_content"
METADATA_KEY = "metadata"
INDEXED_FIELDS = ("doc_id", "doc_type", "source", "part")
# HNSW of the embedded store's collections: Qdrant Edge's defaults, given explicitly so that
# its memory placement can be set too (`full_scan_threshold_kb`: below it, a segment is
# searched exactly).
EMBEDDED_HNSW = {"m": 16, "ef_construct": 100, "full_scan_threshold_kb": 10_000}
# Metadata keys CardioRAG sets on every chunk; a record's own field of the same name is kept
# as `record_<name>`. Hits and LangChain documents add the last five.
PAYLOAD_FIELDS = frozenset(
    {"doc_id", "source", "title", "doc_type", "section", "chunk_index", "page_start", "page_end",
     "char_start", "char_end", "part", "ocr"}
)  # fmt: skip
RESERVED_FIELDS = PAYLOAD_FIELDS | {"chunk_id", "score", "rank", "citation", "matched_terms",
                                    "mode", "model"}  # fmt: skip


def collection_name(corpus: str, model_id: str) -> str:
    """`<corpus>__<model>`, lower-cased, with anything but [a-z0-9_-] replaced by `-`."""

    def clean(part: str) -> str:
        return re.sub(r"[^a-z0-9_-]", "-", part.lower())

    return f"{clean(corpus)}__{clean(model_id)}"


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """A chunk as the store keeps it: id, both vectors and its payload."""

    chunk_id: str
    dense: Sequence[float]
    sparse: SparseVector
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A search result from the store. Dense score: cosine in [-1, 1], higher is better."""

    chunk_id: str
    score: float
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    dense: tuple[float, ...] | None = None  # only when the query asked `with_dense`


def scored_chunk(
    point_id: object, score: float, payload: dict[str, Any] | None, vector: object = None
) -> ScoredChunk:
    """A backend's scored point in our shape."""
    payload = payload or {}
    dense = vector.get(DENSE_VECTOR) if isinstance(vector, dict) else None
    return ScoredChunk(
        chunk_id=str(point_id),
        score=float(score),
        text=payload.get(CONTENT_KEY, ""),
        metadata=payload.get(METADATA_KEY, {}),
        dense=tuple(dense) if dense is not None else None,
    )


def stored_point(point_id: object, vector: object, payload: dict[str, Any] | None) -> StoredPoint:
    """A backend's record (named vectors + payload) in our shape; sparse as (indices, values)."""
    vectors = vector if isinstance(vector, dict) else {}
    sparse = vectors.get(SPARSE_VECTOR)
    payload = payload or {}
    return StoredPoint(
        chunk_id=str(point_id),
        dense=list(vectors.get(DENSE_VECTOR) or ()),
        sparse=SparseVector(list(sparse.indices), list(sparse.values))
        if sparse is not None
        else SparseVector([], []),
        text=payload.get(CONTENT_KEY, ""),
        metadata=payload.get(METADATA_KEY, {}),
    )


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """What a collection holds: its dense dimension, point count and dense vector storage."""

    name: str
    dimension: int
    points: int
    quantization: str = "none"  # "int8": quantized in RAM, float vectors on disk


class VectorStore(ABC):
    """What CardioRAG needs from Qdrant, whichever backend runs it."""

    location: str

    @abstractmethod
    def collection_exists(self, name: str) -> bool:
        """Whether the collection exists."""

    @abstractmethod
    def create_collection(self, name: str, dimension: int, quantization: str | None = None) -> None:
        """Create a collection with the layout above (dense cosine + BM25 sparse)."""

    @abstractmethod
    def collection_info(self, name: str) -> CollectionInfo:
        """Dimension and point count of an existing collection."""

    @abstractmethod
    def drop_collection(self, name: str) -> None:
        """Delete a collection and all its points; no error if it does not exist."""

    @abstractmethod
    def upsert(self, name: str, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points by id (the same chunk id never duplicates)."""

    @abstractmethod
    def delete_documents(self, name: str, doc_ids: Sequence[str]) -> None:
        """Delete every point whose `metadata.doc_id` is one of `doc_ids`."""

    @abstractmethod
    def export_points(self, name: str) -> Iterator[StoredPoint]:
        """Every point with its vectors and payload, page by page (to copy a collection)."""

    @abstractmethod
    def point_ids(self, name: str) -> set[str]:
        """All point ids of a collection (for repair checks and tests; scrolls the whole set)."""

    @abstractmethod
    def search(self, name: str, query: StoreQuery) -> list[ScoredChunk]:
        """Run one dense, sparse or hybrid query; best first."""

    @abstractmethod
    def finish_writes(self, name: str) -> None:
        """Make writes durable and searchable at full speed (Edge: flush and build HNSW)."""

    @abstractmethod
    def close(self) -> None:
        """Release files, locks and connections."""

    def free_disk_bytes(self) -> int | None:
        """Free bytes on the disk that points are written to; None: not ours to see (a server)."""
        return None

    def ensure_collection(self, name: str, dimension: int, quantization: str | None = None) -> None:
        """Create the collection if missing; refuse one whose dimension or storage differs.

        `quantization` None: a new collection gets the backend's default, an existing one
        keeps its own.
        """
        if not self.collection_exists(name):
            self.create_collection(name, dimension, quantization)
            return
        self.check_dimension(name, dimension)
        built = self.collection_info(name).quantization
        if quantization is not None and built != quantization:
            raise QuantizationMismatchError(name, built=built, asked=quantization)

    def check_dimension(self, name: str, dimension: int) -> None:
        """Raise CollectionMismatchError unless the existing collection stores `dimension`."""
        found = self.collection_info(name).dimension
        if found != dimension:
            raise CollectionMismatchError(name, expected=dimension, found=found)

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
