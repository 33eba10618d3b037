"""The speed benchmark's points: real MedQuAD chunks as ingest stores them, padded with blends.

MedQuAD records are chunked as ingest chunks a new corpus for the model (the question as
title), and ingest's point builder gives each the dense text it embeds (context header and
chunk) and the text BM25 indexes; the dense vectors are embedded once per model spec and
cached under the data dir. Past the real count, padded points fill the collection, so the HNSW
graph and the sparse index really hold that many points: each is a blend of two different real
chunks' vectors (weight 0.5-0.75 on the first, renormalised) with the text and BM25 vector of
the first. Blends spread over the space the real chunks span instead of piling up beside one of
them, so a query's exact top 10 is not a near-tie of copies that no index could order; each
size reports the share of queries whose 10th and 11th exact scores lie within 1e-4 to show it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from adapters import Encoder
from ingest import DocType, chunking
from ingest.chunking import Chunker, ChunkingSpec, context_values, corpus_chunking
from ingest.points import PointBuilder, sparse_vectors
from ingest.records import FieldMap, record_documents
from retrieval.catalog import PendingChunk
from retrieval.store import Bm25Encoder, StoredPoint

logger = logging.getLogger(__name__)

BLEND_WEIGHTS = (0.5, 0.75)  # the first chunk's share in a padded point's vector
_COPY_NAMESPACE = uuid.UUID("3d0e5a7c-9b1f-4c62-8f0a-1e2d3c4b5a69")
_CORPUS = "medquad"  # names the chunks' ids and the chunking's warnings
OVERLAP_TOKENS = 32  # ingest's default overlap, cut to a quarter of a smaller piece


def speed_chunking(encoder: Encoder, chunk_tokens: int | None = None) -> ChunkingSpec:
    """How ingest cuts a new corpus for this model; `chunk_tokens` cuts smaller pieces instead.

    Smaller pieces make more distinct real points of the same text.
    """
    spec = corpus_chunking(_CORPUS, None, [encoder], OVERLAP_TOKENS, None)
    size = min(chunk_tokens or spec.chunk_tokens, spec.chunk_tokens)
    return spec.model_copy(
        update={"chunk_tokens": size, "overlap_tokens": min(OVERLAP_TOKENS, size // 4)}
    )


@contextmanager
def _header_cuts_unlogged() -> Iterator[None]:
    """Small pieces cut long questions' headers on purpose: no warning per document for it."""
    chunker_log = logging.getLogger(chunking.__name__)
    level = chunker_log.level
    chunker_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        chunker_log.setLevel(level)


def medquad_chunks(path: Path, builder: PointBuilder, limit: int) -> dict[str, PendingChunk]:
    """Up to `limit` MedQuAD chunks as ingest makes them, keyed by the dense text each embeds.

    A chunk whose dense text repeats one kept before is left out: MedQuAD repeats answers, and
    equal vectors make exact search a tie that no index can reproduce.
    """
    chunker = Chunker(builder.encoder.count_tokens, builder.chunking)
    kept: dict[str, PendingChunk] = {}
    with (
        _header_cuts_unlogged(),
        path.open("rb") as raw,
        closing(record_documents(path, raw, FieldMap(), DocType.QA, "utf-8")) as records,
    ):
        for _, document in records:
            if document is None:
                continue
            (section,) = document.sections  # a record is one section
            values = context_values(document, section)
            chunks = [
                PendingChunk(c.chunk_id, c.text, values) for c in chunker.chunk(_CORPUS, document)
            ]
            for chunk, dense_text in zip(chunks, builder.dense_texts(chunks), strict=True):
                kept.setdefault(dense_text, chunk)
            if len(kept) >= limit:
                break
    return dict(list(kept.items())[:limit])


@dataclass(frozen=True, slots=True)
class RealPoints:
    """Real chunks of a model: the chunks, their dense vectors and where the vectors came from."""

    chunks: list[PendingChunk]
    dense: np.ndarray
    cache_file: Path
    from_cache: bool

    @property
    def texts(self) -> list[str]:
        """The chunks' own texts, as the points store them."""
        return [chunk.text for chunk in self.chunks]


def real_points(
    source: Path,
    encoder: Encoder,
    limit: int,
    cache_dir: Path,
    *,
    chunk_tokens: int | None = None,
    show_progress: bool,
) -> RealPoints:
    """Embed MedQuAD chunks once per (spec, dense texts); later runs read the cache."""
    kept = medquad_chunks(
        source, PointBuilder(encoder, speed_chunking(encoder, chunk_tokens)), limit
    )
    texts, chunks = list(kept), list(kept.values())
    digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:16]
    cache_file = cache_dir / f"medquad-{encoder.spec.spec_hash}-{digest}-{len(texts)}.npy"
    if cache_file.is_file():
        return RealPoints(chunks, np.load(cache_file), cache_file, from_cache=True)
    logger.info("embedding %d MedQuAD chunks (cached as %s)", len(texts), cache_file.name)
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
    return RealPoints(chunks, dense, cache_file, from_cache=False)


def filled_points(real: RealPoints, size: int, seed: int) -> Iterator[StoredPoint]:
    """`size` points: the real ones first, then blends of two real chunks with new ids."""
    rng = np.random.default_rng(seed)
    sparse = sparse_vectors(real.chunks, Bm25Encoder())
    count = len(real.chunks)
    for n in range(size):
        index = n % count
        dense = real.dense[index]
        if n >= count and count > 1:
            other = (index + int(rng.integers(1, count))) % count
            weight = rng.uniform(*BLEND_WEIGHTS)
            blend = weight * dense + (1 - weight) * real.dense[other]
            dense = blend / np.linalg.norm(blend)
        chunk_id = str(uuid.uuid5(_COPY_NAMESPACE, f"{index}/{n}"))
        yield StoredPoint(chunk_id, dense.tolist(), sparse[index], real.chunks[index].text, {})
