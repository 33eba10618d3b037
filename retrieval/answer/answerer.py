"""The one answer policy behind every front end: the CLI's `answer`, the API's `/answer`, the app.

Why one place: front ends that each decided whether to answer, with what and from which
sentences came to disagree. The policy, in order:
1. Weak evidence (`confidence.assess_hits`): no answer, and the message says why.
2. A chat model, when one is configured: its answer from the top hits, with [n] citations.
   If it fails (server down, missing package), the failure is kept and step 3 stands in.
3. Sentences quoted from the top hits (`sentences.extract_answer`); hits the reranker
   ordered have their sentences judged by it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from retrieval.answer.confidence import Assessment, assess_hits
from retrieval.answer.sentences import AnswerSentence, ExtractiveAnswer, extract_answer
from retrieval.search.hits import Hit
from retrieval.search.request import SearchRequest
from retrieval.search.retriever import Retriever

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)

AnswerKind = Literal["generated", "extractive", "weak"]
# Makes (or returns the one made before) the configured chat model; None: none is configured.
ChatFactory = Callable[[], "BaseChatModel | None"]
ANSWER_HITS = 3  # an answer reads the top hits only
NO_SENTENCE = "No sentence of the top hits answers the question."


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

    @property
    def weak(self) -> bool:
        """Whether the best hit was too weak to answer from (then nothing answers)."""
        return self.kind == "weak"

    def record(self) -> dict[str, object]:
        """The answer as JSON, as the CLI and the API give it."""
        return {
            "query": self.query,
            "answer": self.text,
            "kind": self.kind,
            "weak": self.weak,
            "confidence": self.assessment.confidence,
            "chat_error": self.chat_error,
            "sentences": [
                {"text": s.text, "number": s.number, "citation": s.citation, "score": s.score}
                for s in self.sentences
            ],
            "sources": [hit.record() for hit in self.hits],
        }


class Answerer:
    """Answers from a retriever's hits by the policy above; one per runtime.

    Args:
        chat: Makes the configured chat model, or returns None when none is configured (then
            answers are quoted). It is called inside the policy, so that a provider that
            cannot load is a reported fallback, not an error.

    Example:
        >>> answerer = Answerer()  # no chat model: quoted answers
        >>> given = answerer.answer(retriever, "What causes the heart sounds?")  # doctest: +SKIP
        >>> given.kind, given.text  # doctest: +SKIP
        ('extractive', 'The closing of the valves ... [1]')
    """

    def __init__(self, chat: ChatFactory | None = None) -> None:
        self._chat = chat

    def answer(
        self,
        retriever: Retriever,
        query: str,
        k: int = ANSWER_HITS,
        *,
        max_sentences: int = 3,
        **options: Any,
    ) -> Answer:
        """Search (`options` as `Retriever.search` takes them), then answer from the top `k`.

        Raises:
            InvalidRequestError: A search option of the wrong type or out of range.
        """
        request = SearchRequest.of(query, k=k, **options)
        hits = retriever.run(request)
        return self.answer_hits(
            retriever,
            request.query,
            hits,
            mode=str(request.mode),
            model=request.model,
            max_sentences=max_sentences,
            filters=request.filters,
        )

    def answer_hits(
        self,
        retriever: Retriever,
        query: str,
        hits: Sequence[Hit],
        *,
        mode: str,
        model: str | None = None,
        max_sentences: int = 3,
        filters: Mapping[str, Any] | None = None,
    ) -> Answer:
        """The answer from hits already found (the app shows the same hits below it).

        `filters` are the search's, so that "nothing answers" looks where the search looked.
        """
        sources = list(hits)
        model_id = model or retriever.model
        assessment = assess_hits(
            retriever, query, sources, mode=mode, model=model_id, filters=filters
        )
        if assessment.weak:
            return Answer(query, assessment.message or "", "weak", sources, assessment)
        chat_error = None
        if self._chat is not None:
            from retrieval.answer.rag import answer_from_hits

            try:
                llm = self._chat()
                if llm is not None:
                    text = answer_from_hits(llm, query, sources, mode=mode, model=model_id)
                    return Answer(query, text, "generated", sources, assessment)
            except Exception as error:  # a remote service or a missing package: quote instead
                first_line = str(error).splitlines()[0] if str(error) else "no message"
                chat_error = f"{type(error).__name__}: {first_line}"
                logger.warning("chat model failed: %s", chat_error)
        quoted = self.quote(retriever, query, sources, model=model_id, max_sentences=max_sentences)
        text = quoted.text or NO_SENTENCE
        return Answer(query, text, "extractive", sources, assessment, quoted.sentences, chat_error)

    def quote(
        self,
        retriever: Retriever,
        query: str,
        hits: Sequence[Hit],
        *,
        model: str | None = None,
        max_sentences: int = 3,
    ) -> ExtractiveAnswer:
        """The sentences of `hits` that answer the query, with no language model.

        Hits the reranker ordered have their sentences judged by it too (blended with the
        cosine); others by their cosine to the query alone.
        """
        reranked = any(hit.rerank_score is not None for hit in hits)
        return extract_answer(
            query,
            hits,
            retriever.encoder(model or retriever.model),
            max_sentences,
            reranker=retriever.reranker_for(wanted=True) if reranked else None,
        )
