"""Which hybrid fusion to default to: DBSF against RRF on the same queries, per model.

`benchmarks quality` tests models against each other; this compares the two fusions of one
model's hybrid search, paired by query, on a set whose corpus `benchmarks quality` ingested.

    python -m benchmarks.fusion --dataset openstax_glossary -m minilm -m mpnet \
        --data-dir .cardiorag/bench2 --json benchmarks/results/fusion_openstax_glossary.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from benchmarks.beir import corpus_for, read_beir, run_mode
from benchmarks.quality import paired_differences, resolve_dataset
from retrieval import FusionMethod, Retriever, SearchMode, Settings
from retrieval.query import DEFAULT_RRF_K

app = typer.Typer(add_completion=False)
METRICS = ("nDCG@10", "Recall@10", "MRR@10")


@app.command()
def main(
    dataset: Annotated[str, typer.Option(help="BEIR folder, or a set name under eval/.")],
    model: Annotated[list[str], typer.Option("--model", "-m", help="Model spec id.")],
    rrf_k: Annotated[int, typer.Option("--rrf-k", min=1)] = DEFAULT_RRF_K,
    data_dir: Annotated[Path | None, typer.Option(help="Where `benchmarks quality` ran.")] = None,
    threads: Annotated[int | None, typer.Option(min=1)] = None,
    json_path: Annotated[Path | None, typer.Option("--json")] = None,
) -> None:
    """Per model: each fusion's means, and DBSF minus RRF with its interval and p-value."""
    settings = Settings.load(data_dir=data_dir, torch_threads=threads)
    settings.configure_torch()
    beir = read_beir(resolve_dataset(dataset, [settings.datasets_dir, settings.data_dir / "data"]))
    fusions = {
        "dbsf": {"fusion": FusionMethod.DBSF},
        f"rrf k={rrf_k}": {"fusion": FusionMethod.RRF, "rrf_k": rrf_k},
    }
    means: dict[str, dict[str, dict[str, float]]] = {}
    differences: dict[str, dict[str, dict[str, float]]] = {}
    for model_id in model:
        with Retriever(corpus_for(beir.name), model_id, settings=settings) as retriever:
            runs = {
                name: run_mode(
                    retriever,
                    beir,
                    SearchMode.HYBRID,
                    depth=100,
                    options=options,
                    show_progress=False,
                )
                for name, options in fusions.items()
            }
        means[model_id] = {name: run.metrics for name, run in runs.items()}
        dbsf, rrf = runs.values()
        differences[model_id] = paired_differences(dbsf, rrf, METRICS)
    table = Table(title=f"{beir.name}: hybrid nDCG@10, DBSF against RRF k={rrf_k}")
    for column in ("model", *fusions, "DBSF - RRF [95% CI]", "p"):
        table.add_column(column)
    for model_id, diff in ((m, d["nDCG@10"]) for m, d in differences.items()):
        table.add_row(
            model_id,
            *(f"{means[model_id][name]['nDCG@10']:.4f}" for name in fusions),
            f"{diff['mean']:+.4f} [{diff['low']:+.4f}, {diff['high']:+.4f}]",
            f"{diff['p_value']:.4f}",
        )
    Console().print(table)
    if json_path is not None:
        payload = {
            "dataset": beir.name,
            "queries": len(beir.queries),
            "results": means,
            "dbsf_minus_rrf": differences,
        }
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
