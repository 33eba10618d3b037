"""An answer without any LLM: the sentences of the top hits that best answer the query.

Each sentence keeps the hit it came from, so the answer is cited like a generated one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adapters import Encoder
from adapters.cross_encoder import CrossEncoder
from retrieval.search.hits import Hit
from retrieval.search.rerank import blend, passage_text, standardised

# Sentence ends: ., ! or ? followed by space and an upper-case letter or digit. Hand-written:
# NLTK's punkt and spaCy need model downloads, which these machines cannot make; clinical
# abbreviations ("e.g. the", "vs. placebo") mostly stay whole because a lower-case word follows,
# and "et al.", "e.g." and "i.e." never end one (a number or a name often follows them).
# A bullet and a "Keywords" label end one too: a journal's key points are sentences of their
# own, and its keyword list ("Keywords Heart failure • Ageing • ...") falls apart into items
# too short to quote.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!et al\.)(?<!et al \.)(?<!e\.g\.)(?<!i\.e\.)\s+(?=[A-Z0-9(\[])"
    r"|\s*[•▪●]\s*|\s*\bKey ?words\b:?\s*"
)
# A table's rows (Markdown, as PDF tables are stored) are read in its card, not quoted in
# prose; the caption above them stays a candidate and points at the table.
_TABLE_ROW = re.compile(r"^[ \t]*\|.*$", re.MULTILINE)
# A paper's reference numbers follow the period ("... in trials. 12,13 However, ..."), so a
# split leaves them at the start of the next sentence; a capital letter after them tells.
_LEADING_REFERENCES = re.compile(r"^\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\s+(?=[A-Z])")
# A sentence whose figure, table or link was lost in conversion ("A normal ECG tracing is
# presented in .", "These factors are summarized in and .", "Visit this site for ...") points
# at nothing, and one that only says where a figure shows something ("A normal ECG tracing is
# presented in Figure 19.22.") points at what an answer cannot show: neither is quoted.
_LOST_REFERENCE = re.compile(
    r"\b(?:in|and|on|of|see|at|to|by)\s*\.$|^(?:Visit|Watch|View) this (?:site|video|animation)"
    r"|\b(?:is|are)\s+(?:presented|shown|illustrated|depicted|summari[sz]ed|indicated|listed)"
    r"\s+in\s+(?:Figures?|Fig\.|Tables?)\s+[\w.]+?\.?$"
)
_MIN_WORDS = 5
_MAX_CHARS = 600
_SAME_SENTENCE_COSINE = 0.95
# Weight of a sentence's standardised cosine beside the reranker's standardised score
# (chosen on the PDF questions and held-out textbook definitions: docs/reranker.md).
SENTENCE_COSINE_WEIGHT = 0.5
# Weight of its passage's standardised search score (reranked): the reranker reads a sentence
# without the sentences around it, and its passage's rank is what it judged with them (chosen
# on the PDF questions and the wider PDF set: docs/reranker.md).
SENTENCE_PASSAGE_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    """One sentence of the answer; `number` is the [n] of the hit it cites (1-based)."""

    text: str
    number: int
    citation: str
    chunk_id: str
    score: float  # cosine to the query, or its blend with the reranker's score; higher: better


@dataclass(frozen=True, slots=True)
class ExtractiveAnswer:
    """The chosen sentences, the hits they cite, in the order of the hits."""

    query: str
    sentences: list[AnswerSentence]
    hits: list[Hit]

    @property
    def text(self) -> str:
        """The sentences with their [n] markers, in reading order ("" when none was chosen)."""
        return " ".join(f"{s.text} [{s.number}]" for s in self.sentences)


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk, folded; short, long, table and lost-figure ones dropped."""
    prose = _TABLE_ROW.sub("", text)
    sentences = (
        _LEADING_REFERENCES.sub("", " ".join(part.split())) for part in _SENTENCE_END.split(prose)
    )
    return [
        s
        for s in sentences
        if len(s.split()) >= _MIN_WORDS and len(s) <= _MAX_CHARS and not _LOST_REFERENCE.search(s)
    ]


def _candidates(hits: Sequence[Hit]) -> list[tuple[int, Hit, str]]:
    """Every quotable sentence of the hits, with the [n] of the hit it comes from."""
    return [(n, hit, s) for n, hit in enumerate(hits, 1) for s in split_sentences(hit.text)]


def _chosen(
    query: str,
    hits: Sequence[Hit],
    candidates: Sequence[tuple[int, Hit, str]],
    scores: np.ndarray,
    picks: Sequence[int],
) -> ExtractiveAnswer:
    """The picked candidates as answer sentences, in the order of the hits they cite."""
    sentences = [
        AnswerSentence(
            text=candidates[i][2],
            number=candidates[i][0],
            citation=candidates[i][1].citation,
            chunk_id=candidates[i][1].chunk_id,
            score=float(scores[i]),
        )
        for i in sorted(picks, key=lambda i: (candidates[i][0], i))
    ]
    return ExtractiveAnswer(query, sentences, list(hits))


def extract_answer(
    query: str,
    hits: Sequence[Hit],
    encoder: Encoder,
    max_sentences: int = 3,
    *,
    reranker: CrossEncoder | None = None,
) -> ExtractiveAnswer:
    """Pick the `max_sentences` sentences of `hits` that best answer the query, one per idea.

    Without a reranker, by their cosine to the query. With one, each sentence is also read
    with its chunk's title and section, and its score is blended with the cosine as passages
    are (retrieval.search.rerank.blend): the reranker tells a sentence that says what is asked from
    one that mentions it; the cosine keeps one misread sentence from winning alone; and its
    passage's score, judged with the sentences around it, favours the passage ranked best.
    """
    candidates = _candidates(hits)
    if not candidates:
        return ExtractiveAnswer(query, [], list(hits))
    vectors = encoder.encode_documents([sentence for _, _, sentence in candidates])
    scores = vectors @ encoder.encode_queries([query])[0]
    if reranker is not None:
        judged = reranker.score(
            query, [passage_text(hit.title, hit.section, text) for _, hit, text in candidates]
        )
        scores = blend(judged.astype(np.float64), scores.astype(np.float64), SENTENCE_COSINE_WEIGHT)
        passages = np.asarray([hit.score for _, hit, _ in candidates], dtype=np.float64)
        scores += SENTENCE_PASSAGE_WEIGHT * standardised(passages)
    chosen: list[int] = []
    for index in np.argsort(-scores, kind="stable"):
        if len(chosen) == max_sentences:
            break
        if all(float(vectors[index] @ vectors[other]) < _SAME_SENTENCE_COSINE for other in chosen):
            chosen.append(int(index))
    return _chosen(query, hits, candidates, scores, chosen)
