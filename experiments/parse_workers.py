"""Pages per second of parsing a folder of PDFs with 1, 2 and 4 parse workers.

Each count parses every PDF once through `ingest.loaders.parse_ahead`, as `cardiorag ingest
--parse-workers N` does, pool start-up (spawned processes importing the reader) included.

    .venv/bin/python -m experiments.parse_workers DIR --json benchmarks/results/parse_workers.json
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Annotated

import typer

from ingest.loaders import LoadedFile, LoadOptions, ParseJob, file_version, parse_ahead


def pages_per_second(folder: Path, workers: int) -> tuple[int, float]:
    """The pages parsed and the seconds it took with `workers` processes."""
    paths = sorted(folder.glob("*.pdf"))
    jobs = [
        ParseJob(path, data, file_version(path, data))
        for path in paths
        if (data := path.read_bytes())
    ]
    started = time.perf_counter()
    pages = sum(
        document.pages or 0
        for _, parsed in parse_ahead(jobs, LoadOptions(), workers)
        if isinstance(parsed, LoadedFile)
        for document in parsed.documents
    )
    return pages, time.perf_counter() - started


def main(
    folder: Annotated[Path, typer.Argument(help="A folder of PDFs.")],
    json_path: Annotated[Path | None, typer.Option("--json")] = None,
) -> None:
    """Parse the folder's PDFs with 1, 2 and 4 workers; print pages/s, write JSON."""
    rows = []
    for workers in (1, 2, 4):
        pages, seconds = pages_per_second(folder, workers)
        rows.append({"workers": workers, "pages": pages, "seconds": round(seconds, 2),
                     "pages_per_s": round(pages / seconds, 1)})  # fmt: skip
        typer.echo(f"{workers} workers: {pages} pages in {seconds:.1f} s, {pages / seconds:.1f}/s")
    if json_path is not None:
        machine = {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()}
        json_path.write_text(json.dumps({"folder": folder.name, **machine, "runs": rows}, indent=1))


if __name__ == "__main__":
    typer.run(main)
