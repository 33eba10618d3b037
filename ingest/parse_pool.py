"""Files parsed in worker processes, ahead of the writes, so a batch is not held to one core.

Parsing a PDF is CPU-bound (PDFium, pdfplumber, Tesseract): one process reads about 18 pages/s
on a 2-core CPU, while a GPU embeds faster than that. With `workers` > 1 the files are parsed
in that many processes (spawned, so no model or thread state is copied into them) while this
one writes and chunks the results, in the files' own order, so the catalog is written by one
process in a fixed order whatever the workers' speed. One worker parses here, in-process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.loaders import LoadedFile, LoadOptions, load_file

# Files handed to the workers ahead of the one being written, per worker: enough to keep each
# busy, few enough that parsed documents do not pile up in memory.
_AHEAD_PER_WORKER = 2


@dataclass(frozen=True, slots=True)
class ParseJob:
    """A file to parse: its bytes (read once, already hashed) and what the run knows of it."""

    path: Path
    data: bytes
    sha256: str


def _parse(job: ParseJob, options: LoadOptions) -> LoadedFile | IngestError:
    """One file's documents, or the error that names why it cannot be read."""
    try:
        return load_file(job.path, job.data, options)
    except IngestError as error:
        return error


def parse_ahead(
    jobs: Iterable[ParseJob], options: LoadOptions, workers: int
) -> Iterator[tuple[ParseJob, LoadedFile | IngestError]]:
    """Each job with its parsed file (or error), in the jobs' order."""
    if workers <= 1:
        for job in jobs:
            yield job, _parse(job, options)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: list[tuple[ParseJob, Future[LoadedFile | IngestError]]] = []
        for job in jobs:
            pending.append((job, pool.submit(_parse, job, options)))
            while len(pending) > workers * _AHEAD_PER_WORKER:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()
