"""The vector store: one interface over Qdrant Edge (embedded) and a Qdrant server.

Callers build a store with `open_store(settings)` and use it through `VectorStore`; the
backends (`_edge`, `_server`) are the only modules that import Qdrant, and nothing outside
this package names them. Here too: the payload layout, the query shape, BM25 sparse vectors,
the lock that lets threads share a store, and the disk check made before points are written.
"""

from __future__ import annotations

from retrieval.store.backends import open_embedded_store, open_store
from retrieval.store.disk_space import check_disk_space
from retrieval.store.interface import (
    CONTENT_KEY,
    DENSE_VECTOR,
    EMBEDDED_HNSW,
    METADATA_KEY,
    PAYLOAD_FIELDS,
    RESERVED_FIELDS,
    SPARSE_VECTOR,
    CollectionInfo,
    ScoredChunk,
    StoredPoint,
    VectorStore,
    collection_name,
)
from retrieval.store.locked import LockedStore
from retrieval.store.query import (
    DEFAULT_CANDIDATES,
    DEFAULT_FUSION,
    DEFAULT_RRF_K,
    Condition,
    FieldExclude,
    FieldMatch,
    FieldRange,
    FusionMethod,
    Quantization,
    SearchMode,
    StoreQuery,
)
from retrieval.store.sparse import Bm25Encoder, SparseVector

__all__ = [
    "CONTENT_KEY",
    "DEFAULT_CANDIDATES",
    "DEFAULT_FUSION",
    "DEFAULT_RRF_K",
    "DENSE_VECTOR",
    "EMBEDDED_HNSW",
    "METADATA_KEY",
    "PAYLOAD_FIELDS",
    "RESERVED_FIELDS",
    "SPARSE_VECTOR",
    "Bm25Encoder",
    "CollectionInfo",
    "Condition",
    "FieldExclude",
    "FieldMatch",
    "FieldRange",
    "FusionMethod",
    "LockedStore",
    "Quantization",
    "ScoredChunk",
    "SearchMode",
    "SparseVector",
    "StoreQuery",
    "StoredPoint",
    "VectorStore",
    "check_disk_space",
    "collection_name",
    "open_embedded_store",
    "open_store",
]
