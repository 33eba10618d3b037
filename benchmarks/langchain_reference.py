"""The reference: the same work done by a plain LangChain pipeline, as the issue names it.

RecursiveCharacterTextSplitter (1,000 characters, 200 overlap), HuggingFaceEmbeddings (the
spec's base weights, its default fp32, on our encoder's device, batch 32, normalised) and
QdrantVectorStore in qdrant-client's local mode (`:memory:`, exact search in Python). Files are
parsed by our own loaders inside the timed span, so both pipelines pay for the same parsing and
differ only in what LangChain does.

It runs in a child process: its peak memory is then its own, and its imports and model load
stay out of our process's figures. Needs `langchain-huggingface` (the `dev` extra).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CHUNK_CHARS = 1000
OVERLAP_CHARS = 200
BATCH_SIZE = 32


@dataclass(frozen=True, slots=True)
class ReferenceSpeed:
    """What the LangChain pipeline did with the data and the queries."""

    model_path: str
    device: str
    dtype: str
    documents: int
    chunks: int
    ingest_seconds: float
    ingest_chunks_per_s: float
    ingest_chars_per_s: float
    mean_chunk_chars: float
    query_latency: dict[str, float]
    peak_rss_mb: float

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return asdict(self)


def _documents(paths: Sequence[Path]) -> list[object]:
    """Our loaders' sections as LangChain Documents (one per section or record)."""
    from langchain_core.documents import Document

    from ingest import LoadOptions
    from ingest.loaders import discover_files, load_file

    options = LoadOptions(exclude=("SOURCES.txt", "README*"))
    files, _ = discover_files(paths, options.exclude)
    documents = []
    for path in files:
        for loaded in load_file(path, path.read_bytes(), options).documents:
            documents.extend(
                Document(page_content=section.text, metadata={"source": loaded.source})
                for section in loaded.sections
                if section.text.strip()
            )
    return documents


def _run(
    model_path: str, paths: Sequence[Path], queries: Sequence[str], threads: int, device: str
) -> ReferenceSpeed:
    """The whole reference run, in the child process."""
    import numpy as np
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_qdrant import QdrantVectorStore
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from benchmarks.speed_ingest import peak_rss_mb
    from benchmarks.speed_search import percentiles

    torch.set_num_threads(threads)
    embeddings = HuggingFaceEmbeddings(
        model_name=model_path,
        model_kwargs={"device": device, "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": BATCH_SIZE},
    )
    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=OVERLAP_CHARS)
    documents = _documents(paths)
    chunks = splitter.split_documents(documents)
    store = QdrantVectorStore.from_documents(
        chunks, embeddings, location=":memory:", collection_name="reference"
    )
    seconds = time.perf_counter() - started
    store.similarity_search(queries[0], k=10)  # warm-up, untimed
    latencies = []
    for query in queries:
        began = time.perf_counter()
        store.similarity_search(query, k=10)
        latencies.append((time.perf_counter() - began) * 1000)
    return ReferenceSpeed(
        model_path=model_path,
        device=device,
        dtype=str(embeddings._client.dtype).removeprefix("torch."),
        documents=len(documents),
        chunks=len(chunks),
        ingest_seconds=round(seconds, 2),
        ingest_chunks_per_s=round(len(chunks) / seconds, 2),
        ingest_chars_per_s=round(sum(len(c.page_content) for c in chunks) / seconds),
        mean_chunk_chars=round(float(np.mean([len(c.page_content) for c in chunks])), 1),
        query_latency=percentiles(latencies),
        peak_rss_mb=peak_rss_mb(),
    )


def measure_reference(
    model_path: str,
    paths: Sequence[Path],
    queries: Sequence[str],
    *,
    threads: int,
    device: str = "cpu",
) -> ReferenceSpeed:
    """Run the LangChain pipeline over `paths` in a fresh process and return its figures.

    It runs on our encoder's device, in its own default dtype (float32), as a user would.

    Raises:
        RuntimeError: When `langchain-huggingface` is not installed.
    """
    import importlib.util

    if importlib.util.find_spec("langchain_huggingface") is None:
        raise RuntimeError(
            "the LangChain reference needs langchain-huggingface: install the dev extra "
            "(pip install -e '.[dev]'), or pass --no-reference"
        )
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result = pool.submit(_run, model_path, list(paths), list(queries), threads, device).result()
    logger.info("LangChain reference: %s", result)
    return result
