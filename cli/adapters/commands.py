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

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adapters import AdapterError, get_spec
from adapters.adapter_files import read_adapter_info
from adapters.training import adapter_spec, register_spec
from cli.adapters.evaluate import evaluate
from cli.adapters.reranker import train_reranker
from cli.adapters.train import train
from cli.console import run_app
from cli.models import model_rows, show_models
from cli.options import Common, JsonFlagOpt, common_options
from retrieval import RetrievalError, open_runtime

app = typer.Typer(add_completion=False, help=__doc__, rich_markup_mode=None)
app.command("train")(train)
app.command("eval")(evaluate)
app.command("train-reranker")(train_reranker)
out = Console()


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
    columns = ("id", "base", "adapter", "weight", "runs_on", "offline")
    with open_runtime(common.settings()) as runtime:
        rows = model_rows(runtime)
    show_models(rows, as_json=as_json, columns=columns)


def main() -> None:
    """Console entry point: CardioRAG errors become one line on stderr."""
    run_app(app, (AdapterError, RetrievalError))


if __name__ == "__main__":
    main()
