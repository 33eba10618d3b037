"""Background jobs: what they tell the user, and encoders of their own so a search never waits."""

from __future__ import annotations

import threading

import pytest

from adapters import Encoder, ModelSpec
from ingest import IngestReport
from ingest.report import FileFailure, ModelRun
from retrieval import Settings, open_runtime
from ui.jobs.ingest import IngestContext, progress_text, report_summary


@pytest.mark.parametrize(
    ("stage", "done", "total", "text"),
    [
        ("queued", 0, 0, "starting…"),
        ("load mpnet", 0, 1, "loading model mpnet…"),
        ("parse", 2, 3, "reading files: 2 of 3"),
        ("embed mpnet", 0, 1914, "embedding with mpnet: 0 of 1,914 chunks"),
        ("check notes.jsonl", 4000, 0, "checking notes.jsonl: 4,000 records"),
        ("write notes.jsonl", 2000, 0, "writing notes.jsonl: 2,000 records"),
    ],
)
def test_progress_is_told_in_the_units_of_its_stage(
    stage: str, done: int, total: int, text: str
) -> None:
    assert progress_text(stage, done, total) == text


def test_a_reembedding_is_summed_up_by_what_each_model_embedded() -> None:
    report = IngestReport("cardiology", seconds=466.3)
    report.models.append(ModelRun("mpnet", "cardiology__mpnet", 1914, 466.0))
    assert report_summary(report) == "mpnet embedded 1,914 chunks in 466.0 s · 466.3 s in all"


def test_an_ingest_is_summed_up_by_documents_then_models() -> None:
    report = IngestReport("cardiology", added=1, failed=[FileFailure("x.pdf", "bad")], seconds=2)
    report.models.append(ModelRun("minilm", "cardiology__minilm", 3, 1.25))
    assert report_summary(report) == (
        "1 added, 0 updated, 0 unchanged, 0 removed, 1 failed · "
        "minilm embedded 3 chunks in 1.2 s · 2.0 s in all"
    )


def test_a_run_with_nothing_to_do_says_so() -> None:
    assert report_summary(IngestReport("cardiology")) == "nothing to do · 0.0 s in all"


def test_a_search_encodes_while_a_job_holds_its_model(
    settings: Settings,
    specs: dict[str, ModelSpec],
    minilm: Encoder,
) -> None:
    context = IngestContext(open_runtime(settings))
    # An adapter on minilm's base: before, the job and the search shared one base and its lock.
    job_encoder = context.load(specs["minilm-cardio"])
    assert context.load(specs["minilm-cardio"]) is job_encoder  # jobs share theirs
    vectors: list[object] = []
    search = threading.Thread(target=lambda: vectors.append(minilm.encode_queries(["syncope"])))

    with job_encoder._base.lock:  # a job in the middle of a long batch
        search.start()
        search.join(timeout=60)
        searched_meanwhile = not search.is_alive()
    search.join()

    assert searched_meanwhile
    assert len(vectors) == 1
