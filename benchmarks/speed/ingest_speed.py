"""Our ingest, end to end, against raw encode throughput of the very chunks it stored.

Files are ingested into a fresh, temporary data dir (store and catalog), so a run never
depends on, or touches, a corpus ingested earlier. The encoder is loaded before the clock
starts, as in a long-running service; then the clock covers parse, chunk, catalog, embed,
BM25, upsert and the HNSW build. The same chunks are then encoded alone with the same model
and batch size: the ratio of the two rates says how much the pipeline adds to the encoder.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from adapters import Encoder, get_spec
from benchmarks.speed.memory import peak_rss_mb
from benchmarks.speed.search_speed import percentiles, time_queries
from ingest import IngestOptions, LoadOptions, ingest_paths
from retrieval import SearchMode, Settings, collection_name, open_runtime

logger = logging.getLogger(__name__)

CORPUS = "speed"


@dataclass(frozen=True, slots=True)
class IngestSpeed:
    """One model's ingest of the data: rates, what the chunks were, and the same-data latency."""

    documents: int
    chunks: int
    ingest_seconds: float
    ingest_chunks_per_s: float
    ingest_chars_per_s: float
    raw_encode_chunks_per_s: float
    pipeline_vs_raw: float
    mean_chunk_chars: float
    query_latency: dict[str, float]
    peak_rss_mb: float

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return asdict(self)


def measure_ingest(
    paths: Sequence[Path],
    model_id: str,
    settings: Settings,
    queries: Sequence[str],
    *,
    show_progress: bool,
) -> tuple[IngestSpeed, list[str]]:
    """Ingest `paths` with the model into a temporary data dir; also the chunks it stored.

    Raises:
        RuntimeError: When a file fails to ingest (the figures would describe other data).
    """
    # A runtime of its own over a scratch data dir: the figures must neither depend on nor
    # touch the caller's corpora. The encoder is still the caller's (one per spec per process).
    with (
        tempfile.TemporaryDirectory(prefix="cardiorag-speed-") as scratch_dir,
        open_runtime(settings.model_copy(update={"data_dir": Path(scratch_dir)})) as scratch,
    ):
        spec, encoder = get_spec(scratch.specs, model_id), scratch.encoder(model_id)
        index = scratch.index
        started = time.perf_counter()
        options = IngestOptions(
            corpus=CORPUS,
            models=[spec],
            load=LoadOptions(exclude=("SOURCES.txt", "README*")),
            overlap_tokens=settings.chunk_overlap_tokens,
            batch_size=settings.embed_batch_size,
            show_progress=show_progress,
        )
        report = ingest_paths(paths, options, index=index)
        seconds = time.perf_counter() - started
        if report.failed:
            failure = report.failed[0]
            raise RuntimeError(f"{failure.path} failed to ingest: {failure.reason}")
        latency = time_queries(
            index.store, collection_name(CORPUS, spec.id), encoder, queries, SearchMode.DENSE
        ).total
        texts = list(index.catalog.chunk_texts_by_document(CORPUS).values())
    chunks = [text for document in texts for text in document]
    rss = peak_rss_mb()
    raw_rate = raw_encode_rate(encoder, chunks, settings.embed_batch_size)
    rate = len(chunks) / seconds
    result = IngestSpeed(
        documents=report.added,
        chunks=len(chunks),
        ingest_seconds=round(seconds, 2),
        ingest_chunks_per_s=round(rate, 2),
        ingest_chars_per_s=round(sum(len(c) for c in chunks) / seconds),
        raw_encode_chunks_per_s=round(raw_rate, 2),
        pipeline_vs_raw=round(rate / raw_rate, 3),
        mean_chunk_chars=round(float(np.mean([len(c) for c in chunks])), 1),
        query_latency=percentiles(latency),
        peak_rss_mb=rss,
    )
    logger.info("%s ingest: %s", spec.id, result)
    return result, chunks


def raw_encode_rate(encoder: Encoder, texts: Sequence[str], batch_size: int) -> float:
    """Chunks per second of the encoder alone over `texts`."""
    started = time.perf_counter()
    encoder.encode_documents(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - started)
