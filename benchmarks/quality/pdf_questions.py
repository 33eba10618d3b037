"""Clinical questions about the shared PDFs: is the answering chunk in the top k, per mode?

The questions (benchmarks/datasets/pdf_questions.json) name the PDF and a phrase of the
answer; a hit answers when it comes from that PDF and holds the phrase. Run on a corpus that
holds the PDFs among distractors (the demo corpus: textbook, notes, PDFs):
`python -m benchmarks.quality.pdf_questions --corpus cardiology --data-dir /tmp/demo
--json out.json`.

Each mode runs without and with the reranker (`--rerank`), and the answer the app would give
(the one answer policy, top 3 hits, hybrid) is checked too: whether it quotes a sentence that
holds an answer phrase, and whether it wrongly says that nothing answers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path, PurePath
from typing import Annotated

import typer

from retrieval import Hit, Retriever, SearchMode, Settings
from retrieval.answer.policy import answer_question

QUESTIONS = Path(__file__).parent / "datasets" / "pdf_questions.json"


@dataclass(frozen=True, slots=True)
class Question:
    """A question, the PDF that answers it, its page and phrases of the answer."""

    id: str
    source: str
    page: int
    query: str
    answers: tuple[str, ...]

    def answered_by(self, hit: Hit) -> bool:
        """Whether the hit is a chunk of the source that holds one of the answer phrases."""
        return PurePath(hit.source).name == self.source and self.holds_answer(hit.text)

    def holds_answer(self, text: str) -> bool:
        """Whether `text` holds one of the answer phrases (whitespace and case folded)."""
        folded = " ".join(text.split()).casefold()
        return any(" ".join(answer.split()).casefold() in folded for answer in self.answers)


@dataclass(frozen=True, slots=True)
class ModeResult:
    """Share of questions answered in the top k (chunk) and with the answering page there."""

    mode: str
    rerank: bool
    k: int
    chunk_in_top_k: float
    page_in_top_k: float
    missed: list[str]


def read_questions(path: Path = QUESTIONS) -> list[Question]:
    """The questions of a dataset file."""
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return [Question(**{**row, "answers": tuple(row["answers"])}) for row in rows]


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """How the quoted answers did: holding an answer phrase, or wrongly weak."""

    rerank: bool
    sentence_holds_answer: float
    called_weak: float
    missed: list[str]


def evaluate(
    retriever: Retriever, questions: list[Question], mode: SearchMode, k: int, *, rerank: bool
) -> ModeResult:
    """Ask every question in `mode` and count those answered within the top `k` hits."""
    chunk_hits = page_hits = 0
    missed = []
    for question in questions:
        hits = retriever.search(question.query, k, mode=mode, rerank=rerank)
        if any(question.answered_by(hit) for hit in hits):
            chunk_hits += 1
        else:
            missed.append(question.id)
        page_hits += any(
            PurePath(hit.source).name == question.source
            and (hit.page_start or 0) <= question.page <= (hit.page_end or 0)
            for hit in hits
        )
    return ModeResult(
        str(mode), rerank, k, round(chunk_hits / len(questions), 3),
        round(page_hits / len(questions), 3), missed,
    )  # fmt: skip


def evaluate_answers(
    retriever: Retriever, questions: list[Question], *, rerank: bool
) -> AnswerResult:
    """The app's answer (hybrid, top 3) to every question: does a quoted sentence answer?"""
    holds = weak = 0
    missed = []
    for question in questions:
        given = answer_question(retriever, question.query, 3, mode="hybrid", rerank=rerank)
        weak += given.kind == "weak"
        if any(question.holds_answer(sentence.text) for sentence in given.sentences):
            holds += 1
        else:
            missed.append(question.id)
    share = len(questions)
    return AnswerResult(rerank, round(holds / share, 3), round(weak / share, 3), missed)


def main(
    corpus: Annotated[str, typer.Option(help="Corpus holding the shared PDFs.")] = "cardiology",
    data_dir: Annotated[Path | None, typer.Option(help="Data dir of the corpus.")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec id.")] = "minilm",
    k: Annotated[int, typer.Option(help="Hits looked at per question.")] = 5,
    rerank: Annotated[bool, typer.Option(help="Also run every mode reranked.")] = True,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write results here.")] = None,
) -> None:
    """Print (and with --json, write) the share of questions answered per mode."""
    settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    questions = read_questions()
    variants = (False, True) if rerank else (False,)
    with Retriever(corpus, model, settings=settings) as retriever:
        results = [
            asdict(evaluate(retriever, questions, mode, k, rerank=reranked))
            for mode in SearchMode
            for reranked in variants
        ]
        answers = [
            asdict(evaluate_answers(retriever, questions, rerank=reranked)) for reranked in variants
        ]
    payload = {
        "questions": len(questions),
        "corpus": corpus,
        "model": model,
        "reranker": settings.reranker if rerank else None,
        "modes": results,
        "answers": answers,
    }
    typer.echo(json.dumps(payload, indent=2))
    if json_path is not None:
        json_path.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    typer.run(main)
