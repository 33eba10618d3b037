"""CardioRAG search as a LangChain retriever, for LCEL chains and agents.

This module and `adapters.langchain_embeddings` are the only ones that import `langchain_core`
(`retrieval/__init__` does not import this module, so plain search never loads LangChain).

Example:
    >>> from retrieval import Retriever
    >>> from retrieval.answer.langchain_retriever import CardioRetriever
    >>> base = Retriever(corpus="cardiology", model="minilm")  # doctest: +SKIP
    >>> docs = CardioRetriever(retriever=base, k=4, mode="hybrid").invoke(  # doctest: +SKIP
    ...     "first-line drugs for heart failure", k=2
    ... )
    >>> docs[0].metadata["citation"]  # doctest: +SKIP
    'ehag110.pdf, p. 7'
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.answer.confidence import assess_hits
from retrieval.search.hits import Hit
from retrieval.search.request import Filters, Mode, ModelId, SearchRequest, TopK
from retrieval.search.retriever import Retriever
from retrieval.store.query import SearchMode

logger = logging.getLogger(__name__)

# Document.metadata keys CardioRetriever sets itself; they win over a record field of the
# same name (ingest already renames record fields that clash with its own payload keys).
METADATA_KEYS = (
    "chunk_id",
    "doc_id",
    "rank",
    "score",
    "citation",
    "title",
    "source",
    "section",
    "page_start",
    "page_end",
    "doc_type",
    "matched_terms",
    "mode",
    "model",
)
# Set on every document of a result: how likely its best document is to answer
# (`confidence.assess_hits`), and whether that is too weak to answer from.
CONFIDENCE_KEYS = ("best_hit_confidence", "weak_evidence")

# LangChain's `invoke` forwards its own keyword arguments (e.g. `verbose`) to the retriever.
_LANGCHAIN_KWARGS = frozenset({"verbose"})


def _search_options() -> frozenset[str]:
    """The keyword arguments `Retriever.search` accepts besides the query."""
    return frozenset(inspect.signature(Retriever.search).parameters) - {"self", "query"}


def hit_to_document(hit: Hit, *, mode: str, model: str) -> Document:
    """A hit as a LangChain `Document`: text as `page_content`, citation fields as metadata.

    Args:
        hit: A ranked search result.
        mode: The search mode that found it (dense, sparse or hybrid); the score's scale
            depends on it.
        model: The embedding model id whose collection was searched.

    Returns:
        `Document(id=chunk_id, page_content=text, metadata=...)`, whose metadata holds the
        hit's record metadata plus the keys in `METADATA_KEYS`.
    """
    fixed = {
        "chunk_id": hit.chunk_id,
        "doc_id": hit.doc_id,
        "rank": hit.rank,
        "score": hit.score,
        "citation": hit.citation,
        "title": hit.title,
        "source": hit.source,
        "section": hit.section,
        "page_start": hit.page_start,
        "page_end": hit.page_end,
        "doc_type": hit.doc_type,
        "matched_terms": list(hit.matched_terms),
        "first_rank": hit.first_rank,
        "rerank_score": hit.rerank_score,
        "mode": mode,
        "model": model,
    }
    return Document(id=hit.chunk_id, page_content=hit.text, metadata={**hit.metadata, **fixed})


class CardioRetriever(BaseRetriever):
    """A LangChain retriever over one CardioRAG corpus; it delegates to `Retriever.search`.

    `k`, `mode`, `filters` and `model` are defaults that each call may override:
    `retriever.invoke(query, k=2, mode="sparse")`. A call also accepts the other options of
    `Retriever.search` (`offset`, `score_threshold`, `fusion`, `mmr`, `mmr_lambda`, `dedupe`).
    Each `Document` has the chunk id as `id`, the chunk text as `page_content`, and metadata
    with `chunk_id`, `doc_id`, `rank` (from 1), `score` (higher is better; cosine in dense
    mode, BM25 in sparse mode, a fused score in hybrid mode: never compare across modes),
    `citation`, `title`, `source`, `section`, `page_start`, `page_end`, `doc_type`,
    `matched_terms` (query words found in the chunk), `first_rank` and `rerank_score` (set
    when the reranker reordered the hits; `rank` and `score` are then the reranked ones),
    `mode`, `model`, plus the record's own metadata fields.

    Attributes:
        retriever: The CardioRAG retriever to search with (its corpus and store).
        k: How many documents to return.
        mode: dense, sparse (BM25) or hybrid.
        filters: Metadata conditions, as `Retriever.search` takes them.
        model: Embedding model id; None means the retriever's own model.
        rerank: Rerank with the configured reranker (True), not (False), or as the
            `rerank` setting says (None).

    Example:
        >>> docs = CardioRetriever(retriever=base, k=3).invoke("heart valves")  # doctest: +SKIP
        >>> [d.metadata["citation"] for d in docs]  # doctest: +SKIP
        ['Heart Anatomy - Internal Structure of the Heart', ...]
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    # The same types as `SearchRequest`'s, so a field is checked as a call's keyword is.
    k: TopK = 4
    mode: Mode = SearchMode.DENSE
    filters: Filters = None
    model: ModelId = None
    rerank: bool | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        """Search the corpus; per-call keyword arguments override the fields.

        Args:
            query: What to look for, in words.
            run_manager: LangChain's callback manager for this run.
            **kwargs: `k`, `mode`, `filters`, `model` or any other option of
                `Retriever.search`.

        Returns:
            The best documents, best first.

        Raises:
            TypeError: For a keyword argument `Retriever.search` does not take.
            InvalidRequestError: For a value it does not take (naming the argument).
        """
        options = {key: value for key, value in kwargs.items() if key not in _LANGCHAIN_KWARGS}
        unknown = sorted(set(options) - _search_options())
        if unknown:
            allowed = ", ".join(sorted(_search_options()))
            raise TypeError(f"CardioRetriever got unknown search options {unknown}; use {allowed}")
        defaults = {
            "k": self.k,
            "mode": self.mode,
            "filters": self.filters,
            "model": self.model,
            "rerank": self.rerank,
        }
        request = SearchRequest.of(query, **(defaults | options))
        mode, model = request.mode.value, request.model or self.retriever.model
        hits = self.retriever.run(request)
        logger.debug("CardioRetriever: %d documents (%s, %s)", len(hits), mode, model)
        assessment = assess_hits(
            self.retriever, query, hits, mode=mode, model=model, filters=request.filters
        )
        documents = [hit_to_document(hit, mode=mode, model=model) for hit in hits]
        for document in documents:
            document.metadata.update(
                zip(CONFIDENCE_KEYS, (assessment.confidence, assessment.weak), strict=True)
            )
        return documents
