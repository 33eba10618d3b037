"""Second stage: a cross-encoder reorders the first stage's best candidates.

The first stage (dense, BM25 or both) finds; the reranker judges. It reads the question with
each candidate's title, section and text, and its score is blended with the first stage's, so a
passage both stages like stays on top and the reranker's occasional misreading of one passage
does not sink a clear first-stage winner. Both scores are standardised over the candidates
first: their scales differ (cosine, BM25, fused), their orders are what count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from adapters.cross_encoder import CrossEncoder
from retrieval.search.hits import Hit

DEFAULT_RERANK_CANDIDATES = 30
# Weight of the first stage's standardised score beside the reranker's (chosen on held-out
# MedQuAD topics, not on an evaluation set: docs/reranker.md).
FIRST_STAGE_WEIGHT = 0.5


def passage_text(title: str, section: str | None, text: str) -> str:
    """What the reranker reads of a chunk: its title and section, then its text."""
    header = [part for part in (title, section) if part]
    if len(header) == 2 and header[0] == header[1]:
        header = header[:1]
    return "\n".join([*header, text])


def _standardised(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def blend(reranker_scores: np.ndarray, first_stage: np.ndarray, weight: float) -> np.ndarray:
    """The reranker's and the first stage's scores, each standardised, weighed and summed."""
    return _standardised(reranker_scores) + weight * _standardised(first_stage)


def rerank(
    query: str,
    hits: Sequence[Hit],
    reranker: CrossEncoder,
    *,
    weight: float = FIRST_STAGE_WEIGHT,
) -> list[Hit]:
    """`hits` in the blended order, ranked from 1; each keeps its first-stage rank and score."""
    if not hits:
        return []
    scores = reranker.score(query, [passage_text(h.title, h.section, h.text) for h in hits])
    first = np.asarray([h.score for h in hits], dtype=np.float64)
    blended = blend(scores.astype(np.float64), first, weight)
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
