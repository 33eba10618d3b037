"""`benchmarks`: quality, separation, speed and load under many users, each run recorded.

Every run writes results.json, report.md and PNG plots into its own folder under `--out`
(default: `<data dir>/runs`), is stored in the SQL catalog for the UI, and `--json PATH` writes
the JSON document where scripts expect it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adapters import AdapterError
from adapters.context_template import DEFAULT_TEMPLATE
from adapters.pairs import PairFields, read_pairs
from benchmarks.beir import BeirFormatError, read_beir
from benchmarks.calibration import off_topic_questions, run_calibration, write_calibrations
from benchmarks.fusion import compare_fusions
from benchmarks.ingest_memory import run_ingest_memory
from benchmarks.load import LoadOptions, run_load
from benchmarks.paired_runs import RunsNotComparableError, compare_runs, comparison_markdown
from benchmarks.quality import QualityOptions, resolve_dataset, run_quality
from benchmarks.report import RunOutput, file_hash, recorded_run
from benchmarks.separation import run_separation, sample_pairs
from benchmarks.speed import (
    DEFAULT_SIZES,
    REAL_CHUNK_TOKENS,
    REAL_POINTS,
    SpeedOptions,
    run_speed,
)
from cli.console import run_app
from cli.datasets import app as datasets_app
from cli.options import (
    Common,
    CorpusOpt,
    DebugOpt,
    ThreadsOpt,
    common_options,
)
from retrieval import (
    DEFAULT_FUSION,
    Catalog,
    FusionMethod,
    Quantization,
    RetrievalError,
    SearchMode,
    Settings,
)
from retrieval.query import DEFAULT_RRF_K

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)
app.add_typer(datasets_app, name="datasets", help="Download and convert the public data sets.")
console = Console()

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Store and catalog of the benchmark corpora and runs [default: the app's, so the "
        "web app lists the runs].",
    ),
]
Out = Annotated[
    Path | None, typer.Option("--out", help="Folder of run folders [default: DATA_DIR/runs].")
]
JsonPath = Annotated[
    Path | None, typer.Option("--json", help="Also write the run's JSON document here.")
]
Models = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Model spec id; repeat for several [default: minilm]."),
]
Modes = Annotated[
    list[SearchMode] | None,
    typer.Option("--mode", help="Search mode; repeat for several [default: all three]."),
]
Seed = Annotated[int, typer.Option(help="Seed of bootstrap and permutation resampling.")]

_LOAD_QUERY_SETS = ("medquad_cardio_dev", "openstax_glossary")
FAILURES = (AdapterError, RetrievalError, BeirFormatError, FileNotFoundError, RuntimeError)


def _bench_settings(common: Common, threads: int | None) -> Settings:
    """The command's settings, with the data dir (where runs are kept) made."""
    settings = common.settings(torch_threads=threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _catalog(settings: Settings) -> Catalog:
    catalog = Catalog(settings.sql_url_or_default())
    catalog.create_schema()
    return catalog


def _record_and_show(
    settings: Settings,
    kind: str,
    name: str,
    out: Path | None,
    json_path: Path | None,
    produce: Callable[[], RunOutput],
) -> None:
    """Run `produce` as a recorded run of the catalog, then print its report and folder."""
    catalog = _catalog(settings)
    try:
        with recorded_run(catalog, kind, name, out or settings.data_dir / "runs", json_path) as run:
            run.output = produce()
    finally:
        catalog.close()
    console.print(run.output.markdown, markup=False, highlight=False, soft_wrap=True)
    console.print(f"\nrun {run.run_id}: {run.folder}", markup=False, highlight=False)


@app.command()
@common_options()
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
            "model's base; it needs the dev extra."
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
    out: Out = None,
    json_path: JsonPath = None,
    threads: ThreadsOpt = None,
    seed: Seed = 0,
    *,
    common: Common,
) -> None:
    """nDCG@10, Recall@1/10/100, MRR@10, MAP@100 per model and mode, with 95% intervals.

    Each model after the first is tested against it on the same queries (paired).
    """
    if rrf_k is not None and fusion is not FusionMethod.RRF:
        raise typer.BadParameter("applies to --fusion rrf only", param_hint="--rrf-k")
    settings = _bench_settings(common, threads)
    if depth > settings.max_results:
        raise typer.BadParameter(
            f"{depth} is past the setting max_results ({settings.max_results}); pass at most "
            "that, or raise CARDIORAG_MAX_RESULTS",
            param_hint="--depth",
        )
    try:
        beir = read_beir(
            resolve_dataset(dataset, [settings.datasets_dir, settings.data_dir / "data"])
        )
    except (BeirFormatError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="--dataset") from err
    _record_and_show(
        settings,
        "quality",
        beir.name,
        out,
        json_path,
        lambda: run_quality(
            beir,
            model or ["minilm"],
            list(dict.fromkeys(mode or list(SearchMode))),
            settings,
            options=QualityOptions(
                depth=depth,
                fusion=fusion,
                rrf_k=rrf_k,
                seed=seed,
                reference=reference,
                context_template=context_template.replace("\\n", "\n"),
            ),
            show_progress=not common.quiet and sys.stderr.isatty(),
        ),
    )


@app.command()
def compare(
    first: Annotated[Path, typer.Argument(help="JSON of a quality run (e.g. before a change).")],
    second: Annotated[Path, typer.Argument(help="JSON of another run of the same set.")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the comparison's JSON here.")
    ] = None,
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
@common_options()
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
    out: Out = None,
    json_path: JsonPath = None,
    threads: ThreadsOpt = None,
    seed: Seed = 0,
    *,
    common: Common,
) -> None:
    """The separation score (mean cosine of similar minus different pairs) of each model."""
    settings = _bench_settings(common, threads)
    read = read_pairs(pairs, PairFields(query=query_field, positive=positive_field))
    chosen = sample_pairs(read, max_pairs, seed)
    _record_and_show(
        settings,
        "separation",
        pairs.name,
        out,
        json_path,
        lambda: run_separation(
            chosen,
            model or ["minilm"],
            settings,
            name=pairs.name,
            dataset_hash=file_hash([pairs]),
            seed=seed,
        ),
    )


@app.command()
@common_options()
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
    out: Out = None,
    json_path: JsonPath = None,
    threads: ThreadsOpt = None,
    seed: Seed = 0,
    *,
    common: Common,
) -> None:
    """Fit, per model and mode, the curve from the best hit's cosine to P(it answers)."""
    settings = _bench_settings(common, threads)
    roots = [settings.datasets_dir, settings.data_dir / "data"]
    try:
        sets = [
            read_beir(resolve_dataset(name, roots))
            for name in dataset or ["openstax_glossary", "medquad_cardio_dev"]
        ]
    except (BeirFormatError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="--dataset") from err
    questions = off_topic_questions(
        settings.datasets_dir / "medquad" / "medquad_visible.jsonl", off_topic, seed
    )
    output: list[RunOutput] = []

    def produce() -> RunOutput:
        output.append(
            run_calibration(
                sets,
                model or ["minilm"],
                list(dict.fromkeys(mode or list(SearchMode))),
                settings,
                questions,
                show_progress=not common.quiet and sys.stderr.isatty(),
            )
        )
        return output[0]

    _record_and_show(
        settings, "calibration", "+".join(model or ["minilm"]), out, json_path, produce
    )
    if write:
        write_calibrations(output[0].payload["calibrations"])


@app.command("speed")
@common_options()
def speed(
    data: Annotated[
        list[Path] | None,
        typer.Option(help="File or folder to ingest; repeat [default: DATASETS_DIR/textbook]."),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model spec id; repeat for several [default: minilm]."),
    ] = None,
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
    out: Out = None,
    json_path: JsonPath = None,
    threads: ThreadsOpt = None,
    *,
    common: Common,
) -> None:
    """Ingest chunks/s, query p50/p95/p99 and HNSW recall by size, beside plain LangChain.

    Examples:
        benchmarks speed                                  # minilm, all sizes, with reference
        benchmarks speed -m minilm -m minilm-int8 --json speed.json
        benchmarks speed --sizes 1000 --no-reference --data ../shared/data/notes
        cardiorag bench speed --sizes 1000000 --quantization none --quantization int8
    """
    settings = _bench_settings(common, threads)
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
    _record_and_show(
        settings,
        "speed",
        "+".join(model or ["minilm"]),
        out,
        json_path,
        lambda: run_speed(
            model or ["minilm"],
            settings,
            options,
            show_progress=not common.quiet and sys.stderr.isatty(),
        ),
    )


@app.command()
@common_options()
def fusion(
    dataset: Annotated[str, typer.Option(help="BEIR folder, or a set name under eval/.")],
    model: Models = None,
    rrf_k: Annotated[int, typer.Option("--rrf-k", min=1, help="RRF's constant.")] = DEFAULT_RRF_K,
    threads: ThreadsOpt = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the comparison's JSON here.")
    ] = None,
    *,
    common: Common,
) -> None:
    """DBSF against RRF for each model's hybrid search, paired by query (a `quality` corpus)."""
    settings = _bench_settings(common, threads)
    roots = [settings.datasets_dir, settings.data_dir / "data"]
    try:
        beir = read_beir(resolve_dataset(dataset, roots))
    except (BeirFormatError, FileNotFoundError) as err:
        raise typer.BadParameter(str(err), param_hint="--dataset") from err
    comparison = compare_fusions(beir, model or ["minilm"], settings, rrf_k)
    console.print(comparison.table())
    if json_path is not None:
        json_path.write_text(json.dumps(comparison.payload(), indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Console entry point: our errors as one line, not a traceback."""
    run_app(app, FAILURES)


@app.command()
@common_options()
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
    out: Out = None,
    json_path: JsonPath = None,
    threads: ThreadsOpt = None,
    *,
    common: Common,
) -> None:
    """p50/p95/p99 of searches sent at once to `cardiorag api` on 127.0.0.1 over DATA_DIR.

    Examples:
        cardiorag bench load --data-dir .cardiorag --json load.json
        cardiorag bench load --concurrency 8 --requests 400 --mode dense
    """
    settings = _bench_settings(common, threads)
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
    _record_and_show(
        settings, "load", corpus or "default", out, json_path, lambda: run_load(settings, options)
    )


@app.command("ingest-memory")
@common_options()
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
    seed: Seed = 0,
    out: Out = None,
    json_path: JsonPath = None,
    threads: ThreadsOpt = None,
    *,
    common: Common,
) -> None:
    """Peak RSS of a JSONL ingest (stream, chunk, catalog, embed, store) by number of records.

    Examples:
        cardiorag bench ingest-memory --sizes 10000 --sizes 100000 --json memory.json
    """
    settings = _bench_settings(common, threads)
    notes_csv = notes or settings.datasets_dir / "notes" / "mtsamples_cardiovascular_pulmonary.csv"
    if not notes_csv.is_file():
        raise typer.BadParameter(f"{notes_csv} is not a file", param_hint="--notes")
    chosen = tuple(dict.fromkeys(sizes or (10_000, 100_000, 1_000_000)))
    _record_and_show(
        settings,
        "ingest_memory",
        model,
        out,
        json_path,
        lambda: run_ingest_memory(
            settings,
            model,
            chosen,
            notes_csv,
            seed=seed,
            show_progress=not common.quiet and sys.stderr.isatty(),
        ),
    )
