"""One listwise training row of the reranker: a question, its answer, its negatives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RerankGroup:
    """One question with its answer first and its negatives after (a listwise training row)."""

    query: str
    positive: str
    negatives: tuple[str, ...]
    source: str
