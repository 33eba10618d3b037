"""One answer policy for every front end: the CLI's `answer`, the API's `/answer` and the app.

Why one place: each used to decide on its own whether to answer, with what, and from which
sentences, and they disagreed (the API never asked the chat model the others asked). The
policy, in order:
1. Weak evidence (`Retriever.assess`): no answer, and the message says why.
2. A chat model, when one is configured: its answer from the top hits, with [n] citations.
   If it fails (server down, missing package), the failure is kept and step 3 stands in.
3. Sentences quoted from the top hits, chosen by their cosine to the query (the reranker's
   choice held the answer less often on the PDF questions: docs/reranker.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from retrieval.answer.confidence import Assessment
from retrieval.answer.sentences import AnswerSentence
from retrieval.search.hits import Hit
from retrieval.search.retriever import Retriever

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)

AnswerKind = Literal["generated", "extractive", "weak"]
ChatFactory = Callable[[], "BaseChatModel | None"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a front end shows: the text with [n] markers, how it was made, and its sources."""

    query: str
    text: str
    kind: AnswerKind
    hits: list[Hit]  # the answer's [n] is hits[n - 1]
    assessment: Assessment
    sentences: list[AnswerSentence] = field(default_factory=list)
    chat_error: str | None = None  # why the chat model gave no answer, when it failed

    def record(self) -> dict[str, object]:
        """The answer as JSON, as the CLI and the API give it."""
        return {
            "query": self.query,
            "answer": self.text,
            "kind": self.kind,
            "weak": self.kind == "weak",
            "confidence": self.assessment.confidence,
            "chat_error": self.chat_error,
            "sentences": [
                {"text": s.text, "number": s.number, "citation": s.citation, "score": s.score}
                for s in self.sentences
            ],
            "sources": [hit.record() for hit in self.hits],
        }


def answer_from(
    retriever: Retriever,
    query: str,
    hits: Sequence[Hit],
    *,
    mode: str,
    model: str | None = None,
    max_sentences: int = 3,
    chat: ChatFactory | None = None,
) -> Answer:
    """The policy's answer from hits already found (the app shows the same hits below it).

    `chat` makes (or returns the cached) chat model, or None when none is configured; it is
    called inside the policy, so that a provider that cannot load is a reported fallback.
    """
    sources = list(hits)
    model_id = model or retriever.model
    assessment = retriever.assess(query, sources, mode=mode, model=model_id)
    if assessment.weak:
        return Answer(query, assessment.message or "", "weak", sources, assessment)
    chat_error = None
    if chat is not None:
        from retrieval.answer.rag import answer_from_hits

        try:
            llm = chat()
            if llm is not None:
                text = answer_from_hits(llm, query, sources, mode=mode, model=model_id)
                return Answer(query, text, "generated", sources, assessment)
        except Exception as error:  # a remote service or a missing package: quote instead
            first_line = str(error).splitlines()[0] if str(error) else "no message"
            chat_error = f"{type(error).__name__}: {first_line}"
            logger.warning("chat model failed: %s", chat_error)
    quoted = retriever.quote(query, sources, model=model_id, max_sentences=max_sentences)
    text = quoted.text or "No sentence of the top hits answers the question."
    return Answer(query, text, "extractive", sources, assessment, quoted.sentences, chat_error)


def answer_question(
    retriever: Retriever,
    query: str,
    k: int = 3,
    *,
    max_sentences: int = 3,
    chat: ChatFactory | None = None,
    **options: object,
) -> Answer:
    """Search (`options` as `Retriever.search` takes them), then answer from the top `k` hits."""
    from retrieval.search.request import SearchRequest

    request = SearchRequest.of(query, k=k, **options)
    hits = retriever.run(request)
    return answer_from(
        retriever,
        request.query,
        hits,
        mode=str(request.mode),
        model=request.model,
        max_sentences=max_sentences,
        chat=chat,
    )
