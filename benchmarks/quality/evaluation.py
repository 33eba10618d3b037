"""Evaluate models on a BEIR set: ingest its corpus once, search each query, score the runs.

Shared by `cardiorag bench quality` and `cardiorag adapters eval`, which both need per-query
scores: means for tables, the per-query values for bootstrap intervals and paired tests.

- Searches pass `dedupe=False`: near-duplicate removal would hide chunks of the same document
  from the evaluation (`mmr` stays off, its default).
- Latency is one `search(query, k=10, dedupe=False)` per query: query embedding (dense and
  hybrid) + the store query + building hits. One untimed warm-up query runs first, and the
  Retriever's query-vector cache is emptied before each mode, so every timed query is
  embedded afresh.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from adapters import get_spec
from adapters.context_template import DEFAULT_TEMPLATE
from benchmarks.quality.beir import BeirSet
from benchmarks.quality.scores import K, doc_run, means, per_query_scores
from ingest import ChunkingSpec, IngestOptions, ingest_paths
from ingest.options import ProgressCallback, no_progress
from retrieval import Retriever, Runtime, SearchMode, collection_name
from retrieval.search import RERANKED

logger = logging.getLogger(__name__)


def corpus_for(dataset: str, context_template: str = DEFAULT_TEMPLATE) -> str:
    """The corpus a BEIR set is ingested into: `beir-<folder name>`.

    A set embedded with another context template than the default gets a corpus of its own,
    `beir-<folder name>-tpl-<hash>`, so runs of both templates can be compared and neither
    rebuilds the other.
    """
    corpus = "beir-" + re.sub(r"[^a-z0-9_-]", "-", dataset.lower())
    if context_template == DEFAULT_TEMPLATE:
        return corpus
    return f"{corpus}-tpl-{hashlib.sha256(context_template.encode()).hexdigest()[:8]}"


@dataclass(slots=True)
class ModeResult:
    """One model in one search mode: mean metrics, per-query values, latency."""

    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]]
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """Means and p50/p95 latency, as the results tables show them."""
        return {
            **self.metrics,
            "p50_ms": round(float(np.percentile(self.latencies_ms, 50)), 2),
            "p95_ms": round(float(np.percentile(self.latencies_ms, 95)), 2),
        }


def forget_query_vectors(retriever: Retriever) -> None:
    """Empty the Retriever's query-vector cache, so the next search embeds its query."""
    # The Retriever caches query vectors; without this, the second mode would reuse the
    # first mode's vectors and its latency would leave out the embedding.
    cache = getattr(retriever, "_embed_query", None)
    if hasattr(cache, "cache_clear"):
        cache.cache_clear()


def run_mode(
    retriever: Retriever,
    beir: BeirSet,
    mode: SearchMode,
    *,
    depth: int,
    options: dict[str, Any],
    show_progress: bool,
) -> ModeResult:
    """Search every query in one mode: its metrics, per-query values and latencies.

    A search's latency is that of the top K; reranked, that of the deep search itself, which
    costs the same (the reranker reads the same candidates) and is not run twice.
    """
    reranked = bool(options.get("rerank"))
    first = next(iter(beir.queries.values()))
    retriever.search(first, K, mode=mode, dedupe=False, **options)  # warm-up, untimed
    forget_query_vectors(retriever)
    run: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    for query_id, text in tqdm(
        beir.queries.items(),
        desc=f"{retriever.model} {mode}{RERANKED if reranked else ''}",
        unit="query",
        disable=not show_progress,
    ):
        started = time.perf_counter()
        hits = retriever.search(text, depth if reranked else K, mode=mode, dedupe=False, **options)
        latencies.append((time.perf_counter() - started) * 1000)
        if not reranked:
            hits = retriever.search(text, depth, mode=mode, dedupe=False, **options)
        run[query_id] = doc_run(hits)
    per_query = per_query_scores(beir.qrels, run)
    metrics = means(per_query)
    logger.info("%s %s: nDCG@10 %.4f", retriever.model, mode, metrics["nDCG@10"])
    return ModeResult(metrics, per_query, latencies)


@dataclass(slots=True)
class DatasetRun:
    """Every model and mode on one set, with what ingesting it took."""

    beir: BeirSet
    corpus: str
    chunks: int
    ingest_seconds: dict[str, float]
    results: dict[str, dict[str, ModeResult]]


def evaluate_dataset(
    beir: BeirSet,
    model_ids: Sequence[str],
    modes: Sequence[SearchMode],
    runtime: Runtime,
    *,
    depth: int = 100,
    hybrid_options: dict[str, Any] | None = None,
    show_progress: bool = False,
    on_step: ProgressCallback = no_progress,
    context_template: str = DEFAULT_TEMPLATE,
    rerank: bool = False,
) -> DatasetRun:
    """Ingest the set's corpus for each model (once: unchanged files are skipped), then search.

    Every mode runs without reranking; with `rerank`, each also runs reranked, under the
    mode's name with RERANKED appended ("hybrid+rerank"), on the same queries.

    `on_step(label, done, total)` is called as the ingest and each model and mode start and
    after the last one, for progress shown outside a terminal (the web app). The runtime is
    the caller's, so the web app's run shares its store and models.

    Raises:
        RuntimeError: When the corpus file fails to ingest.
    """
    requested = list(dict.fromkeys(model_ids))
    for model_id in requested:
        get_spec(runtime.specs, model_id)  # an unknown id fails before any work
    total = 1 + len(requested) * len(modes)
    on_step(f"ingesting {beir.name}", 0, total)
    corpus, ingest_seconds = ingest_beir_corpus(
        beir, requested, runtime, show_progress, context_template
    )
    results: dict[str, dict[str, ModeResult]] = {}
    for number, model_id in enumerate(requested):
        retriever = runtime.retriever(corpus, model_id)
        results[model_id] = {}
        for position, mode in enumerate(modes):
            on_step(f"{model_id} {mode}", 1 + number * len(modes) + position, total)
            mode_options = (hybrid_options or {}) if mode is SearchMode.HYBRID else {}
            for reranked in (False, True) if rerank else (False,):
                label = f"{mode}{RERANKED}" if reranked else str(mode)
                results[model_id][label] = run_mode(
                    retriever,
                    beir,
                    mode,
                    depth=depth,
                    options={**mode_options, "rerank": reranked},
                    show_progress=show_progress,
                )
    on_step("scoring", total, total)
    chunks = runtime.store.collection_info(collection_name(corpus, requested[0])).points
    return DatasetRun(beir, corpus, chunks, ingest_seconds, results)


def ingest_beir_corpus(
    beir: BeirSet,
    requested: Sequence[str],
    runtime: Runtime,
    show_progress: bool,
    context_template: str = DEFAULT_TEMPLATE,
) -> tuple[str, dict[str, float]]:
    """The set's corpus name, and the seconds each model spent embedding what was new.

    Models the corpus already holds are kept in step with its file, except those whose spec
    changed since they embedded it or is no longer listed: embedding the whole corpus again
    for a model this run does not score is left to a run that asks for it (its search would
    refuse the stale vectors until then), and a model without a spec cannot embed at all.
    A corpus built with another template than `context_template` is rebuilt.
    """
    corpus = corpus_for(beir.name, context_template)
    settings, catalog, specs = runtime.settings, runtime.catalog, runtime.specs
    in_step = [
        model.model_id
        for model in catalog.corpus_models(corpus)
        if model.model_id in specs and specs[model.model_id].spec_hash == model.spec_hash
    ]
    models = [get_spec(specs, model_id) for model_id in dict.fromkeys([*requested, *in_step])]
    stored = catalog.corpus_chunking(corpus)
    rebuild = stored is not None and ChunkingSpec(**stored).context_template != context_template
    if rebuild:
        logger.warning(
            "corpus %s embeds with another context template than %r: rebuilding it",
            corpus,
            context_template,
        )
    options = IngestOptions(
        corpus=corpus,
        models=models,
        recreate=rebuild,
        overlap_tokens=settings.chunk_overlap_tokens,
        context_template=context_template,
        batch_size=settings.embed_batch_size,
        show_progress=show_progress,
    )
    report = ingest_paths([beir.corpus_file], options, index=runtime.index)
    if report.failed:
        raise RuntimeError(report.failed[0].reason)
    for run in report.models:
        logger.info(
            "ingest: %s embedded %d chunks in %.0f s", run.model_id, run.chunks, run.seconds
        )
    return corpus, {run.model_id: round(run.seconds, 1) for run in report.models}
