"""`benchmarks speed`: ingest throughput, query latency and HNSW recall, beside plain LangChain.

For each model, in one run on one machine:
- our ingest of `--data` end to end (into a temporary data dir), the raw encode rate of the
  same chunks, and dense query latency on that collection (`benchmarks.speed.ingest_speed`);
- query latency p50/p95/p99 (embed + search) per mode, HNSW recall@10 against exact search,
  the build time, RSS and disk at each `--sizes` and `--quantization` on the embedded store,
  each built by a fresh process and searched by another, from real MedQuAD embeddings padded
  with blends of two of them
  (`benchmarks.speed.real_points` says how the points are made);
- the same data and queries through a plain LangChain pipeline
  (`benchmarks.speed.langchain_reference`), and our/their ratios.

JSON document (`schema_version` 1; `kind` "speed"), beside the keys every run has (run_id,
started_at, seconds, commit, dirty, machine with its load average):
- `models`: {id: {base, adapter, spec_hash}}; `dataset_hash`: SHA-256 of the data, query and
  MedQuAD files; `data`: {paths, files, queries_file, queries, medquad_file, points};
- `settings`: {threads, batch_size, sizes, quantizations, modes, real_points, real_chunk_tokens,
  blend_weights, hnsw: {m, ef_construct, full_scan_threshold_kb, hnsw_ef}};
- `results`: {model id: {device, dtype, cpu_bf16: {amx_bf16, avx512_bf16}, ingest: {documents,
  chunks, ingest_seconds, ingest_chunks_per_s,
  ingest_chars_per_s, raw_encode_chunks_per_s, pipeline_vs_raw, mean_chunk_chars,
  query_latency: {p50_ms, p95_ms, p99_ms}, peak_rss_mb}, real_points, points_from_cache,
  search: [{chunks, quantization, build_seconds, open_seconds, latency: {mode: {p50_ms,
  p95_ms, p99_ms}}, search_latency (the store's search alone, same keys), recall_at_10,
  near_tie_share, memory_mb (the searching process's, after the timed queries): {rss_mb,
  peak_rss_mb, anon_mb, file_mb}, build_memory_mb (the building process's, same keys and
  peak_anon_mb), disk_mb}],
  peak_rss_mb, vs_reference: {ingest_chunks_per_s, ingest_chars_per_s, query_p50,
  query_p95} or null}};
- `reference`: {model_path, device, dtype, documents, chunks, ingest_seconds, ingest_chunks_per_s,
  ingest_chars_per_s, mean_chunk_chars, query_latency, peak_rss_mb} or null;
- `targets`: {model id: {ingest_2x_reference, dense_p95_under_30ms_at_100k,
  recall_at_10_at_least_0_95, dense_p95_under_30ms_at_1m, recall_at_10_at_least_0_95_at_1m,
  rss_under_4gb_int8_at_1m}: true, false or null when not measured}; at 1M the worst
  quantization measured counts, except for RSS, which is the int8 run's.
Ratios are ours/theirs for throughput and theirs/ours for latency: above 1 means we are faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters import get_spec
from adapters.hardware import cpu_bf16_flags
from adapters.weights import resolve_base
from benchmarks.report import (
    RunOutput,
    bar_plot_with_intervals,
    file_hash,
    line_plot,
    markdown_table,
    model_provenance,
    provenance,
)
from benchmarks.speed.ingest_speed import IngestSpeed, measure_ingest
from benchmarks.speed.langchain_reference import ReferenceSpeed, measure_reference
from benchmarks.speed.memory import peak_rss_mb
from benchmarks.speed.real_points import BLEND_WEIGHTS, real_points
from benchmarks.speed.search_speed import (
    HNSW_SETTINGS,
    SizeJob,
    SizeResult,
    measure_in_fresh_processes,
    read_queries,
)
from ingest.loaders import discover_files
from retrieval import Runtime, SearchMode

TARGET_RATIO = 2.0
TARGET_P95_MS = 30.0
TARGET_RECALL = 0.95
TARGET_SIZE = 100_000
LARGE_SIZE = 1_000_000
TARGET_RSS_MB = 4096
INGEST_HEADER = (
    "model", "device dtype", "chunks", "ingest chunks/s", "raw encode chunks/s", "pipeline/raw",
    "x reference", "x reference chars/s", "query p50 / p95 ms", "x reference p95", "peak RSS MB",
)  # fmt: skip
SEARCH_HEADER = (
    "model", "device dtype", "chunks", "quantization", "mode", "p50 ms", "p95 ms", "p99 ms",
    "search alone p50 / p95 ms", "recall@10", "near-tie share", "upsert + HNSW s", "open s",
    "search RSS MB (anon + file)", "build peak RSS MB", "disk MB",
)  # fmt: skip


DEFAULT_SIZES = (1_000, 10_000, 100_000)
# MedQuAD cut into 48-token pieces gives over 100k distinct real chunks, so recall at 100k is
# measured on real vectors, not on jittered copies (which tie in exact search).
REAL_POINTS = 100_000
REAL_CHUNK_TOKENS = 48


@dataclass(frozen=True, slots=True)
class SpeedOptions:
    """What a speed run measures; recorded in its JSON document."""

    data: tuple[Path, ...]
    queries_file: Path
    medquad_file: Path
    sizes: tuple[int, ...] = DEFAULT_SIZES
    quantizations: tuple[str, ...] = ("none",)
    modes: tuple[SearchMode, ...] = tuple(SearchMode)
    query_count: int = 200
    real_points: int = REAL_POINTS
    real_chunk_tokens: int | None = REAL_CHUNK_TOKENS
    reference: bool = True


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 2) if theirs > 0 else None


def _versus(ingest: IngestSpeed, reference: ReferenceSpeed | None) -> dict[str, Any] | None:
    if reference is None:
        return None
    return {
        "ingest_chunks_per_s": _ratio(ingest.ingest_chunks_per_s, reference.ingest_chunks_per_s),
        "ingest_chars_per_s": _ratio(ingest.ingest_chars_per_s, reference.ingest_chars_per_s),
        "query_p50": _ratio(reference.query_latency["p50_ms"], ingest.query_latency["p50_ms"]),
        "query_p95": _ratio(reference.query_latency["p95_ms"], ingest.query_latency["p95_ms"]),
    }


def _dense_p95_under_target(rows: list[dict[str, Any]]) -> bool | None:
    mode = str(SearchMode.DENSE)
    dense = [row["latency"][mode] for row in rows if mode in row["latency"]]
    return None if not dense else all(latency["p95_ms"] < TARGET_P95_MS for latency in dense)


def _recall_at_target(rows: list[dict[str, Any]]) -> bool | None:
    return None if not rows else all(row["recall_at_10"] >= TARGET_RECALL for row in rows)


def _targets(result: dict[str, Any]) -> dict[str, bool | None]:
    def at(size: int) -> list[dict[str, Any]]:
        return [row for row in result["search"] if row["chunks"] == size]

    int8_at_large = [row for row in at(LARGE_SIZE) if row["quantization"] == "int8"]
    versus = result["vs_reference"]
    return {
        "ingest_2x_reference": None
        if versus is None
        else versus["ingest_chunks_per_s"] >= TARGET_RATIO,
        "dense_p95_under_30ms_at_100k": _dense_p95_under_target(at(TARGET_SIZE)),
        "recall_at_10_at_least_0_95": _recall_at_target(at(TARGET_SIZE)),
        "dense_p95_under_30ms_at_1m": _dense_p95_under_target(at(LARGE_SIZE)),
        "recall_at_10_at_least_0_95_at_1m": _recall_at_target(at(LARGE_SIZE)),
        "rss_under_4gb_int8_at_1m": None
        if not int8_at_large
        else all(row["memory_mb"]["rss_mb"] < TARGET_RSS_MB for row in int8_at_large),
    }


def run_speed(
    model_ids: Sequence[str], runtime: Runtime, options: SpeedOptions, *, show_progress: bool
) -> RunOutput:
    """Measure every model (and the reference once per base model); the run's outputs.

    Raises:
        ModelNotFoundError: When a model's weights are not here (before anything is timed).
        RuntimeError: When a data file fails to ingest.
    """
    started = provenance()
    settings, specs = runtime.settings, runtime.specs
    chosen = {model_id: get_spec(specs, model_id) for model_id in dict.fromkeys(model_ids)}
    # Every model loads before any timing: a missing one fails the run at once, not half-way.
    encoders = {model_id: runtime.encoder(model_id) for model_id in chosen}
    files, refused = discover_files(options.data, ("SOURCES.txt", "README*"))
    if refused or not files:
        raise FileNotFoundError(str(refused[0]) if refused else f"no files in {options.data}")
    queries = read_queries(options.queries_file, options.query_count)
    references: dict[str, ReferenceSpeed] = {}
    results: dict[str, dict[str, Any]] = {}
    for model_id, spec in chosen.items():
        encoder = encoders[model_id]
        ingest, _ = measure_ingest(
            options.data, model_id, settings, queries, show_progress=show_progress
        )
        source = resolve_base(spec, cache_dir=settings.model_cache_dir, allow_downloads=False)
        if options.reference and source not in references:
            references[source] = measure_reference(
                source,
                options.data,
                queries,
                threads=settings.torch_threads,
                device=encoder.placement.device,
            )
        real = real_points(
            options.medquad_file,
            encoder,
            options.real_points,
            settings.data_dir / "speed-cache",
            chunk_tokens=options.real_chunk_tokens,
            show_progress=show_progress,
        )
        search: list[SizeResult] = [
            measure_in_fresh_processes(
                SizeJob(
                    settings,
                    spec,
                    options.medquad_file,
                    options.real_points,
                    options.real_chunk_tokens,
                    size,
                    quantization,
                    tuple(queries),
                    options.modes,
                    show_progress,
                )
            )
            for size in options.sizes
            for quantization in options.quantizations
        ]
        results[model_id] = {
            "device": encoder.placement.device,
            "dtype": encoder.placement.dtype,
            "cpu_bf16": cpu_bf16_flags(),
            "ingest": ingest.as_dict(),
            "real_points": len(real.texts),
            "points_from_cache": real.from_cache,
            "search": [row.as_dict() for row in search],
            "peak_rss_mb": peak_rss_mb(),
            "vs_reference": _versus(ingest, references.get(source)),
        }
    payload = {
        "models": model_provenance(specs, list(chosen)),
        "dataset_hash": file_hash([*files, options.queries_file, options.medquad_file]),
        **started,
        "data": {
            "paths": [str(path) for path in options.data],
            "files": len(files),
            "queries_file": str(options.queries_file),
            "queries": len(queries),
            "medquad_file": str(options.medquad_file),
            "points": (
                "distinct chunks of MedQuAD answers embedded by each model; past "
                "`real_points`, blends of two different real chunks' vectors (weight "
                f"{BLEND_WEIGHTS[0]}-{BLEND_WEIGHTS[1]} on the first, renormalised) with the "
                "first one's text and BM25 vector"
            ),
        },
        "settings": {
            "threads": settings.torch_threads,
            "batch_size": settings.embed_batch_size,
            "sizes": list(options.sizes),
            "quantizations": list(options.quantizations),
            "modes": [str(mode) for mode in options.modes],
            "real_points": options.real_points,
            "real_chunk_tokens": options.real_chunk_tokens,
            "blend_weights": list(BLEND_WEIGHTS),
            "hnsw": HNSW_SETTINGS,
        },
        "results": results,
        "reference": next(iter(references.values())).as_dict() if references else None,
        "targets": {model_id: _targets(result) for model_id, result in results.items()},
    }
    return RunOutput(payload, speed_markdown(payload), speed_figures(payload))


def _placement(result: dict[str, Any]) -> str:
    """Where a model ran, e.g. "cpu bfloat16"; "-" for runs recorded before that was kept."""
    return f"{result['device']} {result['dtype']}" if "device" in result else "-"


def _search_alone(row: dict[str, Any], mode: str) -> str:
    """The store's own p50 / p95; "-" for runs recorded before it was kept."""
    alone = row.get("search_latency", {}).get(mode)
    return "-" if alone is None else f"{alone['p50_ms']} / {alone['p95_ms']}"


def _rss(row: dict[str, Any]) -> str:
    """RSS with its anonymous and file-backed parts; "-" for runs recorded before it was kept."""
    memory = row.get("memory_mb")
    if not memory or "rss_mb" not in memory:
        return "-"
    return f"{memory['rss_mb']} ({memory.get('anon_mb', '-')} + {memory.get('file_mb', '-')})"


def speed_markdown(payload: dict[str, Any]) -> str:
    """Tables for people: ingest beside the reference, then latency and recall by size."""
    reference = payload["reference"]
    ingest_rows = []
    for model_id, result in payload["results"].items():
        ingest, versus = result["ingest"], result["vs_reference"] or {}
        ingest_rows.append(
            [model_id, _placement(result), f"{ingest['chunks']:,}", ingest["ingest_chunks_per_s"],
             ingest["raw_encode_chunks_per_s"], ingest["pipeline_vs_raw"],
             versus.get("ingest_chunks_per_s", "-"), versus.get("ingest_chars_per_s", "-"),
             f"{ingest['query_latency']['p50_ms']} / {ingest['query_latency']['p95_ms']}",
             versus.get("query_p95", "-"), result["peak_rss_mb"]]
        )  # fmt: skip
    if reference is not None:
        ingest_rows.append(
            ["LangChain reference", _placement(reference),
             f"{reference['chunks']:,}", reference["ingest_chunks_per_s"],
             "-", "-", 1.0, 1.0,
             f"{reference['query_latency']['p50_ms']} / {reference['query_latency']['p95_ms']}",
             1.0, reference["peak_rss_mb"]]
        )  # fmt: skip
    search_rows = [
        [model_id, _placement(result), f"{row['chunks']:,}", row.get("quantization", "none"),
         mode, latency["p50_ms"], latency["p95_ms"], latency["p99_ms"], _search_alone(row, mode),
         row["recall_at_10"],
         row.get("near_tie_share", "-"), row["build_seconds"], row.get("open_seconds", "-"),
         _rss(row), row.get("build_memory_mb", {}).get("peak_rss_mb", "-"),
         row.get("disk_mb", "-")]
        for model_id, result in payload["results"].items()
        for row in result["search"]
        for mode, latency in row["latency"].items()
    ]  # fmt: skip
    machine = payload["machine"]
    flags = ", ".join(
        f"{flag} {'yes' if has else 'no'}" for flag, has in machine.get("cpu_bf16", {}).items()
    )
    hnsw = payload["settings"]["hnsw"]
    return "\n\n".join(
        [
            f"## Speed ({machine['cpu']}, {machine['cores']} cores, {flags or 'bf16 flags -'}, "
            f"load {machine['load_average_1_5_15']}, {payload['settings']['threads']} torch "
            "threads)",
            f"Ingest of {payload['data']['files']} files ({', '.join(payload['data']['paths'])}); "
            f"query latency is embed + search over {payload['data']['queries']} queries.",
            markdown_table(INGEST_HEADER, ingest_rows),
            f"Points: {payload['data']['points']}. HNSW m={hnsw['m']}, "
            f"ef_construct={hnsw['ef_construct']}, search ef={hnsw['hnsw_ef']}; recall@10 "
            "against exact float search of the same collection; near-tie share: queries whose "
            "10th and 11th exact scores are within 1e-4. Each size and quantization was built by "
            "one fresh process and searched by another, which opened it as a search server "
            "would: its RSS holds the model and the store, read after the timed queries and "
            "before the recall check.",
            markdown_table(SEARCH_HEADER, search_rows),
            "Targets: "
            + "; ".join(
                f"{model_id}: " + ", ".join(f"{name} {value}" for name, value in checks.items())
                for model_id, checks in payload["targets"].items()
            ),
        ]
    )


def speed_figures(payload: dict[str, Any]) -> dict[str, Any]:
    """Latency, recall and RSS against corpus size, and ingest throughput beside the reference."""
    latency: dict[str, list[tuple[float, float]]] = {}
    recall: dict[str, list[tuple[float, float]]] = {}
    memory: dict[str, list[tuple[float, float]]] = {}
    for model_id, result in payload["results"].items():
        by_quantization: dict[str, list[dict[str, Any]]] = {}
        for row in result["search"]:
            by_quantization.setdefault(row.get("quantization", "none"), []).append(row)
        for quantization, rows in by_quantization.items():
            name = model_id if quantization == "none" else f"{model_id} {quantization}"
            for mode in payload["settings"]["modes"]:
                for quantile in ("p50", "p95"):
                    latency[f"{name} {mode} {quantile}"] = [
                        (row["chunks"], row["latency"][mode][f"{quantile}_ms"]) for row in rows
                    ]
            recall[name] = [(row["chunks"], row["recall_at_10"]) for row in rows]
            memory[name] = [
                (row["chunks"], row["memory_mb"]["rss_mb"])
                for row in rows
                if "rss_mb" in row.get("memory_mb", {})
            ]
    reference = payload["reference"]
    if reference is not None:
        latency["LangChain reference p95"] = [
            (reference["chunks"], reference["query_latency"]["p95_ms"])
        ]
    rates = {
        model_id: result["ingest"]["ingest_chunks_per_s"]
        for model_id, result in payload["results"].items()
    }
    if reference is not None:
        rates["LangChain reference"] = reference["ingest_chunks_per_s"]
    return {
        "latency_vs_size": line_plot("Query latency (embed + search)", "chunks", "ms", latency),
        "recall_vs_size": line_plot(
            "HNSW recall@10 against exact search", "chunks", "recall@10", recall
        ),
        "rss_vs_size": line_plot("Search process RSS (model + store)", "chunks", "MB", memory),
        "ingest_throughput": bar_plot_with_intervals(
            "Ingest throughput",
            "chunks/s",
            ["ingest"],
            {name: [(rate, rate, rate)] for name, rate in rates.items()},
        ),
    }
