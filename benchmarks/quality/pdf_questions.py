"""`cardiorag bench pdf-questions`: is the chunk that answers a question about a PDF in the top k?

The questions (benchmarks/datasets/pdf_questions.json) name the PDF and a phrase of the
answer, and any other passage that answers too; a hit answers when it comes from an answering
passage's PDF and holds its phrase (spaces and case aside). Run it on a corpus that
holds the PDFs among distractors (the demo corpus: textbook, notes, PDFs). Each mode runs
without and with the reranker, and the answer the app would give (the one answer policy,
top 3 hits, hybrid) is checked too: whether it quotes a sentence that holds an answer phrase,
and whether it wrongly says that nothing answers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path, PurePath
from typing import Any

from benchmarks.report import RunOutput, file_hash, markdown_table, model_provenance, provenance
from retrieval import Answerer, Hit, Retriever, Runtime, SearchMode

QUESTIONS = Path(__file__).parents[1] / "datasets" / "pdf_questions.json"


def _folded(text: str) -> str:
    """Text without whitespace, case folded: readers differ in spaces, not in words.

    A superscript or subscript is a word of its own to one reader ("Arg 381", "K i") and part of
    its word to another ("Arg381", "Ki").
    """
    return "".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Passage:
    """Another passage that answers a question, where a document says the same twice."""

    source: str
    page: int
    answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """A question, the PDF that answers it, its page and phrases of the answer.

    `also` lists other passages that answer it, judged by reading: an abstract's figure that the
    results restate, a label's Highlights line that the full information says in other words,
    the booklet pages a scan was made from.
    """

    id: str
    source: str
    page: int
    query: str
    answers: tuple[str, ...]
    kind: str = "article"  # the PDF's kind: article, drug_label, booklet, guideline, scanned
    also: tuple[Passage, ...] = ()

    def passages(self) -> tuple[Passage, ...]:
        """The named passage first, then the others that answer."""
        return (Passage(self.source, self.page, self.answers), *self.also)

    def answered_by(self, hit: Hit, *, named_only: bool = False) -> bool:
        """Whether the hit is a chunk of an answering passage's PDF that holds its phrase."""
        passages = self.passages()[:1] if named_only else self.passages()
        return any(
            PurePath(hit.source).name == passage.source and _holds(hit.text, passage.answers)
            for passage in passages
        )

    def holds_answer(self, text: str) -> bool:
        """Whether `text` holds an answer phrase of any answering passage."""
        return any(_holds(text, passage.answers) for passage in self.passages())

    def on_answering_page(self, hit: Hit) -> bool:
        """Whether the hit comes from a page of an answering passage."""
        return any(
            PurePath(hit.source).name == passage.source
            and (hit.page_start or 0) <= passage.page <= (hit.page_end or 0)
            for passage in self.passages()
        )


def _holds(text: str, answers: tuple[str, ...]) -> bool:
    folded = _folded(text)
    return any(_folded(answer) in folded for answer in answers)


@dataclass(frozen=True, slots=True)
class ModeResult:
    """Share of questions answered in the top k (chunk) and with the answering page there."""

    mode: str
    rerank: bool
    k: int
    chunk_in_top_k: float
    page_in_top_k: float
    missed: list[str]
    by_kind: dict[str, float]  # chunk_in_top_k per kind of PDF
    named_chunk_in_top_k: float  # counting the question's own passage only, not `also`


def read_questions(path: Path = QUESTIONS) -> list[Question]:
    """The questions of a dataset file."""
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return [
        Question(
            **{
                **row,
                "answers": tuple(row["answers"]),
                "also": tuple(
                    Passage(other["source"], other["page"], tuple(other["answers"]))
                    for other in row.get("also", ())
                ),
            }
        )
        for row in rows
    ]


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
    chunk_hits = page_hits = named_hits = 0
    missed = []
    answered: dict[str, list[bool]] = {}
    for question in questions:
        hits = retriever.search(question.query, k, mode=mode, rerank=rerank)
        found = any(question.answered_by(hit) for hit in hits)
        answered.setdefault(question.kind, []).append(found)
        if found:
            chunk_hits += 1
        else:
            missed.append(question.id)
        named_hits += any(question.answered_by(hit, named_only=True) for hit in hits)
        page_hits += any(question.on_answering_page(hit) for hit in hits)
    share = len(questions)
    return ModeResult(
        str(mode), rerank, k, round(chunk_hits / share, 3), round(page_hits / share, 3), missed,
        {kind: round(sum(found) / len(found), 3) for kind, found in sorted(answered.items())},
        round(named_hits / share, 3),
    )  # fmt: skip


def evaluate_answers(
    retriever: Retriever, questions: list[Question], *, rerank: bool
) -> AnswerResult:
    """The app's answer (hybrid, top 3) to every question: does a quoted sentence answer?"""
    answerer = Answerer()  # no chat model: the sentences quoted from the hits
    holds = weak = 0
    missed = []
    for question in questions:
        given = answerer.answer(retriever, question.query, 3, mode="hybrid", rerank=rerank)
        weak += given.kind == "weak"
        if any(question.holds_answer(sentence.text) for sentence in given.sentences):
            holds += 1
        else:
            missed.append(question.id)
    share = len(questions)
    return AnswerResult(rerank, round(holds / share, 3), round(weak / share, 3), missed)


def run_pdf_questions(
    runtime: Runtime, corpus: str, model: str, k: int, *, rerank: bool, path: Path = QUESTIONS
) -> RunOutput:
    """Every mode (and, with `rerank`, each reranked) and the app's answers; JSON and tables."""
    started = provenance()
    questions = read_questions(path)
    variants = (False, True) if rerank else (False,)
    retriever = runtime.retriever(corpus, model)
    modes = [
        asdict(evaluate(retriever, questions, mode, k, rerank=reranked))
        for mode in SearchMode
        for reranked in variants
    ]
    answers = [
        asdict(evaluate_answers(retriever, questions, rerank=reranked)) for reranked in variants
    ]
    payload = {
        **started,
        "questions": len(questions),
        "dataset": path.name,
        "dataset_hash": file_hash([path]),
        "corpus": corpus,
        "model": model,
        "models": model_provenance(runtime.specs, [model]),
        "k": k,
        "reranker": runtime.settings.reranker if rerank else None,
        "modes": modes,
        "answers": answers,
    }
    return RunOutput(payload, pdf_questions_markdown(payload))


def pdf_questions_markdown(payload: dict[str, Any]) -> str:
    """One row per mode (reranked or not), then one per answer policy run."""
    modes = [
        [row["mode"], row["rerank"], row["chunk_in_top_k"], row.get("named_chunk_in_top_k", ""),
         row["page_in_top_k"], ", ".join(row["missed"])]
        for row in payload["modes"]
    ]  # fmt: skip
    answers = [
        [row["rerank"], row["sentence_holds_answer"], row["called_weak"], ", ".join(row["missed"])]
        for row in payload["answers"]
    ]
    k = payload["k"]
    header = [
        *("mode", "reranked", f"chunk in top {k}", "cited passage only", f"page in top {k}"),
        "missed",
    ]
    kinds = sorted({kind for row in payload["modes"] for kind in row.get("by_kind", {})})
    by_kind = [
        [row["mode"], row["rerank"], *(row["by_kind"].get(kind, "") for kind in kinds)]
        for row in payload["modes"]
    ]
    return "\n\n".join(
        [
            f"## PDF questions: {payload['questions']} questions, corpus {payload['corpus']}, "
            f"{payload['model']}",
            f"Share of questions whose answering chunk (and page) is in the top {k}:",
            markdown_table(header, modes),
            *(
                [
                    f"Chunk in the top {k} per kind of PDF:",
                    markdown_table(["mode", "reranked", *kinds], by_kind),
                ]
                if len(kinds) > 1
                else []
            ),
            "The app's answer (hybrid, top 3): a quoted sentence holds an answer phrase, or it "
            "wrongly says nothing answers:",
            markdown_table(["reranked", "sentence holds answer", "called weak", "missed"], answers),
        ]
    )
