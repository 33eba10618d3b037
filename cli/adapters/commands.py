"""`adapters`: train, evaluate, register and list LoRA adapters for CardioRAG's models.

Examples:
    adapters train --base minilm --pairs ../shared/data/medquad/medquad_visible.jsonl \
        --query-field question --positive-field answer \
        --exclude-queries ../shared/data/eval/medquad_cardio_dev/queries.jsonl \
        --out adapters/trained/minilm-cardio
    adapters train --base minilm --from-corpus cardiology --out my-adapters/minilm-notes
    adapters eval --model minilm-cardio --against minilm
    adapters register my-adapters/minilm-notes --id minilm-notes --base minilm
    adapters list
    adapters train-reranker --medquad medquad_visible.jsonl --out adapters/trained/cardio-rerank
"""

# This module wires the adapters package to the catalog (--from-corpus) and to the retrieval
# benchmarks (eval): it is the one module of `adapters` allowed to import higher layers.

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters import AdapterError, get_spec
from adapters.adapter_files import read_adapter_info, write_adapter_info
from adapters.context_template import ContextTemplate
from adapters.training.cloze_pairs import cloze_pairs
from adapters.training.lora import TrainingOptions, train_adapter
from adapters.training.pairs import (
    PairFields,
    TextPair,
    pair_fingerprint,
    read_pairs,
    training_data,
)
from adapters.training.registry import adapter_spec, register_spec
from adapters.training.span_pairs import span_pairs
from benchmarks.quality.beir import BeirFormatError
from benchmarks.quality.comparison import compare_on_dataset, compare_separation
from cli.adapters.reranker import train_reranker
from cli.console import run_app
from cli.models import model_rows, show_models
from cli.options import (
    Common,
    JsonFlagOpt,
    ThreadsOpt,
    common_options,
)
from ingest.chunking import ChunkingSpec
from retrieval import Catalog, RetrievalError, SearchMode, Settings

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)
app.command("train-reranker")(train_reranker)
out = Console()

DEFAULT_EVAL_SETS = ("openstax_glossary", "medquad_cardio_dev")
QueryFieldOpt = Annotated[
    str, typer.Option(help="Field (JSONL) or column (CSV) of the query text.")
]
PositiveFieldOpt = Annotated[
    str, typer.Option(help="Field or column of the passage that answers the query.")
]
PositiveTitleFieldOpt = Annotated[
    str | None,
    typer.Option(
        "--positive-title-field",
        help="Field or column put in front of the passage, as its context header (e.g. title).",
    ),
]
NegativeFieldOpt = Annotated[
    str, typer.Option(help="Field or column of an optional non-answering passage.")
]


def _corpus_pairs(
    settings: Settings, corpus: str, spans_per_document: int, cloze_per_document: int, seed: int
) -> tuple[list[TextPair], str]:
    """Span pairs and sentence-in-context pairs mined from an ingested corpus, and their label."""
    catalog = Catalog(settings.sql_url_or_default())
    try:
        documents = catalog.chunk_texts_by_document(corpus)
        contexts = catalog.chunk_contexts_by_document(corpus)
        chunking = catalog.corpus_chunking(corpus) or {}
    finally:
        catalog.close()
    # The passages carry the corpus's context header: the adapter learns the vectors it serves.
    template = ContextTemplate(ChunkingSpec(**chunking).context_template if chunking else "")
    headers = {
        doc_id: [template.header(values) for values in values_of_chunks]
        for doc_id, values_of_chunks in contexts.items()
    }
    spans = span_pairs(documents, per_document=spans_per_document, seed=seed, headers=headers)
    cloze = cloze_pairs(documents, per_document=cloze_per_document, seed=seed, headers=headers)
    label = f"corpus {corpus!r} ({len(spans)} span, {len(cloze)} sentence-in-context)"
    return [*spans, *cloze], label


@app.command()
@common_options()
def train(
    base: Annotated[str, typer.Option(help="Spec id of the base model (see `adapters list`).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Adapter folder to write.")],
    pairs: Annotated[
        list[Path] | None, typer.Option("--pairs", help="JSONL or CSV pairs file; repeatable.")
    ] = None,
    query_field: QueryFieldOpt = "query",
    positive_field: PositiveFieldOpt = "positive",
    positive_title_field: PositiveTitleFieldOpt = None,
    negative_field: NegativeFieldOpt = "negative",
    exclude_queries: Annotated[
        list[Path] | None,
        typer.Option(help="BEIR queries.jsonl (or folder, or text file) whose queries to drop."),
    ] = None,
    from_corpus: Annotated[
        str | None, typer.Option(help="Also mine span pairs from this ingested corpus.")
    ] = None,
    spans_per_document: Annotated[
        int,
        typer.Option(min=0, help="Span pairs (DeCLUTR) per document of --from-corpus; 0: none."),
    ] = 2,
    cloze_per_document: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also mine this many (sentence, its chunk without it) pairs per document of "
            "--from-corpus: the inverse cloze task, pairs shaped like a query and its passage.",
        ),
    ] = 0,
    passage_spans: Annotated[
        int,
        typer.Option(min=0, help="Also mine this many span pairs from the passages of --pairs."),
    ] = 0,
    r: Annotated[int, typer.Option("--r", min=1, help="LoRA rank.")] = 16,
    alpha: Annotated[int, typer.Option(min=1, help="LoRA alpha.")] = 32,
    dropout: Annotated[float, typer.Option(min=0.0, max=0.9)] = 0.1,
    target_modules: Annotated[
        list[str] | None,
        typer.Option("--target-module", help="Module to adapt [default: query and value]."),
    ] = None,
    epochs: Annotated[float, typer.Option(min=0.01)] = 1.0,
    lr: Annotated[float, typer.Option(min=0.0)] = 2e-4,
    batch_size: Annotated[int, typer.Option(min=2, help="In-batch negatives + 1.")] = 32,
    mini_batch_size: Annotated[
        int | None,
        typer.Option(
            min=1, help="Embed batches in pieces of this size: same gradients, far less memory."
        ),
    ] = None,
    max_length: Annotated[int, typer.Option(min=8, help="Tokens per text in training.")] = 256,
    warmup: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.1,
    heldout: Annotated[float, typer.Option(min=0.0, max=0.5, help="Held-out fraction.")] = 0.05,
    max_pairs: Annotated[int | None, typer.Option(min=1, help="Cap on training pairs.")] = None,
    hard_negatives: Annotated[
        int, typer.Option(min=0, help="Negatives mined per pair with the base model.")
    ] = 0,
    eval_steps: Annotated[int, typer.Option(min=1, help="Held-out check every N steps.")] = 100,
    patience: Annotated[int, typer.Option(min=1, help="Checks without gain before stop.")] = 3,
    seed: int = 42,
    bf16: Annotated[
        bool | None, typer.Option(help="bf16 autocast [default: where the CPU has native bf16].")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint.")] = False,
    register: Annotated[
        str | None, typer.Option(help="Also register the adapter as this spec id.")
    ] = None,
    threads: ThreadsOpt = None,
    *,
    common: Common,
) -> None:
    """Train a LoRA adapter with Multiple Negatives Ranking loss; publish it with its model card."""
    settings = common.settings(torch_threads=threads)
    specs = settings.model_specs()
    base_spec = get_spec(specs, base)
    if not pairs and not from_corpus:
        raise typer.BadParameter("give --pairs FILE, --from-corpus NAME, or both")
    if from_corpus and not (spans_per_document or cloze_per_document):
        raise typer.BadParameter(
            "--from-corpus needs --spans-per-document or --cloze-per-document above 0"
        )
    if out_dir.exists() and not (overwrite or resume):
        raise typer.BadParameter(f"{out_dir} exists; pass --overwrite", param_hint="--out")
    extra, extra_label = (
        _corpus_pairs(settings, from_corpus, spans_per_document, cloze_per_document, seed)
        if from_corpus
        else ([], "")
    )
    data = training_data(
        pairs or [],
        fields=PairFields(query_field, positive_field, negative_field, positive_title_field),
        exclude=exclude_queries or [],
        extra=extra,
        extra_label=extra_label,
        heldout_fraction=heldout,
        max_pairs=max_pairs,
        passage_spans=passage_spans,
        seed=seed,
    )
    options = TrainingOptions(
        epochs=epochs,
        learning_rate=lr,
        batch_size=batch_size,
        max_seq_length=max_length,
        warmup_ratio=warmup,
        lora_r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=tuple(target_modules) if target_modules else None,
        eval_steps=eval_steps,
        patience=patience,
        hard_negatives=hard_negatives,
        seed=seed,
        bf16=bf16,
        mini_batch_size=mini_batch_size,
    )
    out.print(f"training on {len(data.train)} pairs, {len(data.heldout)} held out")
    result = train_adapter(
        base_spec,
        data,
        out_dir,
        options,
        cache_dir=settings.model_cache_dir,
        overwrite=overwrite,
        resume=resume,
        show_progress=not common.quiet,
        command=shlex.join(["adapters", *sys.argv[1:]]),
    )
    heldout_scores = result.info.heldout
    out.print(
        f"wrote {result.out} in {result.seconds / 60:.1f} min; held-out nDCG@10 "
        f"{heldout_scores['base']['nDCG@10']:.4f} -> {heldout_scores['adapter']['nDCG@10']:.4f}"
    )
    if register:
        spec = adapter_spec(register, result.out, base_spec)
        register_spec(settings.models_file, spec, overwrite=overwrite)
        out.print(f"registered {register!r} in {settings.models_file}")


def _eval_sets(datasets: list[Path] | None, settings: Settings) -> list[Path]:
    """The sets asked for, else those of DEFAULT_EVAL_SETS in the datasets folder (setting)."""
    if datasets:
        return datasets
    folder = settings.datasets_dir / "eval"
    return [folder / name for name in DEFAULT_EVAL_SETS if (folder / name).is_dir()]


def _heldout_pairs(adapter_dir: Path, pairs_file: Path) -> list[TextPair]:
    """The pairs of `pairs_file` that the adapter's training held out (by their fingerprints)."""
    info = read_adapter_info(adapter_dir)
    if info is None or "heldout_fingerprints" not in info.data:
        return read_pairs(pairs_file)
    wanted = set(info.data["heldout_fingerprints"])
    pairs = read_pairs(pairs_file, PairFields(**info.data["fields"]))
    by_fingerprint = {pair_fingerprint(pair): pair for pair in pairs}
    heldout = [pair for fingerprint, pair in by_fingerprint.items() if fingerprint in wanted]
    if not heldout:
        raise AdapterError(f"{pairs_file} holds none of {adapter_dir.name}'s held-out pairs")
    return heldout


@app.command("eval")
@common_options()
def evaluate(
    model: Annotated[str, typer.Option(help="Spec id of the adapted model.")],
    against: Annotated[str, typer.Option(help="Spec id to compare with (its base).")],
    dataset: Annotated[
        list[Path] | None,
        typer.Option(help="BEIR folder; repeatable [default: the two sets in DATASETS_DIR/eval]."),
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(
            help="Pairs file the adapter was trained on: separation on its held-out side."
        ),
    ] = None,
    mode: Annotated[SearchMode, typer.Option(help="Search mode of the retrieval metrics.")] = (
        SearchMode.DENSE
    ),
    update_card: Annotated[
        bool, typer.Option(help="Add the results to the adapter's model card.")
    ] = True,
    threads: ThreadsOpt = None,
    *,
    common: Common,
) -> None:
    """Separation score and nDCG@10 / Recall@10 / MRR@10 of a model beside another, with CIs."""
    settings = common.settings(torch_threads=threads)
    specs = settings.model_specs()
    spec = get_spec(specs, model)
    get_spec(specs, against)
    adapter_dir = Path(spec.adapter) if spec.adapter and Path(spec.adapter).is_dir() else None
    evaluations = []
    if pairs is not None:
        heldout = _heldout_pairs(adapter_dir, pairs) if adapter_dir else read_pairs(pairs)
        evaluations.append({"separation": compare_separation(model, against, heldout, settings)})
        _print_separation(evaluations[-1]["separation"])
    for folder in _eval_sets(dataset, settings):
        try:
            result = compare_on_dataset(
                model, against, folder, settings, mode=mode, show_progress=not common.quiet
            )
        except BeirFormatError as err:
            raise typer.BadParameter(str(err), param_hint="--dataset") from err
        evaluations.append(result)
        _print_comparison(result)
    for evaluation in evaluations:  # the card keeps each scale's results apart
        evaluation["adapter_scale"] = spec.adapter_scale
    info = read_adapter_info(adapter_dir) if adapter_dir else None
    if update_card and info is not None:
        info.evaluations = [
            *[e for e in info.evaluations if not _same_evaluation(e, evaluations)],
            *evaluations,
        ]
        write_adapter_info(adapter_dir, info)
        out.print(f"model card updated: {adapter_dir / 'README.md'}")


def _same_evaluation(old: dict, new: list[dict]) -> bool:
    key = ("dataset", "mode", "against")
    return any(
        all(old.get(k) == candidate.get(k) for k in key)
        and old.get("adapter_scale", 1.0) == candidate.get("adapter_scale", 1.0)
        and ("separation" in old) == ("separation" in candidate)
        for candidate in new
    )


def _print_comparison(result: dict) -> None:
    table = Table(title=f"{result['dataset']}: {result['queries']} queries, {result['mode']}")
    for column in ("metric", result["against"], result["model"], "difference [95% CI]"):
        table.add_column(column, overflow="fold")
    for metric, values in result["metrics"].items():
        difference = values["difference"]
        table.add_row(
            metric,
            f"{values['against']:.4f}",
            f"{values['model']:.4f}",
            f"{difference['mean']:+.4f} [{difference['low']:+.4f}, {difference['high']:+.4f}]",
        )
    out.print(table)


def _print_separation(result: dict) -> None:
    table = Table(title=f"separation score on {result['pairs']} pairs")
    for column in ("model", "similar", "different", "separation [95% CI]"):
        table.add_column(column, overflow="fold")
    for model_id, score in result["scores"].items():
        interval = score["separation"]
        table.add_row(
            model_id,
            f"{score['similar']:.4f}",
            f"{score['different']:.4f}",
            f"{interval['mean']:.4f} [{interval['low']:.4f}, {interval['high']:.4f}]",
        )
    out.print(table)


@app.command("register")
@common_options()
def register_command(
    adapter_dir: Annotated[Path, typer.Argument(help="Adapter folder.", exists=True)],
    spec_id: Annotated[str, typer.Option("--id", help="The new spec's id.")],
    base: Annotated[
        str | None, typer.Option(help="Spec id of the base [default: the one on record].")
    ] = None,
    description: str = "",
    scale: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Weight of the adapter's update; below 1 blends it with the base (WiSE-FT).",
        ),
    ] = 1.0,
    overwrite: Annotated[bool, typer.Option(help="Replace a spec with this id.")] = False,
    *,
    common: Common,
) -> None:
    """Add a spec for an adapter to your models.toml, for `ingest`, the API and the UI."""
    settings = common.settings()
    specs = settings.model_specs()
    info = read_adapter_info(adapter_dir)
    if base is None and info is None:
        raise typer.BadParameter("the adapter has no CardioRAG record; pass --base")
    base_spec = get_spec(specs, base or (info.base_spec if info else ""))
    spec = adapter_spec(spec_id, adapter_dir, base_spec, description=description, scale=scale)
    register_spec(settings.models_file, spec, overwrite=overwrite)
    out.print(f"registered {spec_id!r} ({base_spec.id} + {adapter_dir}) in {settings.models_file}")


@app.command("list")
@common_options()
def list_command(
    as_json: JsonFlagOpt = False,
    *,
    common: Common,
) -> None:
    """Every model spec, its base, adapter and weight, and whether it loads on this machine."""
    settings = common.settings()
    columns = ("id", "base", "adapter", "weight", "runs_on", "offline")
    show_models(model_rows(settings), as_json=as_json, columns=columns)


def main() -> None:
    """Console entry point: CardioRAG errors become one line on stderr."""
    run_app(app, (AdapterError, RetrievalError))


if __name__ == "__main__":
    main()
