"""Second stage: a cross-encoder reorders the first stage's best candidates.

The first stage (dense, BM25 or both) finds; the reranker judges. It reads the question with
each candidate's title, section and the window of its text nearest the question
(`passage_window`), and its score is blended with the first stage's, so a
passage both stages like stays on top and the reranker's occasional misreading of one passage
does not sink a clear first-stage winner. Both scores are standardised over the candidates
first: their scales differ (cosine, BM25, fused), their orders are what count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from adapters.cross_encoder import CrossEncoder
from retrieval.calibration import Calibration
from retrieval.search.hits import Hit
from retrieval.search.passage_window import Passage, question_windows
from retrieval.store.sparse import Bm25Encoder

DEFAULT_RERANK_CANDIDATES = 30
# Weight of the first stage's standardised score beside the reranker's, whose own weight is its
# calibrated confidence that its best candidate answers (docs/reranker.md).
FIRST_STAGE_WEIGHT = 1.0


def passage_header(title: str, section: str | None) -> str:
    """The lines the reranker reads above a chunk's text: its title and section."""
    header = [part for part in (title, section) if part]
    if len(header) == 2 and header[0] == header[1]:
        header = header[:1]
    return "\n".join(header)


def passage_text(title: str, section: str | None, text: str) -> str:
    """A short text (an answer's sentence) as the reranker reads it: header, then the text."""
    header = passage_header(title, section)
    return f"{header}\n{text}" if header else text


def score_passages(
    query: str, passages: Sequence[Passage], reranker: CrossEncoder, bm25: Bm25Encoder
) -> np.ndarray:
    """The reranker's score of each passage, read as its header and its window nearest the query."""
    read = question_windows(
        query,
        passages,
        max_length=reranker.max_length,
        count_tokens=reranker.count_tokens,
        bm25=bm25,
    )
    return reranker.score(query, read)


def score_hits(
    query: str, hits: Sequence[Hit], reranker: CrossEncoder, bm25: Bm25Encoder
) -> np.ndarray:
    """The reranker's score of each hit (`score_passages` of its title, section and text)."""
    passages = [Passage(passage_header(h.title, h.section), h.text) for h in hits]
    return score_passages(query, passages, reranker, bm25)


def standardised(values: np.ndarray) -> np.ndarray:
    """Scores on one scale: minus their mean, over their spread (all zero when they are equal)."""
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def blend(
    reranker_scores: np.ndarray, first_stage: np.ndarray, weight: float, trust: float = 1.0
) -> np.ndarray:
    """The reranker's and the first stage's scores, each standardised, weighed and summed.

    `trust` (0-1) weighs the reranker's part: how far its order is to be believed.
    """
    return trust * standardised(reranker_scores) + weight * standardised(first_stage)


def rerank(
    query: str,
    hits: Sequence[Hit],
    reranker: CrossEncoder,
    bm25: Bm25Encoder,
    *,
    weight: float = FIRST_STAGE_WEIGHT,
    curve: Calibration | None = None,
) -> list[Hit]:
    """`hits` in the blended order, ranked from 1; each keeps its first-stage rank and score.

    With the reranker's calibration `curve`, its part of the blend is weighed by the chance
    that its best candidate answers: where it sees no answer (a statement, a keyword list, a
    question the corpus cannot answer) its order among poor candidates is noise, and the first
    stage's order stands.
    """
    if not hits:
        return []
    scores = score_hits(query, hits, reranker, bm25)
    first = np.asarray([h.score for h in hits], dtype=np.float64)
    trust = curve.probability(float(scores.max())) if curve is not None else 1.0
    blended = blend(scores.astype(np.float64), first, weight, trust)
    order = np.argsort(-blended, kind="stable")
    return [
        dataclasses.replace(
            hits[i],
            rank=rank,
            score=float(blended[i]),
            first_rank=hits[i].rank,
            first_score=hits[i].score,
            rerank_score=float(scores[i]),
        )
        for rank, i in enumerate(order, start=1)
    ]
