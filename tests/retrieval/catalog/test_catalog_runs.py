"""Benchmark runs and relevance judgments, in a RunStore on the catalog's database."""

from __future__ import annotations

import doctest

import pytest

import retrieval.catalog.runs
from retrieval import Catalog, RunStore

CORPUS = "cardiology"


@pytest.fixture
def runs(catalog: Catalog) -> RunStore:
    """A run store on the catalog's engine, as the app builds it."""
    return RunStore(engine=catalog.engine)


def test_constructor_takes_a_url_or_an_engine_not_both(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="RunStore takes a URL or an Engine, not both"):
        RunStore(catalog.safe_url, engine=catalog.engine)
    with pytest.raises(ValueError, match="not neither"):
        RunStore()


def test_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(retrieval.catalog.runs, verbose=False)
    assert tried > 0
    assert failures == 0


def test_a_benchmark_run_is_running_until_it_finishes_with_results(runs: RunStore) -> None:
    run_id = runs.start_benchmark_run("quality", "openstax_glossary")
    (running,) = runs.benchmark_runs("quality")
    assert (running.status, running.results, running.finished_at) == ("running", None, None)
    runs.finish_benchmark_run(run_id, results={"dataset": "openstax_glossary"})
    (finished,) = runs.benchmark_runs()
    assert finished.status == "finished"
    assert finished.results == {"dataset": "openstax_glossary"}
    assert finished.finished_at is not None
    assert runs.benchmark_runs("speed") == []


def test_a_failed_benchmark_run_keeps_its_reason_and_no_results(runs: RunStore) -> None:
    first = runs.start_benchmark_run("speed", "textbook")
    second = runs.start_benchmark_run("speed", "textbook")
    runs.finish_benchmark_run(second, error="model 'mpnet' has no weights offline")
    newest, oldest = runs.benchmark_runs("speed")
    assert (newest.id, newest.status, newest.results) == (second, "failed", None)
    assert newest.error == "model 'mpnet' has no weights offline"
    assert (oldest.id, oldest.status) == (first, "running")
    with pytest.raises(ValueError, match="not both"):
        runs.finish_benchmark_run(first, results={}, error="x")


def test_a_later_judgment_replaces_the_earlier_one(runs: RunStore) -> None:
    query = "What is the cardiac cycle?"
    runs.record_judgment(CORPUS, query, "minilm", "chunk-1", relevant=True)
    runs.record_judgment(CORPUS, query, "mpnet", "chunk-2", relevant=False)
    runs.record_judgment(CORPUS, query, "mpnet", "chunk-1", relevant=False)
    runs.record_judgment("other", query, "minilm", "chunk-1", relevant=True)
    judged = runs.judgments(CORPUS)
    assert [(j.chunk_id, j.model_id, j.relevant) for j in judged] == [
        ("chunk-1", "mpnet", False),
        ("chunk-2", "mpnet", False),
    ]
