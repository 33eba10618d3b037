"""Query latency (embed + search) and HNSW recall on the embedded store at growing sizes.

How the points are made: real chunks of MedQuAD answers (cut by our chunker to the model's
token budget), embedded once per model spec and cached under the data dir, with their real
BM25 vectors. Past the real count, padded points fill the collection, so the HNSW graph and
the sparse index really hold that many points: each is a blend of two different real chunks'
vectors (weight 0.5-0.75 on the first, renormalised) with the text and BM25 vector of the
first. Blends spread over the space the real chunks span instead of piling up beside one of
them, so a query's exact top 10 is not a near-tie of copies that no index could order; each
size reports the share of queries whose 10th and 11th exact scores lie within 1e-4 to show it.

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
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from adapters import Encoder, ModelSpec, load_encoder
from benchmarks.report import file_hash
from benchmarks.speed.memory import PeakAnonymous, disk_mb, in_fresh_process, memory_mb
from ingest.chunking import ChunkingSpec, budget_tokens, make_splitter
from retrieval import SearchMode, Settings, VectorStore, open_embedded_store
from retrieval.search.request import DEFAULT_HNSW_EF
from retrieval.store.interface import EMBEDDED_HNSW, StoredPoint
from retrieval.store.query import StoreQuery
from retrieval.store.sparse import Bm25Encoder

logger = logging.getLogger(__name__)

K = 10
BLEND_WEIGHTS = (0.5, 0.75)  # the first chunk's share in a padded point's vector
NEAR_TIE = 1e-4  # 10th and 11th exact scores closer than this: the top 10 is a near-tie
# The embedded store's index settings and the beam width the Retriever searches with:
# reported next to every recall figure.
HNSW_SETTINGS = {**EMBEDDED_HNSW, "hnsw_ef": DEFAULT_HNSW_EF}
_COPY_NAMESPACE = uuid.UUID("3d0e5a7c-9b1f-4c62-8f0a-1e2d3c4b5a69")
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


def medquad_chunks(
    path: Path, encoder: Encoder, limit: int, chunk_tokens: int | None = None
) -> list[str]:
    """Up to `limit` distinct chunks of MedQuAD answers, cut as ingest cuts them for this model.

    `chunk_tokens` cuts smaller pieces instead, so the same text yields more real points
    (about 107k distinct ones at 48 tokens). Repeated texts are kept once: MedQuAD repeats
    answers, and equal vectors make exact search a tie that no index can reproduce.
    """
    ingest_size = budget_tokens(
        encoder.max_seq_length, encoder.count_tokens(encoder.spec.document_prefix)
    )
    size = min(chunk_tokens or ingest_size, ingest_size)
    spec = ChunkingSpec(
        tokenizer=encoder.spec.id, chunk_tokens=size, overlap_tokens=min(32, size // 4)
    )
    splitter = make_splitter(encoder.count_tokens, spec)
    chunks: dict[str, None] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            answer = json.loads(line).get("answer", "") if line.strip() else ""
            chunks.update(
                dict.fromkeys(piece for piece in splitter.split_text(answer) if piece.strip())
            )
            if len(chunks) >= limit:
                break
    return list(chunks)[:limit]


@dataclass(frozen=True, slots=True)
class RealPoints:
    """Real chunks of a model: texts, their dense vectors and where the vectors came from."""

    texts: list[str]
    dense: np.ndarray
    cache_file: Path
    from_cache: bool


def real_points(
    source: Path,
    encoder: Encoder,
    limit: int,
    cache_dir: Path,
    *,
    chunk_tokens: int | None = None,
    show_progress: bool,
) -> RealPoints:
    """Embed MedQuAD chunks once per (spec, source, size, count); later runs read the cache."""
    texts = medquad_chunks(source, encoder, limit, chunk_tokens)
    size = f"-t{chunk_tokens}" if chunk_tokens else ""
    key = f"medquad-{encoder.spec.spec_hash}-{file_hash([source])}{size}-{len(texts)}.npy"
    cache_file = cache_dir / key
    if cache_file.is_file():
        return RealPoints(texts, np.load(cache_file), cache_file, from_cache=True)
    logger.info("embedding %d MedQuAD chunks with %s (cached for later runs)", len(texts), key)
    batches = [texts[start : start + 256] for start in range(0, len(texts), 256)]
    dense = np.concatenate(
        [
            encoder.encode_documents(batch)
            for batch in tqdm(
                batches, desc=f"embed MedQuAD {encoder.spec.id}", disable=not show_progress
            )
        ]
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_suffix(".partial.npy")
    np.save(partial, dense)
    partial.rename(cache_file)  # a cut-off write never looks like a cached result
    return RealPoints(texts, dense, cache_file, from_cache=False)


def filled_points(real: RealPoints, size: int, seed: int) -> Iterator[StoredPoint]:
    """`size` points: the real ones first, then blends of two real chunks with new ids."""
    rng = np.random.default_rng(seed)
    sparse = Bm25Encoder().embed_documents(real.texts)
    count = len(real.texts)
    for n in range(size):
        index = n % count
        dense = real.dense[index]
        if n >= count and count > 1:
            other = (index + int(rng.integers(1, count))) % count
            weight = rng.uniform(*BLEND_WEIGHTS)
            blend = weight * dense + (1 - weight) * real.dense[other]
            dense = blend / np.linalg.norm(blend)
        chunk_id = str(uuid.uuid5(_COPY_NAMESPACE, f"{index}/{n}"))
        yield StoredPoint(chunk_id, dense.tolist(), sparse[index], real.texts[index], {})


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
    job.settings.configure_torch()
    return load_encoder(job.spec, cache_dir=job.settings.model_cache_dir)


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
