"""Retrieval quality of dense, sparse and hybrid search on a BEIR-format set, with latency.

Ingests the set's `corpus.jsonl` into its own corpus (`beir-<folder>`) in a persistent data
dir, so a second run only searches (ingest skips unchanged files), then runs every query that
has qrels through `Retriever.search` in each mode and evaluates with ranx.

How the figures are made: see `benchmarks.beir`.

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
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import configure_torch
from benchmarks.beir import (
    METRICS,
    BeirFormatError,
    K,
    evaluate_dataset,
    git_commit,
    read_beir,
)
from retrieval import FusionMethod, Retriever, SearchMode, Settings
from retrieval.logs import configure_logging

logger = logging.getLogger(__name__)

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)


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
    commit, dirty = git_commit()  # before the run: the code that runs, not what came later
    configure_logging(verbose, quiet=quiet)
    try:
        beir = read_beir(dataset)
    except BeirFormatError as err:
        raise typer.BadParameter(str(err), param_hint="--dataset") from err
    settings = Settings.load(data_dir=data_dir, torch_threads=threads)
    configure_torch(settings.torch_threads)
    try:
        evaluated = evaluate_dataset(
            beir,
            model or ["minilm"],
            list(dict.fromkeys(mode or list(SearchMode))),
            settings,
            depth=depth,
            hybrid_options=options,
            show_progress=not quiet and sys.stderr.isatty(),
        )
    except RuntimeError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    results = {
        model_id: {mode_name: result.summary() for mode_name, result in modes.items()}
        for model_id, modes in evaluated.results.items()
    }
    chunks = evaluated.chunks
    print(f"{beir.name}: {len(beir.queries)} queries, {beir.documents} documents, {chunks} chunks")
    print(_table(results))
    if json_path is not None:
        payload = {
            "dataset": beir.name,
            "corpus": evaluated.corpus,
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
            "ingest_seconds": evaluated.ingest_seconds,
            "results": results,
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    app()
