"""Writing converted data: JSONL/BEIR/CSV writers and folders published atomically.

A dataset folder is written in full under a hidden staging folder beside it and then renamed
into place, so an interrupted run never leaves a half-written folder that looks complete.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.datasets.errors import OutputExistsError
from benchmarks.datasets.sources import Source

logger = logging.getLogger(__name__)


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """One JSON object a line, UTF-8 unescaped as in ../shared/data; returns the count."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> int:
    """A CSV with a header and LF line ends (as pandas writes it); returns the row count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_beir(
    folder: Path,
    corpus: Iterable[Mapping[str, Any]],
    queries: Iterable[Mapping[str, Any]],
    qrels: Iterable[tuple[str, str, int]],
) -> None:
    """The BEIR layout: corpus.jsonl, queries.jsonl and qrels/test.tsv with its header."""
    write_jsonl(folder / "corpus.jsonl", corpus)
    write_jsonl(folder / "queries.jsonl", queries)
    (folder / "qrels").mkdir()
    with (folder / "qrels" / "test.tsv").open("w", encoding="utf-8", newline="") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for query_id, doc_id, score in qrels:
            out.write(f"{query_id}\t{doc_id}\t{score}\n")


def write_credits(folder: Path, source: Source, derived: str, licence_text: str) -> None:
    """SOURCES.txt (provenance and attribution) and LICENSE beside the data.

    LICENSE has no suffix on purpose: `ingest` skips it when it reads the folder.
    """
    (folder / "SOURCES.txt").write_text(source.sources_text(derived), encoding="utf-8")
    (folder / "LICENSE").write_text(licence_text, encoding="utf-8")


def check_free(out: Path, folders: Iterable[str], *, force: bool) -> None:
    """Refuse before any work if an output folder exists and `force` is off."""
    if force:
        return
    for folder in folders:
        if (out / folder).exists():
            raise OutputExistsError(out / folder)


@contextmanager
def staged(out: Path, folders: Sequence[str], *, force: bool) -> Iterator[dict[str, Path]]:
    """Empty staging folders for `folders`; on success each replaces its target under `out`.

    Yields {folder: staging path}. On an exception the staging folders are removed and the
    targets are left as they were.
    """
    check_free(out, folders, force=force)
    token = uuid.uuid4().hex[:8]
    stages = {name: out / f".{name.replace('/', '_')}.{token}.partial" for name in folders}
    try:
        for stage in stages.values():
            stage.mkdir(parents=True)
        yield stages
        for name, stage in stages.items():
            _publish(stage, out / name)
    finally:
        for stage in stages.values():
            shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, target: Path) -> None:
    """Rename `stage` to `target`; an existing target is moved aside first, then deleted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
    if target.exists():
        os.replace(target, old)
    os.replace(stage, target)
    shutil.rmtree(old, ignore_errors=True)
    logger.info("wrote %s", target)
