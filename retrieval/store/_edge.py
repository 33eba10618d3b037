"""The embedded backend: Qdrant Edge, Qdrant's engine in this process, a shard per collection.

It brings HNSW, payload indexes, sparse vectors with IDF and Query API fusion without a server.

A folder may be open in one process only: a lock file makes a second process fail at once
with StoreLockedError instead of a WAL error deep inside the engine.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import qdrant_edge as qe

from retrieval.errors import RetrievalError, StoreLockedError
from retrieval.store._edge_warm import warm_dense_search
from retrieval.store.interface import (
    CONTENT_KEY,
    DENSE_VECTOR,
    EMBEDDED_HNSW,
    INDEXED_FIELDS,
    METADATA_KEY,
    SPARSE_VECTOR,
    CollectionInfo,
    ScoredChunk,
    StoredPoint,
    VectorStore,
    scored_chunk,
    stored_point,
)
from retrieval.store.query import (
    Condition,
    FieldExclude,
    FieldMatch,
    FusionMethod,
    SearchMode,
    StoreQuery,
)

logger = logging.getLogger(__name__)


def _edge_filter(conditions: Sequence[Condition]) -> qe.Filter | None:
    """Our conditions as an Edge filter on `metadata.<key>`; None when there are none."""
    if not conditions:
        return None
    must = []
    must_not = []
    for condition in conditions:
        key = f"{METADATA_KEY}.{condition.key}"
        if isinstance(condition, FieldExclude):
            must_not.append(qe.FieldCondition(key=key, match=qe.MatchAny(list(condition.values))))
        elif isinstance(condition, FieldMatch):
            must.append(qe.FieldCondition(key=key, match=qe.MatchAny(list(condition.values))))
        else:
            must.append(
                qe.FieldCondition(
                    key=key, range=qe.RangeFloat(gte=condition.gte, lte=condition.lte)
                )
            )
    return qe.Filter(must=must or None, must_not=must_not or None)


_META_FILE = "collection.json"
# int8 scalar quantization: the value range kept (outliers clipped), and how many candidates
# per hit the int8 search finds before the float vectors rescore them (Qdrant's usual values).
_QUANTILE = 0.99
_OVERSAMPLING = 2.0
# The largest segment of a collection, in KB of float vectors: 100k MiniLM points.
_MAX_SEGMENT_KB = 150_000
# Edge optimizes only when asked, and until then new points wait in one appendable segment
# whose indexes live on the heap: a long ingest builds its segments as it goes instead.
OPTIMIZE_EVERY = 100_000
_SHARD_DIR = "shard"
_SCROLL_PAGE = 1000
_DELETE_BATCH = 500


class EdgeStore(VectorStore):
    """Collections as Qdrant Edge shards under one folder.

    Example:
        >>> store = EdgeStore(tmp_path / "qdrant")  # doctest: +SKIP
        >>> store.ensure_collection("cardiology__minilm", 384)  # doctest: +SKIP
    """

    def __init__(self, root: Path, *, optimize_every: int = OPTIMIZE_EVERY) -> None:
        self.root = Path(root)
        self.optimize_every = optimize_every
        self.location = str(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock: IO[str] | None = self._acquire_lock()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._metas: dict[str, dict[str, object]] = {}  # collection.json, read once each
        self._unoptimized: dict[str, int] = {}  # points upserted since the last optimize

    def _acquire_lock(self) -> IO[str]:
        handle = (self.root / ".lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StoreLockedError(self.root) from None
        return handle

    def _dir(self, name: str) -> Path:
        return self.root / name

    def _shard(self, name: str) -> qe.EdgeShard:
        if self._lock is None:
            raise RetrievalError(f"the store at {self.root} is closed")
        if name not in self._shards:
            if not self.collection_exists(name):
                raise RetrievalError(f"collection {name!r} does not exist in {self.root}")
            try:
                shard = qe.EdgeShard.load(str(self._dir(name) / _SHARD_DIR))
            except Exception as err:  # the engine raises a bare Exception
                if "WouldBlock" in str(err):
                    raise StoreLockedError(self.root) from err
                raise RetrievalError(f"cannot open collection {name!r}: {err}") from err
            meta = self._meta(name)
            if meta.get("quantization") != "int8":  # int8 searches are fast from the first
                warm_dense_search(shard, DENSE_VECTOR, int(meta["dimension"]))
            self._shards[name] = shard
        return self._shards[name]

    def free_disk_bytes(self) -> int:
        """Free bytes on the disk under the store's folder."""
        return shutil.disk_usage(self.root).free

    def collection_exists(self, name: str) -> bool:
        """Whether the collection exists."""
        return (self._dir(name) / _META_FILE).is_file()

    def create_collection(self, name: str, dimension: int, quantization: str | None = None) -> None:
        """Create a shard with dense cosine and BM25 (IDF) vectors and payload indexes.

        Nothing that grows with the collection stays on the heap, so the process's own memory
        is flat as the corpus grows: what every search reads (the vectors HNSW compares, the
        HNSW graph, the BM25, keyword and id indexes) is memory-mapped and warmed when the
        shard opens (Cached); the payloads are read on demand (Cold). With
        `quantization="int8"` (the large collections) HNSW compares int8 vectors, and the
        float vectors, read only to rescore a few candidates, are read on demand too.
        """
        quantized = quantization == "int8"
        mapped, on_demand = qe.Memory.Cached, qe.Memory.Cold
        config = qe.EdgeConfig(
            vectors={
                DENSE_VECTOR: qe.EdgeVectorParams(
                    size=dimension,
                    distance=qe.Distance.Cosine,
                    memory=on_demand if quantized else mapped,
                    quantization_config=qe.ScalarQuantizationConfig(
                        type=qe.ScalarType.Int8, quantile=_QUANTILE, memory=mapped
                    )
                    if quantized
                    else None,
                    hnsw_config=qe.HnswIndexConfig(
                        m=EMBEDDED_HNSW["m"],
                        ef_construct=EMBEDDED_HNSW["ef_construct"],
                        full_scan_threshold=EMBEDDED_HNSW["full_scan_threshold_kb"],
                        memory=mapped,
                    ),
                )
            },
            sparse_vectors={
                SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, memory=mapped)
            },
            payload_memory=on_demand,
            id_tracker_memory=mapped,
            # Building a segment's HNSW holds memory in proportion to the segment: capped,
            # a million points make several segments and the build's peak stays flat.
            optimizers=qe.EdgeOptimizersConfig(max_segment_size=_MAX_SEGMENT_KB),
            # Edge truncates its write-ahead log only when it optimizes, so a long ingest kept
            # its whole log on disk. Without it each write is flushed before it returns
            # (`_durable`), which is also what catalog-last needs (docs/scale.md).
            wal_enabled=False,
        )
        directory = self._dir(name)
        if directory.exists():  # a create cut off before its metadata was written
            shutil.rmtree(directory)
        shard = qe.EdgeShard.create(str(directory / _SHARD_DIR), config)
        keyword = qe.KeywordIndexParams(memory=mapped)
        for key in INDEXED_FIELDS:
            shard.update(qe.UpdateOperation.create_field_index(f"{METADATA_KEY}.{key}", keyword))
        self._shards[name] = shard
        # Written last: a collection exists only once it is complete.
        meta = {
            "dimension": dimension,
            "quantization": "int8" if quantized else "none",
            "wal": False,
        }
        (directory / _META_FILE).write_text(json.dumps(meta))
        self._metas[name] = meta
        logger.info(
            "created collection %s (%d dims, quantization %s) in %s",
            name,
            dimension,
            meta["quantization"],
            self.root,
        )

    def collection_info(self, name: str) -> CollectionInfo:
        """Dimension and point count of an existing collection."""
        meta = self._meta(name)
        points = self._shard(name).count(qe.CountRequest(exact=True))
        return CollectionInfo(
            name=name,
            dimension=int(meta["dimension"]),
            points=points,
            quantization=str(meta.get("quantization", "none")),  # older collections: none
        )

    def _meta(self, name: str) -> dict[str, object]:
        if name not in self._metas:
            self._metas[name] = json.loads((self._dir(name) / _META_FILE).read_text())
        return self._metas[name]

    def _durable(self, name: str) -> None:
        """Flush a collection without a write-ahead log, so the write survives a kill.

        Collections made before the log was turned off keep it (their writes are logged).
        """
        if self._meta(name).get("wal", True) is False:
            self._shard(name).flush()

    def drop_collection(self, name: str) -> None:
        """Delete a collection and all its points; no error if it does not exist."""
        self._metas.pop(name, None)
        self._unoptimized.pop(name, None)
        shard = self._shards.pop(name, None)
        if shard is not None:
            shard.close()
        shutil.rmtree(self._dir(name), ignore_errors=True)

    def upsert(self, name: str, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points by id."""
        if not points:
            return
        edge_points = [
            qe.Point(
                point.chunk_id,
                {
                    DENSE_VECTOR: [float(x) for x in point.dense],
                    SPARSE_VECTOR: qe.SparseVector(point.sparse.indices, point.sparse.values),
                },
                {CONTENT_KEY: point.text, METADATA_KEY: point.metadata},
            )
            for point in points
        ]
        self._shard(name).update(qe.UpdateOperation.upsert_points(edge_points))
        self._durable(name)
        self._unoptimized[name] = self._unoptimized.get(name, 0) + len(points)
        if self._unoptimized[name] >= self.optimize_every:
            self.finish_writes(name)

    def delete_documents(self, name: str, doc_ids: Sequence[str]) -> None:
        """Delete every point whose `metadata.doc_id` is one of `doc_ids`."""
        shard = self._shard(name)
        ids = list(doc_ids)
        for start in range(0, len(ids), _DELETE_BATCH):
            batch = ids[start : start + _DELETE_BATCH]
            condition = qe.FieldCondition(key=f"{METADATA_KEY}.doc_id", match=qe.MatchAny(batch))
            shard.update(qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=[condition])))
        self._durable(name)

    def export_points(self, name: str) -> Iterator[StoredPoint]:
        """Every point with its vectors and payload, page by page."""
        shard = self._shard(name)
        offset = None
        while True:
            records, offset = shard.scroll(
                qe.ScrollRequest(
                    offset=offset, limit=_SCROLL_PAGE, with_payload=True, with_vector=True
                )
            )
            yield from (stored_point(r.id, r.vector, r.payload) for r in records)
            if offset is None:
                return

    def point_ids(self, name: str) -> set[str]:
        """All point ids of a collection."""
        shard = self._shard(name)
        found: set[str] = set()
        offset = None
        while True:
            records, offset = shard.scroll(
                qe.ScrollRequest(offset=offset, limit=_SCROLL_PAGE, with_payload=False)
            )
            found.update(str(record.id) for record in records)
            if offset is None:
                return found

    def search(self, name: str, query: StoreQuery) -> list[ScoredChunk]:
        """Run one dense, sparse or hybrid query; best first."""
        query_filter = _edge_filter(query.conditions)
        quantized = self._meta(name).get("quantization") == "int8"
        dense_params = qe.SearchParams(
            hnsw_ef=query.hnsw_ef,
            exact=query.exact,
            quantization=qe.QuantizationSearchParams(
                ignore=query.exact,  # exact search is the float reference
                rescore=True,
                oversampling=_OVERSAMPLING,
            )
            if quantized
            else None,
        )
        dense = qe.Query.Nearest(
            [float(x) for x in (() if query.dense is None else query.dense)], using=DENSE_VECTOR
        )
        sparse = qe.Query.Nearest(
            qe.SparseVector(query.sparse.indices, query.sparse.values)
            if query.sparse
            else qe.SparseVector([], []),
            using=SPARSE_VECTOR,
        )
        common = {
            "limit": query.k,
            "offset": query.offset,
            "score_threshold": query.score_threshold,
            "with_payload": True,
            "with_vector": [DENSE_VECTOR] if query.with_dense else False,
        }
        if query.mode is SearchMode.HYBRID:
            fusion = (
                qe.Fusion.Rrf(k=query.rrf_k)
                if query.fusion is FusionMethod.RRF
                else qe.Fusion.Dbsf()
            )
            request = qe.QueryRequest(
                prefetches=[
                    qe.Prefetch(
                        limit=query.candidates,
                        query=dense,
                        filter=query_filter,
                        params=dense_params,
                    ),
                    qe.Prefetch(limit=query.candidates, query=sparse, filter=query_filter),
                ],
                query=fusion,
                **common,
            )
        else:
            is_dense = query.mode is SearchMode.DENSE
            request = qe.QueryRequest(
                query=dense if is_dense else sparse,
                filter=query_filter,
                params=dense_params if is_dense else None,
                **common,
            )
        return [
            scored_chunk(point.id, point.score, point.payload, point.vector)
            for point in self._shard(name).query(request)
        ]

    def finish_writes(self, name: str) -> None:
        """Flush to disk and build the HNSW index, so searches do not fall back to full scans."""
        shard = self._shard(name)
        shard.flush()
        shard.optimize()
        self._unoptimized[name] = 0

    def close(self) -> None:
        """Flush and close every open shard, then release the folder lock."""
        for shard in self._shards.values():
            shard.flush()
            shard.close()
        self._shards.clear()
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
