"""Where every benchmark run goes: a JSON document, a Markdown table, PNG plots, the catalog.

A run is recorded in the catalog as `running` before it starts and only becomes `finished`
once its files are written, so a crash or a bad input never leaves a partial run that looks
complete (the UI lists runs from the catalog). Every run carries its provenance: the git
commit, the models with their spec hashes, the dataset hash and the machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters import ModelSpec
from adapters.hardware import cpu_bf16_flags
from benchmarks.extra import require_eval
from retrieval import RunStore

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SCHEMA_VERSION = 1


def file_hash(paths: Sequence[Path]) -> str:
    """SHA-256 over the files' bytes, in the order given: a dataset's identity by content."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def machine() -> dict[str, Any]:
    """What the timings depend on: CPU, cores, memory, and how busy the machine was."""
    memory_gb = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory_gb = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu_bf16": cpu_bf16_flags(),
        "gpus": _gpu_names(),
        # Other work on a 2-core machine inflates latencies: the load tells a reader whether.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def _gpu_names() -> list[str]:
    """CUDA devices by name (none on a CPU machine); torch is imported by every run anyway."""
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())]


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def model_provenance(specs: dict[str, ModelSpec], model_ids: Sequence[str]) -> dict[str, Any]:
    """Each model's base, adapter and spec hash: the hash changes whenever the vectors would."""
    return {
        model_id: {
            "base": specs[model_id].base,
            "adapter": specs[model_id].adapter,
            "spec_hash": specs[model_id].spec_hash,
        }
        for model_id in model_ids
    }


def git_commit() -> tuple[str, bool]:
    """HEAD's sha and whether tracked files differ from it ("unknown" outside a checkout)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return sha, bool(status.strip())


def provenance() -> dict[str, Any]:
    """Commit (and whether the checkout differed from it) and machine, taken at the start."""
    commit, dirty = git_commit()
    return {"commit": commit, "dirty": dirty, "machine": machine()}


@dataclass(slots=True)
class RunOutput:
    """What a finished run produced: its JSON document, a Markdown report and named figures."""

    payload: dict[str, Any]
    markdown: str
    figures: dict[str, Figure] = field(default_factory=dict)


def run_folder(root: Path, kind: str, name: str, started: dt.datetime) -> Path:
    """`<root>/<timestamp>-<kind>-<name>`: sortable by time, readable by what was measured."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60] or kind
    return root / f"{started:%Y%m%dT%H%M%S}-{kind}-{slug}"


def write_outputs(folder: Path, output: RunOutput, json_path: Path | None = None) -> list[Path]:
    """Write results.json, report.md and one PNG per figure; also the JSON at `json_path`."""
    folder.mkdir(parents=True, exist_ok=True)
    document = json.dumps(output.payload, indent=2, ensure_ascii=False) + "\n"
    written = [folder / "results.json", folder / "report.md"]
    written[0].write_text(document, encoding="utf-8")
    written[1].write_text(output.markdown + "\n", encoding="utf-8")
    written += save_figures(output.figures, folder)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(document, encoding="utf-8")
        written.append(json_path)
    return written


def save_figures(figures: dict[str, Figure], folder: Path) -> list[Path]:
    """One `<name>.png` per figure in `folder`, made if missing."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures.items():
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=120, bbox_inches="tight")
        written.append(path)
    return written


@dataclass(slots=True)
class RecordedRun:
    """A run in progress: set `output` before the block ends to finish it."""

    run_id: int
    folder: Path
    started_at: dt.datetime
    output: RunOutput | None = None
    written: list[Path] = field(default_factory=list)


@contextmanager
def recorded_run(
    runs: RunStore, kind: str, name: str, out_root: Path, json_path: Path | None = None
) -> Iterator[RecordedRun]:
    """Record a run as `running`; on success write its files and mark it `finished`.

    Any exception marks the run `failed` with its message and is re-raised; a block that
    ends without setting `output` fails the run too.
    """
    started = dt.datetime.now(dt.UTC)
    run = RecordedRun(
        runs.start_benchmark_run(kind, name), run_folder(out_root, kind, name, started), started
    )
    try:
        yield run
        if run.output is None:
            raise RuntimeError(f"the {kind} run on {name} produced no results")
        run.output.payload |= {
            "schema_version": SCHEMA_VERSION,
            "kind": kind,
            "run_id": run.run_id,
            "started_at": started.isoformat(timespec="seconds"),
            "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        }
        run.written = write_outputs(run.folder, run.output, json_path)
    except BaseException as error:
        runs.finish_benchmark_run(run.run_id, error=str(error) or type(error).__name__)
        raise
    runs.finish_benchmark_run(run.run_id, results=run.output.payload)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def bar_plot_with_intervals(
    title: str,
    ylabel: str,
    groups: Sequence[str],
    series: dict[str, Sequence[tuple[float, float, float]]],
) -> Figure:
    """Grouped bars (one group per entry of `groups`, one bar per series) with error bars.

    Each series value is (mean, low, high), as bootstrap estimates come.
    """
    require_eval("matplotlib")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(5.0, 1.6 * len(groups) * max(1, len(series)) / 2), 3.6))
    axes = figure.subplots()
    width = 0.8 / max(1, len(series))
    for index, (label, values) in enumerate(series.items()):
        positions = [g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))]
        means = [mean for mean, _, _ in values]
        errors = [
            [mean - low for mean, low, _ in values],
            [high - mean for mean, _, high in values],
        ]
        axes.bar(positions, means, width, yerr=errors, capsize=3, label=label)
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    return figure


def line_plot(
    title: str,
    xlabel: str,
    ylabel: str,
    series: dict[str, Sequence[tuple[float, float]]],
    *,
    log_x: bool = True,
) -> Figure:
    """One line per series through (x, y) points, e.g. latency against corpus size."""
    require_eval("matplotlib")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 3.6))
    axes = figure.subplots()
    for label, points in series.items():
        axes.plot([x for x, _ in points], [y for _, y in points], marker="o", label=label)
    if log_x:
        axes.set_xscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    return figure


def targets_line(targets: dict[str, bool | None]) -> str:
    """`Targets: name True, other False` for a report's last line."""
    return "Targets: " + ", ".join(f"{name} {met}" for name, met in targets.items())
