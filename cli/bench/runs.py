"""What every recorded `cardiorag bench` command shares: its options, settings and run record.

`bench_options` gives a command `--out` and `--json` (where the run's files go), `--seed` and
`--threads` where it takes them, and the common options, as one `BenchRun` argument.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from adapters import ModelSpec
from benchmarks.report import RunOutput, recorded_run
from cli.options import Common, bundled_options, common_options
from retrieval import Runtime, Settings, open_runtime

console = Console()

Out = Annotated[
    Path | None, typer.Option("--out", help="Folder of run folders [default: DATA_DIR/runs].")
]
JsonPath = Annotated[
    Path | None, typer.Option("--json", help="Also write the run's JSON document here.")
]
Seed = Annotated[int, typer.Option(help="Seed of bootstrap and permutation resampling.")]
Models = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Model spec id; repeat for several [default: minilm]."),
]


@dataclass(frozen=True, slots=True)
class BenchRun:
    """A recorded benchmark command's shared options, as given on its command line."""

    common: Common
    out: Path | None
    json_path: Path | None
    seed: int = 0

    @property
    def show_progress(self) -> bool:
        """Progress bars on a terminal, unless `--quiet`."""
        return not self.common.quiet and sys.stderr.isatty()

    def settings(self, **overrides: Any) -> Settings:
        """The command's settings (see `Common.settings`), with the data dir of its runs made."""
        settings = self.common.settings(**overrides)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return settings

    def record(
        self,
        settings: Settings,
        kind: str,
        name: str,
        produce: Callable[[Runtime], RunOutput],
        *,
        specs: dict[str, ModelSpec] | None = None,
    ) -> RunOutput:
        """Run `produce` on the settings' runtime as a recorded run; print its report and folder.

        The runtime records the run in its catalog and `produce` measures with it, so both
        share one catalog, store and model loader. `specs`: see `open_runtime`.
        """
        out_root = self.out or settings.data_dir / "runs"
        with (
            open_runtime(settings, specs=specs) as runtime,
            recorded_run(runtime.runs, kind, name, out_root, self.json_path) as run,
        ):
            run.output = produce(runtime)
        console.print(run.output.markdown, markup=False, highlight=False, soft_wrap=True)
        console.print(f"\nrun {run.run_id}: {run.folder}", markup=False, highlight=False)
        return run.output


def bench_options(
    *, seed: bool = True, threads: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a recorded benchmark its shared options; it receives them as `run: BenchRun`.

    `seed` adds `--seed`; `threads` adds `--threads` (the `torch_threads` setting), for a
    command whose default is the setting's.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("out", keyword, default=None, annotation=Out),
        inspect.Parameter("json_path", keyword, default=None, annotation=JsonPath),
        *([inspect.Parameter("seed", keyword, default=0, annotation=Seed)] if seed else []),
        inspect.Parameter("common", keyword, annotation=Common),
    ]
    recorded = bundled_options("run", parameters, BenchRun)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return common_options(threads=threads)(recorded(command))

    return decorate
