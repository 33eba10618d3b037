"""`benchmarks speed` on a tiny slice of the real data: documented JSON keys, a finished run.

Timings are never asserted (the machine is shared); only the outputs and the catalog.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from adapters import load_model_specs, placement_for
from adapters.hardware import cpu_bf16_flags
from cli.bench.commands import app
from retrieval import RunStore
from tests.support.corpora import write_textbook_sections
from tests.support.dtypes import in_dtype

TOP_KEYS = {
    "models", "dataset_hash", "commit", "dirty", "machine", "data", "settings", "results",
    "reference", "targets", "schema_version", "kind", "run_id", "started_at", "seconds",
}  # fmt: skip
INGEST_KEYS = {
    "documents", "chunks", "ingest_seconds", "ingest_chunks_per_s", "ingest_chars_per_s",
    "raw_encode_chunks_per_s", "pipeline_vs_raw", "mean_chunk_chars", "query_latency",
    "peak_rss_mb",
}  # fmt: skip
BENCHMARKS = Path(sys.executable).parent / "benchmarks"
LATENCY_KEYS = {"p50_ms", "p95_ms", "p99_ms"}


def _slice(source: Path, target: Path, count: int) -> Path:
    with source.open(encoding="utf-8") as lines:
        target.write_text("".join(islice(lines, count)), encoding="utf-8")
    return target


def _speed_args(tmp_path: Path, shared_data: Path, *args: str) -> list[str]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    write_textbook_sections(shared_data, data, ("m46708-s01", "m46661-s03"))
    queries = _slice(
        shared_data / "eval" / "medquad_cardio_dev" / "queries.jsonl", tmp_path / "q.jsonl", 6
    )
    medquad = _slice(
        shared_data / "medquad" / "medquad_visible.jsonl", tmp_path / "medquad.jsonl", 30
    )
    return ["speed", "--data", str(data), "--queries", str(queries), "--medquad", str(medquad),
            "--sizes", "40", "--sizes", "120", "--quantization", "none", "--quantization", "int8",
            "--real-points", "30", "--data-dir",
            str(tmp_path / "bench"), "--threads", "1", "--quiet", *args]  # fmt: skip


def _speed(tmp_path: Path, shared_data: Path, *args: str) -> Result:
    return CliRunner().invoke(app, _speed_args(tmp_path, shared_data, *args))


def _runs(tmp_path: Path) -> list:
    runs = RunStore(f"sqlite:///{tmp_path / 'bench' / 'catalog.db'}")
    try:
        return runs.benchmark_runs("speed")
    finally:
        runs.close()


@pytest.mark.slow
def test_speed_writes_the_documented_json_and_a_finished_run(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "speed.json"
    # As a user runs it, in a process of its own: nothing that earlier tests left in this
    # process (torch's global state, settings) reaches the measurement.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CARDIORAG_")}
    result = subprocess.run(
        [str(BENCHMARKS), *_speed_args(tmp_path, shared_data, "--json", str(out))],
        env=environment | {"HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(out.read_text())
    assert set(payload) >= TOP_KEYS
    assert payload["kind"] == "speed"
    assert "load_average_1_5_15" in payload["machine"]
    assert set(payload["models"]["minilm"]) == {"base", "adapter", "spec_hash"}
    minilm = payload["results"]["minilm"]
    # Where it ran: the same device and dtype the encoder resolves to, and the CPU's bf16 flags.
    resolved = placement_for(load_model_specs()["minilm"], in_dtype())
    assert (minilm["device"], minilm["dtype"]) == (resolved.device, resolved.dtype)
    assert minilm["cpu_bf16"] == payload["machine"]["cpu_bf16"] == cpu_bf16_flags()
    assert set(minilm["cpu_bf16"]) == {"avx512_bf16", "amx_bf16"}
    assert (payload["reference"]["device"], payload["reference"]["dtype"]) == ("cpu", "float32")
    assert set(minilm["ingest"]) >= INGEST_KEYS
    assert minilm["ingest"]["chunks"] > 0
    # Each size with and without quantization, each measured in a process of its own.
    assert [(row["chunks"], row["quantization"]) for row in minilm["search"]] == [
        (40, "none"), (40, "int8"), (120, "none"), (120, "int8")
    ]  # fmt: skip
    for row in minilm["search"]:
        assert set(row["latency"]) == {"dense", "sparse", "hybrid"}
        assert all(set(latency) == LATENCY_KEYS for latency in row["latency"].values())
        # The store's search alone is part of each query's time (which also embeds it).
        for mode, alone in row["search_latency"].items():
            assert set(alone) == LATENCY_KEYS
            assert alone["p50_ms"] <= row["latency"][mode]["p50_ms"]
        assert 0.0 <= row["recall_at_10"] <= 1.0
        assert 0.0 <= row["near_tie_share"] <= 1.0
        # Built by one process, searched by another that opened it afresh: two memory readings.
        for memory in (row["memory_mb"], row["build_memory_mb"]):
            assert set(memory) >= {"rss_mb", "peak_rss_mb", "anon_mb", "file_mb"}
            assert 0 < memory["rss_mb"] <= memory["peak_rss_mb"]
        assert row["build_memory_mb"]["peak_anon_mb"] >= row["build_memory_mb"]["anon_mb"] > 0
        assert row["open_seconds"] >= 0
        assert row["disk_mb"] > 0
    # Exact search is the float reference, so HNSW over 120 points finds the same top 10.
    assert all(row["recall_at_10"] == 1.0 for row in minilm["search"])
    assert payload["settings"]["quantizations"] == ["none", "int8"]
    assert payload["reference"]["chunks"] > 0
    assert set(minilm["vs_reference"]) >= {"ingest_chunks_per_s", "query_p95"}
    assert set(payload["settings"]["hnsw"]) >= {"m", "ef_construct", "hnsw_ef"}
    (run,) = _runs(tmp_path)
    assert run.status == "finished"
    assert run.results is not None and run.results["run_id"] == run.id
    folder = next((tmp_path / "bench" / "runs").iterdir())
    written = {path.name for path in folder.iterdir()}
    assert {
        "results.json",
        "report.md",
        "latency_vs_size.png",
        "recall_vs_size.png",
        "rss_vs_size.png",
    } <= written
    assert f"| minilm | cpu {resolved.dtype} |" in (folder / "report.md").read_text()
    # The MedQuAD embeddings are cached by spec hash: a second run would not embed them again.
    assert any((tmp_path / "bench" / "speed-cache").glob("medquad-*.npy"))


def test_a_model_without_weights_fails_the_run_with_a_clear_error(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_file = tmp_path / "models.toml"
    models_file.write_text('[models.absent]\nbase = "/nonexistent/weights"\n', encoding="utf-8")
    monkeypatch.setenv("CARDIORAG_MODELS_FILE", str(models_file))
    result = _speed(tmp_path, shared_data, "--model", "absent", "--no-reference")
    assert result.exit_code != 0
    assert "not available offline" in str(result.exception)
    (run,) = _runs(tmp_path)
    assert (run.status, run.results) == ("failed", None)
    assert "/nonexistent/weights" in (run.error or "")
    assert not (tmp_path / "bench" / "runs").exists() or not any(
        (tmp_path / "bench" / "runs").iterdir()
    )
