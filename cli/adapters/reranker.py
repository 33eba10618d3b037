"""`adapters train-reranker`: the cardiology reranker's recipe, as one deterministic command.

Example (the shipped reranker):
    cardiorag adapters train-reranker --medquad ../shared/data/medquad/medquad_visible.jsonl \
        --textbook ../shared/data/textbook/openstax_ap2e_cardiovascular_sections.jsonl \
        --exclude ../shared/data/eval/medquad_cardio_dev --out adapters/trained/cardio-rerank
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from adapters import get_spec
from adapters.training.reranker import NEIGHBOUR_TOKENS, RerankerOptions, run_recipe
from adapters.weights import resolve_base
from benchmarks.report import machine
from cli.options import Common, ThreadsOpt, common_options
from retrieval import open_runtime

DEFAULTS = RerankerOptions()


@common_options()
def train_reranker(
    out_dir: Annotated[Path, typer.Option("--out", help="Reranker folder to write.")],
    medquad: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="MedQuAD JSONL (question, answer).")
    ],
    textbook: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="OpenStax sections JSONL, for spans."),
    ] = None,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(
            exists=True,
            file_okay=False,
            help="BEIR folder whose judged topics stay out of training; repeatable.",
        ),
    ] = None,
    base: Annotated[str, typer.Option(help="Embedding model spec whose base is used.")] = "minilm",
    reranker_id: Annotated[
        str, typer.Option("--id", help="The reranker's id in its record.")
    ] = "cardio-rerank",
    medquad_groups: Annotated[int, typer.Option(min=1, help="MedQuAD passage groups.")] = 2000,
    sentence_groups: Annotated[
        int, typer.Option(min=0, help="MedQuAD groups cut to answer sentences.")
    ] = 1400,
    textbook_groups: Annotated[int, typer.Option(min=0, help="Textbook span groups.")] = 800,
    definition_groups: Annotated[
        int, typer.Option(min=0, help="MedQuAD definition sentence groups (textbook: all).")
    ] = 1200,
    steps: Annotated[int, typer.Option(min=1)] = DEFAULTS.steps,
    groups_per_step: Annotated[int, typer.Option(min=1)] = DEFAULTS.groups_per_step,
    negatives: Annotated[int, typer.Option(min=1)] = DEFAULTS.negatives,
    max_length: Annotated[int, typer.Option(min=32)] = DEFAULTS.max_length,
    body_lr: Annotated[float, typer.Option()] = DEFAULTS.body_learning_rate,
    head_lr: Annotated[float, typer.Option()] = DEFAULTS.head_learning_rate,
    lora_r: Annotated[int, typer.Option(min=1)] = DEFAULTS.lora_r,
    layers: Annotated[
        int | None,
        typer.Option(min=1, help="Keep the base's first N layers (faster); default: all."),
    ] = DEFAULTS.layers,
    full_fine_tune: Annotated[
        bool, typer.Option(help="Train every weight instead of LoRA (a 90 MB folder).")
    ] = False,
    seed: int = DEFAULTS.seed,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    threads: ThreadsOpt = None,
    *,
    common: Common,
) -> None:
    """Train the cross-encoder reranker: LoRA + scoring head, listwise loss, hard negatives."""
    if out_dir.exists() and not overwrite:
        raise typer.BadParameter(f"{out_dir} exists; pass --overwrite", param_hint="--out")
    settings = common.settings(torch_threads=threads)
    with open_runtime(settings) as runtime:  # its model loader only: the encoder outlives it
        base_spec = get_spec(runtime.specs, base)
        base_path = resolve_base(
            base_spec, cache_dir=settings.model_cache_dir, allow_downloads=settings.allow_downloads
        )
        encoder = runtime.models.encoder(
            base_spec.model_copy(
                update={"max_seq_length": NEIGHBOUR_TOKENS, "adapter": None, "adapter_scale": 1.0}
            )
        )
    options = RerankerOptions(
        steps=steps, groups_per_step=groups_per_step, negatives=negatives,
        max_length=max_length, body_learning_rate=body_lr, head_learning_rate=head_lr,
        lora_r=lora_r, lora_alpha=2 * lora_r, layers=layers, full_fine_tune=full_fine_tune,
        seed=seed,
    )  # fmt: skip
    console = Console(stderr=True)
    with Progress(
        TextColumn("training {task.fields[loss]}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeRemainingColumn(),
        console=console,
        disable=common.quiet,
    ) as progress:
        task = progress.add_task("train", total=steps, loss="")
        record = run_recipe(
            base_spec,
            base_path,
            encoder,
            out_dir,
            medquad=medquad,
            textbook=textbook,
            exclude=exclude or [],
            medquad_groups=medquad_groups,
            sentence_groups=sentence_groups,
            textbook_groups=textbook_groups,
            definition_groups=definition_groups,
            options=options,
            command=shlex.join(["cardiorag", "adapters", *sys.argv[2:]]),
            machine=str(machine()["cpu"]),
            reranker_id=reranker_id,
            placement=settings.placement,
            on_step=lambda step, total, loss: progress.update(
                task, completed=step, loss=f"loss {loss:.3f}"
            ),
        )
    heldout = record["heldout"]
    console.print(
        f"wrote {out_dir} in {record['training']['seconds'] / 60:.1f} min; held-out MRR "
        f"{heldout['bi_encoder']['mrr']:.3f} (base encoder) -> {heldout['reranker']['mrr']:.3f}"
    )
