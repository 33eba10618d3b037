"""`cardiorag bench speed`, `load`, `ingest-memory`, `rerank-latency`: scale and stage costs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.specs import get_reranker_spec
from benchmarks.speed.ingest_and_search import (
    DEFAULT_SIZES,
    REAL_CHUNK_TOKENS,
    REAL_POINTS,
    SpeedOptions,
    run_speed,
)
from benchmarks.speed.ingest_memory import run_ingest_memory
from benchmarks.speed.load import LoadOptions, run_load
from benchmarks.speed.rerank_latency import TEXTBOOK_FILE, run_rerank_latency
from cli.bench.runs import BenchRun, Models, bench_options
from cli.options import CorpusOpt, ThreadsOpt
from retrieval import Quantization, SearchMode

_LOAD_QUERY_SETS = ("medquad_cardio_dev", "openstax_glossary")


@bench_options(seed=False)
def speed(
    data: Annotated[
        list[Path] | None,
        typer.Option(help="File or folder to ingest; repeat [default: DATASETS_DIR/textbook]."),
    ] = None,
    model: Models = None,
    sizes: Annotated[
        list[int] | None,
        typer.Option(
            min=10, help="Chunks for latency and recall; repeat [default: 1k, 10k, 100k]."
        ),
    ] = None,
    mode: Annotated[
        list[SearchMode] | None,
        typer.Option("--mode", help="Search mode timed at each size; repeat [default: all]."),
    ] = None,
    quantization: Annotated[
        list[Quantization] | None,
        typer.Option(help="Dense vectors as stored at each size; repeat [default: none]."),
    ] = None,
    queries: Annotated[
        Path | None,
        typer.Option(help="BEIR queries.jsonl [default: medquad_cardio_dev's]."),
    ] = None,
    query_count: Annotated[int, typer.Option(min=2, help="Queries timed per measure.")] = 200,
    medquad: Annotated[
        Path | None,
        typer.Option(help="MedQuAD JSONL whose answers make the points [default: DATASETS_DIR]."),
    ] = None,
    real_points: Annotated[
        int, typer.Option(min=10, help="Real MedQuAD chunks embedded (cached) per model.")
    ] = REAL_POINTS,
    real_chunk_tokens: Annotated[
        int,
        typer.Option(min=0, help="Token size of those chunks (0: the size ingest cuts)."),
    ] = REAL_CHUNK_TOKENS,
    reference: Annotated[
        bool, typer.Option(help="Also run the plain LangChain pipeline on the same data.")
    ] = True,
    *,
    run: BenchRun,
) -> None:
    """Ingest chunks/s, query p50/p95/p99 and HNSW recall by size, beside plain LangChain.

    Examples:
        benchmarks speed                                  # minilm, all sizes, with reference
        benchmarks speed -m minilm -m minilm-int8 --json speed.json
        benchmarks speed --sizes 1000 --no-reference --data ../shared/data/notes
        cardiorag bench speed --sizes 1000000 --quantization none --quantization int8
    """
    settings = run.settings()
    root = settings.datasets_dir
    options = SpeedOptions(
        data=tuple(data or [root / "textbook"]),
        queries_file=queries or root / "eval" / "medquad_cardio_dev" / "queries.jsonl",
        medquad_file=medquad or root / "medquad" / "medquad_visible.jsonl",
        sizes=tuple(dict.fromkeys(sizes or DEFAULT_SIZES)),
        quantizations=tuple(str(q) for q in dict.fromkeys(quantization or [Quantization.NONE])),
        modes=tuple(dict.fromkeys(mode or SearchMode)),
        query_count=query_count,
        real_points=real_points,
        real_chunk_tokens=real_chunk_tokens or None,
        reference=reference,
    )
    for flag, path in (("--queries", options.queries_file), ("--medquad", options.medquad_file)):
        if not path.is_file():
            raise typer.BadParameter(f"{path} is not a file", param_hint=flag)
    run.record(
        settings,
        "speed",
        "+".join(model or ["minilm"]),
        lambda runtime: run_speed(
            model or ["minilm"], runtime, options, show_progress=run.show_progress
        ),
    )


@bench_options(seed=False)
def load(
    corpus: CorpusOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model spec id [default: the corpus's].")
    ] = None,
    mode: Annotated[SearchMode, typer.Option(help="Search mode of every request.")] = (
        SearchMode.HYBRID
    ),
    concurrency: Annotated[
        list[int] | None,
        typer.Option(min=1, help="Searches at once; repeat [default: 1, 2, 4, 8]."),
    ] = None,
    requests: Annotated[int, typer.Option(min=1, help="Searches sent per level.")] = 120,
    queries: Annotated[
        list[Path] | None,
        typer.Option(help="BEIR queries.jsonl; repeat [default: both eval sets' queries]."),
    ] = None,
    max_seconds: Annotated[
        float, typer.Option(min=1, help="The whole run stops after this long.")
    ] = 900.0,
    *,
    run: BenchRun,
) -> None:
    """p50/p95/p99 of searches sent at once to `cardiorag api` on 127.0.0.1 over DATA_DIR.

    Examples:
        cardiorag bench load --data-dir .cardiorag --json load.json
        cardiorag bench load --concurrency 8 --requests 400 --mode dense
    """
    settings = run.settings()
    eval_root = settings.datasets_dir / "eval"
    default_queries = [eval_root / name / "queries.jsonl" for name in _LOAD_QUERY_SETS]
    options = LoadOptions(
        queries_files=tuple(queries or default_queries),
        corpus=corpus,
        model=model,
        mode=mode,
        concurrency=tuple(dict.fromkeys(concurrency or (1, 2, 4, 8))),
        requests=requests,
        max_seconds=max_seconds,
    )
    for path in options.queries_files:
        if not path.is_file():
            raise typer.BadParameter(f"{path} is not a file", param_hint="--queries")
    # The API reads the models file itself (and reports a broken one); this process loads none.
    run.record(
        settings,
        "load",
        corpus or "default",
        lambda runtime: run_load(runtime.settings, options),
        specs={},
    )


@bench_options()
def ingest_memory(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model spec id that embeds the records.")
    ] = "minilm",
    sizes: Annotated[
        list[int] | None,
        typer.Option(min=1, help="Records per file; repeat [default: 10k, 100k, 1M]."),
    ] = None,
    notes: Annotated[
        Path | None,
        typer.Option(
            help="MTSamples CSV whose sentences make the records [default: DATASETS_DIR]."
        ),
    ] = None,
    quantization: Annotated[
        Quantization,
        typer.Option(help="The store's dense vectors: none (in RAM) or int8 (floats on disk)."),
    ] = Quantization.NONE,
    *,
    run: BenchRun,
) -> None:
    """Peak memory of a JSONL ingest (stream, chunk, catalog, embed, store) by records.

    Examples:
        cardiorag bench ingest-memory --sizes 10000 --sizes 100000 --json memory.json
    """
    settings = run.settings().model_copy(update={"quantization": quantization})
    notes_csv = notes or settings.datasets_dir / "notes" / "mtsamples_cardiovascular_pulmonary.csv"
    if not notes_csv.is_file():
        raise typer.BadParameter(f"{notes_csv} is not a file", param_hint="--notes")
    chosen = tuple(dict.fromkeys(sizes or (10_000, 100_000, 1_000_000)))
    run.record(
        settings,
        "ingest_memory",
        model,
        lambda runtime: run_ingest_memory(
            runtime, model, chosen, notes_csv, seed=run.seed, show_progress=run.show_progress
        ),
    )


@bench_options(threads=False)
def rerank_latency(
    queries: Annotated[int, typer.Option(min=5, help="Questions per candidate count.")] = 40,
    threads: ThreadsOpt = 2,
    *,
    run: BenchRun,
) -> None:
    """p50/p95 ms that reranking 10, 30 and 100 candidates adds, in bf16 and in fp32."""
    settings = run.settings(torch_threads=threads)
    spec = get_reranker_spec(settings.reranker_specs(), settings.reranker or "cardio-rerank")
    run.record(
        settings,
        "rerank_latency",
        spec.id,
        lambda runtime: run_rerank_latency(
            spec,
            runtime,
            medquad=settings.datasets_dir / "medquad" / "medquad_visible.jsonl",
            textbook=settings.datasets_dir / "textbook" / TEXTBOOK_FILE,
            queries=queries,
            seed=run.seed,
        ),
    )
