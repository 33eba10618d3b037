"""The shorthand question set: two forms that differ only in their terms, answers from the
catalog's own text; `bench shorthand` records its run with every reading."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from benchmarks.quality.shorthand_questions import READINGS, read_questions
from cli.bench.commands import app
from tests.support.bench import run_question_bench
from tests.support.corpora import CorpusTemplate

SOURCES = {
    "ehag110.pdf",
    "zwag118.pdf",
    "openstax_ap2e_cardiovascular_sections.jsonl",
    "mtsamples_cardiovascular_pulmonary.csv",
}


def test_both_forms_differ_only_in_their_terms() -> None:
    questions = read_questions()
    assert len(questions) >= 150
    assert len({q.id for q in questions}) == len(questions)
    assert {q.source for q in questions} == SOURCES
    for question in questions:
        abbreviated = question.long
        for short, long in sorted(question.terms, key=lambda term: -len(term[1])):
            abbreviated = abbreviated.replace(long, short)  # longest first: HFpEF before HF
        assert abbreviated == question.short, question.id
        assert question.document_form in {"short", "long", "both"}
        assert all(4 <= len(answer.split()) <= 15 for answer in question.answers), question.id


def test_the_bench_command_records_every_reading(
    textbook_template: CorpusTemplate, tmp_path: Path
) -> None:
    _, out, payload = run_question_bench("shorthand", textbook_template, tmp_path)
    assert payload["kind"] == "shorthand"
    assert payload["questions"] == len(read_questions())
    assert [(row["mode"], row["reading"]) for row in payload["results"]] == [
        (mode, reading) for mode in ("dense", "sparse", "hybrid") for reading in READINGS
    ]
    assert 0 < payload["reading_ms"] < 50
    shown = CliRunner().invoke(app, ["show", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "| mode | reading | reranked | abbreviated | spelled out | gap |" in shown.output
