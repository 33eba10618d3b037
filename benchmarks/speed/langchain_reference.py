"""The reference: the same work done by a plain LangChain pipeline.

RecursiveCharacterTextSplitter (1,000 characters, 200 overlap), HuggingFaceEmbeddings (the
spec's base weights, on our encoder's device, batch 32, normalised) and QdrantVectorStore in
qdrant-client's local mode (`:memory:`, exact search in Python).

- Speed (`measure_reference`): files are parsed by our own loaders inside the timed span, so
  both pipelines pay for the same parsing and differ only in what LangChain does. The model
  runs in its default fp32, as a user's pipeline would.
- Quality (`reference_quality`): a BEIR corpus embedded as BEIR's dense retrievers embed it,
  title + newline + text, in our encoder's dtype (bf16 and fp32 give the same nDCG@10:
  docs/benchmarks.md), exact search; a document ranks where its best chunk ranks.

Each runs in a child process: its peak memory is then its own, and its imports and model load
stay out of our process's figures. Needs `langchain-huggingface` (the `eval` extra).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.extra import require_eval

logger = logging.getLogger(__name__)

_LEAVE_OUT = "run without the LangChain reference"

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


def _embeddings(
    model_path: str, threads: int, device: str, dtype: str | None = None, progress: bool = False
) -> Any:
    """HuggingFaceEmbeddings as a plain pipeline builds it; `dtype` None keeps its fp32.

    The dtype is always passed: left out, transformers loads in torch's process-wide default,
    which other code in the same process may have changed.
    """
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings

    torch.set_num_threads(threads)
    model_kwargs: dict[str, Any] = {
        "device": device,
        "local_files_only": True,
        "model_kwargs": {"dtype": getattr(torch, dtype or "float32")},
    }
    return HuggingFaceEmbeddings(
        model_name=model_path,
        model_kwargs=model_kwargs,
        encode_kwargs={"normalize_embeddings": True, "batch_size": BATCH_SIZE},
        show_progress=progress,
    )


def _vector_store(documents: Sequence[Any], embeddings: Any) -> Any:
    """The documents split, embedded and stored in qdrant-client's in-memory local mode."""
    from langchain_qdrant import QdrantVectorStore
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=OVERLAP_CHARS)
    split = splitter.split_documents(documents)
    store = QdrantVectorStore.from_documents(
        split, embeddings, location=":memory:", collection_name="reference"
    )
    return store, split


def _run(
    model_path: str, paths: Sequence[Path], queries: Sequence[str], threads: int, device: str
) -> ReferenceSpeed:
    """The whole reference speed run, in the child process."""
    import numpy as np

    from benchmarks.speed.memory import peak_rss_mb
    from benchmarks.speed.search_speed import percentiles

    embeddings = _embeddings(model_path, threads, device)
    started = time.perf_counter()
    documents = _documents(paths)
    store, chunks = _vector_store(documents, embeddings)
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


@dataclass(frozen=True, slots=True)
class ReferenceRun:
    """Each query's documents in rank order (where its best chunk ranks), and search times."""

    ranked: dict[str, list[str]]
    latencies_ms: list[float]


@dataclass(frozen=True, slots=True)
class ReferenceOptions:
    """How the reference's quality run searches, and on what hardware."""

    depth: int
    threads: int
    device: str = "cpu"
    dtype: str | None = None
    progress: bool = False


def beir_documents(corpus_file: Path) -> list[Any]:
    """A BEIR corpus as LangChain Documents of title + newline + text, BEIR's dense convention."""
    import json

    from langchain_core.documents import Document

    documents = []
    with corpus_file.open(encoding="utf-8") as lines:
        for line in filter(str.strip, lines):
            record = json.loads(line)
            title, text = str(record.get("title") or ""), str(record.get("text") or "")
            documents.append(
                Document(
                    page_content=f"{title}\n{text}" if title else text,
                    metadata={"doc_id": str(record["_id"])},
                )
            )
    return documents


def _quality_run(
    model_path: str,
    corpus_file: Path,
    queries: dict[str, str],
    options: ReferenceOptions,
) -> ReferenceRun:
    """Each query's document ids in the order of their best chunk, in the child process."""
    embeddings = _embeddings(
        model_path, options.threads, options.device, options.dtype, options.progress
    )
    documents = beir_documents(corpus_file)
    store, _ = _vector_store(documents, embeddings)
    ranked, latencies = {}, []
    for query_id, text in queries.items():
        started = time.perf_counter()
        found = store.similarity_search(text, k=options.depth)
        latencies.append((time.perf_counter() - started) * 1000)
        ranked[query_id] = [document.metadata["doc_id"] for document in found]
    return ReferenceRun(ranked, latencies)


def reference_quality(
    model_path: str, corpus_file: Path, queries: dict[str, str], options: ReferenceOptions
) -> ReferenceRun:
    """Search a BEIR corpus with the plain LangChain pipeline, in a fresh process.

    Raises:
        EvalExtraMissingError: When `langchain-huggingface` is not installed.
    """
    require_eval("langchain_huggingface", or_else=_LEAVE_OUT)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_quality_run, model_path, corpus_file, queries, options).result()


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
        EvalExtraMissingError: When `langchain-huggingface` is not installed.
    """
    require_eval("langchain_huggingface", or_else=_LEAVE_OUT)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        result = pool.submit(_run, model_path, list(paths), list(queries), threads, device).result()
    logger.info("LangChain reference: %s", result)
    return result
