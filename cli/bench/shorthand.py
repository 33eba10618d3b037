"""`cardiorag bench shorthand`: questions asked abbreviated and spelled out, per reading."""

from __future__ import annotations

from typing import Annotated

import typer

from benchmarks.quality.shorthand_questions import run_shorthand
from cli.bench.runs import BenchRun, bench_options


@bench_options(seed=False)
def shorthand(
    corpus: Annotated[
        str, typer.Option("--corpus", "-c", help="Corpus holding the demo documents.")
    ] = "cardiology",
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec id.")] = "minilm",
    k: Annotated[int, typer.Option("--k", min=1, help="Hits looked at per question.")] = 10,
    rerank: Annotated[bool, typer.Option(help="Also run hybrid reranked.")] = True,
    *,
    run: BenchRun,
) -> None:
    """Recall@k of the answering chunk for both forms of each question, per mode and reading.

    Examples:
        cardiorag bench shorthand --data-dir .cardiorag        # after `make demo-ingest`
        cardiorag bench shorthand -m mpnet --no-rerank --json shorthand_mpnet.json
    """
    run.record(
        run.settings(),
        "shorthand",
        f"{corpus}-{model}",
        lambda runtime: run_shorthand(runtime, corpus, model, k, rerank=rerank),
    )
