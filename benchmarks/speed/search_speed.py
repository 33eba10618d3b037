"""Query latency (embed + search) and HNSW recall on the embedded store at growing sizes.

The points are real MedQuAD chunks as ingest stores them, padded with blends of two of them
(`benchmarks.speed.real_points`).

Each size and quantization is built by a fresh process and then opened and searched by
another, as a search server meets an index built earlier: the searcher's RSS is the model and
the store, not the builder's leftovers or the benchmark's copy of the real points. Recall@10
compares each query's HNSW top 10 (int8 candidates rescored with the float vectors, when
quantized) with an exact float search of the same collection; latency is timed per query on
a freshly embedded query.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from adapters import Encoder, ModelSpec
from benchmarks.speed.memory import PeakAnonymous, disk_mb, in_fresh_process, memory_mb
from benchmarks.speed.real_points import RealPoints, filled_points, real_points
from retrieval import SearchMode, Settings, VectorStore, open_embedded_store, open_runtime
from retrieval.search.request import DEFAULT_HNSW_EF
from retrieval.store.interface import EMBEDDED_HNSW, StoredPoint
from retrieval.store.query import StoreQuery
from retrieval.store.sparse import Bm25Encoder

logger = logging.getLogger(__name__)

K = 10
NEAR_TIE = 1e-4  # 10th and 11th exact scores closer than this: the top 10 is a near-tie
# The embedded store's index settings and the beam width the Retriever searches with:
# reported next to every recall figure.
HNSW_SETTINGS = {**EMBEDDED_HNSW, "hnsw_ef": DEFAULT_HNSW_EF}
_UPSERT_BATCH = 512
_COLLECTION = "speed"


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies in milliseconds."""
    return {f"p{q}_ms": round(float(np.percentile(samples_ms, q)), 2) for q in (50, 95, 99)}


def read_queries(path: Path, count: int) -> list[str]:
    """The first `count` query texts of a BEIR `queries.jsonl`."""
    with path.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
    return texts[:count]


@dataclass(frozen=True, slots=True)
class SizeResult:
    """One collection size and quantization: build, open, latency per mode, recall, memory, disk.

    `memory_mb` is the searching process's, read after the timed queries and before the
    recall check (whose exact searches read every float vector); `build_memory_mb` is the
    building process's at its end.
    """

    chunks: int
    quantization: str
    build_seconds: float
    open_seconds: float
    latency: dict[str, dict[str, float]]
    search_latency: dict[str, dict[str, float]]
    recall_at_10: float
    near_tie_share: float
    memory_mb: dict[str, float]
    build_memory_mb: dict[str, float]
    disk_mb: float

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class QueryTimes:
    """Milliseconds per query: embed + search, and the store's search alone."""

    total: list[float]
    search: list[float]


def time_queries(
    store: VectorStore, collection: str, encoder: Encoder, queries: Sequence[str], mode: SearchMode
) -> QueryTimes:
    """Time each query: embed it afresh, then search (top 10, the Retriever's ef)."""
    bm25 = Bm25Encoder()

    def search(text: str) -> float:
        dense = None if mode is SearchMode.SPARSE else encoder.encode_queries([text])[0]
        sparse = None if mode is SearchMode.DENSE else bm25.embed_query(text)
        started = time.perf_counter()
        store.search(
            collection, StoreQuery(mode, K, dense=dense, sparse=sparse, hnsw_ef=DEFAULT_HNSW_EF)
        )
        return (time.perf_counter() - started) * 1000

    search(queries[0])  # warm-up, untimed
    times = QueryTimes([], [])
    for text in queries:
        started = time.perf_counter()
        times.search.append(search(text))
        times.total.append((time.perf_counter() - started) * 1000)
    return times


@dataclass(frozen=True, slots=True)
class RecallCheck:
    """HNSW against exact search: mean recall@10, and how often the exact top 10 is a near-tie."""

    recall_at_10: float
    near_tie_share: float


def hnsw_recall(store: VectorStore, collection: str, query_vectors: np.ndarray) -> RecallCheck:
    """Mean overlap of the HNSW top 10 with the exact top 10, over the queries."""
    overlaps, ties = [], []
    for vector in query_vectors:
        approximate = store.search(
            collection, StoreQuery(SearchMode.DENSE, K, dense=vector, hnsw_ef=DEFAULT_HNSW_EF)
        )
        exact = store.search(
            collection, StoreQuery(SearchMode.DENSE, K + 1, dense=vector, exact=True)
        )
        found = {hit.chunk_id for hit in approximate}
        overlaps.append(len(found & {hit.chunk_id for hit in exact[:K]}) / K)
        ties.append(len(exact) > K and exact[K - 1].score - exact[K].score < NEAR_TIE)
    return RecallCheck(round(float(np.mean(overlaps)), 4), round(float(np.mean(ties)), 4))


def _fill(store: VectorStore, real: RealPoints, size: int, *, show_progress: bool) -> None:
    batch: list[StoredPoint] = []
    points = filled_points(real, size, seed=size)
    for point in tqdm(points, total=size, desc=f"upsert {size:,}", disable=not show_progress):
        batch.append(point)
        if len(batch) == _UPSERT_BATCH:
            store.upsert(_COLLECTION, batch)
            batch = []
    store.upsert(_COLLECTION, batch)
    store.finish_writes(_COLLECTION)


@dataclass(frozen=True, slots=True)
class Built:
    """What building a collection took: seconds (upserts and HNSW) and the builder's memory.

    `memory_mb` is read at the end, with the highest anonymous RSS sampled while it built.
    """

    seconds: float
    memory_mb: dict[str, float]


def build_collection(
    real: RealPoints,
    size: int,
    quantization: str,
    dimension: int,
    folder: Path,
    *,
    show_progress: bool,
) -> Built:
    """Fill a fresh collection under `folder` to `size` points and build its HNSW."""
    with open_embedded_store(folder) as store:
        store.create_collection(_COLLECTION, dimension, quantization)
        started = time.perf_counter()
        with PeakAnonymous() as anonymous:
            _fill(store, real, size, show_progress=show_progress)
        seconds = time.perf_counter() - started
    # The searching process should meet a store built earlier, not share the disk with the
    # kernel writing this one back (gigabytes at 1M points).
    os.sync()
    return Built(round(seconds, 1), {**memory_mb(), "peak_anon_mb": anonymous.peak_mb})


@dataclass(frozen=True, slots=True)
class Served:
    """A built collection opened afresh, as a search process meets it."""

    open_seconds: float
    times: dict[str, QueryTimes]
    memory_mb: dict[str, float]
    check: RecallCheck


def serve_collection(
    encoder: Encoder, folder: Path, queries: Sequence[str], modes: Sequence[SearchMode]
) -> Served:
    """Open the collection, time the queries, read memory, then check recall against exact."""
    started = time.perf_counter()
    with open_embedded_store(folder) as store:
        store.collection_info(_COLLECTION)  # loads the shard, warming what it keeps cached
        open_seconds = round(time.perf_counter() - started, 1)
        times = {
            str(mode): time_queries(store, _COLLECTION, encoder, queries, mode) for mode in modes
        }
        memory = memory_mb()
        check = hnsw_recall(store, _COLLECTION, encoder.encode_queries(list(queries)))
    return Served(open_seconds, times, memory, check)


@dataclass(frozen=True, slots=True)
class SizeJob:
    """Everything a fresh process needs to build or search one size and quantization."""

    settings: Settings
    spec: ModelSpec
    medquad_file: Path
    real_limit: int
    real_chunk_tokens: int | None
    size: int
    quantization: str
    queries: tuple[str, ...]
    modes: tuple[SearchMode, ...]
    show_progress: bool


def _load_encoder(job: SizeJob) -> Encoder:
    with open_runtime(job.settings) as runtime:  # torch set up in this fresh process
        return runtime.models.encoder(job.spec)


def _build_job(job: SizeJob, folder: Path) -> Built:
    encoder = _load_encoder(job)
    real = real_points(
        job.medquad_file,
        encoder,
        job.real_limit,
        job.settings.data_dir / "speed-cache",
        chunk_tokens=job.real_chunk_tokens,
        show_progress=job.show_progress,
    )
    return build_collection(
        real, job.size, job.quantization, encoder.dimension, folder,
        show_progress=job.show_progress,
    )  # fmt: skip


def _serve_job(job: SizeJob, folder: Path) -> Served:
    return serve_collection(_load_encoder(job), folder, job.queries, job.modes)


def measure_in_fresh_processes(job: SizeJob) -> SizeResult:
    """Build the collection in one new process, then open and search it in another.

    The searching process holds what a search server would (the model and the store), not
    the builder's leftovers or the benchmark's copy of the real points. The real points
    come from the cache the parent filled, so neither child embeds them.
    """
    with tempfile.TemporaryDirectory(prefix="cardiorag-speed-") as scratch:
        folder = Path(scratch)
        built = in_fresh_process(_build_job, job, folder)
        served = in_fresh_process(_serve_job, job, folder)
        disk = disk_mb(folder)
    latency = {mode: percentiles(timed.total) for mode, timed in served.times.items()}
    logger.info(
        "%s at %d chunks (%s): recall@10 %.3f, %s, %s, disk %.0f MB",
        job.spec.id, job.size, job.quantization, served.check.recall_at_10, latency,
        served.memory_mb, disk,
    )  # fmt: skip
    return SizeResult(
        chunks=job.size,
        quantization=job.quantization,
        build_seconds=built.seconds,
        open_seconds=served.open_seconds,
        latency=latency,
        search_latency={mode: percentiles(timed.search) for mode, timed in served.times.items()},
        recall_at_10=served.check.recall_at_10,
        near_tie_share=served.check.near_tie_share,
        memory_mb=served.memory_mb,
        build_memory_mb=built.memory_mb,
        disk_mb=disk,
    )
