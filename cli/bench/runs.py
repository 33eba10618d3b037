"""What every `cardiorag bench` command shares: options, settings, and the recorded run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from benchmarks.report import RunOutput, recorded_run
from cli.options import Common
from retrieval import RunStore, Settings

console = Console()

Out = Annotated[
    Path | None, typer.Option("--out", help="Folder of run folders [default: DATA_DIR/runs].")
]
JsonPath = Annotated[
    Path | None, typer.Option("--json", help="Also write the run's JSON document here.")
]
Seed = Annotated[int, typer.Option(help="Seed of bootstrap and permutation resampling.")]


def bench_settings(common: Common, threads: int | None) -> Settings:
    """The command's settings, with the data dir (where runs are kept) made."""
    settings = common.settings(torch_threads=threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def bench_runs(settings: Settings) -> RunStore:
    """The run store that records the runs, schema made."""
    runs = RunStore(settings.sql_url_or_default())
    runs.create_schema()
    return runs


def record_and_show(
    settings: Settings,
    kind: str,
    name: str,
    out: Path | None,
    json_path: Path | None,
    produce: Callable[[], RunOutput],
) -> None:
    """Run `produce` as a recorded run of the catalog, then print its report and folder."""
    runs = bench_runs(settings)
    try:
        with recorded_run(runs, kind, name, out or settings.data_dir / "runs", json_path) as run:
            run.output = produce()
    finally:
        runs.close()
    console.print(run.output.markdown, markup=False, highlight=False, soft_wrap=True)
    console.print(f"\nrun {run.run_id}: {run.folder}", markup=False, highlight=False)
