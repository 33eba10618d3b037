"""Answers from search hits: one Answerer for chat and quoted answers, and its confidence.

`Answerer` is the one answer policy (weak evidence, a chat model, quoted sentences) that the
CLI, the HTTP API and the app call. The LangChain retriever and RAG chain
(`retrieval.answer.langchain_retriever`, `retrieval.answer.rag`) import LangChain, so this
front door leaves them out.
"""

from __future__ import annotations

from retrieval.answer.answerer import ANSWER_HITS, Answer, Answerer
from retrieval.answer.confidence import WEAK_MESSAGE, Assessment, assess_hits
from retrieval.answer.sentences import AnswerSentence, ExtractiveAnswer, extract_answer

__all__ = [
    "ANSWER_HITS",
    "WEAK_MESSAGE",
    "Answer",
    "AnswerSentence",
    "Answerer",
    "Assessment",
    "ExtractiveAnswer",
    "assess_hits",
    "extract_answer",
]
