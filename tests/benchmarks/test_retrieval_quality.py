"""Smoke test of `python -m benchmarks.retrieval_quality` on a tiny slice of openstax_glossary.

The slice is written to tmp_path from ../shared/data (never copied into the repository): ten
queries, the sections their qrels name, and other sections up to fifteen.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from benchmarks.beir import corpus_for, doc_run
from benchmarks.retrieval_quality import app
from tests.conftest import TINY_BEIR_DOCUMENTS as DOCUMENTS
from tests.conftest import TINY_BEIR_QUERIES as QUERIES
from tests.conftest import write_tiny_beir

# ranx's own warnings (escape sequences in its LaTeX templates, a numba cast), not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:unsafe cast"),
]

METRIC_KEYS = {"nDCG@10", "Recall@10", "MRR@10", "MAP@100", "Recall@100"}


@pytest.fixture
def tiny_beir(shared_data: Path, tmp_path: Path) -> Path:
    return write_tiny_beir(shared_data, tmp_path / "openstax_tiny")


def _run(folder: Path, data_dir: Path, out: Path) -> dict:
    result = CliRunner().invoke(
        app,
        [
            "--dataset",
            str(folder),
            "--model",
            "minilm",
            "--mode",
            "dense",
            "--mode",
            "hybrid",
            "--data-dir",
            str(data_dir),
            "--threads",
            "1",
            "--json",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| minilm | hybrid |" in result.output
    return json.loads(out.read_text())


def test_tiny_set_scores_and_reuses_its_corpus(tiny_beir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "bench"
    first = _run(tiny_beir, data_dir, tmp_path / "first.json")

    assert first["dataset"] == "openstax_tiny"
    assert first["corpus"] == "beir-openstax_tiny"
    assert first["queries"] == QUERIES
    assert first["documents"] == DOCUMENTS
    assert first["chunks"] >= DOCUMENTS
    assert isinstance(first["commit"], str)
    assert set(first["results"]) == {"minilm"}
    assert set(first["results"]["minilm"]) == {"dense", "hybrid"}
    for scores in first["results"]["minilm"].values():
        assert set(scores) == METRIC_KEYS | {"p50_ms", "p95_ms"}
        assert all(0.0 <= scores[key] <= 1.0 for key in METRIC_KEYS)
        assert scores["p50_ms"] > 0
    # A definition finds its section among fifteen: far better than chance.
    assert first["results"]["minilm"]["dense"]["Recall@10"] > 0.5
    assert set(first["ingest_seconds"]) == {"minilm"}

    second = _run(tiny_beir, data_dir, tmp_path / "second.json")

    assert second["ingest_seconds"] == {}  # unchanged corpus: nothing embedded again
    assert second["chunks"] == first["chunks"]
    for mode, scores in second["results"]["minilm"].items():
        for key in METRIC_KEYS:
            assert scores[key] == pytest.approx(first["results"]["minilm"][mode][key])


def test_missing_qrels_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "queries.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["--dataset", str(tmp_path), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "qrels" in result.output


def test_doc_run_keeps_each_documents_best_rank() -> None:
    hits = [
        SimpleNamespace(doc_id=doc_id, rank=rank)
        for rank, doc_id in enumerate(["a", "b", "a", "c", "b"], start=1)
    ]
    run = doc_run(hits)  # type: ignore[arg-type]
    assert run == {"a": pytest.approx(1.0), "b": pytest.approx(0.5), "c": pytest.approx(0.25)}
    assert sorted(run, key=run.__getitem__, reverse=True) == ["a", "b", "c"]


def test_corpus_name_comes_from_the_folder() -> None:
    assert corpus_for("openstax_glossary") == "beir-openstax_glossary"
    assert corpus_for("My Set") == "beir-my-set"
