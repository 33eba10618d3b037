"""`cardiorag bench pdf-questions`: is the chunk that answers a question about a PDF in the top k?

The questions (benchmarks/datasets/pdf_questions.json) name the PDF and a phrase of the
answer; a hit answers when it comes from that PDF and holds the phrase. Run it on a corpus that
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


@dataclass(frozen=True, slots=True)
class Question:
    """A question, the PDF that answers it, its page and phrases of the answer."""

    id: str
    source: str
    page: int
    query: str
    answers: tuple[str, ...]
    kind: str = "article"  # the PDF's kind: article, drug_label, booklet, guideline, scanned

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
    by_kind: dict[str, float]  # chunk_in_top_k per kind of PDF


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
    answered: dict[str, list[bool]] = {}
    for question in questions:
        hits = retriever.search(question.query, k, mode=mode, rerank=rerank)
        found = any(question.answered_by(hit) for hit in hits)
        answered.setdefault(question.kind, []).append(found)
        if found:
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
        {kind: round(sum(found) / len(found), 3) for kind, found in sorted(answered.items())},
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
        [row["mode"], row["rerank"], row["chunk_in_top_k"], row["page_in_top_k"],
         ", ".join(row["missed"])]
        for row in payload["modes"]
    ]  # fmt: skip
    answers = [
        [row["rerank"], row["sentence_holds_answer"], row["called_weak"], ", ".join(row["missed"])]
        for row in payload["answers"]
    ]
    k = payload["k"]
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
            markdown_table(
                ["mode", "reranked", f"chunk in top {k}", f"page in top {k}", "missed"], modes
            ),
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
