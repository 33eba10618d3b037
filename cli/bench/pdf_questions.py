"""`cardiorag bench pdf-questions`: clinical questions about the shared PDFs, per search mode."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from benchmarks.quality.pdf_questions import QUESTIONS, run_pdf_questions
from cli.bench.runs import BenchRun, bench_options


@bench_options(seed=False)
def pdf_questions(
    corpus: Annotated[
        str, typer.Option("--corpus", "-c", help="Corpus holding the shared PDFs.")
    ] = "cardiology",
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec id.")] = "minilm",
    k: Annotated[int, typer.Option("--k", min=1, help="Hits looked at per question.")] = 5,
    rerank: Annotated[bool, typer.Option(help="Also run every mode reranked.")] = True,
    questions: Annotated[
        Path,
        typer.Option(
            "--questions",
            exists=True,
            dir_okay=False,
            help="A questions file, e.g. benchmarks/datasets/wild_pdf_questions.json (the "
            "PDFs of `datasets download wild-pdfs`) [default: the 24 about the shared PDFs].",
        ),
    ] = QUESTIONS,
    *,
    run: BenchRun,
) -> None:
    """Share of the PDF questions whose answering chunk (and page) is in the top k, per mode.

    Also whether the app's answer (hybrid, top 3) quotes a sentence that answers.

    Examples:
        cardiorag bench pdf-questions --data-dir .cardiorag        # after `make demo-ingest`
        cardiorag bench pdf-questions -m mpnet --no-rerank --json pdf_questions_mpnet.json
        cardiorag bench pdf-questions -c wild --questions wild_pdf_questions.json
    """
    run.record(
        run.settings(),
        "pdf_questions",
        f"{corpus}-{model}",
        lambda runtime: run_pdf_questions(runtime, corpus, model, k, rerank=rerank, path=questions),
    )
