"""`cardiorag bench ingest-memory`: peak memory of ingesting one JSONL file, against its size.

The records are synthesised from real notes: each joins three sentences drawn at random from
the MTSamples cardiology transcriptions (a seeded generator), under the title of the note of
its first sentence, so a million records are real clinical language without a million real
notes. Each size is ingested end to end (stream, check, chunk, catalog, embed, upsert, HNSW)
into a fresh data dir by a fresh process, whose peak RSS (VmHWM) is the figure: memory that
one size leaves behind never counts against the next.

JSON document (`kind` "ingest_memory"): `settings` {model, sizes, threads, batch_size,
quantization, seed},
`data` {notes_file, sentences}, `results` [{records, file_mb, chunks, seconds, chunks_per_s,
baseline_rss_mb, peak_rss_mb, peak_anon_mb}], `targets` {peak_anon_flat_within_20pct}: the
largest peak of anonymous memory at most 1.2 times the smallest. VmHWM (peak_rss_mb) also
counts the store's memory-mapped files, which the kernel can drop; anonymous memory is what
the process holds. `settings.quantization` is the store's: with int8 the float vectors stay
on disk, without it they are in RAM (1.5 KB a chunk for MiniLM) by design.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from adapters import ModelSpec, get_spec
from benchmarks.report import RunOutput, line_plot, markdown_table, provenance, targets_line
from benchmarks.speed.memory import PeakAnonymous, in_fresh_process, memory_mb
from ingest import IngestOptions, ingest_paths
from retrieval import Runtime, Settings, open_runtime
from retrieval.answer.sentences import split_sentences

CORPUS = "memory"
SENTENCES_PER_RECORD = 3
FLAT_WITHIN = 1.2
HEADER = (
    "records", "file MB", "chunks", "seconds", "chunks/s", "RSS before ingest MB",
    "peak RSS MB", "peak anonymous MB",
)  # fmt: skip


def note_sentences(notes_csv: Path) -> tuple[list[str], list[str]]:
    """Every sentence of the notes' transcriptions, and the title of the note it came from."""
    csv.field_size_limit(sys.maxsize)
    sentences: list[str] = []
    titles: list[str] = []
    with notes_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = split_sentences(row.get("transcription") or "")
            sentences += found
            titles += [row.get("sample_name") or "note"] * len(found)
    return sentences, titles


def write_records(notes_csv: Path, count: int, target: Path, seed: int) -> Path:
    """`count` JSONL records of three real note sentences each, written as they are made."""
    sentences, titles = note_sentences(notes_csv)
    rng = np.random.default_rng(seed)
    with target.open("w", encoding="utf-8") as out:
        for start in range(0, count, 100_000):
            picks = rng.integers(0, len(sentences), size=(min(100_000, count - start), 3))
            for offset, chosen in enumerate(picks):
                record = {
                    "id": f"note-{start + offset}",
                    "title": titles[chosen[0]],
                    "text": " ".join(sentences[i] for i in chosen),
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


@dataclass(frozen=True, slots=True)
class SizeMemory:
    """One file size, ingested by a fresh process."""

    records: int
    file_mb: float
    chunks: int
    seconds: float
    chunks_per_s: float
    baseline_rss_mb: float
    peak_rss_mb: float
    peak_anon_mb: float


def _ingest_in_child(settings: Settings, spec: ModelSpec, path: Path, records: int) -> SizeMemory:
    with open_runtime(settings) as runtime:  # the child's own data dir, torch set up
        index = runtime.index
        index.encoder(spec)  # the model in memory before the baseline is read
        baseline = memory_mb()["rss_mb"]
        started = time.perf_counter()
        with PeakAnonymous() as anonymous:
            report = ingest_paths(
                [path], IngestOptions(CORPUS, [spec], batch_size=settings.embed_batch_size),
                index=index,
            )  # fmt: skip
        seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"ingest of {path} failed: {report.failed[0].reason}")
    return SizeMemory(
        records=records,
        file_mb=round(path.stat().st_size / 2**20, 1),
        chunks=report.chunks,
        seconds=round(seconds, 1),
        chunks_per_s=round(report.chunks / seconds, 1),
        baseline_rss_mb=baseline,
        peak_rss_mb=memory_mb()["peak_rss_mb"],
        peak_anon_mb=anonymous.peak_mb,
    )


def measure_size(
    settings: Settings, spec: ModelSpec, notes_csv: Path, records: int, seed: int
) -> SizeMemory:
    """Write the file, then ingest it in a fresh (spawned) process with its own data dir."""
    with tempfile.TemporaryDirectory(prefix="cardiorag-memory-") as scratch:
        path = write_records(notes_csv, records, Path(scratch) / "notes.jsonl", seed)
        child = settings.model_copy(update={"data_dir": Path(scratch) / "data", "sql_url": None})
        return in_fresh_process(_ingest_in_child, child, spec, path, records)


def run_ingest_memory(
    runtime: Runtime,
    model_id: str,
    sizes: Sequence[int],
    notes_csv: Path,
    *,
    seed: int = 0,
    show_progress: bool = False,
) -> RunOutput:
    """Each size in turn; the run's outputs."""
    started = provenance()
    settings, spec = runtime.settings, get_spec(runtime.specs, model_id)
    results = [
        measure_size(settings, spec, notes_csv, size, seed)
        for size in tqdm(sizes, desc="ingest sizes", disable=not show_progress)
    ]
    peaks = [row.peak_anon_mb for row in results]
    payload = {
        **started,
        "kind": "ingest_memory",
        "settings": {
            "model": model_id,
            "sizes": list(sizes),
            "threads": settings.torch_threads,
            "batch_size": settings.embed_batch_size,
            "quantization": str(settings.quantization or "none"),
            "seed": seed,
        },
        "data": {"notes_file": str(notes_csv), "sentences": len(note_sentences(notes_csv)[0])},
        "results": [asdict(row) for row in results],
        "targets": {"peak_anon_flat_within_20pct": max(peaks) <= FLAT_WITHIN * min(peaks)},
    }
    return RunOutput(payload, memory_markdown(payload), memory_figures(payload))


def memory_markdown(payload: dict[str, Any]) -> str:
    """The sizes as a table, with the machine."""
    rows = [
        [f"{row['records']:,}", row["file_mb"], f"{row['chunks']:,}", row["seconds"],
         row["chunks_per_s"], row["baseline_rss_mb"], row["peak_rss_mb"],
         row.get("peak_anon_mb", "-")]
        for row in payload["results"]
    ]  # fmt: skip
    machine, run = payload["machine"], payload["settings"]
    return "\n\n".join(
        [
            f"## Ingest memory ({machine['cpu']}, {machine['cores']} cores, {run['threads']} "
            f"torch threads, {run['model']}, quantization {run.get('quantization', 'none')})",
            "One JSONL file per size, of records synthesised from real note sentences, "
            "ingested end to end by a fresh process; peak RSS is that process's VmHWM.",
            markdown_table(HEADER, rows),
            targets_line(payload["targets"]),
        ]
    )


def memory_figures(payload: dict[str, Any]) -> dict[str, Any]:
    """Peak RSS and the RSS before ingest against the number of records."""
    results = payload["results"]
    anonymous = [(row["records"], row["peak_anon_mb"]) for row in results if "peak_anon_mb" in row]
    series = {
        "peak RSS (VmHWM, with the store's mapped files)": [
            (row["records"], row["peak_rss_mb"]) for row in results
        ],
        "peak anonymous RSS": anonymous,
        "RSS before ingest (model loaded)": [
            (row["records"], row["baseline_rss_mb"]) for row in results
        ],
    }
    if anonymous:
        ceiling = FLAT_WITHIN * min(mb for _, mb in anonymous)
        series[f"target: smallest anonymous peak + {FLAT_WITHIN - 1:.0%}"] = [
            (records, ceiling) for records, _ in anonymous
        ]
    return {"peak_rss_vs_records": line_plot("Ingest peak RSS", "records", "MB", series)}
