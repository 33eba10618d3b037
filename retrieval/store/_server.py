"""The server backend: a Qdrant server or cluster through qdrant-client.

It is given a client (as langchain-qdrant is), so tests can hand it qdrant-client's own
in-process engine and the same calls run that a server would receive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from retrieval.errors import StoreUnavailableError
from retrieval.settings import ServerSettings
from retrieval.store.interface import (
    CONTENT_KEY,
    DENSE_VECTOR,
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

if TYPE_CHECKING:
    from pydantic import SecretStr

logger = logging.getLogger(__name__)

T = TypeVar("T")
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_AUTH_STATUS = frozenset({401, 403})


def _is_transient(error: Exception) -> bool:
    """Connection trouble, timeouts and 5xx/429 answers: worth another try."""
    if isinstance(error, UnexpectedResponse):
        return error.status_code in _TRANSIENT_STATUS
    return isinstance(error, (ResponseHandlingException, OSError))


def _unavailable(error: Exception, location: str) -> StoreUnavailableError:
    """A one-line reason a person can act on, without the server's whole response."""
    if isinstance(error, UnexpectedResponse) and error.status_code in _AUTH_STATUS:
        return StoreUnavailableError(
            f"the Qdrant server at {location} refused the API key (HTTP {error.status_code}); "
            "check CARDIORAG_QDRANT_API_KEY"
        )
    if isinstance(error, UnexpectedResponse):
        return StoreUnavailableError(
            f"the Qdrant server at {location} answered HTTP {error.status_code}: "
            f"{error.reason_phrase}"
        )
    return StoreUnavailableError(
        f"cannot reach the Qdrant server at {location}: {error}. Check CARDIORAG_QDRANT_URL "
        "and that the server is running"
    )


def _server_filter(conditions: Sequence[Condition]) -> models.Filter | None:
    """Our conditions as a qdrant-client filter on `metadata.<key>`; None when there are none."""
    if not conditions:
        return None
    must: list[models.Condition] = []
    must_not: list[models.Condition] = []
    for condition in conditions:
        key = f"{METADATA_KEY}.{condition.key}"
        if isinstance(condition, FieldExclude):
            must_not.append(
                models.FieldCondition(key=key, match=models.MatchAny(any=list(condition.values)))
            )
        elif isinstance(condition, FieldMatch):
            must.append(
                models.FieldCondition(key=key, match=models.MatchAny(any=list(condition.values)))
            )
        else:
            must.append(
                models.FieldCondition(
                    key=key, range=models.Range(gte=condition.gte, lte=condition.lte)
                )
            )
    return models.Filter(must=must or None, must_not=must_not or None)


_SCROLL_PAGE = 1000
_DELETE_BATCH = 500


class ServerStore(VectorStore):
    """Collections on a Qdrant server, reached through a `QdrantClient` the caller gives."""

    def __init__(
        self, client: QdrantClient, location: str, server: ServerSettings | None = None
    ) -> None:
        self.client = client
        self.location = location
        self.server = server or ServerSettings()

    @classmethod
    def connect(
        cls, url: str, api_key: SecretStr | None, server: ServerSettings | None = None
    ) -> ServerStore:
        """Connect by URL and check the server answers, so a wrong URL or key fails here."""
        server = server or ServerSettings()
        key = api_key.get_secret_value() if api_key is not None else None
        # The compatibility probe runs in a thread and only warns; get_collections checks instead.
        client = QdrantClient(
            url=url, api_key=key, timeout=server.timeout_seconds, check_compatibility=False
        )
        store = cls(client, url, server)
        store._retrying("connect", client.get_collections)
        return store

    def _retrying(self, what: str, action: Callable[[], T]) -> T:
        """Run `action`, retrying transient failures with doubling waits; then a clear error.

        Upserts and deletes are idempotent (points by id, deletes by filter), so a batch that
        may have half-landed before a failure is simply sent again.
        """
        wait = self.server.retry_backoff_seconds
        for attempt in range(self.server.retries + 1):
            try:
                return action()
            except (ResponseHandlingException, UnexpectedResponse, OSError) as err:
                if not _is_transient(err) or attempt == self.server.retries:
                    raise _unavailable(err, self.location) from err
                logger.warning(
                    "%s on %s failed (%s); retry %d of %d in %.1f s",
                    what,
                    self.location,
                    type(err).__name__,
                    attempt + 1,
                    self.server.retries,
                    wait,
                )
                time.sleep(wait)
                wait *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def collection_exists(self, name: str) -> bool:
        """Whether the collection exists."""
        return self.client.collection_exists(name)

    def create_collection(self, name: str, dimension: int, quantization: str | None = None) -> None:
        """Create a collection with dense cosine and BM25 (IDF) vectors and payload indexes.

        Shards, replicas, on-disk storage and HNSW come from `ServerSettings`; quantization
        from `quantization`, else `ServerSettings.quantization`.
        """
        server = self.server
        quantization = (
            models.ScalarQuantization(
                scalar=models.ScalarQuantizationConfig(
                    type=models.ScalarType.INT8, quantile=0.99, always_ram=True
                )
            )
            if (quantization or server.quantization) == "int8"
            else None
        )
        self._retrying(
            "create collection",
            lambda: self.client.create_collection(
                name,
                vectors_config={
                    DENSE_VECTOR: models.VectorParams(
                        size=dimension,
                        distance=models.Distance.COSINE,
                        on_disk=server.on_disk_vectors,
                    )
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
                shard_number=server.shard_number,
                replication_factor=server.replication_factor,
                write_consistency_factor=server.write_consistency_factor,
                on_disk_payload=server.on_disk_payload,
                hnsw_config=models.HnswConfigDiff(
                    m=server.hnsw_m, ef_construct=server.hnsw_ef_construct
                ),
                quantization_config=quantization,
            ),
        )
        for key in INDEXED_FIELDS:
            self._retrying(
                "create payload index",
                lambda key=key: self.client.create_payload_index(
                    name, f"{METADATA_KEY}.{key}", models.PayloadSchemaType.KEYWORD
                ),
            )
        logger.info("created collection %s (%d dims) on %s", name, dimension, self.location)

    def collection_info(self, name: str) -> CollectionInfo:
        """Dimension and point count of an existing collection."""
        info = self.client.get_collection(name)
        vectors = info.config.params.vectors
        params = vectors[DENSE_VECTOR] if isinstance(vectors, dict) else vectors
        if params is None:
            raise StoreUnavailableError(f"collection {name!r} has no {DENSE_VECTOR!r} vector")
        points = self.client.count(name, exact=True).count
        quantized = (params.quantization_config or info.config.quantization_config) is not None
        return CollectionInfo(
            name=name,
            dimension=params.size,
            points=points,
            quantization="int8" if quantized else "none",
        )

    def drop_collection(self, name: str) -> None:
        """Delete a collection and all its points; no error if it does not exist."""
        self.client.delete_collection(name)

    def upsert(self, name: str, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points by id, waiting until the server has applied them."""
        if not points:
            return
        batch = [
            models.PointStruct(
                id=point.chunk_id,
                vector={
                    DENSE_VECTOR: [float(x) for x in point.dense],
                    SPARSE_VECTOR: models.SparseVector(
                        indices=point.sparse.indices, values=point.sparse.values
                    ),
                },
                payload={CONTENT_KEY: point.text, METADATA_KEY: point.metadata},
            )
            for point in points
        ]
        self._retrying("upsert", lambda: self.client.upsert(name, points=batch, wait=True))

    def delete_documents(self, name: str, doc_ids: Sequence[str]) -> None:
        """Delete every point whose `metadata.doc_id` is one of `doc_ids`."""
        ids = list(doc_ids)
        for start in range(0, len(ids), _DELETE_BATCH):
            condition = models.FieldCondition(
                key=f"{METADATA_KEY}.doc_id",
                match=models.MatchAny(any=ids[start : start + _DELETE_BATCH]),
            )
            selector = models.Filter(must=[condition])
            self._retrying(
                "delete", lambda s=selector: self.client.delete(name, points_selector=s, wait=True)
            )

    def export_points(self, name: str) -> Iterator[StoredPoint]:
        """Every point with its vectors and payload, page by page."""
        offset = None
        while True:
            records, offset = self.client.scroll(
                name, limit=_SCROLL_PAGE, offset=offset, with_payload=True, with_vectors=True
            )
            yield from (stored_point(r.id, r.vector, r.payload) for r in records)
            if offset is None:
                return

    def point_ids(self, name: str) -> set[str]:
        """All point ids of a collection."""
        found: set[str] = set()
        offset = None
        while True:
            records, offset = self.client.scroll(
                name, limit=_SCROLL_PAGE, offset=offset, with_payload=False
            )
            found.update(str(record.id) for record in records)
            if offset is None:
                return found

    def search(self, name: str, query: StoreQuery) -> list[ScoredChunk]:
        """Run one dense, sparse or hybrid query; best first."""
        query_filter = _server_filter(query.conditions)
        dense_params = models.SearchParams(
            hnsw_ef=query.hnsw_ef,
            exact=query.exact,
            quantization=models.QuantizationSearchParams(
                ignore=query.exact,  # exact search is the float reference
                rescore=self.server.quantization_rescore,
                oversampling=self.server.quantization_oversampling,
            )
            if self.server.quantization != "none"
            else None,
        )
        common: dict[str, object] = {
            "limit": query.k,
            "offset": query.offset,
            "score_threshold": query.score_threshold,
            "with_payload": True,
            "with_vectors": [DENSE_VECTOR] if query.with_dense else False,
            "timeout": query.timeout_s,
        }
        try:
            points = self._query_points(name, query, common, query_filter, dense_params)
        except (UnexpectedResponse, ResponseHandlingException) as error:
            raise _unavailable(error, self.location) from error
        return [
            scored_chunk(point.id, point.score, point.payload, point.vector) for point in points
        ]

    def _query_points(
        self,
        name: str,
        query: StoreQuery,
        common: dict[str, object],
        query_filter: models.Filter | None,
        dense_params: models.SearchParams,
    ) -> list[models.ScoredPoint]:
        dense = [float(x) for x in (() if query.dense is None else query.dense)]
        sparse = models.SparseVector(
            indices=query.sparse.indices if query.sparse else [],
            values=query.sparse.values if query.sparse else [],
        )
        if query.mode is SearchMode.HYBRID:
            fusion = (
                models.RrfQuery(rrf=models.Rrf(k=query.rrf_k))
                if query.fusion is FusionMethod.RRF
                else models.FusionQuery(fusion=models.Fusion.DBSF)
            )
            response = self.client.query_points(
                name,
                prefetch=[
                    models.Prefetch(
                        query=dense,
                        using=DENSE_VECTOR,
                        limit=query.candidates,
                        filter=query_filter,
                        params=dense_params,
                    ),
                    models.Prefetch(
                        query=sparse,
                        using=SPARSE_VECTOR,
                        limit=query.candidates,
                        filter=query_filter,
                    ),
                ],
                query=fusion,
                **common,
            )
        else:
            is_dense = query.mode is SearchMode.DENSE
            response = self.client.query_points(
                name,
                query=dense if is_dense else sparse,
                using=DENSE_VECTOR if is_dense else SPARSE_VECTOR,
                query_filter=query_filter,
                search_params=dense_params if is_dense else None,
                **common,
            )
        return response.points

    def finish_writes(self, name: str) -> None:
        """Nothing to do: the server indexes in the background and upserts waited."""

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()
