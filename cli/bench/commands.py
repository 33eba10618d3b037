"""`benchmarks`: quality, separation, PDF questions, speed and load, each run recorded.

Every run writes results.json, report.md and PNG plots into its own folder under `--out`
(default: `<data dir>/runs`), is stored in the SQL catalog for the UI, and `--json PATH` writes
the JSON document where scripts expect it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from adapters import AdapterError
from adapters.context_template import DEFAULT_TEMPLATE
from adapters.training.pairs import PairFields, read_pairs
from benchmarks.extra import EvalExtraMissingError
from benchmarks.quality.beir import BeirFormatError, BeirSet, read_beir
from benchmarks.quality.calibration import off_topic_questions, run_calibration, write_calibrations
from benchmarks.quality.fusion import compare_fusions
from benchmarks.quality.paired_runs import RunsNotComparableError, compare_runs, comparison_markdown
from benchmarks.quality.retrieval_quality import QualityOptions, resolve_dataset, run_quality
from benchmarks.quality.separation import run_separation, sample_pairs
from benchmarks.report import file_hash, save_figures
from benchmarks.views import RENDERERS, render
from cli.bench.pdf_questions import pdf_questions
from cli.bench.runs import BenchRun, Models, Seed, bench_options, console
from cli.bench.scale import ingest_memory, load, rerank_latency, speed
from cli.bench.shorthand import shorthand
from cli.console import run_app
from cli.datasets import app as datasets_app
from cli.options import Common, DebugOpt, common_options
from retrieval import (
    DEFAULT_FUSION,
    FusionMethod,
    RetrievalError,
    SearchMode,
    Settings,
    open_runtime,
)
from retrieval.store.query import DEFAULT_RRF_K

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)
app.add_typer(datasets_app, name="datasets", help="Download and convert the public data sets.")

Modes = Annotated[
    list[SearchMode] | None,
    typer.Option("--mode", help="Search mode; repeat for several [default: all three]."),
]

ComparisonJson = Annotated[
    Path | None, typer.Option("--json", help="Also write the comparison's JSON here.")
]

FAILURES = (
    AdapterError,
    RetrievalError,
    BeirFormatError,
    EvalExtraMissingError,
    FileNotFoundError,
    RuntimeError,
)


def _read_sets(names: list[str], settings: Settings) -> list[BeirSet]:
    """The BEIR sets named (folders, or names under the data roots' eval/), checked.

    Raises:
        typer.BadParameter: A set that is missing or not a usable BEIR folder.
    """
    roots = [settings.datasets_dir, settings.data_dir / "data"]
    try:
        return [read_beir(resolve_dataset(name, roots)) for name in names]
    except (BeirFormatError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="--dataset") from err


@app.command()
@bench_options()
def quality(
    dataset: Annotated[
        str,
        typer.Option(help="BEIR folder, or the name of a set under DATASETS_DIR/eval."),
    ],
    model: Models = None,
    mode: Modes = None,
    fusion: Annotated[
        FusionMethod, typer.Option(help="How hybrid mode fuses dense and sparse.")
    ] = DEFAULT_FUSION,
    rrf_k: Annotated[
        int | None, typer.Option("--rrf-k", min=1, help="RRF constant [default: the API's].")
    ] = None,
    depth: Annotated[
        int, typer.Option(min=10, help="Chunks fetched per query for the evaluated run.")
    ] = 100,
    reference: Annotated[
        bool,
        typer.Option(
            help="Also run a plain LangChain pipeline (title + text, dense) with the first "
            "model's base; it needs the eval extra."
        ),
    ] = False,
    context_template: Annotated[
        str,
        typer.Option(
            "--context-template",
            help="What dense vectors embed (write \\n for a new line; '' for the text alone); "
            "a template other than the default gets a corpus of its own.",
        ),
    ] = DEFAULT_TEMPLATE.replace("\n", "\\n"),
    rerank: Annotated[
        bool,
        typer.Option(
            "--rerank",
            help="Also run each mode reranked (the `reranker` setting), paired against the "
            "mode without it; without this flag, no mode is reranked.",
        ),
    ] = False,
    *,
    run: BenchRun,
) -> None:
    """nDCG@10, Recall@1/10/100, MRR@10, MAP@100 per model and mode, with 95% intervals.

    Each model after the first is tested against it on the same queries (paired); with
    --rerank, each reranked mode against the same mode without reranking.
    """
    if rrf_k is not None and fusion is not FusionMethod.RRF:
        raise typer.BadParameter("applies to --fusion rrf only", param_hint="--rrf-k")
    settings = run.settings()
    if depth > settings.max_results:
        raise typer.BadParameter(
            f"{depth} is past the setting max_results ({settings.max_results}); pass at most "
            "that, or raise CARDIORAG_MAX_RESULTS",
            param_hint="--depth",
        )
    (beir,) = _read_sets([dataset], settings)
    run.record(
        settings,
        "quality",
        beir.name,
        lambda runtime: run_quality(
            beir,
            model or ["minilm"],
            list(dict.fromkeys(mode or list(SearchMode))),
            runtime,
            options=QualityOptions(
                depth=depth,
                fusion=fusion,
                rrf_k=rrf_k,
                seed=run.seed,
                reference=reference,
                context_template=context_template.replace("\\n", "\n"),
                rerank=rerank,
                reranker=settings.reranker,
            ),
            show_progress=run.show_progress,
        ),
    )


@app.command()
def compare(
    first: Annotated[Path, typer.Argument(help="JSON of a quality run (e.g. before a change).")],
    second: Annotated[Path, typer.Argument(help="JSON of another run of the same set.")],
    json_path: ComparisonJson = None,
    seed: Seed = 0,
    debug: DebugOpt = False,
) -> None:
    """Pair two quality runs of one set on the same queries: second minus first, with intervals.

    Each model and mode that both runs hold gets the mean per-query difference in nDCG@10,
    Recall@10 and MRR@10, its 95% bootstrap interval and a paired permutation p-value.
    """
    runs = []
    for path in (first, second):
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as err:
            raise typer.BadParameter(f"{path}: {err}", param_hint="FIRST/SECOND") from err
    try:
        compared = compare_runs(runs[0], runs[1], seed=seed)
    except RunsNotComparableError as err:
        raise typer.BadParameter(str(err), param_hint="FIRST/SECOND") from err
    if json_path is not None:
        json_path.write_text(json.dumps(compared, indent=1), encoding="utf-8")
    console.print(comparison_markdown(compared), markup=False, highlight=False, soft_wrap=True)


@app.command()
@bench_options()
def separation(
    pairs: Annotated[Path, typer.Option(help="JSONL or CSV file of similar pairs.")],
    model: Models = None,
    query_field: Annotated[str, typer.Option(help="Field or column of the query.")] = "query",
    positive_field: Annotated[
        str, typer.Option(help="Field or column of the similar passage.")
    ] = "positive",
    max_pairs: Annotated[
        int | None, typer.Option(min=2, help="Score a seeded sample of this many pairs.")
    ] = 2000,
    *,
    run: BenchRun,
) -> None:
    """The separation score (mean cosine of similar minus different pairs) of each model."""
    settings = run.settings()
    read = read_pairs(pairs, PairFields(query=query_field, positive=positive_field))
    chosen = sample_pairs(read, max_pairs, run.seed)
    run.record(
        settings,
        "separation",
        pairs.name,
        lambda runtime: run_separation(
            chosen,
            model or ["minilm"],
            runtime,
            name=pairs.name,
            dataset_hash=file_hash([pairs]),
            seed=run.seed,
        ),
    )


@app.command()
@bench_options()
def calibrate(
    dataset: Annotated[
        list[str] | None,
        typer.Option(help="BEIR set; repeat [default: openstax_glossary, medquad_cardio_dev]."),
    ] = None,
    model: Models = None,
    mode: Modes = None,
    off_topic: Annotated[
        int, typer.Option(min=0, help="Off-topic MedQuAD questions searched in the textbook.")
    ] = 200,
    write: Annotated[
        bool, typer.Option(help="Merge the curves into retrieval/calibration.json.")
    ] = True,
    rerank: Annotated[
        bool,
        typer.Option(
            "--rerank",
            help="Fit the reranker's curve (the `reranker` setting) on the reranked hits of "
            "every model and mode, instead of one cosine curve per model and mode.",
        ),
    ] = False,
    *,
    run: BenchRun,
) -> None:
    """Fit, per model and mode, the curve from the best hit's cosine to P(it answers)."""
    settings = run.settings()
    sets = _read_sets(dataset or ["openstax_glossary", "medquad_cardio_dev"], settings)
    questions = off_topic_questions(
        settings.datasets_dir / "medquad" / "medquad_visible.jsonl", off_topic, run.seed
    )
    output = run.record(
        settings,
        "calibration",
        "+".join(model or ["minilm"]),
        lambda runtime: run_calibration(
            sets,
            model or ["minilm"],
            list(dict.fromkeys(mode or list(SearchMode))),
            runtime,
            questions,
            show_progress=run.show_progress,
            rerank=rerank,
        ),
    )
    if write:
        write_calibrations(output.payload["calibrations"])


@app.command()
@common_options(threads=True)
def fusion(
    dataset: Annotated[str, typer.Option(help="BEIR folder, or a set name under eval/.")],
    model: Models = None,
    rrf_k: Annotated[int, typer.Option("--rrf-k", min=1, help="RRF's constant.")] = DEFAULT_RRF_K,
    json_path: ComparisonJson = None,
    *,
    common: Common,
) -> None:
    """DBSF against RRF for each model's hybrid search, paired by query (a `quality` corpus)."""
    settings = common.settings()
    (beir,) = _read_sets([dataset], settings)
    with open_runtime(settings) as runtime:
        comparison = compare_fusions(beir, model or ["minilm"], runtime, rrf_k)
    console.print(comparison.table())
    if json_path is not None:
        json_path.write_text(json.dumps(comparison.payload(), indent=2) + "\n", encoding="utf-8")


@app.command()
def show(
    results: Annotated[Path, typer.Argument(help="A run's JSON (results.json or a --json file).")],
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write the run's PNG plots into this folder.")
    ] = None,
) -> None:
    """Print a stored run's report again, and redraw its plots, from its JSON alone."""
    try:
        payload = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise typer.BadParameter(f"{results}: {err}", param_hint="RESULTS") from err
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if kind not in RENDERERS:
        raise typer.BadParameter(
            f"{results}: not a recorded run (its kind is {kind!r}; known: "
            f"{', '.join(sorted(RENDERERS))})",
            param_hint="RESULTS",
        )
    markdown, figures = render(kind, payload)
    console.print(markdown, markup=False, highlight=False, soft_wrap=True)
    for path in save_figures(figures, plots) if plots is not None else []:
        console.print(f"plot: {path}", markup=False, highlight=False)


app.command("speed")(speed)
app.command("load")(load)
app.command("ingest-memory")(ingest_memory)
app.command("rerank-latency")(rerank_latency)
app.command("pdf-questions")(pdf_questions)
app.command("shorthand")(shorthand)


def main() -> None:
    """Console entry point: our errors as one line, not a traceback."""
    run_app(app, FAILURES)
