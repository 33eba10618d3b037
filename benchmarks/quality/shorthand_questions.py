"""`cardiorag bench shorthand`: does a question find its answer whether it abbreviates or not?

Each question of benchmarks/datasets/shorthand_questions.json comes in two forms, one with
the abbreviation ("beta blocker dose in HFrEF") and one spelled out ("... in heart failure
with reduced ejection fraction"), and names the document and phrases of the chunk that
answers (judged as the PDF questions are: source and phrase). Recall@k of that chunk is
measured for both forms, per search mode, with the query read as typed and with each side
of the query reading (`retrieval.shorthand.Sides`), and reranked where asked: the gap
between the two forms is what reading shorthand should close.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.quality.pdf_questions import Question
from benchmarks.report import RunOutput, file_hash, markdown_table, model_provenance, provenance
from retrieval import Retriever, Runtime, SearchMode
from retrieval.shorthand import Sides

QUESTIONS = Path(__file__).parents[1] / "datasets" / "shorthand_questions.json"
FORMS = ("short", "long")
# The readings compared: as typed, each side alone, the shipped one.
_OFF = Sides(dense_long=False, sparse_long=False, sparse_short=False, dense_short="never")
READINGS: dict[str, Sides] = {
    "as typed": _OFF,
    "dense: long form": replace(_OFF, dense_long=True),
    "dense: abbreviation": replace(_OFF, dense_short="always"),
    "dense: abbreviation the corpus defines": replace(_OFF, dense_short="corpus"),
    "bm25: long form": replace(_OFF, sparse_long=True),
    "bm25: abbreviation": replace(_OFF, sparse_short=True),
    "shipped": Sides(),
}


@dataclass(frozen=True, slots=True)
class ShorthandQuestion:
    """A question in both forms, the document that answers and phrases of its answer."""

    id: str
    source: str
    short: str
    long: str
    terms: tuple[tuple[str, str], ...]
    document_form: str
    answers: tuple[str, ...]

    def form(self, name: str) -> Question:
        """The question in one form, judged as a PDF question is."""
        return Question(self.id, self.source, 0, getattr(self, name), self.answers)


@dataclass(frozen=True, slots=True)
class ReadingResult:
    """Recall@k of both forms in one mode and reading, and their gap (long - short)."""

    mode: str
    reading: str
    rerank: bool
    recall_short: float
    recall_long: float
    gap: float
    missed_short: list[str]


def read_questions(path: Path = QUESTIONS) -> list[ShorthandQuestion]:
    """The questions of the dataset file."""
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return [
        ShorthandQuestion(
            **{**row, "terms": tuple(map(tuple, row["terms"])), "answers": tuple(row["answers"])}
        )
        for row in rows
    ]


def _recall(
    retriever: Retriever, questions: list[Question], mode: SearchMode, k: int, *, rerank: bool
) -> tuple[float, list[str]]:
    missed = []
    for question in questions:
        hits = retriever.search(question.query, k, mode=mode, rerank=rerank, expand=True)
        if not any(question.answered_by(hit) for hit in hits):
            missed.append(question.id)
    return round(1 - len(missed) / len(questions), 3), missed


def evaluate_reading(
    retriever: Retriever,
    questions: list[ShorthandQuestion],
    mode: SearchMode,
    reading: str,
    k: int,
    *,
    rerank: bool,
) -> ReadingResult:
    """Both forms of every question in `mode` with one reading of the query."""
    retriever.reader.sides = READINGS[reading]
    short, missed = _recall(retriever, [q.form("short") for q in questions], mode, k, rerank=rerank)
    long, _ = _recall(retriever, [q.form("long") for q in questions], mode, k, rerank=rerank)
    return ReadingResult(str(mode), reading, rerank, short, long, round(long - short, 3), missed)


def expansion_cost_ms(retriever: Retriever, questions: list[ShorthandQuestion]) -> float:
    """Mean time to read a query (lexicon lookup and both texts), both forms, in ms."""
    queries = [getattr(q, form) for q in questions for form in FORMS]
    started = time.perf_counter()
    for query in queries:
        retriever.read_query(query, expand=True)
    return round((time.perf_counter() - started) * 1000 / len(queries), 3)


def run_shorthand(runtime: Runtime, corpus: str, model: str, k: int, *, rerank: bool) -> RunOutput:
    """Every mode with every reading, then the shipped reading reranked; JSON and tables."""
    started = provenance()
    questions = read_questions()
    retriever = runtime.retriever(corpus, model)
    shipped = retriever.reader.sides
    try:
        rows = [
            evaluate_reading(retriever, questions, mode, reading, k, rerank=False)
            for mode in SearchMode
            for reading in READINGS
        ]
        if rerank:
            rows += [
                evaluate_reading(retriever, questions, SearchMode.HYBRID, reading, k, rerank=True)
                for reading in ("as typed", "shipped")
            ]
    finally:
        retriever.reader.sides = shipped
    payload = {
        **started,
        "questions": len(questions),
        "by_source": dict(Counter(q.source for q in questions)),
        "by_document_form": dict(Counter(q.document_form for q in questions)),
        "dataset_hash": file_hash([QUESTIONS]),
        "corpus": corpus,
        "model": model,
        "models": model_provenance(runtime.specs, [model]),
        "k": k,
        "shipped_sides": asdict(shipped),
        "reading_ms": expansion_cost_ms(retriever, questions),
        "results": [asdict(row) for row in rows],
    }
    return RunOutput(payload, shorthand_markdown(payload))


def shorthand_markdown(payload: dict[str, Any]) -> str:
    """One row per mode, reading and reranking: Recall@k of both forms and their gap."""
    k = payload["k"]
    rows = [
        [r["mode"], r["reading"], r["rerank"], r["recall_short"], r["recall_long"], r["gap"]]
        for r in payload["results"]
    ]
    return "\n\n".join(
        [
            f"## Shorthand questions: {payload['questions']} questions in two forms, corpus "
            f"{payload['corpus']}, {payload['model']}",
            f"Recall@{k} of the answering chunk, abbreviated and spelled out (gap: long - short); "
            f"reading a query takes {payload['reading_ms']} ms:",
            markdown_table(
                ["mode", "reading", "reranked", "abbreviated", "spelled out", "gap"], rows
            ),
        ]
    )
