"""`adapters train`: a LoRA adapter from pairs files and from an ingested corpus.

Its examples are in `adapters --help` (cli/adapters/commands.py), the text users see.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adapters import get_spec
from adapters.context_template import ContextTemplate
from adapters.training import (
    PairFields,
    TextPair,
    TrainingOptions,
    adapter_spec,
    cloze_pairs,
    register_spec,
    span_pairs,
    train_adapter,
    training_data,
)
from cli.options import Common, common_options
from ingest.chunking import ChunkingSpec
from retrieval import Settings, open_runtime

out = Console()

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
    with open_runtime(settings) as runtime:
        documents = runtime.catalog.chunk_texts_by_document(corpus)
        contexts = runtime.catalog.chunk_contexts_by_document(corpus)
        chunking = runtime.catalog.corpus_chunking(corpus) or {}
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


@common_options(threads=True)
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
    *,
    common: Common,
) -> None:
    """Train a LoRA adapter with Multiple Negatives Ranking loss; publish it with its model card."""
    settings = common.settings()
    base_spec = get_spec(settings.model_specs(), base)
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
        placement=settings.placement,
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
