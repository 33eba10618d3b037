"""`bench load` starts the real API on a loopback port, loads it, and stops it by itself."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters import ModelSpec
from cli.bench.commands import app
from retrieval import Settings
from retrieval.index import open_index
from tests.support.corpora import ingest_with_minilm, write_textbook_sections
from tests.support.paths import MODEL_CACHE


def _corpus(tmp_path: Path, shared_data: Path, specs: dict[str, ModelSpec], loader) -> Path:
    data_dir = tmp_path / "data"
    source = write_textbook_sections(shared_data, tmp_path)
    with open_index(Settings(data_dir=data_dir, model_cache_dir=MODEL_CACHE)) as index:
        report = ingest_with_minilm([source], index.store, index.catalog, specs, loader)
    assert report.ok, report.failed
    return data_dir


@pytest.mark.slow
def test_load_sends_each_level_at_once_and_records_latency_without_errors(
    tmp_path: Path, shared_data: Path, specs: dict[str, ModelSpec], encoder_loader
) -> None:
    data_dir = _corpus(tmp_path, shared_data, specs, encoder_loader)
    queries = tmp_path / "queries.jsonl"
    with (shared_data / "eval" / "medquad_cardio_dev" / "queries.jsonl").open() as lines:
        queries.write_text("".join(islice(lines, 40)))
    out = tmp_path / "load.json"
    result = CliRunner().invoke(
        app,
        ["load", "--data-dir", str(data_dir), "--queries", str(queries), "--concurrency", "1",
         "--concurrency", "8", "--requests", "16", "--threads", "1", "--json", str(out),
         "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["kind"] == "load"
    assert payload["server"]["url"].startswith("http://127.0.0.1:")
    assert [level["concurrency"] for level in payload["levels"]] == [1, 8]
    for level in payload["levels"]:
        assert (level["requests"], level["errors"]) == (16, 0), level["error_samples"]
        assert 0 < level["latency"]["p50_ms"] <= level["latency"]["p95_ms"]
        # The client waits at least as long as the server works on a search.
        assert level["latency"]["p50_ms"] >= level["server_took"]["p50_ms"]
    assert payload["settings"]["queries"] == {
        "files": [str(queries)], "distinct": 40, "repeated": False
    }  # fmt: skip
    assert payload["targets"]["no_errors"] is True
    # The target is judged on the figures the run reports: p95 at 8 concurrent users < 1 s.
    (at_eight,) = [level for level in payload["levels"] if level["concurrency"] == 8]
    assert payload["targets"]["p95_under_1s_at_8"] is (at_eight["latency"]["p95_ms"] < 1000)
    folder = next((data_dir / "runs").iterdir())
    assert {"report.md", "latency_vs_concurrency.png"} <= {p.name for p in folder.iterdir()}


def test_an_api_that_cannot_start_fails_the_run_with_its_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "cardiorag.toml").write_text("")
    models_file = tmp_path / "models.toml"
    models_file.write_text("[models.broken\n")  # not TOML: the API exits while starting
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"_id": "q1", "text": "heart"}\n')
    result = CliRunner().invoke(
        app,
        ["load", "--data-dir", str(data_dir), "--models-file", str(models_file), "--queries",
         str(queries), "--requests", "1", "--quiet"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "the API exited" in str(result.exception)
