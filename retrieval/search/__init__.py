"""How a corpus is searched: the request, the Retriever, its hits, and side-by-side compare.

`Retriever.search` (or `run` with a `SearchRequest`) finds a corpus's best chunks with a
model, in dense, sparse or hybrid mode, reranked or not; `Retriever.compare` runs one query
through several pipelines (a model, or a model with RERANKED appended).
"""

from __future__ import annotations

from retrieval.search.compare import RERANKED, Comparison, PairAgreement, pipeline_options
from retrieval.search.hits import Hit
from retrieval.search.request import SearchRequest
from retrieval.search.retriever import Retriever

__all__ = [
    "RERANKED",
    "Comparison",
    "Hit",
    "PairAgreement",
    "Retriever",
    "SearchRequest",
    "pipeline_options",
]
