"""`benchmarks quality`: retrieval quality of models and modes on a BEIR set, with significance.

Every metric gets a 95% bootstrap interval from its per-query values, and every model after
the first is compared with the first on the same queries: the mean per-query difference with
its bootstrap interval, and a paired permutation test (signs of the per-query differences
flipped at random, scipy.stats.permutation_test) for its p-value. How the runs and metrics are
made: see `benchmarks.quality.evaluation` and `benchmarks.quality.scores`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters import ModelSpec
from adapters.context_template import DEFAULT_TEMPLATE
from adapters.placement import placement_for
from adapters.training.bootstrap import mean_ci
from adapters.weights import resolve_base
from benchmarks.quality.beir import BeirSet
from benchmarks.quality.evaluation import DatasetRun, ModeResult, evaluate_dataset
from benchmarks.quality.scores import METRICS, means, per_query_scores, ranked_documents
from benchmarks.report import (
    RunOutput,
    bar_plot_with_intervals,
    file_hash,
    markdown_table,
    model_provenance,
    provenance,
)
from benchmarks.speed.langchain_reference import ReferenceOptions, reference_quality
from ingest.options import ProgressCallback, no_progress
from retrieval import DEFAULT_FUSION, FusionMethod, Runtime, SearchMode, Settings
from retrieval.search import RERANKED

PERMUTATIONS = 10_000
PLOTTED = ("nDCG@10", "Recall@10")
# Kept per query in the JSON, so that runs made apart can be paired (`benchmarks compare`).
PER_QUERY = ("nDCG@10", "Recall@10", "MRR@10")
# The plain LangChain pipeline's row: dense search only, with the first model's base weights.
REFERENCE = "langchain"
REFERENCE_PIPELINE = (
    "RecursiveCharacterTextSplitter 1000/200 over title + newline + text, HuggingFaceEmbeddings, "
    "QdrantVectorStore :memory: (exact)"
)


def paired_p_value(first: Sequence[float], second: Sequence[float], *, seed: int = 0) -> float:
    """Two-sided p-value that two models' per-query values differ only by chance.

    A paired permutation test: under the null hypothesis each query's two values are
    exchangeable, so the sign of each difference is flipped at random.
    """
    from scipy.stats import permutation_test

    differences = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    if not np.any(differences):
        return 1.0
    result = permutation_test(
        (differences,),
        np.mean,
        permutation_type="samples",
        n_resamples=PERMUTATIONS,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(result.pvalue)


@dataclass(frozen=True, slots=True)
class QualityOptions:
    """What a quality run searched with; recorded in its JSON document."""

    depth: int = 100
    fusion: FusionMethod = DEFAULT_FUSION
    rrf_k: int | None = None
    seed: int = 0
    reference: bool = False  # also run the plain LangChain pipeline (dense)
    context_template: str = DEFAULT_TEMPLATE
    rerank: bool = False  # also run each mode reranked, paired against the mode alone
    reranker: str = ""  # the reranker's id (the `reranker` setting), recorded with the run

    def hybrid_options(self) -> dict[str, Any]:
        """Keyword arguments of `Retriever.search` for hybrid mode."""
        options: dict[str, Any] = {"fusion": self.fusion}
        if self.rrf_k is not None:
            options["rrf_k"] = self.rrf_k
        return options


def _intervals(result: ModeResult, seed: int) -> dict[str, list[float]]:
    return {
        metric: [
            round(estimate.low, 4),
            round(estimate.high, 4),
        ]
        for metric, values in result.per_query.items()
        for estimate in [mean_ci(list(values.values()), seed=seed)]
    }


def paired_differences(
    ours: ModeResult, theirs: ModeResult, metrics: Sequence[str], *, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Per metric: mean per-query difference (ours - theirs), its 95% interval, and p-value."""
    compared = {}
    for metric in metrics:
        queries = sorted(theirs.per_query[metric])
        mine = [ours.per_query[metric][query] for query in queries]
        other = [theirs.per_query[metric][query] for query in queries]
        compared[metric] = {
            **mean_ci(np.subtract(mine, other), seed=seed).as_dict(),
            "p_value": round(paired_p_value(mine, other, seed=seed), 4),
        }
    return compared


def quality_payload(
    evaluated: DatasetRun,
    specs: dict[str, ModelSpec],
    options: QualityOptions,
    started_provenance: dict[str, Any],
) -> dict[str, Any]:
    """The run's JSON document: `results[model][mode][metric]` plus intervals and tests."""
    beir: BeirSet = evaluated.beir
    models = list(evaluated.results)
    first = models[0]
    results, intervals, latency, versus_first, per_query = {}, {}, {}, {}, {}
    versus_first_stage: dict[str, Any] = {}
    for model_id, modes in evaluated.results.items():
        results[model_id] = {mode: result.metrics for mode, result in modes.items()}
        per_query[model_id] = {
            mode: {
                metric: {
                    query: round(value, 4) for query, value in result.per_query[metric].items()
                }
                for metric in PER_QUERY
            }
            for mode, result in modes.items()
        }
        intervals[model_id] = {
            mode: _intervals(result, options.seed) for mode, result in modes.items()
        }
        latency[model_id] = {
            mode: {
                f"p{q}": round(float(np.percentile(result.latencies_ms, q)), 2)
                for q in (50, 95, 99)
            }
            for mode, result in modes.items()
        }
        if model_id != first:
            versus_first[model_id] = {
                mode: paired_differences(
                    result, evaluated.results[first][mode], list(METRICS), seed=options.seed
                )
                for mode, result in modes.items()
                if mode in evaluated.results[first]
            }
        reranked = {
            mode: paired_differences(
                modes[mode + RERANKED], modes[mode], list(METRICS), seed=options.seed
            )
            for mode in modes
            if mode + RERANKED in modes
        }
        if reranked:
            versus_first_stage[model_id] = reranked
    return {
        "dataset": beir.name,
        "dataset_hash": file_hash(beir.files),
        "corpus": evaluated.corpus,
        "queries": len(beir.queries),
        "documents": beir.documents,
        "chunks": evaluated.chunks,
        "qrels_issues": beir.issues.as_dict(),
        "options": {
            "depth_chunks": options.depth,
            "fusion": str(options.fusion),
            "rrf_k": options.rrf_k,
            "seed": options.seed,
            "confidence": 0.95,
            "permutations": PERMUTATIONS,
            "reference": options.reference,
            "context_template": options.context_template,
            "rerank": options.rerank,
            "reranker": options.reranker if options.rerank else None,
        },
        "models": _provenance(specs, models),
        **started_provenance,
        "ingest_seconds": evaluated.ingest_seconds,
        "results": results,
        "intervals": intervals,
        "compared_with": first,
        "versus_first": versus_first,
        "versus_first_stage": versus_first_stage,
        "latency_ms": latency,
        "per_query": per_query,
    }


def _provenance(specs: dict[str, ModelSpec], models: Sequence[str]) -> dict[str, Any]:
    provenance_of = model_provenance(specs, [model for model in models if model != REFERENCE])
    if REFERENCE in models:
        first = specs[models[0]]
        provenance_of[REFERENCE] = {"base": first.base, "pipeline": REFERENCE_PIPELINE}
    return provenance_of


def reference_result(
    beir: BeirSet, spec: ModelSpec, settings: Settings, depth: int, show_progress: bool
) -> ModeResult:
    """The plain LangChain pipeline on the set, with `spec`'s base weights and dtype."""
    placement = placement_for(spec, settings.placement)
    ran = reference_quality(
        str(resolve_base(spec, cache_dir=settings.model_cache_dir, allow_downloads=False)),
        beir.corpus_file,
        beir.queries,
        ReferenceOptions(
            depth=depth,
            threads=settings.torch_threads,
            device=placement.device,
            dtype=str(placement.torch_dtype).removeprefix("torch."),
            progress=show_progress,
        ),
    )
    per_query = per_query_scores(
        beir.qrels, {query: ranked_documents(ids) for query, ids in ran.ranked.items()}
    )
    return ModeResult(means(per_query), per_query, ran.latencies_ms)


def _cell(payload: dict[str, Any], model: str, mode: str, metric: str) -> str:
    low, high = payload["intervals"][model][mode][metric]
    return f"{payload['results'][model][mode][metric]:.3f} [{low:.3f}, {high:.3f}]"


def quality_markdown(payload: dict[str, Any]) -> str:
    """One table of every model and mode, then the paired differences with the first model."""
    header = ["model", "mode", *METRICS, "p50 ms", "p95 ms"]
    rows = [
        [
            model,
            mode,
            *(_cell(payload, model, mode, metric) for metric in METRICS),
            payload["latency_ms"][model][mode]["p50"],
            payload["latency_ms"][model][mode]["p95"],
        ]
        for model, modes in payload["results"].items()
        for mode in modes
    ]
    issues = payload["qrels_issues"]
    lines = [
        f"## {payload['dataset']}: {payload['queries']} queries, {payload['documents']} "
        f"documents, {payload['chunks']} chunks",
        "",
        "Mean over queries with its 95% bootstrap interval.",
        "",
        markdown_table(header, rows),
    ]
    if payload["versus_first"]:
        lines += _differences_table(
            payload["versus_first"],
            f"Difference from {payload['compared_with']} on the same queries: mean [95% "
            "interval] (paired permutation p-value).",
        )
    if payload.get("versus_first_stage"):
        lines += _differences_table(
            payload["versus_first_stage"],
            f"Reranked ({payload['options'].get('reranker')}) minus the same mode without "
            "reranking, on the same queries: mean [95% interval] (paired permutation p-value).",
        )
    if any(issues.values()):
        lines += ["", f"Qrels skipped: {issues}."]
    return "\n".join(lines)


def _differences_table(by_model: dict[str, Any], caption: str) -> list[str]:
    """A caption and one row per model and mode of paired differences."""
    rows = [
        [model, mode, *(difference_cell(by_metric[metric]) for metric in METRICS)]
        for model, modes in by_model.items()
        for mode, by_metric in modes.items()
    ]
    return ["", caption, "", markdown_table(["model", "mode", *METRICS], rows)]


def difference_cell(compared: dict[str, float]) -> str:
    """A paired difference as tables show it: mean [interval] (p-value)."""
    return (
        f"{compared['mean']:+.3f} [{compared['low']:+.3f}, {compared['high']:+.3f}] "
        f"(p={compared['p_value']:.3g})"
    )


def quality_figures(payload: dict[str, Any]) -> dict[str, Any]:
    """One bar plot per headline metric: modes as groups, models as bars, 95% error bars."""
    modes = list(next(iter(payload["results"].values())))
    figures = {}
    for metric in PLOTTED:
        series = {
            model: [
                (
                    payload["results"][model][mode][metric],
                    *payload["intervals"][model][mode][metric],
                )
                if mode in payload["results"][model]
                else (np.nan, np.nan, np.nan)
                for mode in modes
            ]
            for model in payload["results"]
        }
        name = metric.lower().replace("@", "_at_")
        figures[name] = bar_plot_with_intervals(
            f"{payload['dataset']}: {metric}", metric, modes, series
        )
    return figures


def run_quality(
    beir: BeirSet,
    model_ids: Sequence[str],
    modes: Sequence[SearchMode],
    runtime: Runtime,
    *,
    options: QualityOptions,
    show_progress: bool = False,
    on_step: ProgressCallback = no_progress,
) -> RunOutput:
    """Ingest (once), search, score and compare: the run's JSON, Markdown and figures.

    The runtime is the caller's (see `evaluate_dataset`).
    """
    started = provenance()
    evaluated = evaluate_dataset(
        beir,
        model_ids,
        modes,
        runtime,
        depth=options.depth,
        hybrid_options=options.hybrid_options(),
        show_progress=show_progress,
        on_step=on_step,
        context_template=options.context_template,
        rerank=options.rerank,
    )
    if options.reference:
        evaluated.results[REFERENCE] = {
            str(SearchMode.DENSE): reference_result(
                beir, runtime.specs[model_ids[0]], runtime.settings, options.depth, show_progress
            )
        }
    payload = quality_payload(evaluated, runtime.specs, options, started)
    return RunOutput(payload, quality_markdown(payload), quality_figures(payload))


def resolve_dataset(name_or_folder: str, roots: Sequence[Path]) -> Path:
    """A BEIR folder given as a path, or by name under `<root>/eval/` of the data roots.

    Raises:
        FileNotFoundError: When it is neither a folder nor a known name.
    """
    folder = Path(name_or_folder).expanduser()
    if folder.is_dir():
        return folder
    for root in roots:
        candidate = root / "eval" / name_or_folder
        if candidate.is_dir():
            return candidate
    searched = ", ".join(str(root / "eval") for root in roots)
    raise FileNotFoundError(
        f"{name_or_folder!r} is neither a folder nor a dataset name under {searched}; "
        "get the named sets with `benchmarks datasets download all`"
    )
