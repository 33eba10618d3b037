"""Query latency (embed + search) and HNSW recall on the embedded store at growing sizes.

How the points are made: real chunks of MedQuAD answers (cut by our chunker to the model's
token budget), embedded once per model spec and cached under the data dir, with their real
BM25 vectors. Past the real count, copies of them with slightly moved dense vectors (Gaussian
noise, sigma 0.01 per dimension, renormalised: cosine about 0.98 to the original) and new ids
fill the collection, so the HNSW graph and the sparse index really hold that many points.
Recall@10 compares each query's HNSW top 10 with an exact (brute-force) search of the same
collection; latency is timed per query on a freshly embedded query.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from adapters import Encoder
from benchmarks.report import file_hash
from ingest.chunking import ChunkingSpec, budget_tokens, make_splitter
from retrieval import SearchMode, VectorStore, open_embedded_store
from retrieval.query import StoreQuery
from retrieval.request import DEFAULT_HNSW_EF
from retrieval.sparse import Bm25Encoder
from retrieval.store import StoredPoint

logger = logging.getLogger(__name__)

K = 10
JITTER_SIGMA = 0.01
# Qdrant Edge's index settings (its defaults; the store sets none) and the beam width the
# Retriever searches with: reported next to every recall figure.
HNSW_SETTINGS = {
    "m": 16,
    "ef_construct": 100,
    "full_scan_threshold_kb": 10_000,
    "hnsw_ef": DEFAULT_HNSW_EF,
}
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
    """`size` points: the real ones first, then jittered copies of them with new ids."""
    rng = np.random.default_rng(seed)
    sparse = Bm25Encoder().embed_documents(real.texts)
    for n in range(size):
        index = n % len(real.texts)
        dense = real.dense[index]
        if n >= len(real.texts):
            moved = dense + rng.normal(0, JITTER_SIGMA, dense.shape)
            dense = moved / np.linalg.norm(moved)
        chunk_id = str(uuid.uuid5(_COPY_NAMESPACE, f"{index}/{n}"))
        yield StoredPoint(chunk_id, dense.tolist(), sparse[index], real.texts[index], {})


@dataclass(frozen=True, slots=True)
class SizeResult:
    """One collection size: build time, latency per mode and HNSW recall@10."""

    chunks: int
    build_seconds: float
    latency: dict[str, dict[str, float]]
    recall_at_10: float

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return dataclasses.asdict(self)


def time_queries(
    store: VectorStore, collection: str, encoder: Encoder, queries: Sequence[str], mode: SearchMode
) -> list[float]:
    """Milliseconds per query: embed it afresh, then search (top 10, the Retriever's ef)."""
    bm25 = Bm25Encoder()

    def search(text: str) -> None:
        dense = None if mode is SearchMode.SPARSE else encoder.encode_queries([text])[0]
        sparse = None if mode is SearchMode.DENSE else bm25.embed_query(text)
        store.search(
            collection, StoreQuery(mode, K, dense=dense, sparse=sparse, hnsw_ef=DEFAULT_HNSW_EF)
        )

    search(queries[0])  # warm-up, untimed
    samples = []
    for text in queries:
        started = time.perf_counter()
        search(text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def hnsw_recall(store: VectorStore, collection: str, query_vectors: np.ndarray) -> float:
    """Mean overlap of the HNSW top 10 with the exact top 10, over the queries."""
    overlaps = []
    for vector in query_vectors:

        def top(*, exact: bool, dense: np.ndarray = vector) -> set[str]:
            query = StoreQuery(
                SearchMode.DENSE, K, dense=dense, hnsw_ef=DEFAULT_HNSW_EF, exact=exact
            )
            return {hit.chunk_id for hit in store.search(collection, query)}

        overlaps.append(len(top(exact=False) & top(exact=True)) / K)
    return round(float(np.mean(overlaps)), 4)


def measure_size(
    real: RealPoints,
    size: int,
    encoder: Encoder,
    queries: Sequence[str],
    modes: Sequence[SearchMode],
    *,
    show_progress: bool,
) -> SizeResult:
    """Fill a fresh collection to `size` points, build HNSW, then time and check queries."""
    with (
        tempfile.TemporaryDirectory(prefix="cardiorag-speed-") as scratch,
        open_embedded_store(Path(scratch)) as store,
    ):
        store.create_collection(_COLLECTION, encoder.dimension)
        started = time.perf_counter()
        batch: list[StoredPoint] = []
        points = filled_points(real, size, seed=size)
        for point in tqdm(points, total=size, desc=f"upsert {size:,}", disable=not show_progress):
            batch.append(point)
            if len(batch) == _UPSERT_BATCH:
                store.upsert(_COLLECTION, batch)
                batch = []
        store.upsert(_COLLECTION, batch)
        store.finish_writes(_COLLECTION)
        build_seconds = time.perf_counter() - started
        latency = {
            str(mode): percentiles(time_queries(store, _COLLECTION, encoder, queries, mode))
            for mode in modes
        }
        recall = hnsw_recall(store, _COLLECTION, encoder.encode_queries(list(queries)))
    logger.info("%s at %d chunks: recall@10 %.3f, %s", encoder.spec.id, size, recall, latency)
    return SizeResult(size, round(build_seconds, 1), latency, recall)
