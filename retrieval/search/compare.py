"""Side-by-side compare: one query through several pipelines, and how their top-k lists agree.

A pipeline is a model id, or a model id with RERANKED appended ("minilm+rerank"): the same
model's hits reordered by the reranker. Lists are joined on chunk ids, which are the same in
every model's collection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.errors import InvalidRequestError
from retrieval.search.agreement import jaccard, overlap_at_k, rank_biased_overlap
from retrieval.search.hits import Hit
from retrieval.search.request import SearchRequest

RERANKED = "+rerank"

# Runs one validated request (`Retriever.run`).
RunRequest = Callable[[SearchRequest], list[Hit]]


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """How two models' top-k lists agree (all in [0, 1], 1 = identical)."""

    first: str
    second: str
    overlap_at_k: float
    jaccard: float
    rbo: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """Each model's hits for one query, their pairwise agreement, and what only one found."""

    query: str
    k: int
    hits: dict[str, list[Hit]]
    pairs: list[PairAgreement]
    only_in: dict[str, list[Hit]]


def pipeline_options(pipeline: str) -> dict[str, Any]:
    """A compared pipeline's request options: "minilm+rerank" -> model minilm, reranked."""
    model_id = pipeline.removesuffix(RERANKED)
    return {"model": model_id, "rerank": pipeline.endswith(RERANKED)}


def compare_pipelines(
    run: RunRequest, request: SearchRequest, pipelines: Sequence[str]
) -> Comparison:
    """`request` run once per pipeline, with each pair's agreement on chunk ids at `request.k`.

    A plain model id is not reranked here, so "minilm" and "minilm+rerank" side by side show
    what reranking changes.
    """
    if isinstance(pipelines, str) or len(pipelines) < 2:
        raise InvalidRequestError("models", pipelines, "a list of at least two model ids")
    k = request.k
    hits = {
        pipeline: run(request.model_copy(update=pipeline_options(pipeline)))
        for pipeline in pipelines
    }
    ids = {pipeline: [hit.chunk_id for hit in found] for pipeline, found in hits.items()}
    pairs = [
        PairAgreement(
            first,
            second,
            overlap_at_k(ids[first], ids[second], k),
            jaccard(ids[first], ids[second]),
            rank_biased_overlap(ids[first], ids[second]),
        )
        for n, first in enumerate(pipelines)
        for second in pipelines[n + 1 :]
    ]
    only_in = {
        pipeline: [
            hit
            for hit in found
            if not any(hit.chunk_id in ids[other] for other in pipelines if other != pipeline)
        ]
        for pipeline, found in hits.items()
    }
    return Comparison(request.query, k, hits, pairs, only_in)
