"""`bench ingest-memory`: records made of real note sentences, each size ingested by a fresh
process whose memory is recorded; the run is recorded like every benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.speed.ingest_memory import note_sentences, write_records
from cli.bench.commands import app

NOTES = Path("notes") / "mtsamples_cardiovascular_pulmonary.csv"


def test_records_are_three_real_sentences_with_unique_ids(
    tmp_path: Path, shared_data: Path
) -> None:
    sentences, _ = note_sentences(shared_data / NOTES)
    path = write_records(shared_data / NOTES, 50, tmp_path / "notes.jsonl", seed=3)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len({r["id"] for r in records}) == 50
    known = set(sentences)
    for record in records[:5]:
        # Each record is three sentences of the notes, joined by spaces.
        assert sum(sentence in record["text"] for sentence in known) >= 3
    assert write_records(shared_data / NOTES, 50, tmp_path / "again.jsonl", 3).read_text() == (
        path.read_text()
    )


@pytest.mark.slow
def test_each_size_is_ingested_whole_and_its_memory_recorded(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "memory.json"
    result = CliRunner().invoke(
        app,
        ["ingest-memory", "--sizes", "40", "--sizes", "120", "--quantization", "int8",
         "--data-dir", str(tmp_path / "bench"), "--threads", "1", "--json", str(out), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["kind"] == "ingest_memory"
    assert payload["settings"]["quantization"] == "int8"
    assert [row["records"] for row in payload["results"]] == [40, 120]
    for row in payload["results"]:
        assert row["chunks"] >= row["records"]  # every record went in, none lost
        assert 0 < row["baseline_rss_mb"] <= row["peak_rss_mb"]
        assert 0 < row["peak_anon_mb"] <= row["peak_rss_mb"]
    # The target is judged on the figures the run reports: the largest peak of anonymous
    # memory at most 1.2 times the smallest.
    peaks = [row["peak_anon_mb"] for row in payload["results"]]
    assert payload["targets"]["peak_anon_flat_within_20pct"] is (max(peaks) <= 1.2 * min(peaks))
    folder = next((tmp_path / "bench" / "runs").iterdir())
    assert (folder / "peak_rss_vs_records.png").is_file()
