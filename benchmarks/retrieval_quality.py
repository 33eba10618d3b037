"""Retrieval quality of dense, sparse and hybrid search on a BEIR-format set, with latency.

Ingests the set's `corpus.jsonl` into its own corpus (`beir-<folder>`) in a persistent data
dir, so a second run only searches (ingest skips unchanged files), then runs every query that
has qrels through `Retriever.search` in each mode and evaluates with ranx.

How the figures are made:
- The run for a query is the documents of its best `--depth` chunks (default 100): documents
  are chunked, so a document can be hit several times, and it keeps its best (first) rank,
  scored 1/rank. Evaluating ranks rather than raw scores scores exactly the order the
  Retriever returned: in hybrid mode many fused scores tie, and ranx would otherwise break
  those ties its own way. Metrics @10 are over the top 10 documents of that run; MAP@100
  and Recall@100 are over every document the run holds.
- Searches pass `dedupe=False` (near-duplicate removal would hide chunks of the same
  document from the evaluation; `mmr` stays off, its default).
- Latency is one `search(query, k=10, dedupe=False)` per query, timed with
  `time.perf_counter`: query embedding (dense and hybrid) + the store query + building hits.
  The model is loaded when the Retriever is built and one untimed warm-up query runs first;
  the Retriever's query-vector cache is emptied before each mode, so every timed query is
  embedded afresh.

Examples:
    python -m benchmarks.retrieval_quality --dataset ../shared/data/eval/openstax_glossary \
        --model minilm --model mpnet --json benchmarks/results/retrieval_openstax_glossary.json
    python -m benchmarks.retrieval_quality --dataset ../shared/data/eval/medquad_cardio_dev \
        --mode hybrid --fusion dbsf
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from tqdm.auto import tqdm

from adapters import configure_torch, get_spec, load_encoder, load_model_specs
from ingest import ingest_paths
from ingest.pipeline import run_model_ids
from retrieval import (
    Catalog,
    FusionMethod,
    Hit,
    Retriever,
    SearchMode,
    Settings,
    collection_name,
    open_store,
)
from retrieval.logs import configure_logging

logger = logging.getLogger(__name__)

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)

K = 10  # the cut-off of the headline metrics and of the timed search
METRICS = {
    "nDCG@10": "ndcg@10",
    "Recall@10": "recall@10",
    "MRR@10": "mrr@10",
    "MAP@100": "map@100",
    "Recall@100": "recall@100",
}


@dataclass(frozen=True, slots=True)
class BeirSet:
    """A BEIR-format evaluation set: query texts by id and graded qrels by query id."""

    name: str
    corpus_file: Path
    documents: int
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def read_beir(folder: Path) -> BeirSet:
    """Read `queries.jsonl` and `qrels/test.tsv` (with its header) and count the corpus.

    Only queries with at least one qrel are kept, as BEIR evaluates them.

    Raises:
        typer.BadParameter: When a file of the layout is missing.
    """
    files = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / "test.tsv"]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise typer.BadParameter(
            f"{folder} is not a BEIR folder: missing {', '.join(missing)}", param_hint="--dataset"
        )
    corpus_file, queries_file, qrels_file = files
    documents = sum(1 for line in corpus_file.open(encoding="utf-8") if line.strip())
    qrels: dict[str, dict[str, int]] = {}
    for line in qrels_file.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            query_id, doc_id, score = line.split("\t")
            qrels.setdefault(query_id, {})[doc_id] = int(score)
    queries = {}
    for line in queries_file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if record["_id"] in qrels:
                queries[record["_id"]] = record["text"]
    return BeirSet(folder.name, corpus_file, documents, queries, qrels)


def corpus_for(dataset: str) -> str:
    """The corpus a BEIR set is ingested into: `beir-<folder name>`."""
    return "beir-" + re.sub(r"[^a-z0-9_-]", "-", dataset.lower())


def doc_run(hits: Sequence[Hit]) -> dict[str, float]:
    """Chunk hits as a document run: each `doc_id` scored 1/rank of its best-ranked chunk."""
    run: dict[str, float] = {}
    for hit in hits:
        run[hit.doc_id] = max(run.get(hit.doc_id, 0.0), 1.0 / hit.rank)
    return run


def evaluate_run(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]
) -> dict[str, float]:
    """nDCG@10, Recall@10, MRR@10, MAP@100 and Recall@100 of a `{query: {doc: score}}` run."""
    from ranx import Qrels, Run, evaluate

    # ranx cannot hold a query without documents; one that found nothing scores 0 anyway.
    sentinel = "\x00no-hit"
    filled = {query_id: run.get(query_id) or {sentinel: 0.0} for query_id in qrels}
    scores = evaluate(Qrels.from_dict(qrels), Run.from_dict(filled), list(METRICS.values()))
    return {name: round(float(scores[metric]), 4) for name, metric in METRICS.items()}


def _forget_query_vectors(retriever: Retriever) -> None:
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
) -> dict[str, float]:
    """Search every query in one mode; its metrics and p50/p95 latency in milliseconds."""
    first = next(iter(beir.queries.values()))
    retriever.search(first, K, mode=mode, dedupe=False, **options)  # warm-up, untimed
    _forget_query_vectors(retriever)
    run: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    for query_id, text in tqdm(
        beir.queries.items(),
        desc=f"{retriever.model} {mode}",
        unit="query",
        disable=not show_progress,
    ):
        started = time.perf_counter()
        retriever.search(text, K, mode=mode, dedupe=False, **options)
        latencies.append((time.perf_counter() - started) * 1000)
        run[query_id] = doc_run(retriever.search(text, depth, mode=mode, dedupe=False, **options))
    result = evaluate_run(beir.qrels, run)
    result["p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
    result["p95_ms"] = round(float(np.percentile(latencies, 95)), 2)
    logger.info("%s %s: nDCG@10 %.4f", retriever.model, mode, result["nDCG@10"])
    return result


def _git_commit() -> tuple[str, bool]:
    """HEAD's sha and whether tracked files differ from it ("unknown" outside a checkout)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return sha, bool(status.strip())


def _search_options(
    fusion: FusionMethod, rrf_k: int | None, candidates: int | None
) -> dict[str, Any]:
    """Keyword arguments for `Retriever.search`; refuses knobs this Retriever does not take."""
    accepted = inspect.signature(Retriever.search).parameters
    options: dict[str, Any] = {"fusion": fusion}
    for flag, name, value in (
        ("--rrf-k", "rrf_k", rrf_k),
        ("--candidates", "candidates", candidates),
    ):
        if value is None:
            continue
        if name not in accepted:
            raise typer.BadParameter(
                f"Retriever.search has no {name!r} parameter in this version; leave {flag} out",
                param_hint=flag,
            )
        options[name] = value
    return options


def _table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    columns = [*METRICS, "p50_ms", "p95_ms"]
    lines = [
        "| model | mode | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for model_id, modes in results.items():
        for mode, scores in modes.items():
            values = " | ".join(str(scores[column]) for column in columns)
            lines.append(f"| {model_id} | {mode} | {values} |")
    return "\n".join(lines)


@app.command()
def main(
    dataset: Annotated[
        Path, typer.Option(help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).")
    ] = Path("../shared/data/eval/openstax_glossary"),
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model spec id; repeat for several [default: minilm]."),
    ] = None,
    mode: Annotated[
        list[SearchMode] | None,
        typer.Option("--mode", help="Search mode; repeat for several [default: all three]."),
    ] = None,
    fusion: Annotated[
        FusionMethod, typer.Option(help="How hybrid mode fuses dense and sparse.")
    ] = FusionMethod.RRF,
    depth: Annotated[
        int, typer.Option(min=K, help="Chunks fetched per query for the evaluated run.")
    ] = 100,
    rrf_k: Annotated[
        int | None, typer.Option("--rrf-k", min=1, help="RRF constant (if search takes it).")
    ] = None,
    candidates: Annotated[
        int | None,
        typer.Option(min=1, help="Chunks per hybrid branch before fusion (if search takes it)."),
    ] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Store and catalog, kept between runs.")
    ] = Path(".cardiorag/bench"),
    threads: Annotated[int | None, typer.Option(min=1, help="torch threads.")] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the results as JSON here.")
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log lines.")
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or logs.")] = False,
) -> None:
    """Ingest a BEIR set once per model, search every query in each mode, print a table."""
    options = _search_options(fusion, rrf_k, candidates)
    commit, dirty = _git_commit()  # before the run: the code that runs, not what came later
    configure_logging(verbose, quiet=quiet)
    beir = read_beir(dataset)
    settings = Settings.load(data_dir=data_dir, torch_threads=threads)
    specs = load_model_specs(settings.models_file)
    requested = list(dict.fromkeys(model or ["minilm"]))
    for model_id in requested:
        get_spec(specs, model_id)  # an unknown id fails before any work
    modes = list(dict.fromkeys(mode or list(SearchMode)))
    show_progress = not quiet and sys.stderr.isatty()
    corpus = corpus_for(beir.name)
    configure_torch(settings.torch_threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.sql_url_or_default())
    catalog.create_schema()
    results: dict[str, dict[str, dict[str, float]]] = {}
    with open_store(settings) as store:
        report = ingest_paths(
            [beir.corpus_file],
            corpus=corpus,
            models=[
                get_spec(specs, model_id)
                for model_id in run_model_ids(catalog, corpus, requested, requested[0])
            ],
            store=store,
            catalog=catalog,
            load_encoder=lambda spec: load_encoder(
                spec, cache_dir=settings.model_cache_dir, allow_downloads=settings.allow_downloads
            ),
            overlap_tokens=settings.chunk_overlap_tokens,
            batch_size=settings.embed_batch_size,
            show_progress=show_progress,
        )
        if report.failed:
            typer.echo(f"error: {report.failed[0].reason}", err=True)
            raise typer.Exit(1)
        for run in report.models:
            logger.info(
                "ingest: %s embedded %d chunks in %.0f s", run.model_id, run.chunks, run.seconds
            )
        chunks = store.collection_info(collection_name(corpus, requested[0])).points
        for model_id in requested:
            with Retriever(
                corpus, model_id, settings=settings, store=store, catalog=catalog, specs=specs
            ) as retriever:
                results[model_id] = {
                    str(m): run_mode(
                        retriever,
                        beir,
                        m,
                        depth=depth,
                        options=options if m is SearchMode.HYBRID else {},
                        show_progress=show_progress,
                    )
                    for m in modes
                }
    catalog.close()
    print(f"{beir.name}: {len(beir.queries)} queries, {beir.documents} documents, {chunks} chunks")
    print(_table(results))
    if json_path is not None:
        payload = {
            "dataset": beir.name,
            "corpus": corpus,
            "queries": len(beir.queries),
            "documents": beir.documents,
            "chunks": chunks,
            "depth_chunks": depth,
            "hybrid": {key: str(value) for key, value in options.items()},
            "threads": settings.torch_threads,
            "cpu": platform.processor() or platform.machine(),
            # Latencies depend on what else ran: other work on a 2-core machine inflates them.
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "commit": commit,
            "dirty": dirty,
            "ingest_seconds": {run.model_id: round(run.seconds, 1) for run in report.models},
            "results": results,
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    app()
