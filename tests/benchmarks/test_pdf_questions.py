"""The PDF question set: every answer phrase is in the body text the parser gives its PDF, and a
hit answers only from its own PDF; `bench pdf-questions` records its run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.quality.pdf_questions import Passage, Question, read_questions
from cli.bench.commands import app
from ingest.documents import DocPart
from ingest.pdf.loader import load_pdf
from retrieval import Hit, SearchMode
from tests.support.bench import run_question_bench
from tests.support.corpora import CorpusTemplate


@pytest.fixture(scope="module")
def body_texts(shared_data: Path) -> dict[str, str]:
    texts = {}
    for path in sorted((shared_data / "pdfs").glob("*.pdf")):
        document = load_pdf(path, path.read_bytes(), "0" * 64, None)
        body = " ".join(s.text for s in document.sections if s.part is DocPart.BODY)
        texts[path.name] = " ".join(body.split())
    return texts


def test_every_answer_is_body_text_of_its_pdf(body_texts: dict[str, str]) -> None:
    questions = read_questions()
    assert len(questions) >= 20
    assert len({q.id for q in questions}) == len(questions)
    for question in questions:
        text = body_texts[question.source]
        assert any(" ".join(a.split()) in text for a in question.answers), question.id


def test_a_hit_answers_only_from_its_own_pdf() -> None:
    question = read_questions()[0]
    text = f"Indeed, above the age of 50, {question.answers[0]}."

    def hit(source: str) -> Hit:
        return Hit("c", "d", 1, 1.0, text, "t", source, None, 2, 2, "article")

    assert question.answered_by(hit(f"/data/pdfs/{question.source}"))
    assert not question.answered_by(hit("/data/pdfs/other.pdf"))


def test_the_bench_command_records_the_run_and_shows_it_again(
    textbook_template: CorpusTemplate, tmp_path: Path
) -> None:
    data_dir, out, payload = run_question_bench("pdf-questions", textbook_template, tmp_path)
    assert payload["kind"] == "pdf_questions"
    assert payload["questions"] == len(read_questions())
    assert [(row["mode"], row["rerank"], row["k"]) for row in payload["modes"]] == [
        (str(mode), False, 3) for mode in SearchMode
    ]
    assert [row["rerank"] for row in payload["answers"]] == [False]
    assert {"commit", "machine", "models", "dataset_hash"} <= set(payload)
    folder = data_dir / "runs"
    (run,) = folder.iterdir()
    assert {path.name for path in run.iterdir()} == {"results.json", "report.md"}
    shown = CliRunner().invoke(app, ["show", str(out)])
    assert shown.exit_code == 0, shown.output
    header = "| mode | reranked | chunk in top 3 | cited passage only | page in top 3 | missed |"
    assert header in shown.output


def test_another_passage_that_answers_counts_and_spaces_do_not() -> None:
    """An abstract's figure restated in the results answers too; "Arg 381" is "Arg381"."""
    question = Question(
        "q", "a.pdf", 1, "Which salt bridge is lost?", ("the salt bridge with Arg381",),
        also=(Passage("a.pdf", 7, ("loss of a salt bridge with Arg381",)),),
    )  # fmt: skip

    def hit(text: str, page: int) -> Hit:
        return Hit("c", "d", 1, 1.0, text, "t", "/data/a.pdf", None, page, page, "article")

    restated = hit("The main difference was the loss of a salt bridge with Arg 381 .", 7)
    assert question.answered_by(restated) and question.on_answering_page(restated)
    assert not question.answered_by(restated, named_only=True)
    assert question.answered_by(hit("It caused the loss of THE SALT bridge with Arg 381.", 1))
    assert not question.answered_by(hit("A salt bridge with Arg 381 stays.", 1))
